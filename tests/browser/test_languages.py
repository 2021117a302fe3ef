"""The app in French on a phone (390 x 844) whose browser speaks French.

An invited shopper opens the e-mailed link, chooses a password and starts a
visit, all in French (a bilingual checklist shows its French text); the
switch in the header turns the app to English, which survives a reload and is
saved to the account, so signing in on a French phone later opens it in
English. A signed-out shopper resets a forgotten password in French and
signs in with it; the switch on the sign-in screen is remembered there too.
The texts asserted are the catalogues' (static/i18n/), so a reworded text
does not break the test, while a text left in English does.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import mail
from tests.browser.conftest import ROOT
from tests.browser.mail import SHOPPER, MailServer

pytestmark = pytest.mark.browser

CATALOGUES = ROOT / "static" / "i18n"
FR = json.loads((CATALOGUES / "fr.json").read_text(encoding="utf-8"))
EN = json.loads((CATALOGUES / "en.json").read_text(encoding="utf-8"))
BILINGUAL = ROOT / "tests" / "fixtures" / "languages" / "bilingual.yaml"
INVITED = "nadia@example.com"
PASSWORD_NEW = "lavande horizon cannelle"


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    folder = tmp_path_factory.mktemp("bilingual")
    shutil.copy(BILINGUAL, folder)  # checklists are imported by folder
    with mail.mail_server(tmp_path_factory.mktemp("languages"), folder) as running:
        yield running


def fits_the_screen(page: Page) -> None:
    """Nothing wider than the phone: French is longer than English."""
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1
              && getComputedStyle(el).position !== 'fixed' && el.getClientRects().length
              && !el.closest('.visually-hidden'))
            .map((el) => `${el.tagName}.${el.className}: ${el.textContent.slice(0, 40)}`)"""
    )
    assert wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_an_invitation_is_taken_up_in_french_and_the_switch_to_english_is_kept_and_saved(
    browser: Browser, mail_server: MailServer, screenshots: Path
) -> None:
    with mail_server.hq() as hq:
        r = hq.post(
            "/hq/users/invite",
            json={"email": INVITED, "role": "auditor", "name": "Nadia Nouvelle"},
        )
        assert r.status_code == 201, r.text
    link = mail_server.inbox.link_to(INVITED)

    with mail.phone(browser, mail_server.url, locale="fr-FR") as ctx:
        page = ctx.new_page()
        page.goto(link)

        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.get_by_role("heading", name=FR["link.invite_title"])).to_be_visible()
        expect(page.get_by_text(f"Pour {INVITED}.")).to_be_visible()
        page.screenshot(path=screenshots / "fr-1-invitation.png")
        page.get_by_label(FR["link.new_password"], exact=True).fill(PASSWORD_NEW)
        page.get_by_label(FR["link.repeat"], exact=True).fill(PASSWORD_NEW)
        page.get_by_role("button", name=FR["link.save_invite"]).click()

        expect(page.get_by_role("heading", name="Commencer un nouvel audit")).to_be_visible()
        expect(page.get_by_role("heading", name="Missions disponibles")).to_be_visible()
        checklist = page.get_by_label("Grille", exact=True)
        expect(checklist.get_by_role("option", name="Visite de la boutique")).to_be_attached()
        fits_the_screen(page)
        page.screenshot(path=screenshots / "fr-2-home.png", full_page=True)

        # A visit of the bilingual checklist: its own words in French, the app's too.
        page.get_by_label("Point de vente", exact=True).select_option("L1")
        checklist.select_option("bilingual-shop")
        page.get_by_role("button", name=FR["home.start_button"]).click()
        expect(page.get_by_role("heading", name="Visite de la boutique", level=1)).to_be_visible()
        answered = page.get_by_role(
            "group", name="Une personne a répondu avant la troisième sonnerie"
        )
        expect(answered.get_by_text(FR["form.required"], exact=True)).to_be_visible()
        answered.get_by_label("Oui", exact=True).check()
        expect(page.get_by_role("button", name="Enregistrer le brouillon")).to_be_visible()
        expect(page.get_by_text("Date de la visite", exact=True)).to_be_visible()
        fits_the_screen(page)
        page.screenshot(path=screenshots / "fr-3-checklist.png", full_page=True)

        # The switch: English at once, the answer kept, the choice surviving a reload.
        page.get_by_label("Langue", exact=True).select_option("en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(
            page.get_by_role("group", name="A person answered within three rings").get_by_label(
                "Yes", exact=True
            )
        ).to_be_checked()
        expect(page.get_by_role("button", name=EN["audit.save_draft"])).to_be_visible()
        page.goto("/")
        page.reload()
        expect(page.get_by_role("heading", name=EN["home.start_title"])).to_be_visible()
        expect(page.get_by_label("Language", exact=True)).to_have_value("en")
        page.get_by_role("link", name="Shop visit").click()
        expect(page.get_by_role("heading", name="Shop visit", level=1)).to_be_visible()
        session = page.request.get("/api/session")
        assert session.json()["language"] == "en"

    # The account's choice wins over a French phone's on signing in.
    with mail.phone(browser, mail_server.url, locale="fr-CA") as ctx:
        page = ctx.new_page()
        page.goto("/")
        expect(page.get_by_role("heading", name=FR["signin.title"])).to_be_visible()
        page.get_by_label(FR["field.email"], exact=True).fill(INVITED)
        page.get_by_label(FR["field.password"], exact=True).fill(PASSWORD_NEW)
        page.get_by_role("button", name=FR["signin.button"]).click()
        expect(page.get_by_role("heading", name=EN["home.start_title"])).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_forgotten_password_is_reset_in_french_and_the_sign_in_switch_is_remembered(
    browser: Browser, mail_server: MailServer, screenshots: Path
) -> None:
    with mail.phone(browser, mail_server.url, locale="fr-FR") as ctx:
        page = ctx.new_page()
        page.goto("/")
        expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
        fits_the_screen(page)
        page.screenshot(path=screenshots / "fr-4-sign-in.png")
        page.get_by_label("Adresse e-mail", exact=True).fill(SHOPPER)
        page.get_by_role("button", name=FR["signin.forgot"]).click()

        expect(page.get_by_role("heading", name=FR["forgot.title"])).to_be_visible()
        expect(page.get_by_label("Adresse e-mail", exact=True)).to_have_value(SHOPPER)
        page.get_by_role("button", name="Recevoir un lien").click()
        expect(page.get_by_role("status")).to_have_text(FR["forgot.sent"])

        page.goto(mail_server.inbox.link_to(SHOPPER))
        expect(page.get_by_role("heading", name=FR["link.reset_title"])).to_be_visible()
        page.get_by_label(FR["link.new_password"], exact=True).fill(PASSWORD_NEW)
        page.get_by_label(FR["link.repeat"], exact=True).fill(PASSWORD_NEW + "x")
        page.get_by_role("button", name=FR["link.save_reset"]).click()
        expect(page.get_by_role("alert")).to_have_text(FR["link.not_same"])
        page.get_by_label(FR["link.repeat"], exact=True).fill(PASSWORD_NEW)
        page.get_by_role("button", name=FR["link.save_reset"]).click()
        expect(page.get_by_role("heading", name="Commencer un nouvel audit")).to_be_visible()

        # Signing in again with the new password, in French.
        page.get_by_role("button", name=FR["app.sign_out"]).click()
        expect(page.get_by_text(FR["session.signed_out"])).to_be_visible()
        page.get_by_label(FR["field.email"], exact=True).fill(SHOPPER)
        page.get_by_label(FR["field.password"], exact=True).fill(PASSWORD_NEW)
        page.get_by_role("button", name=FR["signin.button"]).click()
        expect(page.get_by_role("heading", name="Commencer un nouvel audit")).to_be_visible()
        page.get_by_role("button", name=FR["app.sign_out"]).click()

        # Signed out, the switch works on the sign-in screen and is remembered here.
        page.get_by_label(FR["field.email"], exact=True).fill(SHOPPER)
        page.get_by_label("Langue", exact=True).select_option("en")
        expect(page.get_by_role("heading", name=EN["signin.title"])).to_be_visible()
        expect(page.get_by_label(EN["field.email"], exact=True)).to_have_value(SHOPPER)
        page.reload()
        expect(page.get_by_role("button", name=EN["signin.forgot"])).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "en")
