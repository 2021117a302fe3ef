"""An assigned visit (issue 17, item 5): the card shows where to go and what HQ asks,
the visit carries the instructions beside the scenario, and its date is not before it."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.actions import open_app
from tests.browser.conftest import ADDRESSES, AUDITORS, CHECKLIST_TITLE, Server

pytestmark = pytest.mark.browser

NOTES = "Team: the Riverside Rovers. Ask for the home jersey in size M; spend at most $50."


def test_the_assignment_card_shows_the_address_as_a_map_link_and_the_instructions(
    page: Page, server: Server
) -> None:
    r = server.api("hq").post(
        "/api/assignments",
        json={
            "location": "L1",
            "checklist": "browser-visit",
            "auditor": AUDITORS["mia"][0],
            "due": (date.today() + timedelta(days=5)).isoformat(),
            "notes": NOTES,
        },
    )
    assert r.status_code == 201, r.text
    open_app(page, "mia")
    card = page.get_by_role("region", name="Assigned visits").get_by_role("listitem")
    expect(card).to_contain_text("High Street")
    address = card.get_by_role("link", name=ADDRESSES["L1"])
    expect(address).to_have_attribute(
        "href", f"https://www.openstreetmap.org/search?query={quote(ADDRESSES['L1'], safe='')}"
    )
    expect(card).to_contain_text(f"Your instructions{NOTES}")
    page.screenshot(path="/tmp/assignment-card.png", full_page=True)

    card.get_by_role("button", name="Begin this visit", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=CHECKLIST_TITLE)).to_be_visible()
    scenario = page.locator("details.scenario")
    expect(scenario.locator("summary")).to_have_text("Your assignment and scenario")
    expect(scenario).to_contain_text(f"Your assignment{NOTES}")
    expect(page.get_by_role("link", name=ADDRESSES["L1"])).to_be_visible()

    # The visit cannot be dated before HQ assigned it (today).
    visit_date = page.get_by_label("Date of the visit", exact=True)
    expect(visit_date).to_have_value(date.today().isoformat())
    expect(visit_date).to_have_attribute("min", date.today().isoformat())
    visit_date.fill((date.today() - timedelta(days=1)).isoformat())
    expect(page.get_by_text("The visit was assigned on")).to_be_visible()
    expect(visit_date).to_have_attribute("aria-invalid", "true")
