"""The visit form in the field (issue 17, items 2, 3 and 6): the visit's date and a
touchpoint's, a short submit summary, errors while typing, where it is saved, and a
count that moves only with the auditor's answers."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.actions import choose, fill, fill_whole_checklist, item, open_app, start_audit
from tests.browser.conftest import ROOT, Server, _cli

pytestmark = pytest.mark.browser

# The longest shipped checklist (59 items, as long as the electronics store's).
LONGEST = "Home improvement project, from inquiry to completion"
SUMMARY_SHOT = Path("/tmp/submit-summary.png")
RINGS = "Rings before a person answered"


def test_the_visit_date_defaults_to_today_is_never_in_the_future_and_a_call_gets_its_own_date(
    page: Page, server: Server, photo_file: Path
) -> None:
    open_app(page, "ned")
    uuid = start_audit(page)
    today = date.today()
    visit_date = page.get_by_label("Date of the visit", exact=True)
    expect(visit_date).to_have_value(today.isoformat())
    expect(visit_date).to_have_attribute("max", today.isoformat())

    visit_date.fill((today + timedelta(days=2)).isoformat())
    expect(page.get_by_text("The date cannot be in the future.")).to_be_visible()
    expect(visit_date).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(visit_date).to_be_focused()

    yesterday = (today - timedelta(days=1)).isoformat()
    visit_date.fill(yesterday)
    expect(page.get_by_text("The date cannot be in the future.")).to_be_hidden()
    # The phone call, two days before the visit; the shop's own sections have no date.
    call_day = (today - timedelta(days=3)).isoformat()
    page.get_by_label("Date of “Phone call”", exact=True).fill(call_day)
    expect(page.get_by_label("Date of “In the shop”", exact=True)).to_have_count(0)

    fill_whole_checklist(page, photo_file)
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="Thank you — your visit is sent")).to_be_visible(
        timeout=20_000
    )
    audit = server.api("ned").get(f"/api/audits/{uuid}").json()
    assert audit["visited_at"].startswith(yesterday)
    assert audit["touchpoint_dates"] == {"phone": call_day}


def test_the_submit_summary_is_a_count_and_a_button_to_the_first_gap_on_the_longest_checklist(
    page: Page, server: Server
) -> None:
    _cli(server.env, "checklist", "import", str(ROOT / "checklists"))
    open_app(page, "ola")
    start_audit(page, checklist=LONGEST)
    chips = page.get_by_role("navigation", name="Sections").get_by_role("button")
    expect(chips.first).not_to_contain_text("unanswered")
    page.get_by_role("button", name="Submit", exact=True).click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("required items are not answered yet")
    gaps = page.locator("fieldset.item.has-error")
    count = int(summary.locator("h2").inner_text().split()[0])
    expect(gaps).to_have_count(count)
    assert count > 40
    # A count and a button, not a wall of every item.
    assert summary.get_by_role("listitem").count() == 0
    expect(summary).not_to_contain_text("null")
    box = summary.bounding_box()
    assert box is not None and box["height"] < 300, box
    summary.scroll_into_view_if_needed()
    page.screenshot(path=SUMMARY_SHOT)
    # Every section has gaps here, and its chip says so.
    expect(chips.first).to_contain_text("unanswered")
    expect(page.locator(".section-nav li.has-gaps")).to_have_count(chips.count())

    summary.get_by_role("button", name="Go to the first unanswered", exact=True).click()
    first = gaps.first
    focused_inside = first.evaluate("(fieldset) => fieldset.contains(document.activeElement)")
    assert focused_inside, "focus is not in the first unanswered item"
    expect(first.locator("legend")).to_have_text(
        "A phone number was visible on the home page without scrolling"
    )


def test_errors_show_while_typing_and_the_count_is_of_required_items_shown(
    page: Page, server: Server
) -> None:
    open_app(page, "rae")
    uuid = start_audit(page)
    progress = page.locator(".progress-line")
    expect(progress).to_have_text("0 of 7 required answered")
    expect(page.get_by_text("Counts show the required items on screen")).to_be_visible()
    # An optional answer does not move the count.
    fill(page, "Anything else head office should know", "Quiet afternoon.")
    expect(progress).to_have_text("0 of 7 required answered")

    choose(page, "Someone answered your call", "Yes")
    expect(progress).to_have_text("1 of 8 required answered")  # the rings are asked now
    fill(page, RINGS, "-1")
    rings = item(page, RINGS)
    expect(rings.locator(".error")).to_have_text("Must be 0 rings or more.")
    expect(rings.get_by_label(RINGS, exact=True)).to_have_attribute("aria-invalid", "true")
    expect(progress).to_have_text("1 of 8 required answered")
    fill(page, RINGS, "2")
    expect(rings.locator(".error")).to_be_hidden()
    expect(progress).to_have_text("2 of 8 required answered")

    saved = page.locator(".saved-line")
    expect(saved).to_contain_text("Saved on this phone")
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(saved).to_contain_text("Saved on the server")
    stored = server.api("rae").get(f"/api/audits/{uuid}").json()
    assert stored["answers"]["rings"] == {"value": 2}
    page.reload()
    expect(page.locator(".saved-line")).to_have_text("Saved on the server")
    choose(page, "The opening hours were on the website", "No")
    expect(page.locator(".saved-line")).to_contain_text("Saved on this phone")
