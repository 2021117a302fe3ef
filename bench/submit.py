"""Server CPU per full submission, in process.  python bench/submit.py

    .venv/bin/python bench/submit.py [--database sqlite|postgres] [--count 400]
        [--profile FILE.prof]

The soak test (bench/soak.py) says how many submissions per second a server
sustains; this says why, in a figure that a busy machine barely disturbs: the
CPU time (all threads of this process, so the SQLite driver's thread too) that
the app spends on one submission as the auditors' phones make it — a draft
``PUT`` of half the answers, then ``POST …/submit`` with all 60.  The ASGI app
is called directly with hand-made requests, so no HTTP client or server is
measured; a real server adds its HTTP parsing (uvicorn with httptools, about
5 % of a soak profile).

At 200 submissions/s on 2 cores, with the load generator on the same cores,
the server can spend at most about 8 ms of CPU on each.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.soak import (  # noqa: E402
    AUDITORS,
    DEFAULT_PG,
    LOCATIONS,
    PASSWORD,
    answers_for,
    scratch_instance,
    soak_checklist,
)

HOST = b"testserver"


class Call:
    """One request straight into the ASGI app; the response status and body."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(
        self, method: str, path: str, body: bytes = b"", headers: list[tuple[bytes, bytes]] = ()
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", HOST),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 0
        response_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks), response_headers


async def run(settings: Any, count: int, profile: Path | None) -> dict[str, float]:
    from audit.app import create_app
    from audit.checklist import checklist_from_dict
    from audit.db import database
    from audit.store.accounts import add_user
    from audit.store.checklists import import_checklists
    from audit.store.locations import add_location

    async with database(settings):
        await import_checklists([("soak.yaml", checklist_from_dict(soak_checklist()))])
        for n in range(LOCATIONS):
            await add_location(f"SOAK{n:03d}", f"Soak store {n}", "North")
        for n in range(AUDITORS):
            await add_user(f"soak{n}@bench.test", "auditor", PASSWORD, f"Soak Auditor {n}")

        app = create_app(settings, manage_database=False)
        call = Call(app)
        sessions = []
        for n in range(AUDITORS):
            body = json.dumps({"email": f"soak{n}@bench.test", "password": PASSWORD}).encode()
            status, out, headers = await call("POST", "/api/session", body)
            assert status == 200, out
            cookie = next(v for k, v in headers if k == b"set-cookie").split(b";")[0]
            csrf = json.loads(out)["csrf_token"].encode()
            sessions.append([(b"cookie", cookie), (b"x-csrf-token", csrf)])

        checklist = soak_checklist()
        bodies = []
        for n in range(count):
            answers = answers_for(checklist, random.Random(n))
            keys = list(answers)
            base = {
                "checklist": "soak",
                "location": f"SOAK{n % LOCATIONS:03d}",
                "visited_at": "2026-11-20T14:30:00Z",
            }
            draft = {**base, "answers": {k: answers[k] for k in keys[: len(keys) // 2]}}
            bodies.append(
                (
                    str(uuid.uuid4()),
                    json.dumps(draft).encode(),
                    json.dumps({**base, "answers": answers}).encode(),
                )
            )

        async def one(n: int) -> tuple[float, float]:
            uid, draft, whole = bodies[n]
            headers = sessions[n % AUDITORS]
            t0 = time.process_time()
            status, out, _ = await call("PUT", f"/api/audits/{uid}", draft, headers)
            assert status == 201, out
            t1 = time.process_time()
            status, out, _ = await call("POST", f"/api/audits/{uid}/submit", whole, headers)
            assert status == 200 and json.loads(out)["status"] == "submitted", out
            return t1 - t0, time.process_time() - t1

        for n in range(min(20, count)):  # warm caches and the connection
            await one(n)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        wall = time.perf_counter()
        cpu = time.process_time()
        puts, submits = [], []
        for n in range(min(20, count), count):
            put, submit = await one(n)
            puts.append(put)
            submits.append(submit)
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        if profiler:
            profiler.disable()
            profiler.dump_stats(str(profile))
    done = len(puts)
    return {
        "cpu_ms_per_submission": 1000 * cpu / done,
        "put_ms_median": 1000 * statistics.median(puts),
        "submit_ms_median": 1000 * statistics.median(submits),
        "wall_ms_per_submission": 1000 * wall / done,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres", default=os.environ.get("AUDIT_BENCH_POSTGRES", DEFAULT_PG))
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--profile", type=Path, help="write cProfile stats here")
    args = parser.parse_args()

    with scratch_instance(args.database, args.postgres, "submit") as (settings, _):
        figures = asyncio.run(run(settings, args.count, args.profile))
    print(
        f"submit: {args.database}, {args.count} submissions of 60 answers (draft PUT, then submit)"
    )
    print(f"  server CPU per submission  {figures['cpu_ms_per_submission']:.2f} ms")
    print(f"  median CPU, draft PUT      {figures['put_ms_median']:.2f} ms")
    print(f"  median CPU, submit POST    {figures['submit_ms_median']:.2f} ms")
    print(f"  wall time per submission   {figures['wall_ms_per_submission']:.2f} ms")
    print(
        "BENCH "
        + json.dumps(
            {
                "bench": "submit",
                "figure": f"server CPU per submission ({args.database})",
                "value": round(figures["cpu_ms_per_submission"], 2),
                "unit": "ms",
                "target": "< 8",
                "ok": figures["cpu_ms_per_submission"] < 8,
            }
        )
    )


if __name__ == "__main__":
    main()
