"""A webhook survives ``kill -9`` of the server in the middle of its retries.

SQLite and PostgreSQL, live: ``audit serve`` runs as a process of its own; a real HTTP receiver
(``tests/receiver.py``) answers the first attempt with 500 and holds the
second open, and the server is killed (SIGKILL, no shutdown) while it waits
for that answer. Started again on the same database, the server finds the
delivery still claimed by the dead process, waits for the claim's lease to
run out, and sends it a third time: the receiver gets the one event three
times under one event id, byte for byte the same and each time signed, and
the delivery log says delivered after 3 attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from audit.db import database
from audit.models import User
from audit.settings import Settings
from audit.store import webhooks as webhook_store
from tests.helpers import PASSWORD, seed
from tests.receiver import receiver
from tests.test_durability import SECRET, LiveServer, instance_env, payload

WEBHOOK_SECRET = "whsec_live-test-secret"
TIMEOUT = 1.0  # AUDIT_WEBHOOK_TIMEOUT: the lease is this plus LEASE_MARGIN (5 s)
DEADLINE = 45.0  # seconds for the whole round trip on a busy two-core machine


async def set_up(url: str, media: Path, hook_url: str) -> int:
    EXECUTOR_CACHE.clear()  # SQLite's insert SQL must not be reused on PostgreSQL
    async with database(Settings(database_url=url, media_dir=media, secret_key=SECRET)):
        await seed()
        hq = await User.get(email="hq@x.test")
        found = await webhook_store.create_endpoint(
            hook_url, "ticketing", ["audit.approved"], WEBHOOK_SECRET, hq.id
        )
        return found.id


def signed_in(url: str, who: str) -> httpx.Client:
    r = httpx.post(f"{url}/api/session", json={"email": who, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return httpx.Client(
        base_url=url,
        cookies=r.cookies,
        headers={"X-CSRF-Token": r.json()["csrf_token"]},
        timeout=30,
    )


@pytest.mark.usefixtures("backend")
def test_a_server_killed_mid_retry_delivers_the_event_after_restart_under_the_same_id(
    fresh_url: str, tmp_path: Path
) -> None:
    with receiver() as hook, contextlib.ExitStack() as stack:
        endpoint_id = asyncio.run(set_up(fresh_url, tmp_path / "var" / "media", hook.url))
        env = instance_env(
            tmp_path / "var",
            database_url=fresh_url,
            AUDIT_WEBHOOK_TIMEOUT=str(TIMEOUT),
            AUDIT_WEBHOOK_FIRST_RETRY="0.2",
        )
        server = LiveServer(env, tmp_path / "server.log")
        server.start()
        stack.callback(server.stop)
        hook.answer(500, "hang")

        uid, body = str(uuid.uuid4()), payload(1)
        with signed_in(server.url, "auditor@x.test") as auditor:
            assert auditor.post(f"/api/audits/{uid}/submit", json=body).status_code == 200
        with signed_in(server.url, "hq@x.test") as hq:
            r = hq.post(f"/api/audits/{uid}/review", json={"decision": "approve"})
            assert r.status_code == 200, r.text

        # The first attempt got 500; the retry is waiting for its answer: kill the server.
        hook.wait_for(2, DEADLINE)
        server.kill()
        hook.release()
        server.start()

        got = hook.wait_for(3, DEADLINE)
        with signed_in(server.url, "hq@x.test") as hq:
            deadline = time.monotonic() + DEADLINE
            while time.monotonic() < deadline:
                log = hq.get(f"/hq/webhooks/{endpoint_id}")
                if ">delivered<" in log.text:
                    break
                time.sleep(0.1)

    assert ">delivered<" in log.text and "3 / 12" in log.text, server.log()
    assert len(got) == 3, [r.headers.get("x-audit-attempt") for r in got]
    assert len({r.headers["x-audit-event-id"] for r in got}) == 1
    assert len({r.body for r in got}) == 1
    assert [r.headers["x-audit-attempt"] for r in got] == ["1", "2", "3"]
    assert all(r.signature_ok(WEBHOOK_SECRET) for r in got)
    event = json.loads(got[0].body)
    assert event["type"] == "audit.approved" and event["data"]["audit"]["uuid"] == uid
    assert event["id"] == got[0].headers["x-audit-event-id"]
