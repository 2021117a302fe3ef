"""The auditor's app: shell transfer size and time to interactive on a fresh load.

    .venv/bin/python bench/pwa.py [--url http://127.0.0.1:8000] [--runs 7]

Without --url it starts `audit serve` on a free port with a throw-away
database. Figures:

- shell: every file the service worker precaches, fetched as a browser would
  (Accept-Encoding: gzip), bytes on the wire. The code shell (HTML, CSS, JS,
  manifest) is what the first paint needs; icons are fetched later, in the
  background, by the service worker.
- time to interactive: fresh browser profile (no cache, no service worker),
  navigation start → the app's `interactive` mark (the sign-in form is
  rendered and its handlers attached). Also a repeat load served by the service
  worker, and a fresh load on a slow mobile link (150 ms RTT, 1.6 Mbit/s).

Targets (issue 4): code shell < 60 KB gzipped, fresh load interactive < 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHELL_TARGET_KB = 60
TTI_TARGET_MS = 1000
# A weak 4G / good 3G link, as in a car park.
SLOW_LINK = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 200_000,
    "uploadThroughput": 90_000,
}
CODE_SUFFIXES = (".js", ".css", ".webmanifest", "/")


@contextmanager
def running_server() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="bench-pwa-") as tmp:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {
            **os.environ,
            "AUDIT_DATABASE_URL": f"sqlite://{tmp}/db.sqlite3",
            "AUDIT_MEDIA_DIR": f"{tmp}/media",
            "AUDIT_VAR_DIR": tmp,
        }
        url = f"http://127.0.0.1:{port}"
        with open(f"{tmp}/server.log", "wb") as log:
            process = subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/audit"),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    sys.exit(f"the server exited: {Path(tmp, 'server.log').read_text()[-2000:]}")
                try:
                    if httpx.get(url, timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    sys.exit("the server did not start within 30 s")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def shell_sizes(url: str) -> dict[str, tuple[int, int]]:
    """URL → (bytes on the wire with gzip, bytes uncompressed)."""
    with httpx.Client(base_url=url, headers={"Accept-Encoding": "gzip"}) as client:
        sw = client.get("/sw.js").text
        match = re.search(r"const SHELL = (\[.*?\]);", sw)
        if not match:
            sys.exit("no shell list in /sw.js")
        urls = ["/sw.js", *json.loads(match.group(1))]
        sizes = {}
        for path in urls:
            with client.stream("GET", path) as response:
                body = response.read()
                sizes[path] = (response.num_bytes_downloaded, len(body))
        return sizes


def interactive_ms(page: Page) -> float:
    page.wait_for_selector("html[data-ready]")
    return float(page.evaluate("performance.getEntriesByName('interactive')[0].startTime"))


def measure_tti(url: str, runs: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {
        "fresh": [],
        "repeat (service worker)": [],
        "fresh, slow link": [],
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 390, "height": 844})
                page = context.new_page()
                page.goto(url)
                results["fresh"].append(interactive_ms(page))
                # wait_for_function would eval() a string, which the CSP forbids
                page.evaluate("navigator.serviceWorker.ready")
                while not page.evaluate("navigator.serviceWorker.controller !== null"):
                    time.sleep(0.05)
                page.reload()
                results["repeat (service worker)"].append(interactive_ms(page))
                context.close()
            for _ in range(max(1, runs // 2)):
                context = browser.new_context(viewport={"width": 390, "height": 844})
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
                page.goto(url)
                results["fresh, slow link"].append(interactive_ms(page))
                context.close()
        finally:
            browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with running_server() if args.url is None else _given(args.url) as url:
        sizes = shell_sizes(url)
        tti = measure_tti(url, args.runs)

    code = {p: s for p, s in sizes.items() if p.endswith(CODE_SUFFIXES)}
    code_wire = sum(s[0] for s in code.values()) / 1024
    code_raw = sum(s[1] for s in code.values()) / 1024
    all_wire = sum(s[0] for s in sizes.values()) / 1024
    print(f"shell files: {len(sizes)} ({len(code)} code)")
    print(
        f"code shell (html, css, js, manifest, sw): {code_wire:.1f} KB on the wire "
        f"({code_raw:.1f} KB uncompressed); target < {SHELL_TARGET_KB} KB: "
        f"{'ok' if code_wire < SHELL_TARGET_KB else 'OVER'}"
    )
    print(f"whole precache incl. icons: {all_wire:.1f} KB on the wire")
    for name, values in tti.items():
        median = statistics.median(values)
        verdict = ""
        if name == "fresh":
            verdict = f"; target < {TTI_TARGET_MS} ms: {'ok' if median < TTI_TARGET_MS else 'OVER'}"
        print(
            f"time to interactive, {name}: median {median:.0f} ms, "
            f"min {min(values):.0f}, max {max(values):.0f} (n={len(values)}){verdict}"
        )


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url.rstrip("/")


if __name__ == "__main__":
    main()
