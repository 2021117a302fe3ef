"""time_range and money items on the phone: native pickers, the decimal keypad, early checks,
answers sent in the server's form, and nothing of the consistency rules shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.actions import item, open_app, start_audit
from tests.browser.conftest import Server, _cli

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parents[1] / "fixtures" / "checklists" / "valid" / "consistency.yaml"
TITLE = "Sporting-goods store, told three ways"


@pytest.fixture(scope="module")
def with_facts(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Server:
    folder = tmp_path_factory.mktemp("fact-checklists")
    (folder / "consistency.yaml").write_text(FIXTURE.read_text())
    _cli(server.env, "checklist", "import", str(folder))
    return server


def test_fact_items_are_filled_on_a_phone_and_reach_the_server_normalised(
    page: Page, with_facts: Server, screenshots: Path
) -> None:
    open_app(page, "sam")
    uuid = start_audit(page, checklist=TITLE)

    hours = item(page, "Opening hours the store page gives for today")
    opens, closes = hours.get_by_label("From", exact=True), hours.get_by_label("To", exact=True)
    expect(opens).to_have_attribute("type", "time")
    opens.fill("09:00")
    expect(hours.get_by_text("Please enter both times.")).to_be_visible()
    closes.fill("21:00")
    expect(hours.get_by_text("Please enter both times.")).to_be_hidden()

    price = item(page, "Price on the shelf label")
    amount = price.get_by_label("Price on the shelf label", exact=True)
    expect(amount).to_have_attribute("inputmode", "decimal")
    expect(price.get_by_text("USD", exact=True)).to_be_visible()
    amount.fill("54.999")
    expect(price.get_by_text("At most 2 decimals in USD.")).to_be_visible()
    amount.fill("54,9")
    expect(price.get_by_text("At most 2 decimals in USD.")).to_be_hidden()

    # A phone number gets the phone keypad.
    dialled = item(page, "Number you dialled").get_by_label("Number you dialled", exact=True)
    expect(dialled).to_have_attribute("type", "tel")
    dialled.fill("704 555 0100")

    quoted = item(page, "Price of the jersey quoted on the phone")
    quoted.get_by_label("Not applicable", exact=True).check()
    expect(
        quoted.get_by_label("Price of the jersey quoted on the phone", exact=True)
    ).to_be_disabled()

    # The auditor records what each touchpoint said, and sees none of the checks.
    body = page.locator("main").inner_text()
    for word in (
        "Consistency",
        "consistency",
        "Opening hours\n",
        "Price of the team jersey",
        "fact",
    ):
        assert word not in body, word
    price.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "facts-phone-form.png")

    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_text("Draft saved on this phone and on the server.")).to_be_visible()
    answers = with_facts.api("sam").get(f"/api/audits/{uuid}").json()["answers"]
    assert answers["website_hours"] == {"value": {"from": "09:00", "to": "21:00"}}
    assert answers["shelf_price"] == {"value": {"amount": "54.90", "currency": "USD"}}
    assert answers["phone_price"] == {"na": True}
    assert answers["dialled"] == {"value": "704 555 0100"}

    # Opened again from the server, the controls show what was stored.
    page.reload()
    hours = item(page, "Opening hours the store page gives for today")
    expect(hours.get_by_label("To", exact=True)).to_have_value("21:00")
    expect(
        item(page, "Price on the shelf label").get_by_label("Price on the shelf label", exact=True)
    ).to_have_value("54.90")
