"""Corrective actions raced by real parallel requests on two server processes.

Two ``audit serve`` processes share one database (a SQLite file, or a fresh
PostgreSQL database when one is configured).  Each round the owner records
the same item's action through both at once, then marks it done through both
at once: one action is stored, every request is acknowledged with what was
stored, and ``done_at`` is set once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.helpers import ROOT
from tests.test_durability import PASSWORD, LiveServer, audit_command, instance_env
from tests.test_multiworker import _admin, postgres_base

ROUNDS = 6
PARALLEL = 4  # requests per race, half on each server
WEAK = {
    "answered": {"value": False},
    "rings": {"value": 4},
    "needed_restroom": {"value": False},
    "clean": {"value": 2},
    "recommend": {"value": 7},
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    var_dir = tmp_path_factory.mktemp(f"actions-{request.param}") / "var"
    database_url: str | None = None
    drop: str | None = None
    if request.param == "postgres":
        base = postgres_base()
        if base is None:
            pytest.skip("PostgreSQL not configured (set AUDIT_TEST_POSTGRES; CI always does)")
        name = f"audit_actions_{uuid.uuid4().hex[:10]}"
        asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
        database_url, drop = base.rsplit("/", 1)[0] + "/" + name, name
    env = instance_env(var_dir, database_url=database_url)
    audit_command(env, "checklist", "import", str(ROOT / "tests" / "fixtures" / "api"))
    audit_command(env, "location", "add", "S1", "--name", "Riverside Mall", "--region", "North")
    for email, role, *more in (
        ("auditor@x.test", "auditor"),
        ("hq@x.test", "hq"),
        ("owner@x.test", "owner", "--location", "S1"),
    ):
        audit_command(env, "user", "add", email, "--role", role, *more, password=PASSWORD)
    running = [LiveServer(env, var_dir.parent / f"server{i}.log") for i in range(2)]
    try:
        for server in running:
            server.start()
        yield [server.url for server in running]
    finally:
        for server in running:
            server.stop()
        if drop is not None:
            asyncio.run(
                _admin(postgres_base() or "", f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')
            )


async def signed_in(servers: list[str], email: str) -> list[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=servers[0], timeout=30) as client:
        r = await client.post("/api/session", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        cookies, csrf = client.cookies, r.json()["csrf_token"]
    return [
        httpx.AsyncClient(base_url=url, cookies=cookies, headers={"X-CSRF-Token": csrf}, timeout=30)
        for url in servers
    ]


@pytest.fixture
async def people(servers: list[str]) -> AsyncIterator[dict[str, list[httpx.AsyncClient]]]:
    found = {who: await signed_in(servers, f"{who}@x.test") for who in ("auditor", "hq", "owner")}
    try:
        yield found
    finally:
        for clients in found.values():
            for client in clients:
                await client.aclose()


async def approved_visit(people: dict[str, list[httpx.AsyncClient]], day: str) -> str:
    auditor, hq = people["auditor"][0], people["hq"][1]
    uid = str(uuid.uuid4())
    body = {
        "checklist": "shop",
        "location": "S1",
        "visited_at": f"{day}T10:00:00Z",
        "answers": WEAK,
    }
    assert (await auditor.put(f"/api/audits/{uid}", json=body)).status_code == 201
    assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200, r.text
    return uid


async def test_racing_first_saves_and_done_marks_leave_one_action_done_once(
    people: dict[str, list[httpx.AsyncClient]],
) -> None:
    today = datetime.now(UTC).date()
    due = (today + timedelta(days=20)).isoformat()
    owner = people["owner"]
    for n in range(ROUNDS):
        uid = await approved_visit(people, (today - timedelta(days=30 + n)).isoformat())
        url = f"/api/audits/{uid}/actions/rings"
        bodies: list[dict[str, Any]] = [
            {"what": "Answer by the third ring", "who": f"Person {k}", "due": due}
            for k in range(PARALLEL)
        ]
        saves = await asyncio.gather(
            *(owner[k % 2].put(url, json=body) for k, body in enumerate(bodies))
        )
        assert sorted(r.status_code for r in saves) == [200] * (PARALLEL - 1) + [201], [
            r.text for r in saves
        ]
        [stored] = [
            i["action"]
            for i in (await owner[0].get(f"/api/audits/{uid}/actions")).json()["items"]
            if i["item"] == "rings"
        ]
        assert stored["who"] in {r.json()["who"] for r in saves}
        ids = {r.json()["id"] for r in saves}
        assert ids == {stored["id"]}

        done = {"status": "done", "note": f"Round {n}"}
        marks = await asyncio.gather(*(owner[k % 2].put(url, json=done) for k in range(PARALLEL)))
        assert all(r.status_code == 200 for r in marks), [r.text for r in marks]
        [after] = [
            i["action"]
            for i in (await owner[1].get(f"/api/audits/{uid}/actions")).json()["items"]
            if i["item"] == "rings"
        ]
        assert after["status"] == "done"
        assert {r.json()["done_at"] for r in marks} == {after["done_at"]}
    listed = (await people["hq"][0].get("/api/actions?limit=1000")).json()
    assert listed["total"] == ROUNDS
