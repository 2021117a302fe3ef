"""The owner's corrective actions on a phone: record one for a failed item, mark it done,
read the list again offline; nothing about the shopper on the way."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.actions import wait_for_offline_shell
from tests.browser.conftest import OWNER, PASSWORD, Server
from tests.browser.test_owner import _valid_answers

pytestmark = pytest.mark.browser


def _approved_with_a_failed_item(server: Server, photo: Path) -> tuple[str, str]:
    """An approved audit at L1 whose first yes/no item is answered no: (uuid, item text)."""
    auditor, hq = server.api("ivy"), server.api("hq")
    listing = auditor.get("/api/checklists").json()
    checklist = auditor.get(f"/api/checklists/{listing[0]['id']}").json()
    answers = _valid_answers(checklist)
    failed = next(
        item
        for section in checklist["sections"]
        for item in section["items"]
        if item["type"] == "yes_no" and "show_if" not in item
    )
    answers[failed["id"]] = {"value": False}
    uid = str(uuid.uuid4())
    body = {
        "checklist": checklist["id"],
        "location": "L1",
        "visited_at": "2026-11-05T15:20:00Z",
        "answers": answers,
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
    assert auditor.post(f"/api/audits/{uid}/submit").status_code == 200
    r = hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200, r.text
    return uid, failed["text"]


def test_an_owner_records_an_action_marks_it_done_and_reads_the_list_offline(
    page: Page, context: BrowserContext, server: Server, photo_file: Path, screenshots: Path
) -> None:
    uid, item_text = _approved_with_a_failed_item(server, photo_file)
    due = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    page.goto("/")
    page.get_by_label("Email", exact=True).fill(OWNER[0])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    wait_for_offline_shell(page)

    page.locator(f"a[href='#/actions/{uid}']").click()
    expect(page.get_by_role("heading", name="Corrective actions: High Street")).to_be_visible()
    card = page.locator(".action-card").filter(has_text=item_text)
    expect(card.get_by_text("No action yet")).to_be_visible()
    card.get_by_role("button", name="Record an action").click()
    card.get_by_label("What will be done").fill("Brief the weekend team at the Saturday huddle")
    card.get_by_label("Who in your team").fill("Maria, shift lead")
    card.get_by_label("Due date").fill(due)
    page.screenshot(path=str(screenshots / "30-owner-action-form.png"), full_page=True)
    card.get_by_role("button", name="Save action").click()
    expect(card.get_by_text("Who: Maria, shift lead")).to_be_visible()

    card.get_by_role("button", name="Mark done").click()
    card.get_by_label("What was done").fill("Briefed on 7 December")
    card.get_by_role("button", name="Mark done").click()
    expect(card.get_by_text("Done: Briefed on 7 December")).to_be_visible()
    page.screenshot(path=str(screenshots / "31-owner-action-done.png"), full_page=True)
    [stored] = server.api("hq").get("/api/actions").json()["actions"]
    assert (stored["item_text"], stored["who"], stored["status"]) == (
        item_text,
        "Maria, shift lead",
        "done",
    )

    page.goto("/#/actions")
    expect(page.get_by_role("heading", name="Your corrective actions")).to_be_visible()
    expect(page.get_by_text("Brief the weekend team at the Saturday huddle")).to_be_visible()
    context.set_offline(True)
    page.reload()
    expect(page.get_by_text("Brief the weekend team at the Saturday huddle")).to_be_visible()
    page.screenshot(path=str(screenshots / "32-owner-actions-offline.png"), full_page=True)
    assert "Ivy" not in page.content()
    context.set_offline(False)
