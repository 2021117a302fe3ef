from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.actions import choose, open_app, sign_in, start_audit, wait_for_offline_shell
from tests.browser.conftest import Server

pytestmark = pytest.mark.browser


def test_two_auditors_on_one_phone_never_see_or_send_each_others_work(
    context: BrowserContext, page: Page, server: Server, screenshots: Path
) -> None:
    open_app(page, "eve")
    wait_for_offline_shell(page)
    eve_uuid = start_audit(page, location="Station Road")
    context.set_offline(True)
    choose(page, "The opening hours were on the website", "No")
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_text("It will be sent when you are back online")).to_be_visible()

    page.get_by_role("button", name="Sign out", exact=True).click()
    dialog = page.get_by_role("dialog", name="Sign out with work not sent?")
    expect(dialog).to_contain_text("1 visit is not on the server yet")
    page.screenshot(path=screenshots / "10-sign-out-warning.png")
    dialog.get_by_role("button", name="Stay signed in", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Save draft", exact=True)).to_be_visible()

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.get_by_role("button", name="Sign out anyway", exact=True).click()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()

    context.set_offline(False)
    sign_in(page, "fay")
    expect(page.get_by_role("heading", name="Start a new audit")).to_be_visible()
    expect(page.get_by_role("link").filter(has_text="Station Road")).to_have_count(0)
    expect(page.get_by_role("heading", name="Visits in progress")).to_be_hidden()
    expect(page.locator("#status")).to_contain_text("nothing to send")
    page.goto(f"/#/audit/{eve_uuid}")
    expect(page.get_by_role("heading", name="Visit not found")).to_be_visible()
    page.wait_for_timeout(500)
    assert server.api("eve").get("/api/audits").json() == []
    assert server.api("fay").get("/api/audits").json() == []

    page.goto("/")
    page.get_by_role("button", name="Sign out", exact=True).click()  # nothing unsent: no warning
    sign_in(page, "eve")
    visit = page.get_by_role("link").filter(has_text="Station Road")
    expect(visit).to_be_visible()
    expect(page.locator("#status")).to_contain_text("nothing to send", timeout=15_000)
    audits = server.api("eve").get("/api/audits").json()
    assert [(a["uuid"], a["status"]) for a in audits] == [(eve_uuid, "draft")]
    stored = server.api("eve").get(f"/api/audits/{eve_uuid}").json()
    assert stored["answers"] == {"web_hours": {"value": False}}
