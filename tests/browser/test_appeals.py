"""An appeal end to end: the owner disputes an item on a phone, HQ upholds it at a desk,
the owner downloads report version 2 and reads the amendment (also offline).

The module runs its own server: the owner's report list of the shared one
holds every other module's approved audits.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.actions import wait_for_offline_shell
from tests.browser.conftest import (
    AUDIT,
    FIXTURES,
    HQ,
    LOCATIONS,
    OWNER,
    PASSWORD,
    Server,
    _cli,
    _free_port,
    _wait_until_up,
)
from tests.browser.test_owner import _valid_answers

pytestmark = pytest.mark.browser

AUDITOR = ("ada@example.com", "Ada Appleby")
DESK = {"width": 1280, "height": 900}
ITEM = "The opening hours were on the website"
SHOTS = Path(os.environ.get("AUDIT_SCREENSHOTS", "/tmp/appeals-shots"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("appeals-server")
    env = {
        **os.environ,
        "AUDIT_DATABASE_URL": f"sqlite://{tmp}/db.sqlite3",
        "AUDIT_MEDIA_DIR": str(tmp / "media"),
        "AUDIT_VAR_DIR": str(tmp),
        "AUDIT_PASSWORD": PASSWORD,
    }
    for code, name, region in LOCATIONS:
        _cli(env, "location", "add", code, "--name", name, "--region", region)
    _cli(env, "user", "add", AUDITOR[0], "--role", "auditor", "--name", AUDITOR[1])
    _cli(env, "user", "add", HQ[0], "--role", "hq", "--name", HQ[1])
    _cli(env, "user", "add", OWNER[0], "--role", "owner", "--name", OWNER[1], "--location", "L1")
    _cli(env, "checklist", "import", str(FIXTURES / "checklists"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(AUDIT), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Server(url=url, env=env, log=log)
    try:
        _wait_until_up(url, process, log)
        yield running
    finally:
        for client in running.clients.values():
            client.close()
        process.terminate()
        process.wait(timeout=10)


def _approved_audit(server: Server, photo: Path) -> str:
    import httpx

    auditor = httpx.Client(base_url=server.url, timeout=10)
    r = auditor.post("/api/session", json={"email": AUDITOR[0], "password": PASSWORD})
    auditor.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    listing = auditor.get("/api/checklists").json()
    checklist = auditor.get(f"/api/checklists/{listing[0]['id']}").json()
    answers: dict[str, Any] = _valid_answers(checklist)
    answers["web_hours"] = {"value": False}
    uid = str(uuid.uuid4())
    body = {
        "checklist": checklist["id"],
        "location": "L1",
        "visited_at": "2026-11-24T10:05:00Z",
        "answers": answers,
    }
    assert auditor.put(f"/api/audits/{uid}", json=body).status_code == 201
    for section in checklist["sections"]:
        for item in section["items"]:
            if item["type"] == "photo" or item.get("photo") == "required":
                r = auditor.put(
                    f"/api/audits/{uid}/photos/{uuid.uuid4()}?item={item['id']}",
                    content=photo.read_bytes(),
                    headers={"Content-Type": "image/jpeg"},
                )
                assert r.status_code == 201, r.text
    assert auditor.post(f"/api/audits/{uid}/submit").status_code == 200
    auditor.close()
    r = server.api("hq").post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200, r.text
    return uid


def _sign_in(page: Page, email: str) -> None:
    page.goto("/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode().replace("\u200b", "").split())


def test_owner_disputes_hq_upholds_and_the_owner_reads_version_2(
    page: Page, browser: Browser, server: Server, photo_file: Path, tmp_path: Path
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    uid = _approved_audit(server, photo_file)

    # The owner, on a phone: the report's summary, then the item to dispute.
    _sign_in(page, OWNER[0])
    expect(page.get_by_role("heading", name="High Street")).to_be_visible()
    page.get_by_role("link", name="Summary and appeals").click()
    expect(page).to_have_url(re.compile(f"#/report/{uid}$"))
    expect(page.get_by_role("heading", name="Dispute an item")).to_be_visible()
    before = page.locator(".overall-value").inner_text()
    page.screenshot(path=str(SHOTS / "1-owner-report-summary.png"), full_page=True)
    page.get_by_role("link", name=f"Dispute: {ITEM}").click()
    expect(page.get_by_role("heading", name="Dispute an item")).to_be_visible()
    page.get_by_label("Why is this item wrong?").fill(
        "Our website has listed the opening hours on its front page since June."
    )
    page.get_by_role("group", name="What should the answer have been? (optional)").get_by_label(
        "Yes", exact=True
    ).check()
    page.get_by_label("Evidence photo (optional)").set_input_files(str(photo_file))
    page.screenshot(path=str(SHOTS / "2-owner-dispute-form.png"), full_page=True)
    page.get_by_role("button", name="Send the appeal").click()
    expect(page.get_by_role("heading", name=ITEM)).to_be_visible()
    expect(page.locator(".chip", has_text="Waiting for HQ")).to_be_visible()
    expect(page.get_by_text("Head office decides by")).to_be_visible()
    expect(page.get_by_role("img", name="Your evidence photo")).to_be_visible()
    page.screenshot(path=str(SHOTS / "3-owner-appeal-open.png"), full_page=True)
    assert AUDITOR[1] not in page.content() and AUDITOR[0] not in page.content()

    # HQ, at a desk: the queue, the appeal, upheld.
    desk = browser.new_context(base_url=server.url, viewport=DESK, locale="en-GB")
    hq = desk.new_page()
    _sign_in(hq, HQ[0])
    hq.wait_for_url("**/hq")
    hq.get_by_role("link", name="Appeals").click()
    expect(hq.get_by_role("heading", name="Appeals")).to_be_visible()
    expect(hq.get_by_role("cell", name=ITEM)).to_be_visible()
    hq.screenshot(path=str(SHOTS / "4-hq-appeals-queue.png"), full_page=True)
    hq.get_by_role("link", name="Decide", exact=True).click()
    expect(hq.get_by_role("heading", name=ITEM)).to_be_visible()
    expect(hq.get_by_role("img", name="The owner's evidence photo")).to_be_visible()
    hq.get_by_label("Upheld", exact=True).check()
    expect(hq.get_by_role("group", name="The item's answer").get_by_label("Yes")).to_be_checked()
    hq.get_by_label("Note to the owner").fill(
        "The website did show the hours; the shopper missed them."
    )
    hq.get_by_role("button", name="Record the decision").click()
    expect(hq.get_by_role("heading", name="Upheld")).to_be_visible()
    expect(hq.get_by_text("version 2")).to_be_visible()
    hq.screenshot(path=str(SHOTS / "5-hq-appeal-upheld.png"), full_page=True)
    desk.close()

    # The owner again: the decision, the amended summary, version 2 of the PDF.
    page.reload()
    expect(page.get_by_role("heading", name="Head office\u2019s decision: upheld")).to_be_visible()
    expect(page.get_by_text("The item now reads: Yes.")).to_be_visible()
    page.screenshot(path=str(SHOTS / "6-owner-appeal-upheld.png"), full_page=True)
    page.get_by_role("link", name="See the amended report").click()
    banner = page.get_by_text("Version 2 \u2014 amended after appeal on")
    expect(banner).to_be_visible()
    after = page.locator(".overall-value").inner_text()
    assert int(after) > int(before)
    expect(page.get_by_role("heading", name="Amended after appeal")).to_be_visible()
    page.screenshot(path=str(SHOTS / "7-owner-report-v2.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    assert pdf.name.endswith("-v2.pdf")
    text = _pdf_text(pdf)
    assert "Version 2 — amended after appeal on" in text
    assert "The website did show the hours; the shopper missed them." in text
    assert "first reported: No" in text
    assert AUDITOR[1] not in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(pdf), str(SHOTS / "8-report-v2")], check=True
    )

    # Offline, the report already opened still reads, amendment and all.
    wait_for_offline_shell(page)
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_text("Version 2 \u2014 amended after appeal on")).to_be_visible()
    expect(page.get_by_text("You are offline")).to_be_visible()
    page.screenshot(path=str(SHOTS / "9-owner-report-offline.png"), full_page=True)
    page.context.set_offline(False)

    # The appeals tab lists it with its outcome.
    page.get_by_role("link", name="Appeals", exact=True).click()
    expect(page.get_by_role("heading", name="Your appeals")).to_be_visible()
    expect(page.locator(".chip", has_text="Upheld")).to_be_visible()
    expect(page.get_by_text("Decided")).to_be_visible()
