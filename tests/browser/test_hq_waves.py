"""HQ's programme pages in a desktop browser: creating a wave (a CSV's bad rows named, then
the wave's progress page) and giving one of its visits to a shopper."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import AUDITORS, HQ, PASSWORD, Server

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


def test_hq_creates_a_wave_from_a_csv_and_gives_a_visit_to_a_shopper(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    context = browser.new_context(base_url=server.url, viewport=DESKTOP)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    assert page.request.post("/api/session", data={"email": HQ[0], "password": PASSWORD}).ok

    page.goto("/hq/waves/new")
    page.get_by_label("Name", exact=True).fill("Browser wave")
    page.get_by_label("Checklist version").select_option(label="Corner shop visit · v1 (current)")
    codes = tmp_path / "codes.csv"
    codes.write_text("code\nL1\nNOPE\nL2\n")
    page.get_by_label("CSV file of location codes").set_input_files(str(codes))
    page.get_by_label("From", exact=True).fill("2030-03-01")
    page.get_by_label("To", exact=True).fill("2030-03-28")
    page.get_by_label("Visits per location").fill("2")
    page.get_by_label("weekends").check()
    page.get_by_role("button", name="Create wave").click()
    rows = page.get_by_role("list", name="Problems in the CSV file")
    expect(rows).to_have_text("Line 3: unknown location code 'NOPE'")
    assert "Browser wave" not in {w["name"] for w in server.api("hq").get("/api/waves").json()}

    codes.write_text("code\nL1\nL2\n")
    page.get_by_label("CSV file of location codes").set_input_files(str(codes))
    page.get_by_role("button", name="Create wave").click()
    expect(page.get_by_role("heading", level=1, name="Browser wave")).to_be_visible()
    expect(page.locator(".kpi", has_text="Planned")).to_contain_text("4")
    page.screenshot(path="/tmp/hq-browser-wave.png", full_page=True)

    page.get_by_role("link", name="Open visits").click()
    forms = page.locator("form.assign-form")
    expect(forms).to_have_count(4)
    forms.first.locator("input").fill(AUDITORS["una"][0])
    forms.first.get_by_role("button").click()
    # Given: no longer among the wave's open visits.
    expect(forms).to_have_count(3)
    wave = next(w for w in server.api("hq").get("/api/waves").json() if w["name"] == "Browser wave")
    assert wave["progress"]["claimed"] == 1
    context.close()
    assert problems == []
