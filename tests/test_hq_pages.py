"""The HQ dashboard pages: rendered for HQ only, CSP-clean, and driven in Chromium."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.conftest import make_client
from tests.helpers import ROOT, new_uuid, sign_in
from tests.test_hq_api import make_audit, seed_hq

PAGES = [
    "/hq",
    "/hq/heatmap",
    "/hq/heatmap?region=North",
    "/hq/trends",
    "/hq/trends?location=S1",
    "/hq/weakest",
    "/hq/review",
    "/hq/locations/S1",
]


@pytest.fixture
async def hq(app, db):
    await seed_hq()
    for n, (code, score) in enumerate([("S1", 82.0), ("S2", 64.0), ("S3", 71.0)]):
        await make_audit(
            code,
            visit=f"2026-0{n + 1}-10",
            overall=score,
            service=score - 5,
            experience=score + 5,
            nps=9,
            sections={"phone": score - 20, "facilities": score + 10, "checkout": score},
            items={"answered": 0.0, "clean": 1.0},
        )
    async with make_client(app) as client:
        yield await sign_in(client, "hq@x.test")


def assert_csp_clean(html: str) -> None:
    """Nothing the CSP would block: no inline style attributes or script bodies."""
    assert not re.search(r"\sstyle\s*=", html, re.I)
    assert not re.search(r"<style", html, re.I)
    for script in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S | re.I):
        assert script.strip() == ""
    assert not re.search(r"\son[a-z]+\s*=", html, re.I)  # no inline event handlers


async def test_every_hq_page_renders_for_hq_within_the_csp(hq):
    for path in PAGES:
        r = await hq.get(path, params={"from": "2026-01-01", "to": "2026-12-31"})

        assert r.status_code == 200, (path, r.text[:2000])
        assert r.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"
        assert '<link rel="stylesheet" href="/static/hq/hq.css">' in r.text
        assert f'<meta name="csrf-token" content="{hq.csrf}">' in r.text
        assert_csp_clean(r.text)


async def test_league_page_ranks_sorts_and_links_down(hq):
    r = await hq.get("/hq", params={"checklist": "shop", "from": "", "to": ""})

    html = r.text
    assert html.index("Riverside Mall") < html.index("Lakeview Station") < html.index("Hillcrest")
    assert "/hq/locations/S1?checklist=shop" in html
    assert "/api/compare.csv?checklist=shop" in html and "/api/compare.xlsx?" in html
    r = await hq.get(
        "/hq", params={"checklist": "shop", "from": "", "sort": "overall", "dir": "asc"}
    )
    assert r.text.index("Hillcrest") < r.text.index("Lakeview Station") < r.text.index("Riverside")
    assert 'aria-sort="ascending"' in r.text


async def test_the_dashboard_opens_on_the_last_90_days(hq):
    r = await hq.get("/hq")
    # The hand-made audits are from early 2026 and the default window ends today.
    assert "No approved audits match these filters" in r.text or "Riverside" in r.text
    assert 'aria-current="true">Last 90 days' in r.text


async def test_heatmap_page_outlines_the_weakest_touchpoint_of_each_region(hq):
    r = await hq.get("/hq/heatmap", params={"checklist": "shop", "from": "", "to": ""})

    html = r.text
    # North: phone (62 and 51) is the weakest; the callout links to its locations.
    assert "North: weakest" in html
    assert re.search(r"North: weakest</span>\s*<span class=\"callout-value\">Phone", html)
    assert html.count('class="num heat heat-') > 10
    assert "weakest" in html
    r = await hq.get("/hq/heatmap", params={"checklist": "shop", "region": "North", "from": ""})
    assert "Riverside Mall" in r.text and "Hillcrest" not in r.text


async def test_audit_page_shows_answers_photos_scorecard_and_review_controls(hq, app):
    uid, photo = new_uuid(), new_uuid()
    jpeg = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 90)).save(jpeg, "JPEG")
    async with make_client(app) as other:
        auditor = await sign_in(other, "auditor@x.test")
        body = {
            "checklist": "shop",
            "location": "S1",
            "visited_at": "2026-03-04T10:00:00Z",
            "answers": {
                "answered": {"value": True},
                "rings": {"na": True},
                "needed_restroom": {"value": False},
                "clean": {"value": 4, "comment": "Floor <b>sticky</b> by the till"},
                "recommend": {"value": 9},
            },
        }
        assert (await auditor.put(f"/api/audits/{uid}", json=body)).status_code == 201
        r = await auditor.put(
            f"/api/audits/{uid}/photos/{photo}?item=clean",
            content=jpeg.getvalue(),
            headers={"Content-Type": "image/jpeg"},
        )
        assert r.status_code == 201, r.text
        assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200

    queue = await hq.get("/hq/review")
    page = await hq.get(f"/hq/audits/{uid}")

    assert f"/hq/audits/{uid}" in queue.text and "Ann Auditor" in queue.text
    html = page.text
    assert page.status_code == 200
    assert_csp_clean(html)
    assert "A person answered within three rings" in html
    assert "Not applicable" in html
    assert "4 on a scale of 1 to 5" in html
    assert "Not shown (skipped by an earlier answer)" in html  # the hidden restroom item
    assert "Floor &lt;b&gt;sticky&lt;/b&gt; by the till" in html  # escaped
    assert f"/api/audits/{uid}/photos/{photo}?size=thumb" in html
    assert "Ann Auditor" in html and "auditor@x.test" in html
    assert (
        f'data-uuid="{uid}"' in html and '<script type="module" src="/static/hq/review.js">' in html
    )
    assert "No decisions yet." in html

    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200
    html = (await hq.get(f"/hq/audits/{uid}")).text
    assert "review-form" not in html
    assert "Approved</span> by Hal HQ" in html
    assert f"/api/audits/{uid}/report.pdf" in html
    assert (await hq.get(f"/hq/audits/{new_uuid()}")).status_code == 404


async def test_bad_filters_show_an_html_page_naming_the_field(hq):
    r = await hq.get("/hq", params={"from": "soon"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "<strong>from</strong> must be a date" in r.text
    r = await hq.get("/hq/locations/NOPE")
    assert r.status_code == 404 and "no location" in r.text


async def test_signed_out_visitors_are_sent_to_sign_in(app, db):
    async with make_client(app) as anonymous:
        for path in PAGES:
            r = await anonymous.get(path)
            assert r.status_code == 303, path
            assert r.headers["location"] == "/"


@pytest.mark.parametrize("email", ["auditor@x.test", "owner@x.test"])
async def test_hq_pages_are_not_found_for_auditors_and_owners(hq, app, email):
    async with make_client(app) as other:
        who = await sign_in(other, email)
        for path in [*PAGES, f"/hq/audits/{new_uuid()}"]:
            r = await who.get(path)
            assert r.status_code == 404, (email, path)
            assert "Riverside" not in r.text and "Hillcrest" not in r.text


# ---- In the browser: a real server and Chromium

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# The server applies migrations and opens Tortoise globally for uvicorn's request tasks.
SERVE = """
import contextlib, sys, uvicorn
from tortoise import Tortoise, connections
from audit.app import create_app
from audit.db import apply_migrations, tortoise_config
from audit.settings import Settings

settings = Settings.from_env()
app = create_app(settings, manage_database=False)

@contextlib.asynccontextmanager
async def lifespan(_app):
    await apply_migrations(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
    yield
    await connections.close_all()

app.router.lifespan_context = lifespan
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    tmp = tmp_path_factory.mktemp("hqdemo")
    env = {
        **os.environ,
        "AUDIT_DATABASE_URL": f"sqlite://{tmp}/db.sqlite3",
        "AUDIT_MEDIA_DIR": str(tmp / "media"),
        "AUDIT_VAR_DIR": str(tmp),
    }
    audit_cli = Path(sys.executable).parent / "audit"
    subprocess.run(
        [str(audit_cli), "demo", "--locations", "10", "--audits", "80"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    log = (tmp / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (tmp / "server.log").read_text()
            assert time.monotonic() < deadline, "the demo server did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.mark.browser
def test_hq_works_the_queue_finds_the_weakest_touchpoint_and_drills_down(demo_server):
    from playwright.sync_api import expect, sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(base_url=demo_server, viewport={"width": 820, "height": 1180})
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        r = page.request.post(
            "/api/session", data={"email": "hq@demo.test", "password": "demo-password"}
        )
        assert r.ok

        # The review queue: open the oldest audit, approve it, land on the next one.
        page.goto("/hq/review")
        first = page.get_by_role("row").nth(1).get_by_role("link").first.get_attribute("href")
        assert first is not None
        page.get_by_role("link", name="Review the oldest").click()
        assert page.url.endswith(first)
        page.get_by_role("button", name="Return to auditor").click()
        expect(page.locator("#review-status")).to_contain_text("Write a note")
        page.get_by_role("button", name="Approve and publish").click()
        page.wait_for_url(lambda url: not url.endswith(first))
        page.goto(first)
        expect(page.get_by_text("Approved", exact=True).first).to_be_visible()

        # The heat map: the weakest touchpoint of a region, then its locations.
        page.goto("/hq/heatmap?from=&to=")
        callout = page.locator(".callout").first
        expect(callout).to_contain_text("weakest")
        callout.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Touchpoint heat map:")
        assert page.locator("td.weakest").count() >= 1

        # Drill down to a location's trend, then export the league table.
        page.locator("tbody th a").first.click()
        expect(page.locator("figure.chart svg polyline").first).to_be_attached()
        page.goto("/hq?from=&to=")
        with page.expect_download() as download:
            page.get_by_role("link", name="League CSV").click()
        text = Path(download.value.path()).read_text()
        assert text.startswith("code,name,region,audits,overall,")
        assert len(text.splitlines()) > 5

        # Filters apply on change (hq.js), and signing out goes back to the PWA.
        page.get_by_label("Region").select_option("North")
        page.wait_for_url("**region=North**")
        assert not problems, problems
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(demo_server + "/")
        assert page.request.get("/api/session").status == 401
        browser.close()
