"""The invitation and password-reset flows on a phone (390 x 844), with real e-mail.

A server of its own (its mail goes to an aiosmtpd inbox in this process):
HQ invites a new auditor, who opens the e-mailed link, chooses a password and
lands on the app's home screen; a signed-out auditor asks for a reset link on
the sign-in screen, chooses a new password from it, and every other session
of theirs ends.  In English; test_languages.py follows both in French.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser import mail
from tests.browser.conftest import CHECKLIST_TITLE, PASSWORD
from tests.browser.mail import SHOPPER, MailServer

pytestmark = pytest.mark.browser

NEW_PASSWORD = "violet harbour cinnamon"


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with mail.mail_server(tmp_path_factory.mktemp("mail-server")) as running:
        yield running


@pytest.fixture
def phone(browser: Browser, mail_server: MailServer) -> Iterator[BrowserContext]:
    with mail.phone(browser, mail_server.url) as ctx:
        yield ctx


def test_an_invited_shopper_chooses_a_password_from_the_e_mail_and_is_signed_in(
    phone: BrowserContext, mail_server: MailServer, screenshots: Path
) -> None:
    with mail_server.hq() as hq:
        r = hq.post(
            "/hq/users/invite",
            json={"email": "nina@example.com", "role": "auditor", "name": "Nina New"},
        )
        assert r.status_code == 201, r.text
    link = mail_server.inbox.link_to("nina@example.com")
    page: Page = phone.new_page()

    page.goto(link)

    expect(page.get_by_role("heading", name="Welcome! Choose your password")).to_be_visible()
    expect(page.get_by_text("For nina@example.com.")).to_be_visible()
    page.screenshot(path=screenshots / "invite-1-choose.png")
    page.get_by_label("New password", exact=True).fill("password")
    page.get_by_label("Repeat the password", exact=True).fill("password")
    page.get_by_role("button", name="Save password and sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("too easy to guess")
    page.screenshot(path=screenshots / "invite-2-weak.png")

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save password and sign in").click()

    expect(page.get_by_role("heading", name="Start a new audit")).to_be_visible()
    checklist = page.get_by_label("Checklist", exact=True)
    expect(checklist.get_by_role("option", name=CHECKLIST_TITLE, exact=True)).to_be_attached()
    assert not page.url.endswith(link.rsplit("#", 1)[1])  # the token left the address bar
    page.screenshot(path=screenshots / "invite-3-home.png")

    # The link worked once.
    again = phone.new_page()
    again.goto(link)
    expect(again.get_by_role("heading", name="This link no longer works")).to_be_visible()


def test_a_forgotten_password_is_reset_from_the_sign_in_screen_and_other_sessions_end(
    phone: BrowserContext, mail_server: MailServer, screenshots: Path
) -> None:
    with httpx.Client(base_url=mail_server.url, timeout=10) as laptop:
        signed = laptop.post("/api/session", json={"email": SHOPPER, "password": PASSWORD})
        assert signed.status_code == 200
        page: Page = phone.new_page()
        page.goto("/")
        page.get_by_label("Email", exact=True).fill(SHOPPER)
        page.get_by_role("button", name="Forgot your password?").click()

        expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
        expect(page.get_by_label("Email", exact=True)).to_have_value(SHOPPER)
        page.get_by_role("button", name="Send me a link").click()
        expect(page.get_by_role("status")).to_contain_text("If an account uses that address")
        page.screenshot(path=screenshots / "reset-1-sent.png")

        link = mail_server.inbox.link_to(SHOPPER)
        page.goto(link)
        expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Repeat the password", exact=True).fill(NEW_PASSWORD + "x")
        page.get_by_role("button", name="Save new password").click()
        expect(page.get_by_role("alert")).to_contain_text("not the same")
        page.get_by_label("Repeat the password", exact=True).fill(NEW_PASSWORD)
        page.get_by_role("button", name="Save new password").click()

        expect(page.get_by_role("heading", name="Start a new audit")).to_be_visible()
        page.screenshot(path=screenshots / "reset-2-signed-in.png")
        assert laptop.get("/api/session").status_code == 401
        old = laptop.post("/api/session", json={"email": SHOPPER, "password": PASSWORD})
        assert old.status_code == 401
