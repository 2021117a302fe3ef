"""Races between real parallel requests on two server processes: no acknowledged write is lost.

Two ``audit serve`` processes share one database (a SQLite file, or a fresh
PostgreSQL database when one is configured) and one media directory; each
round sends the two racing requests at once, one to each process, and then
checks the stored audit against every 2xx answer:

- requests answered 2xx at the same revision showed the same audit, and the
  stored audit is the one the highest revision showed (any 2xx means stored);
- an edit acknowledged as a draft before a submit is in the submitted audit;
- no submitted audit lacks the photo its checklist requires.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.helpers import ROOT
from tests.test_durability import PASSWORD, LiveServer, audit_command, instance_env, jpeg
from tests.test_multiworker import _admin, postgres_base

ROUNDS = 50
FIXTURES = ROOT / "tests" / "fixtures"
SHOP: dict[str, Any] = {
    "answered": {"value": True},
    "rings": {"value": 4},
    "needed_restroom": {"value": False},
    "clean": {"value": 3},
    "recommend": {"value": 7},
}
EVIDENCE: dict[str, Any] = {
    "paid_easily": {"value": True},
    "receipt": {"value": True},
    "friendly": {"value": 4},
}


def shop(clean: int, **more: Any) -> dict[str, Any]:
    return {
        "checklist": "shop",
        "location": "S1",
        "visited_at": "2026-11-20T14:30:00Z",
        "answers": dict(SHOP, clean={"value": clean}, **more),
    }


def evidence() -> dict[str, Any]:
    return {"checklist": "evidence", "location": "S1", "answers": EVIDENCE}


@dataclass
class Pair:
    """The auditor signed in once; one client per server process."""

    clients: list[httpx.AsyncClient]

    def on(self, i: int) -> httpx.AsyncClient:
        return self.clients[i % len(self.clients)]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    var_dir = tmp_path_factory.mktemp(f"edits-{request.param}") / "var"
    database_url: str | None = None
    drop: str | None = None
    if request.param == "postgres":
        base = postgres_base()
        if base is None:
            pytest.skip("PostgreSQL not configured (set AUDIT_TEST_POSTGRES; CI always does)")
        name = f"audit_edits_{uuid.uuid4().hex[:10]}"
        asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
        database_url, drop = base.rsplit("/", 1)[0] + "/" + name, name
    env = instance_env(var_dir, database_url=database_url)
    for folder in ("api", "evidence"):
        audit_command(env, "checklist", "import", str(FIXTURES / folder))
    audit_command(env, "location", "add", "S1", "--name", "Riverside Mall", "--region", "North")
    audit_command(env, "user", "add", "auditor@x.test", "--role", "auditor", password=PASSWORD)
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


@pytest.fixture
async def phone(servers: list[str]) -> Any:
    async with httpx.AsyncClient(base_url=servers[0], timeout=30) as client:
        r = await client.post(
            "/api/session", json={"email": "auditor@x.test", "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        cookies, csrf = client.cookies, r.json()["csrf_token"]
    clients = [
        httpx.AsyncClient(base_url=url, cookies=cookies, headers={"X-CSRF-Token": csrf}, timeout=30)
        for url in servers
    ]
    try:
        yield Pair(clients)
    finally:
        for client in clients:
            await client.aclose()


def acknowledged(responses: list[httpx.Response]) -> list[dict[str, Any]]:
    return [r.json() for r in responses if 200 <= r.status_code < 300 and r.content]


def same_audit(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("status", "revision", "answers")
    return all(a[k] == b[k] for k in keys)


def check_every_ack_is_stored(responses: list[httpx.Response], stored: dict[str, Any]) -> None:
    """Each 2xx showed the audit as it was stored at its revision; the last one is what is there."""
    acks = acknowledged(responses)
    by_revision: dict[int, dict[str, Any]] = {}
    for ack in acks:
        seen = by_revision.setdefault(ack["revision"], ack)
        assert same_audit(seen, ack), ("two answers at one revision differ", seen, ack)
    if acks:
        latest = by_revision[max(by_revision)]
        assert same_audit(latest, stored), ("the stored audit is not the last acknowledged", latest)
    for r in responses:
        assert r.status_code in (200, 201, 204, 409, 412, 422), r.text


async def test_an_edit_racing_a_submit_is_either_in_the_submitted_audit_or_refused(phone):
    outcomes: dict[str, int] = {}
    for n in range(ROUNDS):
        uid = str(uuid.uuid4())
        r = await phone.on(n).put(f"/api/audits/{uid}", json=shop(2))
        assert r.status_code == 201, r.text
        edit, submitted = await asyncio.gather(
            phone.on(n).put(f"/api/audits/{uid}", json=shop(5)),
            phone.on(n + 1).post(f"/api/audits/{uid}/submit"),
        )
        stored = (await phone.on(n).get(f"/api/audits/{uid}")).json()
        check_every_ack_is_stored([edit, submitted], stored)
        assert submitted.status_code == 200, submitted.text
        assert stored["status"] == "submitted"
        if edit.status_code == 200:
            # Acknowledged as a draft with the new answers: the submit came after it.
            assert edit.json()["status"] == "draft"
            assert stored["answers"]["clean"] == {"value": 5}
            assert submitted.json()["revision"] > edit.json()["revision"]
        else:
            assert edit.status_code == 409, edit.text
            assert stored["answers"]["clean"] == {"value": 2}
        outcomes[str(edit.status_code)] = outcomes.get(str(edit.status_code), 0) + 1
    assert sum(outcomes.values()) == ROUNDS


async def test_a_photo_delete_racing_a_submit_never_leaves_it_without_its_evidence(phone):
    for n in range(ROUNDS):
        uid, photo = str(uuid.uuid4()), str(uuid.uuid4())
        r = await phone.on(n).put(f"/api/audits/{uid}", json=evidence())
        assert r.status_code == 201, r.text
        r = await phone.on(n).put(
            f"/api/audits/{uid}/photos/{photo}?item=receipt",
            content=jpeg(n),
            headers={"Content-Type": "image/jpeg"},
        )
        assert r.status_code == 201, r.text
        deleted, submitted = await asyncio.gather(
            phone.on(n).delete(f"/api/audits/{uid}/photos/{photo}"),
            phone.on(n + 1).post(f"/api/audits/{uid}/submit"),
        )
        stored = (await phone.on(n + 1).get(f"/api/audits/{uid}")).json()
        photos = [p["uuid"] for p in stored["photos"]]
        if submitted.status_code == 200:
            assert deleted.status_code == 409, deleted.text
            assert stored["status"] == "submitted" and photos == [photo]
        else:
            assert submitted.status_code == 422, submitted.text
            assert submitted.json()["missing"] == ["receipt"]
            assert deleted.status_code == 204, deleted.text
            assert stored["status"] == "draft" and photos == []


async def test_two_devices_editing_with_if_match_one_wins_the_other_gets_the_winner(phone):
    for n in range(ROUNDS):
        uid = str(uuid.uuid4())
        r = await phone.on(n).put(f"/api/audits/{uid}", json=shop(1))
        tag = r.headers["etag"]
        first, second = await asyncio.gather(
            phone.on(n).put(f"/api/audits/{uid}", json=shop(2), headers={"If-Match": tag}),
            phone.on(n + 1).put(f"/api/audits/{uid}", json=shop(4), headers={"If-Match": tag}),
        )
        stored = (await phone.on(n).get(f"/api/audits/{uid}")).json()
        check_every_ack_is_stored([first, second], stored)
        statuses = sorted([first.status_code, second.status_code])
        assert statuses == [200, 412], (first.text, second.text)
        winner, loser = (first, second) if first.status_code == 200 else (second, first)
        assert stored["answers"] == winner.json()["answers"] and stored["revision"] == 2
        # The refused device is shown exactly what the winner stored.
        assert loser.json()["audit"]["answers"] == stored["answers"]
        assert loser.headers["etag"] == '"r2"'


async def test_two_devices_editing_without_if_match_both_land_in_revision_order(phone):
    for n in range(ROUNDS):
        uid = str(uuid.uuid4())
        await phone.on(n).put(f"/api/audits/{uid}", json=shop(1))
        first, second = await asyncio.gather(
            phone.on(n).put(f"/api/audits/{uid}", json=shop(2)),
            phone.on(n + 1).put(f"/api/audits/{uid}", json=shop(4)),
        )
        stored = (await phone.on(n).get(f"/api/audits/{uid}")).json()
        assert first.status_code == second.status_code == 200, (first.text, second.text)
        # Last writer wins, but each write had a revision of its own: none
        # was acknowledged and then silently overwritten at the same moment.
        assert {first.json()["revision"], second.json()["revision"]} == {2, 3}
        check_every_ack_is_stored([first, second], stored)
        assert stored["revision"] == 3
