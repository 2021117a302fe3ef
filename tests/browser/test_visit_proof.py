"""Proof of visit in the app: claim a visit on the job board, check in on arrival
(the browser's geolocation, granted through the context), answer, check out,
submit offline, and the visit reaches the server in order once back online; a
refusal is allowed (that visit HQ gave the shopper directly)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.actions import fill_whole_checklist, open_app, wait_for_offline_shell
from tests.browser.conftest import (
    AUDITORS,
    CHECKLIST_TITLE,
    OWNER,
    PASSWORD,
    PHONE,
    PageProblems,
    Server,
)

pytestmark = pytest.mark.browser

# High Street (L1) is pinned here; the phone reads 38 m away, 12 m accurate.
PIN = {"latitude": 51.507351, "longitude": -0.127758}
PHONE_AT = {"latitude": 51.507612, "longitude": -0.127421, "accuracy": 12.0}


def phone_context(browser: Browser, server: Server, **options: object) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=server.url, viewport=PHONE, service_workers="allow", locale="en-GB", **options
    )
    ctx.set_default_timeout(10_000)
    problems = PageProblems()
    ctx.on("console", problems.on_console)
    ctx.on("weberror", lambda error: problems.on_page_error(error.error))
    yield ctx
    ctx.close()
    assert not problems.errors, "\n".join(problems.errors)


@pytest.fixture
def located(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    yield from phone_context(browser, server, geolocation=PHONE_AT, permissions=["geolocation"])


@pytest.fixture
def refused(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    # No permission granted: headless Chromium answers the prompt with a refusal.
    yield from phone_context(browser, server)


def assign(server: Server, who: str | None, notes: str = "") -> int:
    """A visit to L1 (pinned) for ``who``, or open on the job board (None)."""
    r = server.api("hq").put(
        "/api/locations/L1/place", json={**PIN, "hours": None, "timezone": None}
    )
    assert r.status_code == 200, r.text
    body = {
        "location": "L1",
        "checklist": "browser-visit",
        "due": (date.today() + timedelta(days=3)).isoformat(),
        "notes": notes,
    }
    if who is not None:
        body["auditor"] = AUDITORS[who][0]
    r = server.api("hq").post("/api/assignments", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def claim_on_the_job_board(page: Page, assignment: int) -> None:
    board = page.get_by_role("region", name="Job board")
    board.get_by_role("link", name="Open the job board").click()
    expect(page.get_by_role("heading", level=1, name="Job board")).to_be_visible()
    job = page.locator(f'li[data-assignment="{assignment}"]')
    job.get_by_role("button", name="Claim this visit").click()
    expect(page.get_by_role("alert").first).to_contain_text("It is yours")
    page.get_by_role("link", name="Back to your visits").click()


def begin_assigned_visit(page: Page) -> str:
    card = page.get_by_role("region", name="Assigned visits").get_by_role("listitem")
    card.get_by_role("button", name="Begin this visit", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=CHECKLIST_TITLE)).to_be_visible()
    return page.url.rsplit("/", 1)[-1]


def test_claim_check_in_answer_check_out_and_submit_offline_then_online(
    located: BrowserContext, browser: Browser, server: Server, photo_file: Path, screenshots: Path
) -> None:
    notes = "Proof of visit: claim me, then check in at High Street"
    assignment = assign(server, None, notes)
    page = located.new_page()
    open_app(page, "sol")
    wait_for_offline_shell(page)
    claim_on_the_job_board(page, assignment)
    uuid = begin_assigned_visit(page)
    assert server.api("sol").get(f"/api/audits/{uuid}").status_code == 404  # nothing sent yet

    page.get_by_role("button", name="Check in", exact=True).click()
    expect(page.get_by_text("Checked in at")).to_contain_text("accurate to 12 m")
    page.screenshot(path=screenshots / "20-checked-in.png")
    # The check-in reaches the server at once (the draft with it).
    api = server.api("sol")
    visit = None
    for _ in range(100):
        r = api.get(f"/api/audits/{uuid}")
        visit = r.json()["visit"] if r.status_code == 200 else None
        if visit and visit["check_in"]:
            break
        page.wait_for_timeout(100)
    assert visit is not None
    assert visit["check_in"]["latitude"] == PHONE_AT["latitude"]
    assert visit["check_in"]["accuracy"] == PHONE_AT["accuracy"]

    located.set_offline(True)
    fill_whole_checklist(page, photo_file)
    page.get_by_role("button", name="Check out", exact=True).click()
    expect(page.get_by_text("Checked out at")).to_be_visible()
    expect(page.get_by_text("minutes on site")).to_be_visible()
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_text("Waiting to send.")).to_be_visible()
    assert api.get(f"/api/audits/{uuid}").json()["visit"]["check_out"] is None

    located.set_offline(False)
    expect(page.get_by_role("heading", name="Thank you — your visit is sent")).to_be_visible(
        timeout=20_000
    )
    hq = server.api("hq").get(f"/api/audits/{uuid}").json()
    assert hq["status"] == "submitted"
    visit = hq["visit"]
    checked_in = datetime.fromisoformat(visit["check_in"]["received_at"])
    checked_out = datetime.fromisoformat(visit["check_out"]["received_at"])
    assert checked_in < checked_out < datetime.fromisoformat(hq["submitted_at"])
    # Near the pin and honest; only the few minutes of a test fall short of a visit.
    trust = visit["trust"]
    assert trust["distance_m"] == pytest.approx(38, abs=3)
    # (The browser tests share one server and one test photo: when another
    # module uploaded it first, the server rightly finds it reused.)
    codes = [r["code"] for r in trust["reasons"]]
    assert codes in (["short_visit"], ["short_visit", "photo_reused"]), codes
    if codes == ["short_visit"]:
        assert trust["score"] == 70 and trust["label"] == "Doubtful"

    # The owner's app, once HQ approves, shows the visit and nothing of its proof.
    r = server.api("hq").post(
        f"/api/audits/{uuid}/review", json={"decision": "approve", "note": ""}
    )
    assert r.status_code == 200, r.text
    owner_context = next(phone_context(browser, server))
    owner = owner_context.new_page()
    owner.goto("/")
    owner.get_by_label("Email", exact=True).fill(OWNER[0])
    owner.get_by_label("Password", exact=True).fill(PASSWORD)
    owner.get_by_role("button", name="Sign in", exact=True).click()
    expect(owner.get_by_role("heading", name="High Street")).to_be_visible()
    text = owner.content()
    for secret in ("51.5076", "-0.1274", "Checked in", "trust", "Trust", "accurate to"):
        assert secret not in text, secret
    owner_context.close()


def test_a_shopper_who_refuses_location_checks_in_without_it(
    refused: BrowserContext, server: Server, screenshots: Path
) -> None:
    assign(server, "tia")
    page = refused.new_page()
    open_app(page, "tia")
    uuid = begin_assigned_visit(page)

    page.get_by_role("button", name="Check in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Location is blocked for this app")
    page.screenshot(path=screenshots / "21-location-refused.png")
    page.get_by_role("button", name="Continue without location", exact=True).click()
    expect(page.get_by_text("Checked in at")).to_contain_text(
        "without location (you did not share it)"
    )
    expect(page.get_by_role("button", name="Check out", exact=True)).to_be_visible()

    api = server.api("tia")
    for _ in range(100):
        r = api.get(f"/api/audits/{uuid}")
        if r.status_code == 200 and r.json()["visit"]["check_in"]:
            break
        page.wait_for_timeout(100)
    check = r.json()["visit"]["check_in"]
    assert (check["permission"], check["latitude"]) == ("denied", None)
