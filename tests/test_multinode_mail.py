"""Two nodes, one PostgreSQL database, one media directory, one mail server; one node dies.

Live: two ``audit serve`` processes on two ports share the database, the
media directory and the secret key; each has its own ``AUDIT_VAR_DIR`` (its
report cache), as on two machines. HQ approves audits through both, so both
send report e-mails from the one queue to an aiosmtpd server run here. The
mail server holds the first message at its RCPT step; the node sending it is
killed with SIGKILL while it waits, so that message never completes. The
other node must take the delivery over once its lease runs out, and every
owner must receive each report exactly once (audit.store.deliveries).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import email
import email.policy
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from tortoise.backends.base.executor import EXECUTOR_CACHE

from audit.db import database
from audit.settings import Settings
from audit.store.accounts import add_user
from tests.helpers import PASSWORD, seed
from tests.test_durability import SECRET, LiveServer, free_port, instance_env, payload
from tests.test_multiworker import pg_url  # noqa: F401 (the fixture)

AUDITS = 4  # two at S1 (two owners), two at S2 (one owner): six e-mails
OWNERS = {"S1": ("owner@x.test", "owner3@x.test"), "S2": ("owner2@x.test",)}
TAKEOVER_DEADLINE = 60.0  # seconds: a 15 s lease, polls, renders on a busy machine


class HoldingInbox:
    """Records whole messages; holds the first one at RCPT until told to let go."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.held_peer: tuple[str, int] | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        first = False
        with self.lock:
            if self.held_peer is None:
                self.held_peer = session.peer
                first = True
        if first:
            self.holding.set()
            await asyncio.to_thread(self.release.wait)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


def socket_owner(port: int, pids: list[int]) -> int:
    """Which of ``pids`` has the TCP socket whose local port is ``port`` (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) in inodes:
                    return pid
    raise AssertionError(f"no node holds the connection from port {port}")


@pytest.fixture
def smtp() -> Iterator[tuple[HoldingInbox, int]]:
    inbox, port = HoldingInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        inbox.release.set()
        controller.stop()


async def set_up(pg: str, media: Path) -> None:
    """Checklists, locations and users, in process (quicker than a command for each)."""
    settings = Settings(database_url=pg, media_dir=media, secret_key=SECRET)
    # Tortoise caches insert SQL per connection name and table, not per
    # dialect: SQLite's, from earlier tests in this process, would be reused.
    EXECUTOR_CACHE.clear()
    async with database(settings):
        await seed()
        await add_user("owner3@x.test", "owner", PASSWORD, "Oona Owner", ["S1"])


def nodes(pg: str, tmp: Path, smtp_port: int) -> list[LiveServer]:
    media = tmp / "shared-media"
    asyncio.run(set_up(pg, media))
    envs = [
        instance_env(
            tmp / f"node{i}",  # each its own var directory, and so its own report cache
            database_url=pg,
            AUDIT_MEDIA_DIR=str(media),
            AUDIT_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
            AUDIT_SMTP_FROM="reports@x.test",
        )
        for i in range(2)
    ]
    return [LiveServer(env, tmp / f"node{i}.log") for i, env in enumerate(envs)]


def signed_in(url: str, who: str) -> httpx.Client:
    r = httpx.post(f"{url}/api/session", json={"email": who, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return httpx.Client(
        base_url=url,
        cookies=r.cookies,
        headers={"X-CSRF-Token": r.json()["csrf_token"]},
        timeout=60,
    )


async def delivery_rows(pg: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(pg.replace("postgres://", "postgresql://", 1))
    try:
        rows = await conn.fetch("SELECT id, recipient, status, attempts FROM delivery ORDER BY id")
    finally:
        await conn.close()
    return [dict(r) for r in rows]


def test_a_node_killed_mid_send_leaves_its_email_to_the_other_and_each_owner_gets_it_once(
    pg_url: str,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    smtp: tuple[HoldingInbox, int],
) -> None:
    inbox, smtp_port = smtp
    servers = nodes(pg_url, tmp_path, smtp_port)
    with contextlib.ExitStack() as clients:
        for server in servers:
            server.start()
            clients.callback(server.stop)
        urls = [s.url for s in servers]
        auditors = [clients.enter_context(signed_in(url, "auditor@x.test")) for url in urls]
        hqs = [clients.enter_context(signed_in(url, "hq@x.test")) for url in urls]
        for n in range(AUDITS):
            uid, body = str(uuid.uuid4()), payload(n)
            assert auditors[n % 2].put(f"/api/audits/{uid}", json=body).status_code == 201
            assert auditors[n % 2].post(f"/api/audits/{uid}/submit", json=body).status_code == 200
            decision = {"decision": "approve", "note": ""}
            r = hqs[(n + 1) % 2].post(f"/api/audits/{uid}/review", json=decision)
            assert r.status_code == 200, r.text

        # One node is in the middle of handing a report to the mail server: kill it.
        assert inbox.holding.wait(TAKEOVER_DEADLINE), "no report e-mail was sent"
        assert inbox.held_peer is not None
        pids = [s.process.pid for s in servers if s.process is not None]
        sender = socket_owner(inbox.held_peer[1], pids)
        victim = next(s for s in servers if s.process is not None and s.process.pid == sender)
        victim.kill()
        inbox.release.set()

        expected = sum(len(OWNERS["S1" if n % 2 else "S2"]) for n in range(AUDITS))
        deadline = time.monotonic() + TAKEOVER_DEADLINE
        rows = asyncio.run(delivery_rows(pg_url))
        while time.monotonic() < deadline and not (
            len(rows) == expected and all(r["status"] == "sent" for r in rows)
        ):
            time.sleep(0.25)
            rows = asyncio.run(delivery_rows(pg_url))

    assert [r["status"] for r in rows] == ["sent"] * expected, rows
    # The held delivery was attempted twice: by the killed node, then by the other.
    assert max(r["attempts"] for r in rows) == 2, rows
    received = collections.Counter(
        (str(m["To"]), int(re.match(r"<report\.(\d+)\.", str(m["Message-ID"])).group(1)))
        for m in inbox.messages
    )
    assert received == {(r["recipient"], r["id"]): 1 for r in rows}
    by_owner = collections.Counter(str(m["To"]) for m in inbox.messages)
    assert by_owner == {owner: 2 for owners in OWNERS.values() for owner in owners}
