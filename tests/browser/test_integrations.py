"""HQ's integration pages in the browser (desktop): a token made, shown once, used and
revoked; a webhook added with its secret shown once, tested against a real receiver,
and its delivery in the log; a bad address named under its field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import HQ, PASSWORD, Server
from tests.receiver import Receiver, receiver

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
SHOTS = Path("/tmp")


@pytest.fixture
def hq_page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    assert page.request.post("/api/session", data={"email": HQ[0], "password": PASSWORD}).ok
    yield page
    context.close()
    assert not problems, problems


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def test_hq_makes_a_token_sees_it_once_uses_it_and_revokes_it(hq_page: Page, server: Server):
    page = hq_page
    page.goto("/hq/tokens")
    page.get_by_label("What it is for").fill("Warehouse export")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("[data-secret]")
    expect(secret).to_contain_text("audit_")
    token = secret.inner_text()
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    page.screenshot(path=str(SHOTS / "integrations-token.png"), full_page=True)

    used = httpx.get(
        f"{server.url}/api/audits", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert used.status_code == 200, used.text

    page.get_by_role("link", name="Done").click()
    row = page.locator("tr", has_text="Warehouse export")
    expect(row).to_contain_text("read and write")
    expect(row).to_contain_text(token[:12])
    assert token not in page.content()
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("tr", has_text="Warehouse export")).to_contain_text("revoked")
    gone = httpx.get(
        f"{server.url}/api/audits", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert gone.status_code == 401


def test_hq_adds_a_webhook_tests_it_and_reads_its_delivery_log(hq_page: Page, hook: Receiver):
    page = hq_page
    page.goto("/hq/webhooks")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.locator('[data-problem="url"]')).to_have_text("is required")

    page.get_by_label("Address (URL)").fill(hook.url)
    page.get_by_label("Description (optional)").fill("Ticketing")
    page.locator('input[name="events"][value="audit.returned"]').check()
    page.get_by_role("button", name="Add webhook").click()
    secret_text = page.locator("[data-secret]")
    expect(secret_text).to_contain_text("whsec_")
    secret = secret_text.inner_text()
    page.get_by_role("link", name="Done").click()

    row = page.locator("tr", has_text=hook.url)
    expect(row).to_contain_text("audit.approved, audit.returned")
    row.get_by_role("button", name="Send a test").click()
    [got] = hook.wait_for(1)
    assert got.signature_ok(secret)
    assert json.loads(got.body)["type"] == "ping"

    page.goto("/hq/webhooks")
    page.locator("tr", has_text=hook.url).get_by_role("link", name="Delivery log").click()
    log = page.locator("tbody tr").first
    expect(log).to_contain_text("ping")
    expect(log).to_contain_text(got.headers["x-audit-event-id"])
    # Answered already; the row says so once the sender has recorded it.
    for _ in range(50):
        if "delivered" in page.locator("tbody tr").first.inner_text():
            break
        page.wait_for_timeout(100)
        page.reload()
    expect(page.locator("tbody tr").first).to_contain_text("delivered")
    page.screenshot(path=str(SHOTS / "integrations-webhook-log.png"), full_page=True)
