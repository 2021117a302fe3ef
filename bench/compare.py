"""How fast are HQ's comparisons at chain scale?  python bench/compare.py [options]

For each backend (a temporary SQLite file, and a fresh PostgreSQL database
``audit_bench_<random>`` dropped afterwards) it runs ``audit demo --locations
2000 --audits 100000`` and then prints, as medians of interleaved runs:

- ``GET /api/compare`` (in-process through httpx's ASGITransport, signed in
  as HQ) for the largest checklist over all 18 months and over the last 90
  days, beside the bare SQL aggregate computing the same figures on the same
  data (the two GROUP BY statements, sent straight through sqlite3/asyncpg);
- ``GET /api/heatmap`` (regions x touchpoints) against the same bare SQL;
- each of those twice: whole months from the monthly rollups (as served),
  and every figure from the audits' rows (``USE_ROLLUPS = False``, as before
  the rollups), interleaved so that both see the same load;
- ``GET /api/audits.csv?status=all`` of every audit, driven through the ASGI
  app directly so nothing buffers the body, with the peak growth of the
  process's RSS while it streams.

Each figure is measured with the schema as migrated, then again after
creating the indexes proposed for the comparison queries (``--no-proposed``
skips that).  Targets (issue 6): compare and heat map under 150 ms and at most
1.5x the bare SQL; the CSV export of 100,000 audits under 5 s, memory flat.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import httpx  # noqa: E402
from tortoise import Tortoise, connections  # noqa: E402
from tortoise.backends.base.executor import EXECUTOR_CACHE  # noqa: E402

from audit.app import create_app  # noqa: E402
from audit.db import tortoise_config  # noqa: E402
from audit.settings import Settings  # noqa: E402
from audit.store import aggregates  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
# The indexes proposed for audit/models.py: the two audit indexes extended so
# they cover the per-audit scores (they replace the migrated ones, whose names
# Tortoise derives from table and fields), and one covering section scores.
PROPOSED = [
    "DROP INDEX IF EXISTS idx_audit_status_e30ee6",
    "DROP INDEX IF EXISTS idx_audit_locatio_0d4235",
    "CREATE INDEX bench_audit_compare ON audit (status, checklist_slug, visit_date, "
    "location_id, checklist_id, overall, service, experience, nps)",
    "CREATE INDEX bench_audit_location ON audit (location_id, status, visit_date, "
    "checklist_slug, checklist_id, overall, service, experience, nps)",
    "CREATE INDEX bench_section_cover ON section_score (audit_id, touchpoint, weight, score)",
]
# Proposed for audit/db.py's SQLite pragmas: a 64 MiB page cache (the default
# 2 MiB re-reads the covering indexes from the OS on every comparison).
SQLITE_CACHE = "PRAGMA cache_size = -65536"

AUDIT_SUMS = (
    "SELECT a.location_id, COUNT(*), SUM(a.overall), COUNT(a.overall), SUM(a.service), "
    "COUNT(a.service), SUM(a.experience), COUNT(a.experience), "
    "COUNT(CASE WHEN a.nps >= 9 THEN 1 END), COUNT(CASE WHEN a.nps <= 6 THEN 1 END), "
    "COUNT(a.nps) FROM audit a WHERE a.status = 'approved' AND a.checklist_slug = {slug}{since} "
    "GROUP BY a.location_id"
)
TOUCHPOINT_SUMS = (
    "SELECT a.location_id, s.touchpoint, SUM(s.score), COUNT(s.score) FROM audit a "
    "JOIN section_score s ON s.audit_id = a.id WHERE a.status = 'approved' "
    "AND a.checklist_slug = {slug}{since} GROUP BY a.location_id, s.touchpoint"
)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class PeakRss:
    """Samples the process's RSS every few milliseconds while a block runs."""

    def __enter__(self) -> PeakRss:
        self.base = rss_kib()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_kib())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_kib())


# ---- Databases


def run_demo(env: dict[str, str], locations: int, audits: int) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "audit",
            "demo",
            "--locations",
            str(locations),
            "--audits",
            str(audits),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"audit demo failed: {result.stderr or result.stdout}")
    return time.perf_counter() - start


async def pg_admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# ---- Measuring


class Bare:
    """The bare SQL aggregate, straight through the database driver."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite: sqlite3.Connection | None = None
        self.pg: Any = None

    async def open(self) -> None:
        if self.url.startswith("sqlite://"):
            self.sqlite = sqlite3.connect(
                self.url.removeprefix("sqlite://"), check_same_thread=False
            )
        else:
            self.pg = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))

    async def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        if self.pg is not None:
            await self.pg.close()

    async def execute(self, sql: str) -> None:
        if self.sqlite is not None:
            self.sqlite.execute(sql)
        else:
            await self.pg.execute(sql)

    async def compare(self, slug: str, since: date | None) -> int:
        rows = 0
        for template in (AUDIT_SUMS, TOUCHPOINT_SUMS):
            if self.sqlite is not None:
                cond = " AND a.visit_date >= ?" if since else ""
                params: list[Any] = [slug, since.isoformat()] if since else [slug]
                sql = template.format(slug="?", since=cond)
                rows += len(self.sqlite.execute(sql, params).fetchall())
            else:
                cond = " AND a.visit_date >= $2" if since else ""
                params = [slug, since] if since else [slug]
                sql = template.format(slug="$1", since=cond)
                rows += len(await self.pg.fetch(sql, *params))
        return rows


async def sign_in(client: httpx.AsyncClient) -> str:
    r = await client.post(
        "/api/session", json={"email": "hq@demo.test", "password": "demo-password"}
    )
    r.raise_for_status()
    return client.cookies["audit_session"]


async def stream_csv(app: Any, path: str, cookie: str) -> tuple[int, int]:
    """GET ``path`` through the ASGI app, counting and dropping the body as it streams."""
    seen = {"bytes": 0, "lines": 0, "status": 0}
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"cookie", f"audit_session={cookie}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
        "state": {},
    }

    requested = False
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays until the whole body has arrived
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            seen["bytes"] += len(body)
            seen["lines"] += body.count(b"\n")
            if not message.get("more_body", False):
                done.set()

    await app(scope, receive, send)
    if seen["status"] != 200:
        raise SystemExit(f"{path} answered {seen['status']}")
    return seen["bytes"], seen["lines"]


def raw_rows(fn: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
    """The same request with every figure from the audits' rows (no rollups)."""

    async def run() -> object:
        aggregates.USE_ROLLUPS = False
        try:
            return await fn()
        finally:
            aggregates.USE_ROLLUPS = True

    return run


async def timed(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def measure(
    app: Any, bare: Bare, slug: str, runs: int, label: str, results: dict[str, Any]
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        cookie = await sign_in(client)
        since = date.today() - timedelta(days=89)
        cases: dict[str, Callable[[], Awaitable[object]]] = {
            "compare, 18 months": lambda: client.get("/api/compare", params={"checklist": slug}),
            "compare, 18 months, no gzip": lambda: client.get(
                "/api/compare", params={"checklist": slug}, headers={"Accept-Encoding": "identity"}
            ),
            "bare SQL, 18 months": lambda: bare.compare(slug, None),
            "compare, 90 days": lambda: client.get(
                "/api/compare", params={"checklist": slug, "from": since.isoformat()}
            ),
            "bare SQL, 90 days": lambda: bare.compare(slug, since),
            "heat map by region, 18 months": lambda: client.get(
                "/api/heatmap", params={"checklist": slug, "group": "region"}
            ),
            "heat map by region, 90 days": lambda: client.get(
                "/api/heatmap",
                params={"checklist": slug, "group": "region", "from": since.isoformat()},
            ),
            "trends, 18 months": lambda: client.get("/api/trends", params={"checklist": slug}),
        }
        for name in list(cases):
            if not name.startswith("bare"):
                cases[f"{name}, raw rows"] = raw_rows(cases[name])
        check = await client.get("/api/compare", params={"checklist": slug})
        check.raise_for_status()
        locations = len(check.json())
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for fn in cases.values():  # warm caches once
            await fn()
        for _ in range(runs):  # interleaved, so load changes hit every case alike
            for name, fn in cases.items():
                samples[name].append(await timed(fn))
        med = {name: statistics.median(values) for name, values in samples.items()}
        with PeakRss() as rss:
            start = time.perf_counter()
            size, lines = await stream_csv(app, "/api/audits.csv?status=all", cookie)
            export = time.perf_counter() - start
    results[label] = {
        "median": med,
        "locations": locations,
        "export": (export, size, lines - 1, rss.base, rss.peak),
    }


def report(backend: str, label: str, result: dict[str, Any], runs: int) -> None:
    med = result["median"]
    print(f"\n  {backend}, {label} ({result['locations']:,} locations compared, median of {runs})")
    print("                                rollups        raw rows    bare SQL (raw rows)")
    for name, bare in (
        ("compare, 18 months", "bare SQL, 18 months"),
        ("compare, 90 days", "bare SQL, 90 days"),
        ("compare, 18 months, no gzip", None),
        ("heat map by region, 18 months", "bare SQL, 18 months"),
        ("heat map by region, 90 days", "bare SQL, 90 days"),
        ("trends, 18 months", None),
    ):
        line = f"    {name:<28}{ms(med[name])}  {ms(med[f'{name}, raw rows'])}"
        print(line + (f"  {ms(med[bare])}" if bare else ""))
    export, size, rows, base, peak = result["export"]
    print(
        f"    audits.csv, all      {export:8.2f} s    {rows:,} audits, {size / 1e6:.1f} MB, "
        f"RSS {base / 1024:.0f} MB -> peak {peak / 1024:.0f} MB (+{(peak - base) / 1024:.1f} MB)"
    )


async def bench_backend(
    backend: str, url: str, env: dict[str, str], args: argparse.Namespace
) -> None:
    print(
        f"\n{backend}: audit demo --locations {args.locations} --audits {args.audits} ...",
        flush=True,
    )
    took = run_demo(env, args.locations, args.audits)
    print(f"  demo data generated in {took:.1f} s", flush=True)
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(url))
    bare = Bare(url)
    await bare.open()
    try:
        if backend == "postgres":
            # Index-only scans need the visibility map a bulk load leaves empty.
            await bare.execute("VACUUM ANALYZE")
        settings = Settings(
            database_url=url,
            media_dir=Path(env["AUDIT_MEDIA_DIR"]),
            var_dir=Path(env["AUDIT_VAR_DIR"]),
            secret_key="bench-secret",
        )
        app = create_app(settings, manage_database=False)
        conn = connections.get("default")
        rows = await conn.execute_query_dict(
            "SELECT checklist_slug, COUNT(*) AS n FROM audit WHERE status = 'approved' "
            "GROUP BY checklist_slug ORDER BY n DESC, checklist_slug"
        )
        slug, approved = rows[0]["checklist_slug"], rows[0]["n"]
        print(f"  comparing checklist {slug!r}: {approved:,} approved audits", flush=True)
        results: dict[str, Any] = {}
        await measure(app, bare, slug, args.runs, "schema as migrated", results)
        report(backend, "schema as migrated", results["schema as migrated"], args.runs)
        if args.proposed:
            label = "with the proposed indexes"
            for sql in PROPOSED:
                await bare.execute(sql)
            if backend == "postgres":
                await bare.execute("VACUUM ANALYZE")
            else:  # the app never runs ANALYZE on SQLite, so neither does the bench
                label += " and page cache"
                await bare.execute(SQLITE_CACHE)
                await conn.execute_script(SQLITE_CACHE)
            await measure(app, bare, slug, args.runs, label, results)
            report(backend, label, results[label], args.runs)
    finally:
        await bare.close()
        await connections.close_all()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--locations", type=int, default=2000)
    parser.add_argument("--audits", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9, help="timed runs per case (default 9)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--postgres", default=os.environ.get("AUDIT_BENCH_POSTGRES", DEFAULT_PG))
    parser.add_argument("--no-proposed", dest="proposed", action="store_false")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    base_env = {
        **os.environ,
        "AUDIT_VAR_DIR": str(tmp),
        "AUDIT_MEDIA_DIR": str(tmp / "media"),
        "AUDIT_SECRET_KEY": "bench-secret",
        "AUDIT_CHECKLISTS_DIR": str(ROOT / "checklists"),
    }
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite://{tmp}/bench.sqlite3"
                await bench_backend(backend, url, {**base_env, "AUDIT_DATABASE_URL": url}, args)
            elif backend == "postgres":
                name = f"audit_bench_{uuid.uuid4().hex[:10]}"
                admin = args.postgres.rsplit("/", 1)[0] + "/postgres"
                await pg_admin(admin, f'CREATE DATABASE "{name}"')
                url = args.postgres.rsplit("/", 1)[0] + "/" + name
                try:
                    await bench_backend(backend, url, {**base_env, "AUDIT_DATABASE_URL": url}, args)
                finally:
                    await pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                raise SystemExit(f"unknown backend {backend!r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
