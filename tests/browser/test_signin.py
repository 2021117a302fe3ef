from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.actions import sign_in
from tests.browser.conftest import CHECKLIST_TITLE, LOCATIONS

pytestmark = pytest.mark.browser


def test_wrong_password_is_refused_kindly_then_sign_in_shows_the_home_screen(
    page: Page, screenshots
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
    expect(page.locator("#status")).to_contain_text("nothing waiting to send")
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
