from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, Route, expect

from audit.presentation import format_score
from tests.browser.actions import (
    EXPECTED_EXPERIENCE,
    EXPECTED_OVERALL,
    EXPECTED_SERVICE,
    FULL_ANSWERS,
    attach_photo,
    audit_uuid,
    choose,
    fill,
    fill_whole_checklist,
    item,
    open_app,
    start_audit,
)
from tests.browser.conftest import Server
from tests.browser.scoring import expected_scorecard

pytestmark = pytest.mark.browser


def test_a_whole_checklist_filled_through_labelled_controls_is_scored_by_the_server(
    page: Page, server: Server, photo_file: Path, screenshots: Path
) -> None:
    open_app(page, "ben")
    uuid = start_audit(page)
    expect(page.get_by_text("Look the shop up on its website, then call it.")).to_be_visible()
    page.screenshot(path=screenshots / "03-audit-start.png")

    fill_whole_checklist(page, photo_file)
    expect(item(page, "The cashier told you their name")).to_be_hidden()
    # Counted: the required items shown (the optional note is not one).
    expect(page.get_by_text("10 of 10 required answered · ready to submit")).to_be_visible()
    item(page, "Photo of the shop front").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "04-audit-photos.png")

    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="Thank you — your visit is sent")).to_be_visible()
    assert audit_uuid(page) == uuid
    expect(page.locator(".overall-value")).to_have_text(format_score(EXPECTED_OVERALL))
    page.screenshot(path=screenshots / "05-scorecard.png", full_page=True)

    audit = server.api("ben").get(f"/api/audits/{uuid}").json()
    assert audit["status"] == "submitted"
    assert {k: {"value": v["value"]} for k, v in audit["answers"].items()} == FULL_ANSWERS
    assert sorted(p["item"] for p in audit["photos"]) == ["charged_right", "storefront"]
    card = audit["scorecard"]
    assert card["overall"] == pytest.approx(EXPECTED_OVERALL)
    assert card["service"] == pytest.approx(EXPECTED_SERVICE)
    assert card["experience"] == pytest.approx(EXPECTED_EXPERIENCE)
    assert card["nps"] == 9
    expected = expected_scorecard(FULL_ANSWERS, {"charged_right": 1, "storefront": 1})
    assert card["overall"] == pytest.approx(expected["overall"])
    for section, figures in expected["sections"].items():
        assert card["sections"][section]["score"] == pytest.approx(figures["score"]), section
    listed = server.api("ben").get("/api/audits").json()
    assert [a["uuid"] for a in listed] == [uuid]


def test_show_if_hides_and_shows_items_live_and_keeps_hidden_answers(page: Page) -> None:
    open_app(page, "ann")
    start_audit(page)
    restroom = item(page, "When you asked for the restroom, staff")
    clean = item(page, "How clean was the restroom?")
    named = item(page, "The cashier told you their name")
    # A condition on an unanswered item is false, whatever its operator.
    expect(restroom).to_be_hidden()
    expect(clean).to_be_hidden()
    expect(named).to_be_hidden()

    choose(page, "You asked to use the restroom", "Yes")
    expect(restroom).to_be_visible()
    expect(clean).to_be_hidden()  # all: [..., restroom in (offered, after_asking)]
    choose(page, "When you asked for the restroom, staff", "Refused")
    expect(clean).to_be_hidden()
    choose(page, "When you asked for the restroom, staff", "Let you use it straight away")
    expect(clean).to_be_visible()
    expect(named).to_be_hidden()  # any: [charged_right == false, needed_restroom != true]

    choose(page, "You asked to use the restroom", "No")
    expect(restroom).to_be_hidden()
    expect(clean).to_be_hidden()
    expect(named).to_be_visible()

    choose(page, "You asked to use the restroom", "Yes")
    expect(restroom.get_by_role("radio", name="Let you use it straight away")).to_be_checked()
    choose(page, "You were charged the right amount", "No")
    expect(named).to_be_visible()


def test_not_applicable_disables_the_answer_and_hides_what_depends_on_it(page: Page) -> None:
    open_app(page, "ann")
    start_audit(page)
    call = item(page, "Someone answered your call")
    rings = item(page, "Rings before a person answered")
    expect(
        item(page, "The opening hours were on the website").get_by_label("Not applicable")
    ).to_have_count(0)

    choose(page, "Someone answered your call", "Yes")
    expect(rings).to_be_visible()
    call.get_by_role("checkbox", name="Not applicable", exact=True).check()
    expect(call.get_by_role("radio", name="Yes", exact=True)).to_be_disabled()
    expect(rings).to_be_hidden()  # an N/A item has no value
    expect(page.get_by_text("1 of 1 required answered")).to_be_visible()  # the phone section

    call.get_by_role("checkbox", name="Not applicable", exact=True).uncheck()
    expect(call.get_by_role("radio", name="Yes", exact=True)).to_be_checked()
    expect(rings).to_be_visible()


def test_submit_says_how_many_items_are_missing_and_marks_them_before_anything_is_sent(
    page: Page, screenshots: Path
) -> None:
    open_app(page, "ann")
    start_audit(page)
    choose(page, "The opening hours were on the website", "Yes")
    choose(page, "You were charged the right amount", "Yes")
    page.get_by_role("button", name="Submit", exact=True).click()
    summary = page.get_by_role("alert").filter(has_text="not answered yet")
    expect(summary).to_contain_text("6 required items are not answered yet")
    expect(item(page, "Photo of the shop front")).to_contain_text("Please add a photo.")
    expect(item(page, "You were charged the right amount")).to_contain_text("Please add a photo.")
    expect(item(page, "How easy was the website to use?")).to_contain_text("Please answer this.")
    expect(item(page, "The opening hours were on the website")).not_to_contain_text("Please")
    page.screenshot(path=screenshots / "06-missing.png")
    summary.get_by_role("button", name="Go to the first unanswered", exact=True).click()
    expect(
        item(page, "How easy was the website to use?").get_by_role("radio", name="1")
    ).to_be_focused()


def test_photos_are_resized_on_the_phone_and_can_be_removed_while_a_draft(
    page: Page, server: Server, photo_file: Path
) -> None:
    uploads: list[str] = []
    page.on(
        "request",
        lambda r: uploads.append(r.url) if r.method == "PUT" and "/photos/" in r.url else None,
    )
    open_app(page, "ann")
    uuid = start_audit(page)
    shopfront = item(page, "Photo of the shop front")
    attach_photo(page, "Photo of the shop front", photo_file)
    attach_photo(page, "Photo of the shop front", photo_file)
    shopfront.get_by_role("button", name="Remove photo 2", exact=True).click()
    expect(shopfront.get_by_role("img")).to_have_count(1)

    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_text("Draft saved on this phone and on the server.")).to_be_visible()
    assert len(uploads) == 1  # the removed one never left the phone
    audit = server.api("ann").get(f"/api/audits/{uuid}").json()
    assert [p["item"] for p in audit["photos"]] == ["storefront"]
    # The server keeps up to 2048 px, so 1600 px means the phone resized it.
    stored = server.api("ann").get(f"/api/audits/{uuid}/photos/{audit['photos'][0]['uuid']}")
    with Image.open(io.BytesIO(stored.content)) as image:
        assert image.format == "JPEG"
        assert image.size == (1600, 1200)

    shopfront.get_by_role("button", name="Remove photo 1", exact=True).click()
    expect(shopfront.get_by_role("img")).to_have_count(0)
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_text("Draft saved on this phone and on the server.")).to_be_visible()
    assert server.api("ann").get(f"/api/audits/{uuid}").json()["photos"] == []


def test_a_server_422_is_shown_beside_the_item(
    page: Page, server: Server, photo_file: Path, screenshots: Path
) -> None:
    refused: list[str] = []

    def refuse_once(route: Route) -> None:
        if refused:
            route.continue_()
            return
        refused.append(route.request.url)
        route.fulfill(
            status=422,
            json={
                "error": "some answers are invalid",
                "fields": {"answers.rings": "must be at most 3 on this day"},
                "missing": [],
            },
        )

    page.route("**/api/audits/*/submit", refuse_once)
    open_app(page, "dan")
    uuid = start_audit(page)
    fill_whole_checklist(page, photo_file)
    page.get_by_role("button", name="Submit", exact=True).click()

    rings = item(page, "Rings before a person answered")
    expect(rings.locator(".error")).to_contain_text("at most 3")
    expect(rings.get_by_label("Rings before a person answered", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page.get_by_role("status").filter(has_text="Not sent yet")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Rings before a person answered")
    rings.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "07-server-422.png")
    assert server.api("dan").get(f"/api/audits/{uuid}").json()["status"] == "draft"

    fill(page, "Rings before a person answered", "3")
    expect(rings.locator(".error")).to_be_hidden()
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="Thank you — your visit is sent")).to_be_visible()
    assert server.api("dan").get(f"/api/audits/{uuid}").json()["status"] == "submitted"


def test_every_change_is_kept_on_the_phone_at_once(context: BrowserContext, page: Page) -> None:
    open_app(page, "ann")
    start_audit(page)
    url = page.url
    choose(page, "How easy was the website to use?", "2")
    fill(page, "Anything else head office should know", "Typed, never saved")
    page.close()  # no "Save draft": the tab is simply gone

    again = context.new_page()
    again.goto(url)
    expect(
        item(again, "How easy was the website to use?").get_by_role("radio", name="2", exact=True)
    ).to_be_checked()
    expect(
        item(again, "Anything else head office should know").get_by_label(
            "Anything else head office should know"
        )
    ).to_have_value("Typed, never saved")
    expect(again.get_by_text("started", exact=False)).to_be_visible()
