"""Browser tests: the real server in a subprocess, driven through Debian's Chromium.

One server (fresh SQLite database and media directory) serves the whole
session; each test gets a fresh browser context, which is a fresh profile:
no service worker, no IndexedDB, no cookies.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, ViewportSize, expect

ROOT = Path(__file__).resolve().parents[2]
# The `audit` command under test; AUDIT_CLI may name another build of it.
AUDIT = Path(os.environ.get("AUDIT_CLI") or ROOT / ".venv" / "bin" / "audit")
FIXTURES = Path(__file__).parent / "fixtures"
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "browser-test-password-1"
# One auditor per test that checks what reached the server, so counts are exact.
AUDITORS = {
    "ann": ("ann@example.com", "Ann Archer"),
    "ben": ("ben@example.com", "Ben Baker"),
    "cat": ("cat@example.com", "Cat Carter"),
    "dan": ("dan@example.com", "Dan Dyer"),
    "eve": ("eve@example.com", "Eve Evans"),
    "fay": ("fay@example.com", "Fay Fisher"),
    "gus": ("gus@example.com", "Gus Green"),
    "hal": ("hal@example.com", "Hal Hughes"),
    "ivy": ("ivy@example.com", "Ivy Irwin"),
    "joy": ("joy@example.com", "Joy Jones"),
    "kim": ("kim@example.com", "Kim Knight"),
    "leo": ("leo@example.com", "Leo Lane"),
    "mia": ("mia@example.com", "Mia Moss"),
    "ned": ("ned@example.com", "Ned North"),
    "ola": ("ola@example.com", "Ola Owen"),
    "pat": ("pat@example.com", "Pat Price"),
    "rae": ("rae@example.com", "Rae Rowe"),
    "sam": ("sam@example.com", "Sam Shaw"),
    "sol": ("sol@example.com", "Sol Stone"),
    "tia": ("tia@example.com", "Tia Todd"),
    "una": ("una@example.com", "Una Upton"),
    "vic": ("vic@example.com", "Vic Vance"),
}
OWNER = ("owner@example.com", "Olive Owner")
HQ = ("hq@example.com", "Head Office")
LOCATIONS = [("L1", "High Street", "North"), ("L2", "Station Road", "South")]
ADDRESSES = {"L1": "12 High Street, Unit 4, Springfield Mall"}
CHECKLIST_TITLE = "Corner shop visit"
# Assertions wait up to 15 s (Playwright's default is 5): on two shared cores
# a page that renders in 0.2 s alone can take seconds under the whole suite.
expect.set_options(timeout=15_000)
PHONE: ViewportSize = {"width": 390, "height": 844}
# Generous: the suite runs in parallel workers on two shared cores, where a
# server that starts in 2 s alone was seen to need more than 30.
SERVER_START_TIMEOUT = 120.0


@dataclass
class Server:
    url: str
    env: dict[str, str]
    log: Path
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def api(self, who: str) -> httpx.Client:
        """An API client signed in as one of AUDITORS or "hq" (checks what the server holds)."""
        if who not in self.clients:
            client = httpx.Client(base_url=self.url, timeout=10)
            email = HQ[0] if who == "hq" else AUDITORS[who][0]
            response = client.post("/api/session", json={"email": email, "password": PASSWORD})
            assert response.status_code == 200, response.text
            client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
            self.clients[who] = client
        return self.clients[who]


def _cli(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [str(AUDIT), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        pytest.fail(f"audit {' '.join(args)} failed: {result.stderr or result.stdout}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer within {SERVER_START_TIMEOUT:.0f} s")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not AUDIT.exists():
        pytest.fail(f"{AUDIT} is missing: install the project first (scripts/install)")
    tmp = tmp_path_factory.mktemp("server")
    env = {
        **os.environ,
        "AUDIT_DATABASE_URL": f"sqlite://{tmp}/db.sqlite3",
        "AUDIT_MEDIA_DIR": str(tmp / "media"),
        "AUDIT_VAR_DIR": str(tmp),
        "AUDIT_PASSWORD": PASSWORD,
    }
    for code, name, region in LOCATIONS:
        address = ADDRESSES.get(code)
        more = ["--address", address] if address else []
        _cli(env, "location", "add", code, "--name", name, "--region", region, *more)
    for email, name in AUDITORS.values():
        _cli(env, "user", "add", email, "--role", "auditor", "--name", name)
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
            cwd=ROOT,
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
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Module scope: sync Playwright keeps an event loop running in this thread while
# the browser is open, which must be over before any asyncio test runs.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@dataclass
class PageProblems:
    """JavaScript errors and CSP violations seen by a page: a test fails on any."""

    errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            self.errors.append(f"console: {text}")

    def on_page_error(self, error: object) -> None:
        self.errors.append(f"pageerror: {error}")


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=server.url, viewport=PHONE, service_workers="allow", locale="en-GB"
    )
    ctx.set_default_timeout(10_000)
    problems = PageProblems()
    ctx.on("console", problems.on_console)
    ctx.on("weberror", lambda error: problems.on_page_error(error.error))
    yield ctx
    ctx.close()
    assert not problems.errors, "\n".join(problems.errors)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def photo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2400 x 1800 camera-sized JPEG (noisy, so it does not compress to nothing)."""
    from PIL import Image, ImageDraw

    path = tmp_path_factory.mktemp("photos") / "shopfront.jpg"
    img = Image.effect_noise((2400, 1800), 40).convert("RGB")
    draw = ImageDraw.Draw(img)
    draw.rectangle((300, 300, 2100, 1500), outline=(11, 93, 87), width=60)
    img.save(path, "JPEG", quality=92)
    return path
