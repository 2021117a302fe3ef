"""Several workers against one PostgreSQL database: no state that lives in one process.

Two ``audit serve`` processes on two ports share a fresh database and
``AUDIT_SECRET_KEY``: a session made on one works on the other, and the
suite's concurrency cases hold when the racing requests land on different
processes.  One more case runs ``uvicorn --workers 2`` behind one address.
Runs when PostgreSQL is configured (always in CI), like the rest of the
PostgreSQL half of the suite.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.test_durability import (
    PASSWORD,
    LiveServer,
    instance_env,
    jpeg,
    payload,
    set_up_instance,
)

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"
CONCURRENT = 20


def postgres_base() -> str | None:
    url = os.environ.get("AUDIT_TEST_POSTGRES")
    if url:
        return url
    return DEFAULT_PG if os.environ.get("CI") else None


async def _admin(base: str, sql: str) -> None:
    import asyncpg

    admin = base.rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(admin.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    base = postgres_base()
    if base is None:
        pytest.skip("PostgreSQL not configured (set AUDIT_TEST_POSTGRES; CI always does)")
    name = f"audit_mw_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Cluster:
    env: dict[str, str]
    servers: list[LiveServer]

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]


@pytest.fixture(scope="module")
def cluster(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    var_dir = tmp_path_factory.mktemp("multiworker") / "var"
    # One shared media directory (in production: a shared volume), one secret key.
    env = instance_env(var_dir, database_url=pg_url)
    set_up_instance(env, auditors=("auditor@x.test",))
    servers = [LiveServer(env, var_dir.parent / f"worker{i}.log") for i in range(2)]
    try:
        for server in servers:
            server.start()
        yield Cluster(env, servers)
    finally:
        for server in servers:
            server.stop()


class Phone:
    """One signed-in client whose requests alternate between the workers."""

    def __init__(self, urls: list[str], cookies: httpx.Cookies, csrf: str) -> None:
        self.urls = urls
        self.clients = [
            httpx.AsyncClient(
                base_url=url, cookies=cookies, headers={"X-CSRF-Token": csrf}, timeout=30
            )
            for url in urls
        ]

    def on(self, i: int) -> httpx.AsyncClient:
        return self.clients[i % len(self.clients)]

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


async def signed_in(cluster: Cluster, email: str, worker: int = 0) -> Phone:
    async with httpx.AsyncClient(base_url=cluster.urls[worker], timeout=30) as client:
        r = await client.post("/api/session", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return Phone(cluster.urls, client.cookies, r.json()["csrf_token"])


async def test_a_session_made_on_one_worker_works_on_the_other_and_ends_on_both(cluster):
    phone = await signed_in(cluster, "auditor@x.test", worker=0)
    try:
        r = await phone.on(1).get("/api/session")
        assert r.status_code == 200, r.text
        assert r.json()["email"] == "auditor@x.test"
        uid = str(uuid.uuid4())
        # A draft written through one worker is read back through the other.
        assert (await phone.on(1).put(f"/api/audits/{uid}", json=payload(1))).status_code == 201
        assert (await phone.on(0).get(f"/api/audits/{uid}")).json()["status"] == "draft"
        assert (await phone.on(1).delete("/api/session")).status_code == 204
        assert (await phone.on(0).get("/api/session")).status_code == 401
    finally:
        await phone.close()


async def test_concurrent_identical_submits_across_workers_make_exactly_one_audit(cluster):
    phone = await signed_in(cluster, "auditor@x.test")
    try:
        uid = str(uuid.uuid4())
        body = payload(2)
        responses = await asyncio.gather(
            *(phone.on(i).post(f"/api/audits/{uid}/submit", json=body) for i in range(CONCURRENT))
        )
        assert [r.status_code for r in responses] == [200] * CONCURRENT, [r.text for r in responses]
        assert len({r.json()["submitted_at"] for r in responses}) == 1
        rows = (await phone.on(0).get("/api/audits", params={"limit": 10000})).json()
        assert [row["uuid"] for row in rows].count(uid) == 1
    finally:
        await phone.close()


async def test_concurrent_different_submits_across_workers_take_one_and_refuse_the_rest(cluster):
    phone = await signed_in(cluster, "auditor@x.test")
    try:
        uid = str(uuid.uuid4())
        bodies = [payload(2 * n + 1) for n in range(6)]  # one location, six answer sets
        responses = await asyncio.gather(
            *(phone.on(i).post(f"/api/audits/{uid}/submit", json=b) for i, b in enumerate(bodies))
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(200) == 1 and set(statuses) <= {200, 409}, [r.text for r in responses]
        winner = next(r.json() for r in responses if r.status_code == 200)
        stored = (await phone.on(1).get(f"/api/audits/{uid}")).json()
        assert stored["answers"] == winner["answers"]
    finally:
        await phone.close()


async def test_concurrent_identical_photo_uploads_across_workers_store_one_photo(cluster):
    phone = await signed_in(cluster, "auditor@x.test")
    try:
        uid, photo = str(uuid.uuid4()), str(uuid.uuid4())
        assert (await phone.on(0).put(f"/api/audits/{uid}", json=payload(3))).status_code == 201
        url = f"/api/audits/{uid}/photos/{photo}?item=clean"

        async def upload(i: int) -> httpx.Response:
            # As the phone does: a 429/503 (the auditor's decode slot is
            # busy with the twin upload) is tried again after Retry-After.
            for _ in range(20):
                r = await phone.on(i).put(
                    url, content=jpeg(3), headers={"Content-Type": "image/jpeg"}
                )
                if r.status_code not in (429, 503):
                    return r
                await asyncio.sleep(min(2.0, float(r.headers.get("retry-after", "1"))))
            return r

        responses = await asyncio.gather(*(upload(i) for i in range(10)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 9 + [201], [r.text for r in responses]
        view = (await phone.on(1).get(f"/api/audits/{uid}")).json()
        assert [p["uuid"] for p in view["photos"]] == [photo]
        media = Path(cluster.env["AUDIT_MEDIA_DIR"])
        assert not await asyncio.to_thread(lambda: list(media.rglob(".upload-*")))
    finally:
        await phone.close()


async def test_concurrent_reviews_across_workers_record_one_decision(cluster):
    auditor = await signed_in(cluster, "auditor@x.test")
    hq = await signed_in(cluster, "hq@x.test")
    try:
        uid = str(uuid.uuid4())
        r = await auditor.on(0).post(f"/api/audits/{uid}/submit", json=payload(4))
        assert r.status_code == 200, r.text
        decision = {"decision": "approve", "note": ""}
        responses = await asyncio.gather(
            *(hq.on(i).post(f"/api/audits/{uid}/review", json=decision) for i in range(8))
        )
        statuses = [r.status_code for r in responses]
        # The same decision again is harmless; a lost race says so (409); never 5xx.
        assert set(statuses) <= {200, 409} and 200 in statuses, [r.text for r in responses]
        view = (await hq.on(1).get(f"/api/audits/{uid}")).json()
        assert view["status"] == "approved"
        assert [e["action"] for e in view["review_history"]] == ["approve"]
    finally:
        await auditor.close()
        await hq.close()


async def test_wrong_passwords_are_counted_across_workers(cluster):
    """The sign-in throttle lives in the database: spreading guesses over workers does not help."""
    email = "owner@x.test"
    async with (
        httpx.AsyncClient(base_url=cluster.urls[0], timeout=30) as a,
        httpx.AsyncClient(base_url=cluster.urls[1], timeout=30) as b,
    ):
        wrong = {"email": email, "password": "wrong password"}
        responses = await asyncio.gather(
            *((a if i % 2 else b).post("/api/session", json=wrong) for i in range(10))
        )
        assert {r.status_code for r in responses} <= {401, 429}
        right = {"email": email, "password": PASSWORD}
        for client in (a, b):
            r = await client.post("/api/session", json=right)
            assert r.status_code == 429, r.text


@pytest.mark.parametrize("runner", ["audit serve --workers 2", "uvicorn --workers 2"])
def test_two_worker_processes_behind_one_address_submit_once(cluster, tmp_path, runner):
    if runner.startswith("audit"):
        command = [str(Path(sys.executable).with_name("audit")), "serve", "--workers", "2"]
        command += ["--port", "{port}"]
    else:
        command = [sys.executable, "-m", "uvicorn", "--factory", "audit.app:create_app"]
        command += ["--port", "{port}", "--workers", "2", "--log-level", "warning"]
    server = LiveServer(cluster.env, tmp_path / "server.log", command=command)

    async def race() -> None:
        phone = await signed_in(Cluster(cluster.env, [server]), "auditor@x.test")
        try:
            uid = str(uuid.uuid4())
            body = payload(5)
            responses = await asyncio.gather(
                *(
                    phone.on(0).post(f"/api/audits/{uid}/submit", json=body)
                    for _ in range(CONCURRENT)
                )
            )
            assert [r.status_code for r in responses] == [200] * CONCURRENT
            rows = (await phone.on(0).get("/api/audits", params={"limit": 10000})).json()
            assert [row["uuid"] for row in rows].count(uid) == 1
        finally:
            await phone.close()

    server.start()
    try:
        asyncio.run(race())
    finally:
        server.stop()
