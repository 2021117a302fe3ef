"""Editor QA in the browser: HQ grades and returns a visit with a note on one item on the
review page; the shopper's phone (390 x 844) shows the note on that item, the grade on
the scorecard and a rejected visit as not counted."""

from __future__ import annotations

import io
import uuid as uuids
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.browser.actions import FULL_ANSWERS, item, open_app
from tests.browser.conftest import HQ, PASSWORD, Server

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
CLEAN = "How clean was the restroom?"
SHOTS = Path("/tmp")
EDITORS_GRADE = "Editor\u2019s grade"  # the app's typographic apostrophe


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (11, 93, 87)).save(out, "JPEG")
    return out.getvalue()


def submitted_visit(server: Server, who: str, day: str) -> str:
    """A complete visit of the browser checklist, submitted through the API."""
    api = server.api(who)
    uid = str(uuids.uuid4())
    body: dict[str, Any] = {
        "checklist": "browser-visit",
        "location": "L1",
        "visited_at": f"{day}T10:00:00Z",
        "answers": FULL_ANSWERS,
    }
    r = api.put(f"/api/audits/{uid}", json=body)
    assert r.status_code == 201, r.text
    for item_id in ("charged_right", "storefront"):
        r = api.put(f"/api/audits/{uid}/photos/{uuids.uuid4()}?item={item_id}", content=jpeg())
        assert r.status_code == 201, r.text
    r = api.post(f"/api/audits/{uid}/submit")
    assert r.status_code == 200, r.text
    return uid


def test_hq_grades_and_returns_with_a_note_on_one_item(browser: Browser, server: Server) -> None:
    uid = submitted_visit(server, "sam", "2026-11-02")
    context = browser.new_context(base_url=server.url, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    hq = server.api("hq")
    assert page.request.post("/api/session", data={"email": HQ[0], "password": PASSWORD}).ok
    page.goto(f"/hq/audits/{uid}")
    page.locator('input[name="grade"][value="2"]').check()
    page.get_by_label("Note on the grade").fill("Say which restroom next time.")
    page.locator("li.answer", has_text=CLEAN).get_by_text("Note on this item").click()
    page.get_by_label(f"Note on “{CLEAN}”").fill("Which restroom: the customers' or the staff's?")
    page.get_by_role("button", name="Return to auditor").click()
    expect(page.locator("#review-status")).to_contain_text("Returning the audit of")
    page.wait_for_url(lambda url: uid not in url)
    stored = hq.get(f"/api/audits/{uid}").json()
    assert stored["status"] == "returned"
    assert stored["item_notes"] == {
        "restroom_clean": "Which restroom: the customers' or the staff's?"
    }
    assert (stored["grade"], stored["grade_note"]) == (2, "Say which restroom next time.")
    page.goto(f"/hq/audits/{uid}")
    expect(page.get_by_text("Which restroom: the customers' or the staff's?").first).to_be_visible()
    assert not problems, problems
    context.close()


def test_the_shopper_sees_notes_on_items_grades_and_a_rejection(page: Page, server: Server) -> None:
    hq = server.api("hq")
    returned = submitted_visit(server, "sam", "2026-11-03")
    r = hq.post(
        f"/api/audits/{returned}/review",
        json={
            "decision": "return",
            "note": "One answer needs a second look.",
            "item_notes": {"restroom_clean": "Which restroom did you use?"},
        },
    )
    assert r.status_code == 200, r.text
    graded = submitted_visit(server, "sam", "2026-11-04")
    r = hq.post(
        f"/api/audits/{graded}/review",
        json={"decision": "approve", "grade": 4, "grade_note": "Clear receipt photo."},
    )
    assert r.status_code == 200, r.text
    rejected = submitted_visit(server, "sam", "2026-11-05")
    r = hq.post(
        f"/api/audits/{rejected}/review",
        json={"decision": "reject", "note": "The receipt is from another shop."},
    )
    assert r.status_code == 200, r.text

    open_app(page, "sam")
    card = page.get_by_role("link", name="One answer needs a second look. · 1 item to check")
    expect(card).to_contain_text("Returned by head office")
    expect(page.get_by_text(f"{EDITORS_GRADE} 4/5")).to_be_visible()
    expect(page.get_by_text("Not counted: The receipt is from another shop.")).to_be_visible()
    page.screenshot(path=str(SHOTS / "editorqa-home.png"), full_page=True)

    card.click()
    expect(page.get_by_text("1 item has a note from head office.")).to_be_visible()
    page.get_by_role("button", name="Go to the first").click()
    note = item(page, CLEAN).locator(".hq-note")
    expect(note).to_contain_text("Head office\u2019s note")
    expect(note).to_contain_text("Which restroom did you use?")
    expect(note).to_be_in_viewport()
    page.screenshot(path=str(SHOTS / "editorqa-item-note.png"))

    page.goto(f"/#/done/{graded}")
    expect(page.get_by_role("heading", name=EDITORS_GRADE)).to_be_visible()
    expect(page.locator(".grade-card")).to_contain_text("4 of 5")
    expect(page.locator(".grade-card")).to_contain_text("Clear receipt photo.")
    page.goto(f"/#/done/{rejected}")
    expect(page.get_by_text("Head office rejected this visit:")).to_be_visible()
    expect(page.get_by_text("It does not count in any result")).to_be_visible()
