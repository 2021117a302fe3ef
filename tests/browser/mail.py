"""A server of its own whose mail goes to an aiosmtpd inbox in this process.

For the modules that follow an e-mailed link (invitations, password resets):
``mail_server()`` starts it with one HQ user, one auditor and the test
checklists; ``phone()`` opens a 390 x 844 browser context on it that fails
the test on any JavaScript error.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, BrowserContext

from tests.browser.conftest import (
    AUDIT,
    FIXTURES,
    PASSWORD,
    PHONE,
    ROOT,
    PageProblems,
    _cli,
    _free_port,
    _wait_until_up,
)

HQ_EMAIL = "boss@example.com"
SHOPPER = "sam@example.com"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 OK"

    def link_to(self, address: str, timeout: float = 20.0) -> str:
        """The link in the newest e-mail to ``address``, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for message in reversed(self.messages):
                    if message["To"] == address:
                        self.messages.remove(message)
                        found = re.search(r"(http\S+#/password/\S+)", message.get_content())
                        assert found, message.get_content()
                        return found.group(1)
                left = deadline - time.monotonic()
                assert left > 0, f"no e-mail to {address}"
                self.arrived.wait(left)


class MailServer:
    def __init__(self, url: str, inbox: Inbox) -> None:
        self.url = url
        self.inbox = inbox

    @contextlib.contextmanager
    def hq(self) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            r = client.post("/api/session", json={"email": HQ_EMAIL, "password": PASSWORD})
            assert r.status_code == 200, r.text
            client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
            yield client


@contextlib.contextmanager
def mail_server(tmp: Path, *checklists: Path) -> Iterator[MailServer]:
    """The server, its inbox and its users; the ``checklists`` folders are imported too."""
    if not AUDIT.exists():
        pytest.fail(f"{AUDIT} is missing: install the project first (scripts/install)")
    inbox = Inbox()
    smtp_port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "AUDIT_DATABASE_URL": f"sqlite://{tmp}/db.sqlite3",
        "AUDIT_MEDIA_DIR": str(tmp / "media"),
        "AUDIT_VAR_DIR": str(tmp),
        "AUDIT_PASSWORD": PASSWORD,
        "AUDIT_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "AUDIT_SMTP_FROM": "audit@example.com",
        "AUDIT_PUBLIC_URL": url,
    }
    _cli(env, "location", "add", "L1", "--name", "High Street", "--region", "North")
    _cli(env, "user", "add", HQ_EMAIL, "--role", "hq", "--name", "Head Office")
    _cli(env, "user", "add", SHOPPER, "--role", "auditor", "--name", "Sam Shopper")
    _cli(env, "checklist", "import", str(FIXTURES / "checklists"))
    for path in checklists:
        _cli(env, "checklist", "import", str(path))
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(AUDIT), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(url, process, log)
        yield MailServer(url, inbox)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        controller.stop()


@contextlib.contextmanager
def phone(browser: Browser, url: str, locale: str = "en-GB") -> Iterator[BrowserContext]:
    """A phone-sized context whose browser speaks ``locale``."""
    ctx = browser.new_context(base_url=url, viewport=PHONE, service_workers="allow", locale=locale)
    ctx.set_default_timeout(10_000)
    problems = PageProblems()
    ctx.on("console", problems.on_console)
    ctx.on("weberror", lambda error: problems.on_page_error(error.error))
    yield ctx
    ctx.close()
    assert not problems.errors, "\n".join(problems.errors)
