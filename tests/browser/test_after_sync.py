"""After a sync the phone shows the server's state (issue 17, item 1): save a draft
online, submit offline, reopen offline, come back online."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.actions import (
    fill_whole_checklist,
    open_app,
    start_audit,
    wait_for_offline_shell,
)
from tests.browser.conftest import Server

pytestmark = pytest.mark.browser

HOME_AFTER_SYNC = Path("/tmp/home-after-sync.png")


def expect_sent_on_home(page: Page) -> None:
    expect(page.get_by_role("heading", name="Start a new audit")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Online · nothing to send")
    expect(page.get_by_text("You are offline.")).to_be_hidden()
    expect(page.get_by_role("region", name="Visits in progress")).to_be_hidden()
    sent = page.get_by_role("region", name="Sent visits").get_by_role("link")
    expect(sent.filter(has_text="High Street")).to_have_count(1)
    expect(sent.filter(has_text="High Street")).to_contain_text("Sent")
    expect(page.get_by_text("Draft on the server")).to_have_count(0)


def test_a_visit_submitted_offline_is_sent_and_read_only_everywhere_after_the_sync(
    context: BrowserContext, page: Page, server: Server, photo_file: Path
) -> None:
    open_app(page, "leo")
    wait_for_offline_shell(page)
    uuid = start_audit(page)
    fill_whole_checklist(page, photo_file)
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_text("Draft saved on this phone and on the server.")).to_be_visible()
    assert server.api("leo").get(f"/api/audits/{uuid}").json()["status"] == "draft"

    context.set_offline(True)
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_text("Waiting to send.")).to_be_visible()
    page.goto("/")  # reopened offline: the service worker serves the app
    expect(page.locator("#status")).to_contain_text("Offline · 1 visit to send")
    expect(page.get_by_text("You are offline.")).to_be_visible()

    context.set_offline(False)
    expect(page.locator("#status")).to_have_text("Online · nothing to send", timeout=20_000)
    audit = server.api("leo").get(f"/api/audits/{uuid}").json()
    assert audit["status"] == "submitted" and len(audit["photos"]) == 2
    expect_sent_on_home(page)
    page.screenshot(path=HOME_AFTER_SYNC, full_page=True)

    # Opened, it is the scorecard: nothing to edit, nothing to submit again.
    page.get_by_role("region", name="Sent visits").get_by_role("link").filter(
        has_text="High Street"
    ).click()
    expect(page.get_by_role("heading", level=1, name="Scorecard")).to_be_visible()
    expect(page.get_by_role("button", name="Submit")).to_have_count(0)
    # Even asked for as a form, a submitted visit opens as its scorecard.
    page.goto(f"/#/audit/{uuid}")
    expect(page.get_by_role("heading", level=1, name="Scorecard")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(0)

    page.goto("/")  # an online reload
    expect_sent_on_home(page)
    assert server.api("leo").get(f"/api/audits/{uuid}").json()["revision"] == audit["revision"]
