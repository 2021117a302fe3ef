"""Soak test: auditors submitting at a fixed rate while HQ compares.  python bench/soak.py

    .venv/bin/python bench/soak.py [--database sqlite|postgres] [--rate 200]
        [--duration 60] [--workers 2] [--compare-rate 2] [--profile FILE]

Like ODK Central's soak test (50 submissions/s for 30 s, every one must
succeed), but harder.  It starts ``audit serve --workers N``
on a free port of 127.0.0.1 with a throw-away database (a temporary SQLite
file, or a fresh PostgreSQL database ``audit_soak_<random>`` dropped
afterwards), seeds a chain with ``audit demo`` data for HQ to compare, and
then, open loop (a submission starts on schedule whether or not earlier ones
have finished), every 1/rate seconds one auditor:

1. saves a draft (``PUT /api/audits/{uuid}``, half of the answers), then
2. submits the whole audit (``POST …/submit``, 60 answers),

while HQ asks ``GET /api/compare`` for the chain's largest checklist at
``--compare-rate`` per second.  Nothing but 127.0.0.1 is ever contacted.

Figures: submissions/s achieved, success rate (and the database's count of
submitted audits, which must equal the acknowledged ones), latency p50/p95/p99
of every request and of whole submissions, compare latency, the server's peak
RSS (all its processes) and its CPU use.  ``--profile FILE`` records the
server with py-spy for the run (``.svg``: flame graph; ``.txt``: the top
functions by samples).  Each figure is also printed as a ``BENCH {json}`` line
for ``bench/run_all``.

Target (issue 7): at least 200 full submissions/s for 60 s, 100 % success,
p99 under 250 ms, on SQLite and on PostgreSQL, with HQ comparing meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

HOST = "127.0.0.1"  # the only address this script ever talks to
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"
PASSWORD = "soak-password-123"
ITEMS_PER_SECTION = 10
SECTIONS = 6  # 60 answers per audit
AUDITORS = 20
LOCATIONS = 40
# In-flight submissions are capped so that a server that falls behind shows up
# as latency and late starts, not as an unbounded pile of sockets.
MAX_IN_FLIGHT = 400
DRAIN_SECONDS = 30


# ---- the checklist: 60 items of every scored type


def soak_checklist() -> dict[str, Any]:
    sections = []
    for s in range(SECTIONS):
        items: list[dict[str, Any]] = []
        for i in range(ITEMS_PER_SECTION):
            item: dict[str, Any] = {"id": f"s{s}_i{i}", "text": f"Question {i + 1} of part {s + 1}"}
            kind = i % 5
            if kind in (0, 1):
                item.update(type="yes_no", kind="service" if i % 2 else "experience")
            elif kind == 2:
                item.update(type="scale", min=1, max=5)
            elif kind == 3:
                item.update(
                    type="choice",
                    options=[
                        {"value": "good", "label": "Good", "points": 1},
                        {"value": "fair", "label": "Fair", "points": 0.5},
                        {"value": "poor", "label": "Poor", "points": 0},
                    ],
                )
            else:
                item.update(
                    type="number",
                    unit="minutes",
                    bands=[{"max": 2, "points": 1}, {"max": 5, "points": 0.5}, {"points": 0}],
                )
            items.append(item)
        if s == SECTIONS - 1:
            items[-1] = {"id": "recommend", "text": "Would you recommend it?", "type": "nps"}
            items[-2] = {"id": "notes", "text": "Anything else", "type": "text", "required": True}
        sections.append(
            {
                "id": f"part{s}",
                "title": f"Part {s + 1}",
                "touchpoint": ["website", "phone", "arrival", "facilities", "service", "checkout"][
                    s
                ],
                "items": items,
            }
        )
    return {"id": "soak", "title": "Soak visit", "version": 1, "sections": sections}


def answers_for(checklist: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section in checklist["sections"]:
        for item in section["items"]:
            kind = item["type"]
            if kind == "yes_no":
                value: Any = rng.random() < 0.8
            elif kind == "scale":
                value = rng.randint(1, 5)
            elif kind == "choice":
                value = rng.choice(["good", "fair", "poor"])
            elif kind == "number":
                value = round(rng.uniform(0, 8), 1)
            elif kind == "nps":
                value = rng.randint(0, 10)
            else:
                value = "Helpful staff; the queue at the till was long. " * rng.randint(1, 4)
            answer: dict[str, Any] = {"value": value}
            if rng.random() < 0.1:
                answer["comment"] = "Noted at the time of the visit."
            out[item["id"]] = answer
    return out


# ---- the instance


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


async def pg_admin(base: str, sql: str) -> None:
    import asyncpg

    admin = base.rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(admin.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def scratch_instance(database: str, postgres: str, name: str) -> Iterator[tuple[Any, Path]]:
    """Settings for a throw-away instance, and its temporary directory.

    SQLite: a file in that directory.  PostgreSQL: a fresh database
    ``audit_<name>_<random>`` on the server ``postgres`` names, dropped afterwards.
    """
    from audit.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix=f"audit-{name}-"))
    pg_name = None
    try:
        if database == "postgres":
            pg_name = f"audit_{name}_{uuid.uuid4().hex[:10]}"
            asyncio.run(pg_admin(postgres, f'CREATE DATABASE "{pg_name}"'))
            server, _, options = postgres.partition("?")  # keep ?maxsize=… and the like
            database_url = server.rsplit("/", 1)[0] + "/" + pg_name
            database_url += f"?{options}" if options else ""
        else:
            database_url = f"sqlite://{tmp / 'audit.sqlite3'}"
        yield (
            Settings(
                database_url=database_url,
                media_dir=tmp / "media",
                var_dir=tmp,
                secret_key=f"{name}-secret",
                checklists_dir=ROOT / "checklists",
                report_workers=0,
            ),
            tmp,
        )
    finally:
        if pg_name is not None:
            asyncio.run(pg_admin(postgres, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        shutil.rmtree(tmp, ignore_errors=True)


async def seed(settings: Any, demo_audits: int) -> str:
    """The soak checklist, locations, users; demo data for HQ. Returns the compared checklist."""
    from audit.checklist import checklist_from_dict
    from audit.db import database
    from audit.demo import DemoSize, fill_demo
    from audit.models import Audit
    from audit.store.accounts import add_user
    from audit.store.checklists import import_checklists
    from audit.store.locations import add_location

    async with database(settings):
        await fill_demo(settings, DemoSize(locations=LOCATIONS, audits=demo_audits), seed=7)
        await import_checklists([("soak.yaml", checklist_from_dict(soak_checklist()))])
        for n in range(LOCATIONS):
            await add_location(f"SOAK{n:03d}", f"Soak store {n}", "North" if n % 2 else "South")
        for n in range(AUDITORS):
            await add_user(f"soak{n}@bench.test", "auditor", PASSWORD, f"Soak Auditor {n}")
        await add_user("soak-hq@bench.test", "hq", PASSWORD, "Soak HQ")
        # The demo checklist with the most approved audits is HQ's heaviest comparison.
        counts = collections.Counter(
            await Audit.filter(status="approved").values_list("checklist_slug", flat=True)
        )
    return counts.most_common(1)[0][0] if counts else "electronics-store"


async def count_submitted(settings: Any) -> int:
    from audit.db import database
    from audit.models import Audit

    async with database(settings):
        return await Audit.filter(checklist_slug="soak", status="submitted").count()


class Server:
    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        audit = str(Path(sys.executable).with_name("audit"))
        command = [audit, "serve", "--host", HOST, "--port", str(self.port)]
        command += ["--workers", str(workers)]
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit("the server did not start")

    def pids(self) -> list[int]:
        """The server and its worker processes (its process group)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[2]) == self.process.pid:  # process group id
                    found.append(int(entry.name))
        return found

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except OSError:
                pass
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


# ---- the load


@dataclass
class Results:
    put: list[float] = field(default_factory=list)
    submit: list[float] = field(default_factory=list)
    whole: list[float] = field(default_factory=list)
    compare: list[float] = field(default_factory=list)
    ok: int = 0
    failed: int = 0
    compare_failed: int = 0
    unfinished: int = 0  # cancelled DRAIN_SECONDS after the schedule ended
    late: list[float] = field(default_factory=list)  # start delay behind schedule
    errors: collections.Counter[str] = field(default_factory=collections.Counter)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


class _StaleConnection(Exception):
    pass


class HTTPClient:
    """A bare HTTP/1.1 keep-alive client: the load generator must not need the cores it measures.

    httpx spent about 5 ms of CPU per submission here (a whole core at 200/s on
    a 2-core machine); this one spends a few hundred microseconds.  It sends
    what the PWA's browser sends (JSON, the session cookie, the CSRF token,
    ``Accept-Encoding: gzip``) and reads status, headers and body.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        while self.idle:
            try:
                return await self._send(self.idle.pop(), method, path, body)
            except _StaleConnection:
                continue  # the server closed it while idle (keep-alive timeout): not an error
        conn = await asyncio.open_connection(self.host, self.port)
        return await self._send(conn, method, path, body, fresh=True)

    async def _send(
        self,
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        method: str,
        path: str,
        body: bytes,
        fresh: bool = False,
    ) -> tuple[int, bytes]:
        reader, writer = conn
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.fixed}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Accept-Encoding: gzip\r\n\r\n"
        )
        try:
            writer.write(head.encode() + body)
            try:
                raw = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                if not fresh and not getattr(exc, "partial", b""):
                    raise _StaleConnection from exc
                raise
            status_line, *lines = raw.decode().split("\r\n")
            headers = {}
            for line in lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if headers.get("transfer-encoding") == "chunked":
                chunks = []
                while size := int((await reader.readuntil(b"\r\n"))[:-2], 16):
                    chunks.append((await reader.readexactly(size + 2))[:-2])
                await reader.readuntil(b"\r\n")
                data = b"".join(chunks)
            else:
                data = await reader.readexactly(int(headers.get("content-length", "0")))
        except BaseException:
            writer.close()
            raise
        if headers.get("connection") == "close":
            writer.close()
        else:
            self.idle.append(conn)
        if headers.get("content-encoding") == "gzip":
            data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
        return int(status_line.split()[1]), data

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def sign_in(url: str, email: str) -> HTTPClient:
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        r = await client.post("/api/session", json={"email": email, "password": PASSWORD})
        r.raise_for_status()
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        csrf = r.json()["csrf_token"]
    return HTTPClient(HOST, int(url.rsplit(":", 1)[1]), {"Cookie": cookie, "X-CSRF-Token": csrf})


async def one_submission(
    client: HTTPClient, n: int, checklist: dict[str, Any], results: Results
) -> None:
    rng = random.Random(n)
    answers = answers_for(checklist, rng)
    keys = list(answers)
    uid = str(uuid.uuid4())
    base = {
        "checklist": "soak",
        "location": f"SOAK{n % LOCATIONS:03d}",
        "visited_at": "2026-11-20T14:30:00Z",
    }
    draft = json.dumps({**base, "answers": {k: answers[k] for k in keys[: len(keys) // 2]}})
    whole = json.dumps({**base, "answers": answers})
    start = time.perf_counter()
    try:
        t = time.perf_counter()
        status, _ = await client.request("PUT", f"/api/audits/{uid}", draft.encode())
        results.put.append(time.perf_counter() - t)
        if status != 201:
            raise RuntimeError(f"PUT {status}")
        t = time.perf_counter()
        status, body = await client.request("POST", f"/api/audits/{uid}/submit", whole.encode())
        results.submit.append(time.perf_counter() - t)
        if status != 200 or json.loads(body).get("status") != "submitted":
            raise RuntimeError(f"submit {status}")
    except (OSError, asyncio.IncompleteReadError, ValueError, RuntimeError) as exc:
        results.failed += 1
        results.errors[type(exc).__name__ + ": " + str(exc)[:60]] += 1
        return
    results.whole.append(time.perf_counter() - start)
    results.ok += 1


async def drive(
    url: str, rate: float, duration: float, compare_rate: float, compared: str
) -> tuple[Results, float]:
    checklist = soak_checklist()
    clients = [await sign_in(url, f"soak{n}@bench.test") for n in range(AUDITORS)]
    hq = await sign_in(url, "soak-hq@bench.test")
    results = Results()
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
    tasks: set[asyncio.Task[None]] = set()

    async def submit(n: int) -> None:
        async with in_flight:
            await one_submission(clients[n % AUDITORS], n, checklist, results)

    async def compare(n: int) -> None:
        t = time.perf_counter()
        try:
            status, _ = await hq.request("GET", f"/api/compare?checklist={compared}")
            ok = status == 200
        except (OSError, asyncio.IncompleteReadError, ValueError):
            ok = False
        results.compare.append(time.perf_counter() - t)
        if not ok:
            results.compare_failed += 1

    async def schedule(count: int, every: float, make: Any) -> None:
        origin = time.perf_counter()
        for n in range(count):
            due = origin + n * every
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif make is submit:
                results.late.append(-delay)
            task = asyncio.create_task(make(n))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    started = time.perf_counter()
    schedulers = [schedule(int(rate * duration), 1 / rate, submit)]
    if compare_rate > 0:
        schedulers.append(schedule(int(compare_rate * duration), 1 / compare_rate, compare))
    await asyncio.gather(*schedulers)
    # A server that fell behind gets DRAIN_SECONDS to finish; what is left then failed.
    _, pending = await asyncio.wait(list(tasks), timeout=DRAIN_SECONDS) if tasks else ((), ())
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
        results.unfinished = len(pending)
    elapsed = time.perf_counter() - started
    for client in [*clients, hq]:
        await client.close()
    return results, elapsed


# ---- reporting


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def figure(name: str, value: Any, unit: str = "", target: str = "", ok: bool | None = None) -> None:
    print("BENCH " + json.dumps(
        {"bench": "soak", "figure": name, "value": value, "unit": unit, "target": target, "ok": ok}
    ))  # fmt: skip


# Where a GIL-holding sample's innermost frame lives → what the time is spent on.
PROFILE_GROUPS = (
    ("argon2", "password hashing (sign-ins)"),
    ("aiosqlite", "SQLite driver (aiosqlite thread, sqlite3)"),
    ("sqlite3", "SQLite driver (aiosqlite thread, sqlite3)"),
    ("asyncpg", "PostgreSQL driver (asyncpg)"),
    ("pypika", "ORM: building SQL (pypika)"),
    ("tortoise", "ORM: Tortoise (models, queries, fields)"),
    ("iso8601", "ORM: Tortoise (models, queries, fields)"),
    ("json", "JSON encode/decode"),
    ("starlette", "Starlette routing and middleware"),
    ("uvicorn", "uvicorn / HTTP parsing"),
    ("httptools", "uvicorn / HTTP parsing"),
    ("h11", "uvicorn / HTTP parsing"),
    ("asyncio", "event loop (asyncio, uvloop)"),
    ("uvloop", "event loop (asyncio, uvloop)"),
    ("anyio", "event loop (asyncio, uvloop)"),
    ("(audit/", "the audit package (validation, scoring, views)"),
)


def profile_summary(raw: Path, top: int = 12) -> None:
    """GIL-holding samples by what their innermost frame is, and the hottest audit functions."""
    groups: collections.Counter[str] = collections.Counter()
    functions: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        leaf = frames[-1]
        group = next((label for key, label in PROFILE_GROUPS if key in leaf), "other")
        groups[group] += samples
        names = {re.sub(r":\d+\)$", ")", f) for f in frames}
        for name in names:
            if "(audit/" in name and not name.endswith(("cli.py)", "commands.py)", "app.py)")):
                functions[name] += samples
    if not total:
        print("profile: no samples")
        return
    print(f"\nprofile: {total} samples holding the GIL, by innermost frame")
    for label, count in groups.most_common():
        print(f"  {100 * count / total:5.1f} %  {label}")
    print("  audit functions, time including what they call:")
    for name, count in functions.most_common(top):
        print(f"  {100 * count / total:5.1f} %  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres", default=os.environ.get("AUDIT_BENCH_POSTGRES", DEFAULT_PG))
    parser.add_argument("--rate", type=float, default=200, help="submissions per second")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--compare-rate", type=float, default=2, help="HQ compares per second")
    parser.add_argument("--demo-audits", type=int, default=3000, help="approved audits for HQ")
    parser.add_argument("--profile", type=Path, help="py-spy output (.svg or .txt)")
    args = parser.parse_args()

    with scratch_instance(args.database, args.postgres, "soak") as (settings, tmp):
        database_url = settings.database_url
        t = time.perf_counter()
        compared = asyncio.run(seed(settings, args.demo_audits))
        print(f"seeded in {time.perf_counter() - t:.1f} s; HQ compares {compared!r}")

        env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_")}
        env.update(
            AUDIT_DATABASE_URL=database_url,
            AUDIT_VAR_DIR=str(tmp),
            AUDIT_MEDIA_DIR=str(tmp / "media"),
            AUDIT_SECRET_KEY="soak-secret",
            AUDIT_CHECKLISTS_DIR=str(ROOT / "checklists"),
            AUDIT_REPORT_WORKERS="1",
            AUDIT_LOG_LEVEL="warning",
        )
        server = Server(env, args.workers, tmp / "server.log")
        profiler = None
        try:
            server.wait_ready()
            rss_idle = server.rss_mb()
            cpu_before = server.cpu_seconds()
            own_before = resource.getrusage(resource.RUSAGE_SELF)
            if args.profile:
                fmt = "raw" if args.profile.suffix == ".txt" else "flamegraph"
                profiler = subprocess.Popen(
                    ["py-spy", "record", "--pid", str(server.process.pid), "--subprocesses",
                     "--gil", "--rate", "100", "--format", fmt, "--output", str(args.profile),
                     "--duration", str(int(args.duration) + 2)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            peak = [rss_idle]

            async def run() -> tuple[Results, float]:
                async def sample() -> None:
                    while True:
                        peak.append(server.rss_mb())
                        await asyncio.sleep(0.5)

                sampler = asyncio.create_task(sample())
                try:
                    return await drive(
                        server.url, args.rate, args.duration, args.compare_rate, compared
                    )
                finally:
                    sampler.cancel()

            load_before = os.getloadavg()[0]
            results, elapsed = asyncio.run(run())
            load_after = os.getloadavg()[0]
            server_cpu = server.cpu_seconds() - cpu_before
            own_after = resource.getrusage(resource.RUSAGE_SELF)
            own_cpu = (own_after.ru_utime + own_after.ru_stime) - (
                own_before.ru_utime + own_before.ru_stime
            )
            rss_end = server.rss_mb()
        finally:
            if profiler is not None:
                profiler.wait(timeout=args.duration + 60)
            server.stop()
        stored = asyncio.run(count_submitted(settings))

    attempted = results.ok + results.failed + results.unfinished
    rate = results.ok / elapsed
    requests = results.put + results.submit
    success = 100 * results.ok / attempted if attempted else 0.0
    p99 = percentile(requests, 99)
    print(
        f"\nsoak: {args.database}, {args.workers} server process(es), {os.cpu_count()} cores, "
        f"target {args.rate:g} submissions/s for {args.duration:g} s, "
        f"{SECTIONS * ITEMS_PER_SECTION} answers each, HQ compare {args.compare_rate:g}/s"
    )
    print(f"  submissions      {results.ok}/{attempted} ok ({success:.2f} %), "
          f"{rate:.1f}/s over {elapsed:.1f} s; stored as submitted: {stored}")  # fmt: skip
    for name, values in (("draft PUT", results.put), ("submit POST", results.submit),
                         ("all requests", requests), ("whole submission", results.whole),
                         ("HQ compare", results.compare)):  # fmt: skip
        worst = ms(max(values)) if values else float("nan")
        print(
            f"  {name:16} p50 {ms(percentile(values, 50)):7.1f} ms  "
            f"p95 {ms(percentile(values, 95)):7.1f} ms  p99 {ms(percentile(values, 99)):7.1f} ms  "
            f"max {worst:7.1f} ms  (n={len(values)})"
        )
    if results.late:
        print(f"  started late     {len(results.late)} submissions (the generator fell behind; "
              f"worst {ms(max(results.late)):.0f} ms)")  # fmt: skip
    print(
        f"  server memory    {rss_idle:.0f} MB idle, peak {max(peak):.0f} MB, "
        f"{rss_end:.0f} MB after"
    )
    print(f"  CPU              server {server_cpu / elapsed:.2f} cores, "
          f"load generator {own_cpu / elapsed:.2f} cores (of {os.cpu_count()})")  # fmt: skip
    print(
        f"  machine load     {load_before:.1f} before, {load_after:.1f} after (1-min average; "
        "above the core count, other work skews these figures)"
    )
    if results.unfinished:
        print(f"  unfinished       {results.unfinished} submissions still waiting "
              f"{DRAIN_SECONDS} s after the last was due (counted as failed)")  # fmt: skip
    if results.errors:
        print("  errors:", dict(results.errors.most_common(5)))
    if results.compare_failed:
        print(f"  compare failures: {results.compare_failed}")

    label = f"{args.database}, {args.workers}w"
    figure(
        f"submissions/s ({label})",
        round(rate, 1),
        "/s",
        f">= {args.rate:g}",
        rate >= args.rate * 0.98,
    )
    figure(
        f"success ({label})", round(success, 2), "%", "100", success == 100 and stored == results.ok
    )
    figure(f"request p99 ({label})", ms(p99), "ms", "< 250", p99 < 0.25)
    figure(f"submission p99 ({label})", ms(percentile(results.whole, 99)), "ms")
    figure(
        f"compare p99 ({label})",
        ms(percentile(results.compare, 99)),
        "ms",
        "",
        results.compare_failed == 0,
    )
    figure(f"server peak RSS ({label})", round(max(peak)), "MB")
    figure(
        f"machine load before/after ({label})", f"{load_before:.1f}/{load_after:.1f}", "", "< cores"
    )
    if args.profile and args.profile.suffix == ".txt" and args.profile.exists():
        profile_summary(args.profile)


if __name__ == "__main__":
    main()
