"""HQ at the desk, in Chromium on the demo: signing in at / opens /hq; approve and return
announce the audit and can be undone before anything is sent; the trends table tells the
Service score from the staff touchpoint; owners read their reports newest visit first."""

from __future__ import annotations

import pytest

from tests.test_hq_pages import CHROMIUM, CHROMIUM_ARGS, demo_server  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 900}


def audit_status(page, uuid: str) -> str:
    r = page.request.get(f"/api/audits/{uuid}")
    assert r.ok, r.status
    status: str = r.json()["status"]
    return status


def test_review_decisions_wait_for_undo_then_move_to_the_next_audit(demo_server):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(base_url=demo_server, viewport=DESKTOP)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        # Signing in at / as HQ lands on the dashboard, not the auditors' app.
        page.goto("/")
        page.get_by_label("Email").fill("hq@demo.test")
        page.get_by_label("Password").fill("demo-password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{demo_server}/hq")
        expect(page.get_by_role("heading", level=1)).to_have_text("League table")
        problems.clear()  # the PWA asks for a session before sign-in: a 401 then is expected

        page.goto("/hq/review")
        page.get_by_role("link", name="Review the oldest").click()
        first = page.url
        form = page.locator("#review-form")
        uuid = form.get_attribute("data-uuid")
        name = form.get_attribute("data-audit")
        assert uuid and name and "visit of 20" in name
        status = page.locator("#review-status")
        undo = page.get_by_role("button", name="Undo")

        # Approve: announced with the audit's name, nothing sent yet; undo keeps it.
        page.get_by_role("button", name="Approve and publish").click()
        expect(status).to_contain_text(f"Approving the audit of {name} in")
        expect(undo).to_be_visible()
        expect(page.get_by_role("button", name="Approve and publish")).to_be_disabled()
        assert audit_status(page, uuid) == "submitted"
        undo.click()
        expect(status).to_contain_text("Not approved: nothing was sent")
        expect(undo).to_be_hidden()
        page.wait_for_timeout(6_000)  # past the window: still nothing sent
        assert audit_status(page, uuid) == "submitted" and page.url == first

        # Return with a note: after the window it is sent and the next audit opens.
        page.get_by_label("Note to the auditor").fill("Please add the receipt photo.")
        page.get_by_role("button", name="Return to auditor").click()
        expect(status).to_contain_text(f"Returning the audit of {name} in")
        assert audit_status(page, uuid) == "submitted"
        page.wait_for_url(lambda url: url != first)
        assert "/hq/audits/" in page.url or page.url.endswith("/hq/review")
        assert audit_status(page, uuid) == "returned"
        assert not problems, problems
        browser.close()


def test_trends_tell_the_service_score_from_the_staff_touchpoint(demo_server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(base_url=demo_server, viewport=DESKTOP)
        page = context.new_page()
        assert page.request.post(
            "/api/session", data={"email": "hq@demo.test", "password": "demo-password"}
        ).ok
        page.goto("/hq/trends?from=&to=")
        headers = [t.strip() for t in page.locator("table.heatmap thead th").all_text_contents()]
        assert "Service score" in headers and "Consultation" in headers
        assert "Scores of the whole visit" in headers and "Touchpoints of the journey" in headers
        assert len(headers) == len({h.upper() for h in headers}), headers  # no two alike
        browser.close()


def test_owners_reports_are_listed_newest_visit_first(demo_server):  # noqa: F811
    import httpx

    with httpx.Client(base_url=demo_server) as client:
        r = client.post(
            "/api/session", json={"email": "owner@demo.test", "password": "demo-password"}
        )
        assert r.status_code == 200
        rows = client.get("/api/audits", params={"status": "approved"}).json()
    visits = [row["visited_at"] for row in rows]
    assert len(visits) >= 2
    assert visits == sorted(visits, reverse=True)
