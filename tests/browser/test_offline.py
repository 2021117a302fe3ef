from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from audit.presentation import format_score
from tests.browser.actions import (
    EXPECTED_OVERALL,
    FULL_ANSWERS,
    fill_whole_checklist,
    item,
    open_app,
    start_audit,
    wait_for_offline_shell,
)
from tests.browser.conftest import Server

pytestmark = pytest.mark.browser


def test_work_done_offline_survives_a_reload_and_arrives_exactly_once(
    context: BrowserContext, page: Page, server: Server, photo_file: Path, screenshots: Path
) -> None:
    open_app(page, "cat")
    wait_for_offline_shell(page)
    uuid = start_audit(page)

    context.set_offline(True)
    fill_whole_checklist(page, photo_file)
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_text("Waiting to send.")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Offline · 1 visit to send")
    page.screenshot(path=screenshots / "08-offline-waiting.png")

    page.reload()  # still offline: the service worker serves the app
    expect(page.get_by_text("Waiting to send.")).to_be_visible()
    expect(
        item(page, "How easy was the website to use?").get_by_role("radio", name="4", exact=True)
    ).to_be_checked()
    expect(item(page, "Photo of the shop front").get_by_role("img")).to_have_count(1)
    page.get_by_role("link", name="Your visits").click()
    expect(page.locator("#status")).to_contain_text("Offline · 1 visit to send")
    visit = page.get_by_role("link").filter(has_text="High Street")
    expect(visit).to_contain_text("Waiting to send")
    page.screenshot(path=screenshots / "09-offline-home.png", full_page=True)
    visit.click()
    expect(item(page, "Rings before a person answered").get_by_role("textbox")).to_have_count(0)
    expect(
        item(page, "Rings before a person answered").get_by_label("Rings before a person answered")
    ).to_have_value("2")
    assert server.api("cat").get("/api/audits").json() == []

    context.set_offline(False)
    expect(page.get_by_role("heading", name="Thank you — your visit is sent")).to_be_visible(
        timeout=20_000
    )
    expect(page.locator("#status")).to_contain_text("nothing to send")
    expect(page.locator(".overall-value")).to_have_text(format_score(EXPECTED_OVERALL))

    audits = server.api("cat").get("/api/audits").json()
    assert [(a["uuid"], a["status"]) for a in audits] == [(uuid, "submitted")]
    audit = server.api("cat").get(f"/api/audits/{uuid}").json()
    assert {k: {"value": v["value"]} for k, v in audit["answers"].items()} == FULL_ANSWERS
    assert len(audit["photos"]) == 2
    assert audit["scorecard"]["overall"] == pytest.approx(EXPECTED_OVERALL)
    assert audit["started_at"] and audit["finished_at"]

    # Nothing is left to send, and nothing is sent twice.
    page.reload()
    page.wait_for_timeout(500)
    assert len(server.api("cat").get("/api/audits").json()) == 1
    stored = page.evaluate(
        """async () => {
            const dbs = await indexedDB.databases();
            const counts = [];
            for (const {name} of dbs) {
              const db = await new Promise((ok, fail) => {
                const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = fail;
              });
              const tx = db.transaction(['audits', 'photos', 'outbox']);
              const count = (s) => new Promise((ok) => {
                const r = tx.objectStore(s).count(); r.onsuccess = () => ok(r.result);
              });
              counts.push([await count('audits'), await count('photos'), await count('outbox')]);
              db.close();
            }
            return counts;
        }"""
    )
    assert stored == [[0, 0, 0]]


def test_a_server_error_is_retried_and_the_visit_arrives_once(
    page: Page, server: Server, photo_file: Path
) -> None:
    failures: list[str] = []

    def flaky_submit(route: Route) -> None:
        if not failures:
            failures.append(route.request.url)
            route.fulfill(status=503, json={"error": "down for a moment", "fields": {}})
        else:
            route.continue_()

    page.route("**/api/audits/*/submit", flaky_submit)
    open_app(page, "hal")
    uuid = start_audit(page)
    fill_whole_checklist(page, photo_file)
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_text("Waiting to send.")).to_be_visible()
    # The first retry comes after 1-2 s (capped exponential backoff with jitter).
    expect(page.get_by_role("heading", name="Thank you — your visit is sent")).to_be_visible(
        timeout=15_000
    )
    assert len(failures) == 1
    audits = server.api("hal").get("/api/audits").json()
    assert [(a["uuid"], a["status"]) for a in audits] == [(uuid, "submitted")]
    assert len(server.api("hal").get(f"/api/audits/{uuid}").json()["photos"]) == 2
