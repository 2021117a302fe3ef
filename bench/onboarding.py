"""How long does onboarding a chain take?  python bench/onboarding.py [--database postgres]

Writes three CSV files into a temporary folder: 2,000 locations (code, name,
address, region, brand, coordinates, opening hours, time zone), 500 owners
owning four locations each and 2,000 auditors (2,500 users).  Then it runs
the real command line against a fresh database (a temporary SQLite file, or
a new PostgreSQL database ``audit_bench_<random>`` dropped afterwards):

    audit import locations locations.csv
    audit import owners owners.csv
    audit import auditors auditors.csv

and the same three again.  Each command is its own process, so the figures
include starting Python, as a user sees them; the fresh database is migrated
first and that time printed apart (a new database's one-off cost, not the
import's: on a loaded machine it is most of the first command).  The
second round must report "0 added, 0 changed" for every file.  Target
(issue 16): the first round under 30 s.  ``AUDIT_SMTP_URL`` names a mail
server nobody listens on, so each added user's invitation is queued in the
import's transaction as in production (and never sent: no service runs).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIGRATE = (
    "import asyncio\n"
    "from audit.db import apply_migrations\n"
    "from audit.settings import Settings\n"
    "asyncio.run(apply_migrations(Settings.from_env().database_url))\n"
)
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
LOCATIONS = 2000
OWNERS = 500
AUDITORS = 2000
REGIONS = ("North", "South", "East", "West", "Central", "Coast")
BRANDS = ("Audit",)


def write_files(folder: Path) -> dict[str, Path]:
    paths = {kind: folder / f"{kind}.csv" for kind in ("locations", "owners", "auditors")}
    with paths["locations"].open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(
            [
                "code",
                "name",
                "address",
                "region",
                "brand",
                "latitude",
                "longitude",
                "opening hours",
                "timezone",
            ]
        )
        for n in range(1, LOCATIONS + 1):
            out.writerow(
                [
                    f"L{n:04d}",
                    f"Store {n:04d}",
                    f"{n} High Street, Town {n % 97}",
                    REGIONS[n % len(REGIONS)],
                    BRANDS[n % len(BRANDS)],
                    f"{50 + (n % 500) / 100:.4f}",
                    f"{-2 + (n % 300) / 100:.4f}",
                    "Mon-Fri 09:00-18:00; Sat 09:00-17:00" + ("; Sun 10:00-16:00" if n % 3 else ""),
                    "Europe/London",
                ]
            )
    per_owner = LOCATIONS // OWNERS
    with paths["owners"].open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["email", "name", "location codes"])
        for n in range(OWNERS):
            codes = [f"L{n * per_owner + k + 1:04d}" for k in range(per_owner)]
            out.writerow([f"owner{n:04d}@chain.test", f"Owner {n:04d}", "; ".join(codes)])
    with paths["auditors"].open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["email", "name"])
        for n in range(AUDITORS):
            out.writerow([f"auditor{n:04d}@agency.test", f"Auditor {n:04d}"])
    return paths


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(kind: str, path: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the command's process, its output)."""
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "audit", "import", kind, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"audit import {kind} failed:\n{done.stderr}")
    return elapsed, _children_cpu() - cpu, done.stdout.strip()


async def _admin(base: str, sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres", default=os.environ.get("AUDIT_BENCH_POSTGRES", DEFAULT_PG))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="audit-onboarding-") as tmp:
        folder = Path(tmp)
        paths = write_files(folder)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "AUDIT_VAR_DIR": str(folder / "var")}
        env["AUDIT_SMTP_URL"] = "smtp://127.0.0.1:9"  # queued only: no service sends
        name = None
        if args.database == "postgres":
            name = f"audit_bench_{uuid.uuid4().hex[:10]}"
            asyncio.run(_admin(args.postgres, f'CREATE DATABASE "{name}"'))
            env["AUDIT_DATABASE_URL"] = args.postgres.rsplit("/", 1)[0] + "/" + name
        else:
            env["AUDIT_DATABASE_URL"] = f"sqlite://{folder}/var/audit.sqlite3"
        try:
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", MIGRATE],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise SystemExit(f"migrating failed:\n{done.stderr}")
            migrated = time.perf_counter() - started
            rounds = []
            for _ in ("first", "again"):
                rounds.append([(kind, *run(kind, path, env)) for kind, path in paths.items()])
        finally:
            if name is not None:
                asyncio.run(_admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(
        f"onboarding on {args.database}: {LOCATIONS:,} locations,"
        f" {OWNERS + AUDITORS:,} users ({OWNERS} owners of {LOCATIONS // OWNERS} locations each,"
        f" {AUDITORS:,} auditors), each command a process of its own"
    )
    print(f"  migrating the fresh database first: {migrated:.1f} s (not counted below)")
    for label, results in zip(("first import", "same files again"), rounds, strict=True):
        wall = sum(r[1] for r in results)
        cpu = sum(r[2] for r in results)
        print(f"  {label}: {wall:.1f} s ({cpu:.1f} s of CPU)")
        for kind, seconds, cpu_seconds, output in results:
            lines = [line.split(": ", 1)[-1] for line in output.splitlines()]
            print(f"    {kind:<9} {seconds:5.1f} s ({cpu_seconds:4.1f} s CPU)  {'; '.join(lines)}")
    again_ok = all(" 0 added, 0 changed" in f" {r[3]}" for r in rounds[1])
    first = sum(r[1] for r in rounds[0])
    print(
        f"  target: first import under 30 s: {'met' if first < 30 else 'MISSED'};"
        f" second changes nothing: {'yes' if again_ok else 'NO'}"
    )


if __name__ == "__main__":
    main()
