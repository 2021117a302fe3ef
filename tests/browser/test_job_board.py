"""The job board at 390 x 844: claiming an open visit, losing a race with a clear message,
giving a visit back, and the board offline (claims need the network, and it says so)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.actions import open_app, wait_for_offline_shell
from tests.browser.conftest import Server

pytestmark = pytest.mark.browser


def open_visit(server: Server, location: str, days: int, notes: str) -> int:
    r = server.api("hq").post(
        "/api/assignments",
        json={
            "location": location,
            "checklist": "browser-visit",
            "due": (date.today() + timedelta(days=days)).isoformat(),
            "notes": notes,
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def card(page: Page, notes_marker: str):
    return page.locator("li.card", has_text=notes_marker)


def test_an_auditor_claims_a_visit_and_gives_it_back(page: Page, server: Server) -> None:
    open_visit(server, "L1", 9, "Job board: claim me")
    open_app(page, "vic")
    board = page.get_by_role("region", name="Job board")
    expect(board).to_contain_text("open visit")
    board.get_by_role("link", name="Open the job board").click()
    expect(page.get_by_role("heading", level=1, name="Job board")).to_be_visible()
    page.get_by_label("Find a visit").fill("High Street")
    mine = page.get_by_role("listitem").filter(has_text="High Street").first
    page.screenshot(path="/tmp/job-board.png", full_page=True)
    mine.get_by_role("button", name="Claim this visit").first.click()
    expect(page.get_by_role("alert").first).to_contain_text("It is yours")

    page.get_by_role("link", name="Back to your visits").click()
    assigned = page.get_by_role("region", name="Assigned visits")
    expect(assigned).to_contain_text("High Street")
    expect(assigned).to_contain_text("Due ")
    page.screenshot(path="/tmp/job-board-mine.png", full_page=True)
    assigned.get_by_role("button", name="Give this visit back (High Street)").first.click()
    expect(page.get_by_role("region", name="Assigned visits")).to_be_hidden()
    ids = [a["id"] for a in server.api("vic").get("/api/assignments").json() if a["mine"]]
    assert ids == []


def test_the_loser_of_a_claim_race_is_told_it_is_taken(page: Page, server: Server) -> None:
    aid = open_visit(server, "L2", 6, "Race for Station Road")
    open_app(page, "una")
    page.goto("/#/jobs")
    target = page.locator(f'li[data-assignment="{aid}"]')
    expect(target).to_be_visible()
    # Another shopper claims it while this board is on the screen.
    taken = server.api("vic").post(f"/api/assignments/{aid}/claim")
    assert taken.status_code == 200, taken.text
    target.get_by_role("button", name="Claim this visit").click()
    expect(target.get_by_role("alert")).to_have_text("already claimed by another shopper")
    expect(target.get_by_role("button", name="Claim this visit")).to_have_count(0)
    assert "Vic" not in target.inner_text()


def test_offline_the_board_says_claims_need_the_network(
    page: Page, context: BrowserContext, server: Server
) -> None:
    open_visit(server, "L1", 12, "Offline board")
    open_app(page, "una")
    wait_for_offline_shell(page)
    page.goto("/#/jobs")
    expect(page.get_by_role("heading", level=1, name="Job board")).to_be_visible()
    expect(page.locator("li.card").first).to_be_visible()
    context.set_offline(True)
    page.reload()
    expect(page.get_by_text("You are offline. Claiming a visit needs a connection")).to_be_visible()
    buttons = page.get_by_role("button", name="Claim this visit")
    expect(buttons.first).to_be_disabled()
    page.screenshot(path="/tmp/job-board-offline.png", full_page=True)
    context.set_offline(False)
    page.reload()
    expect(page.get_by_role("button", name="Claim this visit").first).to_be_enabled()
