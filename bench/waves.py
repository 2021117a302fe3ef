"""How fast are waves at chain scale?  python bench/waves.py [--database sqlite|postgres|both]

For each backend (a temporary SQLite file, and a fresh PostgreSQL database
``audit_bench_<random>`` dropped afterwards) it loads 2,000 locations and
100,000 audits (bulk inserts of plain rows: no photos, no scoring), then,
through the app in-process (httpx's ASGITransport, signed in as HQ):

- ``POST /api/waves`` of every location with two visits (4,000 assignments):
  the request's wall time, once (target: under 10 s);
- links about half of the wave's visits to auditors and to audits (so the
  progress statement joins real audit rows), then renders the wave's
  progress page ``GET /hq/waves/{id}`` and its JSON twin ``GET
  /api/waves/{id}``: median and slowest of 20 runs (target: under 300 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import httpx  # noqa: E402
from tortoise import Tortoise, connections  # noqa: E402
from tortoise.backends.base.executor import EXECUTOR_CACHE  # noqa: E402

from audit.app import create_app  # noqa: E402
from audit.auth import hash_password  # noqa: E402
from audit.db import apply_migrations, tortoise_config  # noqa: E402
from audit.models import Assignment, Audit, ChecklistVersion, Location, Region, User  # noqa: E402
from audit.settings import Settings  # noqa: E402
from audit.store import sql  # noqa: E402
from audit.store.checklists import import_checklists, read_checklist_dir  # noqa: E402
from audit.store.locations import default_brand  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-password-for-waves"
RUNS = 20
BATCH = 5_000


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


async def load(locations: int, audits: int) -> ChecklistVersion:
    found, problems = read_checklist_dir(ROOT / "checklists")
    assert not problems, problems
    await import_checklists(found)
    version = await ChecklistVersion.filter(is_current=True).order_by("slug").first()
    assert version is not None
    brand = await default_brand()
    regions = [(await Region.get_or_create(name=n))[0] for n in ("North", "South", "East", "West")]
    await User.create(
        email="hq@bench.test", role="hq", name="HQ", password_hash=hash_password(PASSWORD)
    )
    auditors = [
        await User.create(email=f"a{n}@bench.test", role="auditor", name=f"A{n}", password_hash="x")
        for n in range(40)
    ]
    await Location.bulk_create(
        [
            Location(code=f"L{n:05d}", name=f"Shop {n}", brand=brand, region=regions[n % 4])
            for n in range(locations)
        ],
        batch_size=BATCH,
    )
    ids = [loc.id for loc in await Location.all().order_by("id").only("id")]
    rng = random.Random(5)
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    rows = []
    for n in range(audits):
        days_ago = rng.randrange(0, 540)
        visited = today - timedelta(days=days_ago)
        # As in the demo: the last month's visits partly wait for review.
        status = "submitted" if days_ago < 30 and rng.random() < 0.25 else "approved"
        rows.append(
            Audit(
                uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                auditor_id=auditors[n % len(auditors)].id,
                location_id=ids[n % len(ids)],
                checklist_id=version.id,
                checklist_slug=version.slug,
                status=status,
                visited_at=visited,
                visit_date=visited.date(),
                answers={},
                overall=rng.uniform(40, 95),
            )
        )
        if len(rows) >= BATCH:
            await Audit.bulk_create(rows, batch_size=BATCH)
            rows = []
    if rows:
        await Audit.bulk_create(rows, batch_size=BATCH)
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script("ANALYZE")
    return version


async def link_half(wave_id: int, today: date) -> int:
    """Give about half the wave's visits an auditor, and a third an audit of their location."""
    rows = await Assignment.filter(wave_id=wave_id).order_by("id").values("id", "location_id")
    audits = await Audit.filter(visit_date__gte=today - timedelta(days=60)).values(
        "uuid", "location_id", "auditor_id"
    )
    by_location: dict[int, list[dict[str, object]]] = {}
    for a in audits:
        by_location.setdefault(int(a["location_id"]), []).append(a)
    updates = []
    for n, row in enumerate(rows):
        if n % 2:
            continue
        found = by_location.get(int(row["location_id"])) or []
        if n % 3 == 0 and found:
            a = found.pop()
            updates.append([a["auditor_id"], datetime.now(UTC), a["uuid"], row["id"]])
    sql_text = "UPDATE assignment SET auditor_id = ?, claimed_at = ?, audit_uuid = ? WHERE id = ?"
    await sql.execute_many(Assignment, sql_text, updates)
    return len(updates)


async def measure(url: str, tmp: Path, locations: int, audits: int) -> dict[str, str]:
    await apply_migrations(url)
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(url))
    out: dict[str, str] = {}
    try:
        started = time.perf_counter()
        version = await load(locations, audits)
        out["load"] = f"{time.perf_counter() - started:,.1f} s"
        settings = Settings(
            database_url=url,
            media_dir=tmp / "media",
            var_dir=tmp,
            secret_key="bench-secret-key-waves",
            checklists_dir=ROOT / "checklists",
        )
        settings.media_dir.mkdir(parents=True, exist_ok=True)
        app = create_app(settings, manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            r = await client.post(
                "/api/session", json={"email": "hq@bench.test", "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            headers = {"X-CSRF-Token": r.json()["csrf_token"]}
            today = datetime.now(UTC).date()
            body = {
                "name": "Bench wave",
                "checklist": version.slug,
                "locations": "all",
                "from": (today - timedelta(days=20)).isoformat(),
                "to": (today + timedelta(days=20)).isoformat(),
                "visits": 2,
                "coverage": {"days": ["weekday", "weekend"], "dayparts": ["lunch", "evening"]},
            }
            started = time.perf_counter()
            r = await client.post("/api/waves", json=body, headers=headers)
            created = time.perf_counter() - started
            assert r.status_code == 201, r.text
            wave = r.json()
            out["create"] = f"{ms(created)} ({wave['progress']['planned']:,} visits)"
            out["linked"] = f"{await link_half(wave['id'], today):,} visits linked to audits"
            for label, path in (
                ("page", f"/hq/waves/{wave['id']}"),
                ("json", f"/api/waves/{wave['id']}"),
            ):
                times = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    r = await client.get(path)
                    times.append(time.perf_counter() - started)
                    assert r.status_code == 200, r.text[:300]
                out[label] = f"median {ms(statistics.median(times))}, slowest {ms(max(times))}"
        out["audits"] = f"{await Audit.all().count():,}"
    finally:
        await connections.close_all()
    return out


async def pg_admin(admin_url: str, statement: str) -> None:
    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def run(backend: str, locations: int, audits: int, pg: str) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="bench-waves-") as folder:
        tmp = Path(folder)
        if backend == "sqlite":
            return await measure(f"sqlite://{tmp}/bench.sqlite3", tmp, locations, audits)
        name = f"audit_bench_{uuid.uuid4().hex[:10]}"
        await pg_admin(pg, f'CREATE DATABASE "{name}"')
        try:
            return await measure(pg.rsplit("/", 1)[0] + "/" + name, tmp, locations, audits)
        finally:
            await pg_admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--locations", type=int, default=2_000)
    parser.add_argument("--audits", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("AUDIT_BENCH_POSTGRES", DEFAULT_PG))
    args = parser.parse_args()
    backends = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    for backend in backends:
        found = asyncio.run(run(backend, args.locations, args.audits, args.postgres))
        print(
            f"{backend}: {found['audits']} audits, {args.locations:,} locations "
            f"(loaded in {found['load']})"
        )
        print(
            "  wave created (POST /api/waves, all locations, 2 visits): "
            f"{found['create']}  [target < 10 s]"
        )
        print(f"  {found['linked']}")
        print(f"  progress page GET /hq/waves/ID: {found['page']}  [target < 300 ms]")
        print(f"  its JSON twin GET /api/waves/ID: {found['json']}")


if __name__ == "__main__":
    main()
