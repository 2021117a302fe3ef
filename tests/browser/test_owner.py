"""The franchise owner's pages: their locations and approved reports, nothing about the auditor."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import OWNER, PASSWORD, Server

pytestmark = pytest.mark.browser


def _valid_answers(checklist: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for section in checklist["sections"]:
        for item in section["items"]:
            kind = item["type"]
            if kind == "yes_no":
                answers[item["id"]] = {"value": True}
            elif kind == "scale":
                answers[item["id"]] = {"value": item["max"]}
            elif kind == "choice":
                answers[item["id"]] = {"value": item["options"][0]["value"]}
            elif kind == "number":
                answers[item["id"]] = {"value": item.get("min", 0)}
            elif kind == "nps":
                answers[item["id"]] = {"value": 9}
            elif kind == "text":
                answers[item["id"]] = {"value": "Calm and friendly visit."}
    return answers


def _approved_audit(server: Server, photo: Path) -> str:
    auditor, hq = server.api("ivy"), server.api("hq")
    listing = auditor.get("/api/checklists").json()
    checklist = auditor.get(f"/api/checklists/{listing[0]['id']}").json()
    uid = str(uuid.uuid4())
    body = {
        "checklist": checklist["id"],
        "location": "L1",
        "visited_at": "2026-11-02T15:20:00Z",
        "answers": _valid_answers(checklist),
    }
    assert auditor.put(f"/api/audits/{uid}", json=body).status_code == 201
    for section in checklist["sections"]:
        for item in section["items"]:
            if item["type"] == "photo" or item.get("photo") == "required":
                r = auditor.put(
                    f"/api/audits/{uid}/photos/{uuid.uuid4()}?item={item['id']}",
                    content=photo.read_bytes(),
                    headers={"Content-Type": "image/jpeg"},
                )
                assert r.status_code == 201, r.text
    r = auditor.post(f"/api/audits/{uid}/submit")
    assert r.status_code == 200, r.text
    r = hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200, r.text
    return uid


def test_owner_sees_their_location_and_downloads_the_approved_report(
    page: Page, server: Server, photo_file: Path, screenshots: Path
) -> None:
    uid = _approved_audit(server, photo_file)
    page.goto("/")
    page.get_by_label("Email", exact=True).fill(OWNER[0])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("heading", name="High Street")).to_be_visible()
    expect(page.get_by_text("Visit of 2 November 2026").first).to_be_visible()
    expect(page.get_by_role("heading", name="Station Road")).to_have_count(0)
    assert "Ivy" not in page.content()
    page.screenshot(path=str(screenshots / "11-owner-reports.png"), full_page=True)

    # Other modules share this server and may have approved visits of L1 too:
    # the link under test is the one for this visit.
    href = f"/api/audits/{uid}/report.pdf"
    link = page.locator(f'a[download][href="{href}"]')
    expect(link).to_have_text("Download PDF")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
