"""Discarding a started visit (issue 17, item 4): a confirm, gone from the phone and the
server, and queued work for it is dropped."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.actions import attach_photo, choose, open_app, start_audit
from tests.browser.conftest import Server

pytestmark = pytest.mark.browser

WEB_EASE = "How easy was the website to use?"


def discard(page: Page, *, confirm: bool = True) -> None:
    page.get_by_role("button", name="Discard this visit", exact=True).click()
    dialog = page.get_by_role("dialog", name="Discard this visit?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Discard it" if confirm else "Keep the visit").click()


def test_a_draft_on_the_server_is_discarded_after_a_confirm_with_its_photos(
    page: Page, server: Server, photo_file: Path
) -> None:
    open_app(page, "gus")
    uuid = start_audit(page)
    choose(page, WEB_EASE, "4")
    attach_photo(page, "Photo of the shop front", photo_file)
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_text("Draft saved on this phone and on the server.")).to_be_visible(
        timeout=20_000
    )
    assert len(server.api("gus").get(f"/api/audits/{uuid}").json()["photos"]) == 1

    discard(page, confirm=False)  # changed its mind: nothing happens
    expect(page.get_by_role("heading", level=1, name="Corner shop visit")).to_be_visible()
    assert server.api("gus").get(f"/api/audits/{uuid}").status_code == 200

    discard(page)
    expect(page.get_by_role("heading", name="Start a new audit")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Online · nothing to send", timeout=15_000)
    assert server.api("gus").get(f"/api/audits/{uuid}").status_code == 404
    expect(page.get_by_role("region", name="Visits in progress")).to_be_hidden()


def test_a_visit_discarded_offline_drops_its_queued_save_and_is_deleted_once_online(
    context: BrowserContext, page: Page, server: Server
) -> None:
    writes: list[str] = []
    page.on(
        "request",
        lambda r: writes.append(r.method) if r.method in ("PUT", "DELETE") else None,
    )
    open_app(page, "hal")
    uuid = start_audit(page, location="Station Road")
    choose(page, WEB_EASE, "2")
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_text("Draft saved on this phone and on the server.")).to_be_visible(
        timeout=20_000
    )
    assert writes == ["PUT"]

    context.set_offline(True)
    choose(page, WEB_EASE, "5")
    page.get_by_role("button", name="Save draft", exact=True).click()  # queued, not sent
    expect(page.locator("#status")).to_contain_text("Offline · 1 visit to send")
    discard(page)
    expect(page.get_by_role("heading", name="Start a new audit")).to_be_visible()
    expect(page.get_by_role("link").filter(has_text="Station Road")).to_have_count(0)

    context.set_offline(False)
    expect(page.locator("#status")).to_have_text("Online · nothing to send", timeout=20_000)
    assert server.api("hal").get(f"/api/audits/{uuid}").status_code == 404
    assert writes == ["PUT", "DELETE"]  # the queued save never went out


# True once some checklist is kept in the phone's IndexedDB (the app fetches
# them just after sign-in; under load that can take seconds).
_CHECKLISTS_KEPT = """async () => {
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, no) => {
      const r = indexedDB.open(info.name);
      r.onsuccess = () => ok(r.result);
      r.onerror = () => no(r.error);
    });
    if (!db.objectStoreNames.contains('meta')) { db.close(); continue; }
    const keys = await new Promise((ok) => {
      const r = db.transaction('meta').objectStore('meta').getAllKeys();
      r.onsuccess = () => ok(r.result);
    });
    db.close();
    if (keys.some((k) => String(k).startsWith('checklist:'))) return true;
  }
  return false;
}"""


def wait_for_kept_checklists(page: Page, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(_CHECKLISTS_KEPT):
        assert time.monotonic() < deadline, "the checklists never reached the phone"
        time.sleep(0.1)


def test_a_visit_never_sent_is_discarded_on_the_phone_alone(
    context: BrowserContext, page: Page, server: Server
) -> None:
    open_app(page, "gus")
    wait_for_kept_checklists(page)
    context.set_offline(True)
    start_audit(page, location="Station Road")
    choose(page, WEB_EASE, "3")
    discard(page)
    expect(page.get_by_role("heading", name="Start a new audit")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Offline · your work is kept on this phone")
    expect(page.get_by_role("link").filter(has_text="Station Road")).to_have_count(0)
