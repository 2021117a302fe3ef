"""A server killed with SIGKILL leaves no child process behind (audit.lifeline).

The report pool's workers, its forkserver and multiprocessing's resource
tracker used to outlive a ``kill -9`` of the server, about 150 MB each time.
Live: a real ``audit serve`` renders a report, so its pool exists, then only
the server process itself is killed (not its process group, which would
hide the bug) and its former children are watched through /proc.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.test_durability import ROOT, LiveServer, audit_command, instance_env

DEMO_PASSWORD = "demo-password"  # what `audit demo` gives its users

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _stat(pid: int) -> tuple[str, int, int, int] | None:
    """(state, parent pid, process group, start time) of a process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw.rpartition(")")[2].split()
    return fields[0], int(fields[1]), int(fields[2]), int(fields[19])


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def descendants(root: int) -> dict[int, int]:
    """Every live process below ``root``: pid → start time (to tell a reused pid apart)."""
    stats = {pid: stat for pid in _all_pids() if (stat := _stat(pid)) is not None}
    found: dict[int, int] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (state, ppid, _group, started) in stats.items():
            if ppid == parent and pid not in found and state != "Z":
                found[pid] = started
                frontier.append(pid)
    return found


def survivors(children: dict[int, int], group: int) -> list[int]:
    """Former children still running, and anything else left in the server's process group."""
    left = []
    for pid in _all_pids():
        stat = _stat(pid)
        if stat is None or stat[0] == "Z":  # a zombie has ended; only its exit status is left
            continue
        if children.get(pid) == stat[3] or stat[2] == group:
            left.append(pid)
    return left


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()[:100].replace(b"\0", b" ").decode()
    except OSError:
        return f"{pid} (gone)"


def render_a_report(base: str) -> None:
    r = httpx.post(
        f"{base}/api/session", json={"email": "hq@demo.test", "password": DEMO_PASSWORD}, timeout=30
    )
    assert r.status_code == 200, r.text
    with httpx.Client(base_url=base, cookies=r.cookies, timeout=60) as hq:
        audits = hq.get("/api/audits").json()
        readable = [a["uuid"] for a in audits if a["status"] in ("submitted", "approved")]
        assert readable, audits
        r = hq.get(f"/api/audits/{readable[0]}/report.pdf")
        assert r.status_code == 200, r.text
        assert r.content.startswith(b"%PDF")


def test_a_server_killed_with_sigkill_leaves_no_worker_forkserver_or_tracker_behind(tmp_path):
    # One command sets up users and finished audits (quicker than adding each).
    env = instance_env(tmp_path / "var", AUDIT_CHECKLISTS_DIR=str(ROOT / "checklists"))
    audit_command(env, "demo", "--locations", "2", "--audits", "4")
    server = LiveServer(env, tmp_path / "server.log").start()
    assert server.process is not None
    leader = server.process.pid
    try:
        render_a_report(server.url)
        children = descendants(leader)
        # The report pool: at least its worker and the forkserver it came from.
        assert len(children) >= 2, f"no pool processes under the server: {children}"

        os.kill(leader, signal.SIGKILL)  # the server alone, not its process group
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        left = survivors(children, leader)
        while left and time.monotonic() < deadline:
            time.sleep(0.05)
            left = survivors(children, leader)
        assert left == [], f"still running after the server died: {[command(p) for p in left]}"
    finally:
        # Whatever the outcome, leave nothing running.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(leader, signal.SIGKILL)
        server.process = None
