"""What an auditor does in the app, by accessible names only (CONTRACT.md, "PWA")."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import AUDITORS, CHECKLIST_TITLE, PASSWORD

UUID_IN_HASH = re.compile(r"#/(?:audit|done)/([0-9a-f-]{36})$")


def sign_in(page: Page, who: str, *, password: str = PASSWORD) -> None:
    page.get_by_label("Email", exact=True).fill(AUDITORS[who][0])
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def open_app(page: Page, who: str) -> None:
    page.goto("/")
    sign_in(page, who)
    expect(page.get_by_role("heading", name="Start a new audit")).to_be_visible()


def wait_for_offline_shell(page: Page, timeout: float = 10.0) -> None:
    """The service worker controls the page and has the shell in its cache."""
    # Polled with evaluate(): wait_for_function() would eval() a string, which the CSP forbids.
    check = """async () => navigator.serviceWorker.controller !== null
        && (await caches.keys()).some((k) => k.startsWith('audit-shell-'))"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(check):
        assert time.monotonic() < deadline, "the service worker did not take over"
        time.sleep(0.05)


def start_audit(page: Page, location: str = "High Street", checklist: str = CHECKLIST_TITLE) -> str:
    page.get_by_label("Location", exact=True).select_option(label=location)
    page.get_by_label("Checklist", exact=True).select_option(label=checklist)
    page.get_by_role("button", name="Start audit", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=checklist)).to_be_visible()
    return audit_uuid(page)


def audit_uuid(page: Page) -> str:
    match = UUID_IN_HASH.search(page.url)
    assert match, page.url
    return match.group(1)


def item(page: Page, text: str) -> Locator:
    """The fieldset of one checklist item, found by its legend."""
    return page.get_by_role("group", name=text, exact=True)


def choose(page: Page, text: str, label: str) -> None:
    item(page, text).get_by_role("radio", name=label, exact=True).check()


def fill(page: Page, text: str, value: str) -> None:
    item(page, text).get_by_label(text, exact=True).fill(value)


def attach_photo(page: Page, text: str, path: Any) -> None:
    group = item(page, text)
    count = group.get_by_role("img").count()
    group.get_by_label("Take photo", exact=True).set_input_files(path)
    expect(group.get_by_role("img")).to_have_count(count + 1)


def fill_whole_checklist(page: Page, photo: Any, *, rings: str = "2") -> None:
    """Answers every item of the fixture checklist (see test_form.py for the expected score)."""
    choose(page, "The opening hours were on the website", "Yes")
    choose(page, "How easy was the website to use?", "4")
    choose(page, "Someone answered your call", "Yes")
    fill(page, "Rings before a person answered", rings)
    choose(page, "You asked to use the restroom", "Yes")
    choose(page, "When you asked for the restroom, staff", "Let you use it after you asked twice")
    choose(page, "How clean was the restroom?", "3")
    attach_photo(page, "Photo of the shop front", photo)
    choose(page, "You were charged the right amount", "Yes")
    attach_photo(page, "You were charged the right amount", photo)
    choose(page, "How likely are you to recommend this shop to a friend?", "9")
    fill(page, "Anything else head office should know", "The shop was tidy.")


# The answers fill_whole_checklist gives, in Answers JSON.
FULL_ANSWERS: dict[str, dict[str, Any]] = {
    "web_hours": {"value": True},
    "web_ease": {"value": 4},
    "call_answered": {"value": True},
    "rings": {"value": 2},
    "needed_restroom": {"value": True},
    "restroom": {"value": "after_asking"},
    "restroom_clean": {"value": 3},
    "charged_right": {"value": True},
    "recommend": {"value": 9},
    "notes": {"value": "The shop was tidy."},
}
# By hand: website (1 + 0.75) / 2 = 87.5; phone (w 2) 100; arrival (1 + 0.5 + 0.5) / 3;
# checkout 100; follow-up unscored. Overall = (87.5 + 200 + 66.67 + 100) / 5.
EXPECTED_OVERALL = (87.5 + 2 * 100 + 200 / 3 + 100) / 5
EXPECTED_SERVICE = 3.5 / 4 * 100
EXPECTED_EXPERIENCE = 3.25 / 4 * 100
