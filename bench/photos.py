"""Photo decoding under load: another auditor's small upload while eight large ones decode.

    .venv/bin/python bench/photos.py [--large 8] [--small 5] [--megapixels 40]

Starts ``audit serve`` on a free port of 127.0.0.1 with a throw-away SQLite
instance, five auditors each with a draft. Four of them upload two large
PNGs each at once (``--megapixels`` of real, photo-sized data, not bombs:
each decodes to ~120 MB in about a second); once those are in flight the
fifth uploads ``--small`` small JPEGs one after the other. A refused upload
(429/503) is sent again after its ``Retry-After``, as the PWA's outbox does.

Figures: the small upload's latency alone and during the large decodes (p50,
max), how long the large ones took and how many were refused before they
went through, and the server's peak memory over all its processes (PSS, decode
workers included). Before the decode pool (issue 13 item 7), eight large
decodes made a small upload take 9.15 s and the server reach 646 MB.
Each figure is also printed as a ``BENCH {json}`` line for ``bench/run_all``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from PIL import Image  # noqa: E402

HOST = "127.0.0.1"
PASSWORD = "bench-password-photos"
FIXTURES = ROOT / "tests" / "fixtures" / "api"
AUDIT = str(Path(sys.executable).with_name("audit"))
ANSWERS = {"answered": {"value": True}, "rings": {"na": True}, "clean": {"value": 3}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def large_png(megapixels: int) -> bytes:
    """A photo-sized PNG: a flat picture with a band of noise, a byte per ~15 pixels."""
    width = 8000
    height = megapixels * 1_000_000 // width
    img = Image.new("RGB", (width, height), (180, 170, 160))
    band = Image.effect_noise((width, max(1, height // 12)), 40).convert("RGB")
    img.paste(band, (0, 0))
    out = io.BytesIO()
    img.save(out, "PNG", compress_level=1)
    return out.getvalue()


def small_jpeg(seed: int) -> bytes:
    rng = random.Random(seed)
    img = Image.effect_noise((640, 480), 30).convert("RGB")
    img.paste((rng.randrange(256), 90, 140), (0, 0, 320, 480))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def tree_pss(root: int) -> int:
    """Proportional memory of ``root`` and every process below it, in bytes.

    PSS, not RSS: the decode workers share the forkserver's pages, which RSS
    would count once per process.
    """
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            parents[int(name)] = int(stat.rpartition(")")[2].split()[1])
    total, frontier, seen = 0, [root], set()
    while frontier:
        pid = frontier.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
        frontier += [child for child, parent in parents.items() if parent == pid]
    return total


class PeakMemory(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, tree_pss(self.root))
            time.sleep(0.05)


def audit(env: dict[str, str], *args: str) -> None:
    subprocess.run([AUDIT, *args], env=env, check=True, capture_output=True, timeout=120)


@dataclass
class Auditor:
    client: httpx.AsyncClient
    draft: str


async def signed_in(url: str, email: str) -> Auditor:
    client = httpx.AsyncClient(base_url=url, timeout=120)
    r = await client.post("/api/session", json={"email": email, "password": PASSWORD})
    r.raise_for_status()
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    draft = str(uuid.uuid4())
    body = {"checklist": "shop", "location": "S1", "answers": ANSWERS}
    (await client.put(f"/api/audits/{draft}", json=body)).raise_for_status()
    return Auditor(client, draft)


async def upload(auditor: Auditor, data: bytes) -> tuple[float, int]:
    """Seconds until stored, and how many times it was refused first."""
    started, refused = time.perf_counter(), 0
    photo = str(uuid.uuid4())
    while True:
        r = await auditor.client.put(
            f"/api/audits/{auditor.draft}/photos/{photo}?item=clean", content=data
        )
        if r.status_code in (200, 201):
            return time.perf_counter() - started, refused
        if r.status_code not in (429, 503):
            raise AssertionError(f"{r.status_code}: {r.text}")
        refused += 1
        await asyncio.sleep(float(r.headers.get("Retry-After", "1")))


def figure(name: str, value: Any, unit: str = "") -> None:
    print(f"{name:<52} {value} {unit}".rstrip())
    print("BENCH " + json.dumps({"figure": name, "value": value, "unit": unit}))


async def measure(url: str, large: bytes, large_count: int, small_count: int) -> None:
    heavy = [await signed_in(url, f"heavy{n}@bench.test") for n in range(4)]
    light = await signed_in(url, "light@bench.test")
    try:
        await upload(light, small_jpeg(0))  # starts the decode workers
        alone = [(await upload(light, small_jpeg(n)))[0] for n in range(1, small_count + 1)]
        started = time.perf_counter()
        big = [
            asyncio.create_task(upload(heavy[n % len(heavy)], large)) for n in range(large_count)
        ]
        await asyncio.sleep(0.3)  # every large upload has reached the server
        during = []
        for n in range(small_count):
            during.append((await upload(light, small_jpeg(100 + n)))[0])
        results = await asyncio.gather(*big)
        took = time.perf_counter() - started
    finally:
        for auditor in (*heavy, light):
            await auditor.client.aclose()
    figure("small upload alone, p50", round(statistics.median(alone) * 1000), "ms")
    figure(
        f"small upload during {large_count} large, p50",
        round(statistics.median(during) * 1000),
        "ms",
    )
    figure(f"small upload during {large_count} large, max", round(max(during) * 1000), "ms")
    figure(f"{large_count} large uploads, all stored after", round(took, 2), "s")
    figure("large uploads refused first (then sent again)", sum(r for _, r in results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--large", type=int, default=8)
    parser.add_argument("--small", type=int, default=5)
    parser.add_argument("--megapixels", type=int, default=40)
    args = parser.parse_args()

    large = large_png(args.megapixels)
    figure("large PNG", f"{args.megapixels} MP in {len(large) // 1024} KB")
    tmp = Path(tempfile.mkdtemp(prefix="audit-bench-photos-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_")}
    env.update(
        AUDIT_VAR_DIR=str(tmp),
        AUDIT_DATABASE_URL=f"sqlite://{tmp / 'audit.sqlite3'}",
        AUDIT_SECRET_KEY="bench-photos-secret",
        AUDIT_CHECKLISTS_DIR=str(FIXTURES),
        AUDIT_PASSWORD=PASSWORD,
    )
    server = None
    try:
        audit(env, "checklist", "import", str(FIXTURES))
        audit(env, "location", "add", "S1", "--name", "Riverside Mall")
        for email in [*(f"heavy{n}@bench.test" for n in range(4)), "light@bench.test"]:
            audit(env, "user", "add", email, "--role", "auditor")
        port = free_port()
        server = subprocess.Popen(
            [AUDIT, "serve", "--host", HOST, "--port", str(port)],
            env=env,
            stdout=(tmp / "server.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://{HOST}:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit((tmp / "server.log").read_text()) from None
                time.sleep(0.1)
        rss = PeakMemory(server.pid)
        rss.start()
        asyncio.run(measure(url, large, args.large, args.small))
        rss.running = False
        figure("server peak memory (PSS), all its processes", round(rss.peak / 2**20), "MB")
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
