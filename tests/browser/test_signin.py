from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.actions import sign_in
from tests.browser.conftest import CHECKLIST_TITLE, LOCATIONS, PHONE, Server

pytestmark = pytest.mark.browser


def test_wrong_password_is_refused_kindly_then_sign_in_shows_the_home_screen(
    page: Page, screenshots: Path
) -> None:
    page.goto("/")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    page.screenshot(path=screenshots / "01-sign-in.png")

    sign_in(page, "ann", password="not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("email or password is not right")

    sign_in(page, "ann")
    expect(page.get_by_role("heading", name="Start a new audit")).to_be_visible()
    location = page.get_by_label("Location", exact=True)
    for _, name, _ in LOCATIONS:
        expect(location.get_by_role("option", name=name, exact=True)).to_be_attached()
    checklist = page.get_by_label("Checklist", exact=True)
    expect(checklist.get_by_role("option", name=CHECKLIST_TITLE, exact=True)).to_be_attached()
    expect(page.get_by_role("button", name="Start audit", exact=True)).to_be_visible()
    expect(page.locator("#status")).to_contain_text("nothing to send")
    page.screenshot(path=screenshots / "02-home.png", full_page=True)


def test_session_survives_a_reload_and_sign_out_returns_to_sign_in(page: Page) -> None:
    page.goto("/")
    sign_in(page, "ann")
    expect(page.get_by_role("heading", name="Start a new audit")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Start a new audit")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()


def test_an_assigned_visit_starts_from_the_home_screen(page: Page, server: Server) -> None:
    created = server.api("hq").post(
        "/api/assignments",
        json={
            "location": "L2",
            "checklist": "browser-visit",
            "auditor": "gus@example.com",
            "due": "2030-01-31",
            "notes": "Go after lunch.",
        },
    )
    assert created.status_code == 201, created.text
    page.goto("/")
    sign_in(page, "gus")
    assigned = page.get_by_role("region", name="Assigned visits")
    expect(assigned).to_contain_text("Station Road")
    expect(assigned).to_contain_text("Go after lunch.")
    assigned.get_by_role("button", name="Begin this visit").click()
    expect(page.get_by_role("heading", level=1, name=CHECKLIST_TITLE)).to_be_visible()
    expect(page.get_by_text("Station Road", exact=True)).to_be_visible()


def test_iphone_users_are_told_to_add_the_app_to_the_home_screen(
    browser: Browser, server: Server
) -> None:
    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
    )
    context = browser.new_context(base_url=server.url, viewport=PHONE, user_agent=iphone)
    try:
        page = context.new_page()
        page.goto("/")
        sign_in(page, "ann")
        expect(page.get_by_text("add this app to your Home Screen")).to_be_visible()
    finally:
        context.close()
