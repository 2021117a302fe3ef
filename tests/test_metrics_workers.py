"""``audit serve --workers 2``: /metrics sums both workers, whichever answers the scrape."""

from __future__ import annotations

import re

import httpx

from tests.test_durability import AUDIT, LiveServer, instance_env

TOKEN = "scrape-token-for-the-test"
REQUESTS = 30


def readyz_count(text: str) -> float:
    found = re.search(
        r'^audit_http_requests_total\{method="GET",route="/readyz",status="200"\} (\S+)$',
        text,
        re.M,
    )
    assert found, text
    return float(found[1])


def test_two_workers_report_the_same_request_counts_on_every_scrape(tmp_path) -> None:
    env = instance_env(tmp_path / "var", AUDIT_METRICS_TOKEN=TOKEN)
    command = [AUDIT, "serve", "--host", "127.0.0.1", "--port", "{port}", "--workers", "2"]
    # Two workers importing the web stack and WeasyPrint: slow on a busy 2-core machine.
    server = LiveServer(env, tmp_path / "server.log", command=command).start(timeout=120)
    try:
        # New connections each time: the kernel spreads them over both workers.
        for _ in range(REQUESTS):
            assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
        scrapes = [
            httpx.get(
                f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
            )
            for _ in range(8)
        ]
    finally:
        server.stop()
    assert {r.status_code for r in scrapes} == {200}
    assert {readyz_count(r.text) for r in scrapes} == {REQUESTS}
    assert (tmp_path / "var" / "metrics").is_dir()
