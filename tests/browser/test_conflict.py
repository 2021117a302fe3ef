"""A draft changed on another device: the phone sends If-Match, gets 412, and merges
three ways (static/js/merge.js): items changed on one side only are merged without a
question; the auditor chooses only for items both sides changed (views/conflict.js)."""

from __future__ import annotations

import io
import time
import uuid as uuids
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.browser.actions import FULL_ANSWERS, choose, fill, item, open_app, start_audit
from tests.browser.conftest import Server

pytestmark = pytest.mark.browser

WEB_HOURS = "The opening hours were on the website"
WEB_EASE = "How easy was the website to use?"
CALL = "Someone answered your call"
RINGS = "Rings before a person answered"
# What the phone answers before the other device steps in.
FIRST_ANSWERS: dict[str, Any] = {
    "web_hours": {"value": True},
    "web_ease": {"value": 4},
    "call_answered": {"value": True},
    "rings": {"value": 2},
}
SCREENSHOT = Path("/tmp/conflict.png")
SYNC_TIMEOUT = 10.0


def fill_first_answers(page: Page) -> None:
    choose(page, WEB_HOURS, "Yes")
    choose(page, WEB_EASE, "4")
    choose(page, CALL, "Yes")
    fill(page, RINGS, "2")


def save_draft_and_wait_until_sent(page: Page) -> None:
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_text("Draft saved on this phone and on the server.")).to_be_visible()


def stored(other: httpx.Client, uuid: str) -> dict[str, Any]:
    response = other.get(f"/api/audits/{uuid}")
    assert response.status_code == 200, response.text
    audit: dict[str, Any] = response.json()
    assert response.headers["ETag"] == f'"r{audit["revision"]}"'
    return audit


def other_device_saves(other: httpx.Client, uuid: str, answers: dict[str, Any]) -> int:
    """Another phone of the same auditor saves the draft, based on the current revision."""
    current = other.get(f"/api/audits/{uuid}")
    payload = {
        "checklist": "browser-visit",
        "location": current.json()["location"],
        "answers": answers,
    }
    response = other.put(
        f"/api/audits/{uuid}", json=payload, headers={"If-Match": current.headers["ETag"]}
    )
    assert response.status_code == 200, response.text
    revision: int = response.json()["revision"]
    return revision


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (11, 93, 87)).save(out, "JPEG")
    return out.getvalue()


def wait_for_answers(other: httpx.Client, uuid: str, expected: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + SYNC_TIMEOUT
    while True:
        audit = stored(other, uuid)
        if audit["answers"] == expected or time.monotonic() > deadline:
            return audit
        time.sleep(0.1)


def test_only_items_changed_on_both_sides_are_shown_and_the_rest_is_merged(
    page: Page, server: Server, screenshots: Path
) -> None:
    open_app(page, "joy")
    uuid = start_audit(page)
    fill_first_answers(page)
    save_draft_and_wait_until_sent(page)
    other = server.api("joy")
    assert stored(other, uuid)["answers"] == FIRST_ANSWERS

    theirs = {**FIRST_ANSWERS, "web_hours": {"value": False}, "web_ease": {"value": 2}}
    server_revision = other_device_saves(other, uuid, theirs)

    # The phone still bases its copy on the older revision and changes one of those items.
    choose(page, WEB_EASE, "5")
    page.get_by_role("button", name="Save draft", exact=True).click()

    expect(page.get_by_role("heading", level=1, name="Changed on another device")).to_be_visible()
    expect(page.get_by_role("heading", name="Changed on both")).to_be_visible()
    # The opening hours changed on the server only: taken from it, not asked about.
    rows = page.locator("fieldset.conflict-item")
    expect(rows).to_have_count(1)
    expect(rows.locator("legend")).to_have_text([WEB_EASE])
    expect(page.get_by_text("1 item changed only on the server is taken from it")).to_be_visible()
    ease = item(page, WEB_EASE)
    expect(ease.locator(".conflict-option").first).to_contain_text("On this phone5 out of 5")
    expect(ease.locator(".conflict-option").last).to_contain_text("On the server2 out of 5")
    # Nothing was sent meanwhile: the server keeps the other device's answers.
    assert stored(other, uuid)["answers"] == theirs
    expect(page.locator("#status")).to_contain_text("1 needs attention")

    # The shortcuts choose a whole column.
    page.get_by_role("button", name="Use all the server's", exact=True).click()
    expect(ease.get_by_role("radio", name="Use the server's", exact=True)).to_be_checked()
    page.get_by_role("button", name="Keep all mine", exact=True).click()
    expect(ease.get_by_role("radio", name="Keep mine", exact=True)).to_be_checked()

    # Leaving the screen keeps the conflict: the visit says so and cannot be sent as it is.
    page.get_by_role("link", name="Back to the visit").click()
    expect(
        page.get_by_text("Changed on another device — review the differences.", exact=True)
    ).to_be_visible()
    expect(page.get_by_role("button", name="Save draft", exact=True)).to_have_count(0)
    page.screenshot(path=screenshots / "22-conflict-visit.png")
    page.get_by_role("link", name="Review the differences", exact=True).click()

    item(page, WEB_EASE).get_by_role("radio", name="Keep mine", exact=True).check()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=SCREENSHOT)
    page.screenshot(path=screenshots / "20-conflict.png", full_page=True)
    page.get_by_role("button", name="Save and send", exact=True).click()

    merged = {**FIRST_ANSWERS, "web_hours": {"value": False}, "web_ease": {"value": 5}}
    audit = wait_for_answers(other, uuid, merged)
    assert audit["answers"] == merged
    assert audit["revision"] == server_revision + 1
    assert audit["status"] == "draft"
    expect(item(page, WEB_HOURS).get_by_role("radio", name="No", exact=True)).to_be_checked()
    expect(item(page, WEB_EASE).get_by_role("radio", name="5", exact=True)).to_be_checked()
    expect(page.locator("#status")).to_contain_text("nothing to send")


def test_the_save_needs_a_choice_for_an_item_changed_on_both_sides(
    page: Page, server: Server
) -> None:
    open_app(page, "joy")
    uuid = start_audit(page, location="Station Road")
    fill_first_answers(page)
    save_draft_and_wait_until_sent(page)
    other = server.api("joy")
    theirs = {
        "web_hours": {"value": True, "comment": "on the door"},
        "web_ease": {"value": 4},
        "call_answered": {"na": True},
    }
    other_device_saves(other, uuid, theirs)

    # The phone changes the rings, which the other device removed (its call was N/A).
    fill(page, RINGS, "3")
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Changed on another device")).to_be_visible()
    expect(page.locator("fieldset.conflict-item legend")).to_have_text([RINGS])
    expect(page.get_by_text("2 items changed only on the server are taken from it")).to_be_visible()
    expect(item(page, RINGS).locator(".conflict-option").first).to_contain_text("3 rings")
    expect(item(page, RINGS).locator(".conflict-option").last).to_contain_text("No answer")

    page.get_by_role("button", name="Save and send", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Choose an answer for this item first")
    expect(item(page, RINGS).get_by_role("radio", name="Keep mine", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    assert stored(other, uuid)["answers"]["call_answered"] == {"na": True}

    item(page, RINGS).get_by_role("radio", name="Use the server's", exact=True).check()
    page.get_by_role("button", name="Save and send", exact=True).click()
    assert wait_for_answers(other, uuid, theirs)["answers"] == theirs
    expect(page.locator("#status")).to_contain_text("nothing to send")
    expect(item(page, CALL).get_by_role("checkbox", name="Not applicable")).to_be_checked()
    expect(item(page, WEB_HOURS).get_by_label("Comment", exact=True)).to_have_value("on the door")


def test_changes_on_different_items_are_merged_without_a_screen(page: Page, server: Server) -> None:
    open_app(page, "pat")
    uuid = start_audit(page)
    fill_first_answers(page)
    save_draft_and_wait_until_sent(page)
    other = server.api("pat")
    theirs = {**FIRST_ANSWERS, "web_hours": {"value": False, "comment": "only on a poster"}}
    server_revision = other_device_saves(other, uuid, theirs)

    # The phone changes another item; the 412's merge needs no choice.
    choose(page, WEB_EASE, "2")
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_text("Merged with changes from another device.")).to_be_visible()
    merged = {**theirs, "web_ease": {"value": 2}}
    audit = wait_for_answers(other, uuid, merged)
    assert audit["answers"] == merged
    assert audit["revision"] == server_revision + 1
    expect(page.get_by_role("heading", name="Changed on another device")).to_have_count(0)
    expect(item(page, WEB_HOURS).get_by_role("radio", name="No", exact=True)).to_be_checked()
    expect(item(page, WEB_EASE).get_by_role("radio", name="2", exact=True)).to_be_checked()
    expect(page.locator("#status")).to_contain_text("nothing to send")

    # Both sides set the same answer: agreed, so nothing to ask either.
    other_device_saves(other, uuid, {**merged, "recommend": {"value": 8}})
    choose(page, "How likely are you to recommend this shop to a friend?", "8")
    page.get_by_role("button", name="Save draft", exact=True).click()
    final = {**merged, "recommend": {"value": 8}}
    assert wait_for_answers(other, uuid, final)["answers"] == final
    expect(page.locator("#status")).to_contain_text("nothing to send")
    expect(page.get_by_role("heading", name="Changed on another device")).to_have_count(0)


def test_a_visit_submitted_elsewhere_shows_the_unsent_answers_read_only_until_dismissed(
    page: Page, server: Server, screenshots: Path
) -> None:
    open_app(page, "kim")
    uuid = start_audit(page)
    fill_first_answers(page)
    save_draft_and_wait_until_sent(page)
    other = server.api("kim")

    # The other device finishes the visit, with its own answers, and submits it.
    theirs = {**FULL_ANSWERS, "web_hours": {"value": False}, "rings": {"value": 5}}
    other_device_saves(other, uuid, theirs)
    for item_id in ("storefront", "charged_right"):
        response = other.put(
            f"/api/audits/{uuid}/photos/{uuids.uuid4()}?item={item_id}",
            content=jpeg(),
            headers={"Content-Type": "image/jpeg"},
        )
        assert response.status_code == 201, response.text
    response = other.post(f"/api/audits/{uuid}/submit")
    assert response.status_code == 200, response.text
    submitted = response.json()

    choose(page, WEB_EASE, "3")
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Changed on another device")).to_be_visible()
    expect(page.get_by_text("This visit can no longer be changed.")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(0)
    # Only what the phone changed since it last sent is unsent: the answers the
    # other device changed (hours, rings) were never typed on this phone.
    table = page.get_by_role("table")
    expect(table.get_by_role("rowheader")).to_have_text([WEB_EASE])
    expect(table.get_by_role("row", name=WEB_EASE)).to_contain_text("3 out of 54 out of 5")
    page.screenshot(path=screenshots / "21-conflict-locked.png", full_page=True)

    # Still there after leaving: the home screen says so.
    page.get_by_role("link", name="Your visits").click()
    notice = page.get_by_role("link", name="Changed on another device — review the differences")
    expect(notice).to_be_visible()
    card = page.get_by_role("link").filter(has_text="High Street")
    expect(card.filter(has_text="Changed on another device")).to_have_count(1)
    notice.click()
    page.get_by_role("button", name="Dismiss", exact=True).click()

    expect(page.get_by_role("heading", name="Start a new audit")).to_be_visible()
    expect(notice).to_have_count(0)
    on_phone = page.evaluate(
        """async (uuid) => {
            for (const {name} of await indexedDB.databases()) {
              const db = await new Promise((ok, fail) => {
                const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = fail;
              });
              const found = await new Promise((ok) => {
                const r = db.transaction('audits').objectStore('audits').get(uuid);
                r.onsuccess = () => ok(r.result !== undefined);
              });
              db.close();
              if (found) return true;
            }
            return false;
        }""",
        uuid,
    )
    assert on_phone is False
    audit = stored(other, uuid)
    assert audit["status"] == "submitted"
    assert audit["answers"] == submitted["answers"]
    assert audit["revision"] == submitted["revision"]


def test_an_answer_lost_on_the_way_back_is_not_taken_for_another_device(
    context: BrowserContext, page: Page, server: Server
) -> None:
    open_app(page, "kim")
    uuid = start_audit(page, location="Station Road")
    fill_first_answers(page)
    save_draft_and_wait_until_sent(page)
    other = server.api("kim")
    before = stored(other, uuid)["revision"]
    statuses: list[int] = []
    page.on(
        "response",
        lambda r: statuses.append(r.status) if r.request.method == "PUT" else None,
    )

    # The server stores the next save, but its answer never reaches the phone,
    # which is offline from then on (so it cannot simply repeat that save).
    def lose_the_answer(route: Route) -> None:
        if route.request.method != "PUT":
            route.continue_()
            return
        route.fetch()
        context.set_offline(True)
        route.abort("connectionreset")

    page.route(f"**/api/audits/{uuid}", lose_the_answer)
    choose(page, WEB_EASE, "5")
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Offline · 1 visit to send")
    assert stored(other, uuid)["revision"] == before + 1
    page.unroute(f"**/api/audits/{uuid}")

    # The next save names the old revision: the 412 holds the phone's own answers.
    choose(page, WEB_HOURS, "No")
    page.get_by_role("button", name="Save draft", exact=True).click()
    context.set_offline(False)
    final = {**FIRST_ANSWERS, "web_hours": {"value": False}, "web_ease": {"value": 5}}
    audit = wait_for_answers(other, uuid, final)
    assert audit["answers"] == final
    assert audit["revision"] == before + 2
    expect(page.locator("#status")).to_contain_text("nothing to send")
    assert statuses == [412, 200]
    expect(page.get_by_role("heading", name="Changed on another device")).to_have_count(0)
