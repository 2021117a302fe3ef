"""Durability against a real server: `kill -9` in the middle of submissions, and backups.

These tests run ``audit serve`` as a subprocess on a free port of 127.0.0.1
with its own var directory (SQLite, media, secret key), set up through the
command line exactly as an operator would.  :class:`LiveServer` is shared
with the fuzzing and multi-worker tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from audit.checklist import load_checklist
from audit.photos import photo_filenames

ROOT = Path(__file__).resolve().parent.parent
AUDIT = str(Path(sys.executable).with_name("audit"))
FIXTURES = ROOT / "tests" / "fixtures" / "api"
PASSWORD = "correct horse battery"
SECRET = "durability-secret-key-not-for-production"
CHECKLIST = load_checklist(FIXTURES / "shop.yaml")
ANSWERS: dict[str, Any] = {
    "answered": {"value": True},
    "rings": {"value": 4, "comment": "voicemail first"},
    "needed_restroom": {"value": True},
    "restroom": {"value": "after_asking"},
    "clean": {"value": 4},
    "recommend": {"value": 9},
    "notes": {"value": "Friendly, but the restroom needed two requests."},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def instance_env(var_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of one instance: everything under ``var_dir`` unless told otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_")}
    env.update(
        AUDIT_VAR_DIR=str(var_dir),
        AUDIT_DATABASE_URL=database_url or f"sqlite://{var_dir / 'audit.sqlite3'}",
        AUDIT_MEDIA_DIR=str(var_dir / "media"),
        AUDIT_SECRET_KEY=SECRET,
        AUDIT_CHECKLISTS_DIR=str(FIXTURES),
        AUDIT_REPORT_WORKERS="1",
        AUDIT_LOG_LEVEL="warning",
    )
    env.update(extra)
    return env


def audit_command(env: dict[str, str], *args: str, password: str | None = None) -> str:
    done = subprocess.run(
        [AUDIT, *args],
        env=dict(env, AUDIT_PASSWORD=password) if password else env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"audit {' '.join(args)}: {done.stderr}"
    return done.stdout


def set_up_instance(env: dict[str, str], auditors: Sequence[str] = ("auditor@x.test",)) -> None:
    """What an operator does on a new machine: checklists, locations, users."""
    audit_command(env, "checklist", "import", str(FIXTURES))
    audit_command(env, "location", "add", "S1", "--name", "Riverside Mall", "--region", "North")
    audit_command(env, "location", "add", "S2", "--name", "Hillcrest Plaza", "--region", "South")
    for email in auditors:
        audit_command(
            env,
            "user",
            "add",
            email,
            "--role",
            "auditor",
            "--name",
            "Ann Auditor",
            password=PASSWORD,
        )
    audit_command(
        env, "user", "add", "owner@x.test", "--role", "owner", "--location", "S1", password=PASSWORD
    )
    audit_command(
        env, "user", "add", "hq@x.test", "--role", "hq", "--name", "Hal HQ", password=PASSWORD
    )


@dataclass
class LiveServer:
    """One ``audit serve`` (or any command) process on 127.0.0.1, with its log."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    command: Sequence[str] | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> LiveServer:
        command = self.command or [AUDIT, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [c.replace("{port}", str(self.port)) for c in command],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: workers die with it
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited at start:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"the server did not answer /healthz in {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        """``kill -9`` of the whole process group: no shutdown handler runs."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextlib.contextmanager
def running(server: LiveServer) -> Iterator[LiveServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def sign_in(base_url: str, email: str) -> tuple[httpx.Cookies, str]:
    r = httpx.post(
        f"{base_url}/api/session", json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert r.status_code == 200, r.text
    return r.cookies, r.json()["csrf_token"]


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (seed * 37 % 256, seed * 91 % 256, 120)).save(out, "JPEG")
    return out.getvalue()


def payload(n: int) -> dict[str, Any]:
    answers = dict(ANSWERS, clean={"value": 1 + n % 5}, recommend={"value": n % 11})
    return {
        "checklist": "shop",
        "location": "S1" if n % 2 else "S2",
        "visited_at": "2026-11-20T14:30:00Z",
        "answers": answers,
    }


@dataclass
class Attempt:
    uuid: str
    n: int
    photo: str
    sent: bool = False  # some request of it left the client
    acked: bool = False  # the submit's 200 reached the client
    photo_acked: bool = False


class Submitter:
    """Auditors' phones: draft, photo, submit, as fast as the server answers."""

    def __init__(self, base_url: str, cookies: httpx.Cookies, csrf: str) -> None:
        self.base_url = base_url
        self.cookies = cookies
        self.csrf = csrf
        self.attempts: list[Attempt] = []
        self.stop = False
        self.acks = 0
        self.wanted = 0  # `reached` is set once this many submits were acknowledged
        self.reached = asyncio.Event()

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            cookies=self.cookies,
            headers={"X-CSRF-Token": self.csrf},
            timeout=httpx.Timeout(20.0),
        )

    async def one(self, client: httpx.AsyncClient, attempt: Attempt) -> None:
        attempt.sent = True
        body = payload(attempt.n)
        r = await client.put(f"/api/audits/{attempt.uuid}", json=body)
        assert r.status_code in (200, 201), r.text
        r = await client.put(
            f"/api/audits/{attempt.uuid}/photos/{attempt.photo}?item=clean",
            content=jpeg(attempt.n),
            headers={"Content-Type": "image/jpeg"},
        )
        assert r.status_code in (200, 201), r.text
        attempt.photo_acked = True
        r = await client.post(f"/api/audits/{attempt.uuid}/submit", json=body)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "submitted"
        attempt.acked = True
        self.acks += 1
        if self.acks >= self.wanted:
            self.reached.set()

    async def until_acknowledged(self, count: int, within: float = 30) -> None:
        self.wanted = count
        self.reached = asyncio.Event()
        if self.acks >= count:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.reached.wait(), within)

    async def phone(self) -> None:
        async with self.client() as client:
            while not self.stop:
                attempt = Attempt(str(uuid.uuid4()), len(self.attempts), str(uuid.uuid4()))
                self.attempts.append(attempt)
                try:
                    await self.one(client, attempt)
                except httpx.TransportError:
                    return  # the server is gone: this phone keeps the record in its outbox

    def acked(self) -> list[Attempt]:
        return [a for a in self.attempts if a.acked]


async def load_until_killed(
    server: LiveServer, submitter: Submitter, phones: int, acks: int
) -> None:
    tasks = [asyncio.create_task(submitter.phone()) for _ in range(phones)]
    await submitter.until_acknowledged(acks)
    # Requests are in flight on every phone at this moment.
    await asyncio.to_thread(server.kill)
    submitter.stop = True
    await asyncio.gather(*tasks)


def database_facts(path: Path) -> dict[str, Any]:
    """Read the SQLite file directly (the server is stopped)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        audits = con.execute(
            "SELECT a.uuid, a.status, a.scorecard IS NOT NULL, a.submit_hash IS NOT NULL,"
            " (SELECT COUNT(*) FROM section_score s WHERE s.audit_id = a.id)"
            " FROM audit a"
        ).fetchall()
        duplicate_items = con.execute(
            "SELECT COUNT(*) FROM (SELECT audit_id, item_id FROM item_score"
            " GROUP BY audit_id, item_id HAVING COUNT(*) > 1)"
        ).fetchone()[0]
        photos = con.execute(
            "SELECT a.uuid, p.uuid FROM photo p JOIN audit a ON a.id = p.audit_id"
        ).fetchall()
    finally:
        con.close()
    return {
        "integrity": integrity,
        "audits": audits,
        "duplicate_items": duplicate_items,
        "photos": photos,
    }


@pytest.fixture(scope="module")
def instance_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One instance set up through the command line; each test gets a copy of it."""
    var_dir = tmp_path_factory.mktemp("template") / "var"
    set_up_instance(instance_env(var_dir))
    return var_dir


@pytest.fixture
def instance(instance_template: Path, tmp_path: Path) -> dict[str, str]:
    var_dir = tmp_path / "var"
    shutil.copytree(instance_template, var_dir)
    return instance_env(var_dir)


def test_kill_9_mid_submissions_loses_no_acknowledged_audit_and_half_writes_none(
    instance, tmp_path
):
    server = LiveServer(instance, tmp_path / "server.log")
    database = Path(instance["AUDIT_DATABASE_URL"].removeprefix("sqlite://"))
    media = Path(instance["AUDIT_MEDIA_DIR"])
    submitter: Submitter | None = None
    try:
        server.start()
        cookies, csrf = sign_in(server.url, "auditor@x.test")
        submitter = Submitter(server.url, cookies, csrf)
        # Two rounds: kill, restart, load again, kill again.
        for _ in range(2):
            submitter.stop = False
            asyncio.run(
                load_until_killed(server, submitter, phones=8, acks=len(submitter.acked()) + 25)
            )
            server.start()

        attempts = submitter.attempts
        acked = {a.uuid for a in attempts if a.acked}
        assert len(acked) >= 50
        in_flight = [a for a in attempts if a.sent and not a.acked]
        assert in_flight, "the kill should have caught requests in flight"

        # The session was in the database: it survived the kills.
        with httpx.Client(base_url=server.url, cookies=cookies, timeout=20) as client:
            rows = client.get("/api/audits", params={"limit": 10000}).json()
            uuids = [row["uuid"] for row in rows]
            assert len(uuids) == len(set(uuids))
            submitted = {row["uuid"] for row in rows if row["status"] == "submitted"}
            # Every acknowledged submission is there; anything else is a request that was sent.
            assert acked <= submitted
            assert set(uuids) <= {a.uuid for a in attempts if a.sent}
            for a in attempts:
                if a.acked:
                    view = client.get(f"/api/audits/{a.uuid}").json()
                    assert view["status"] == "submitted"
                    assert (
                        view["answers"]["clean"]["value"]
                        == payload(a.n)["answers"]["clean"]["value"]
                    )
                    assert [p["uuid"] for p in view["photos"]] == [a.photo]

            # The phones come back online and send their outboxes again: exactly once each.
            headers = {"X-CSRF-Token": csrf}
            for a in in_flight:
                body = payload(a.n)
                r = client.put(f"/api/audits/{a.uuid}", json=body, headers=headers)
                assert r.status_code in (200, 201), r.text
                r = client.put(
                    f"/api/audits/{a.uuid}/photos/{a.photo}?item=clean",
                    content=jpeg(a.n),
                    headers={**headers, "Content-Type": "image/jpeg"},
                )
                assert r.status_code in (200, 201), r.text
                r = client.post(f"/api/audits/{a.uuid}/submit", json=body, headers=headers)
                assert r.status_code == 200, r.text
            rows = client.get("/api/audits", params={"limit": 10000}).json()
            assert sorted(row["uuid"] for row in rows) == sorted(a.uuid for a in attempts if a.sent)
            assert {row["status"] for row in rows} == {"submitted"}
    finally:
        server.stop()
        if submitter is not None:
            submitter.stop = True

    facts = database_facts(database)
    assert facts["integrity"] == "ok"
    sections = len(CHECKLIST.sections)
    for audit_uuid, status, has_card, has_hash, section_rows in facts["audits"]:
        # No half-written audit: submitted means scored, with every section stored once.
        assert status == "submitted", audit_uuid
        assert has_card and has_hash, audit_uuid
        assert section_rows == sections, audit_uuid
    assert facts["duplicate_items"] == 0
    photos = facts["photos"]
    assert len(photos) == len({p for _, p in photos}) == len(facts["audits"])
    for audit_uuid, photo_uuid in photos:
        for name in photo_filenames(audit_uuid, photo_uuid):
            assert (media / name).stat().st_size > 0


def test_backup_taken_under_load_restores_into_a_new_instance_that_serves_the_same(
    instance, tmp_path
):
    source = LiveServer(instance, tmp_path / "source.log")
    backup_dir = tmp_path / "backup"
    restored_env = instance_env(tmp_path / "restored")
    restored = LiveServer(restored_env, tmp_path / "restored.log")
    with running(source):
        cookies, csrf = sign_in(source.url, "auditor@x.test")
        submitter = Submitter(source.url, cookies, csrf)
        before_backup: set[str] = set()

        async def submit_during_backup() -> None:
            phones = [asyncio.create_task(submitter.phone()) for _ in range(4)]
            await submitter.until_acknowledged(10)
            before_backup.update(a.uuid for a in submitter.acked())
            # The online backup runs while the phones keep submitting.
            out = await asyncio.to_thread(audit_command, instance, "backup", str(backup_dir))
            submitter.stop = True
            await asyncio.gather(*phones)
            assert "backup written" in out

        asyncio.run(submit_during_backup())
        hq_cookies, _ = sign_in(source.url, "hq@x.test")
        with httpx.Client(base_url=source.url, cookies=hq_cookies, timeout=20) as hq:
            original = {
                row["uuid"]: row for row in hq.get("/api/audits", params={"limit": 10000}).json()
            }
            views = {uid: hq.get(f"/api/audits/{uid}").json() for uid in before_backup}
            photos = {
                uid: hq.get(f"/api/audits/{uid}/photos/{view['photos'][0]['uuid']}").content
                for uid, view in views.items()
            }

    out = audit_command(restored_env, "restore", str(backup_dir))
    assert "restored" in out
    with running(restored):
        hq_cookies, _ = sign_in(restored.url, "hq@x.test")
        with httpx.Client(base_url=restored.url, cookies=hq_cookies, timeout=20) as hq:
            rows = {
                row["uuid"]: row for row in hq.get("/api/audits", params={"limit": 10000}).json()
            }
            # The snapshot holds every audit acknowledged before it started, as it was;
            # the ones submitted during the copy are there whole or not at all.
            assert before_backup <= set(rows) <= set(original)
            for uid, row in rows.items():
                if row["status"] == "submitted":
                    assert row == original[uid]
                    view = hq.get(f"/api/audits/{uid}").json()
                    assert view["scorecard"]["sections"]
                    assert len(view["photos"]) == 1
                else:
                    assert row["status"] == "draft"
            for uid, view in views.items():
                assert hq.get(f"/api/audits/{uid}").json() == view
                photo = view["photos"][0]["uuid"]
                assert hq.get(f"/api/audits/{uid}/photos/{photo}").content == photos[uid]
            # The restored instance is a working one: it takes new audits.
            cookies, csrf = sign_in(restored.url, "auditor@x.test")
            body = payload(1)
            r = httpx.post(
                f"{restored.url}/api/audits/{uuid.uuid4()}/submit",
                json=body,
                cookies=cookies,
                headers={"X-CSRF-Token": csrf},
                timeout=20,
            )
            assert r.status_code == 200, r.text

    facts = database_facts(Path(restored_env["AUDIT_DATABASE_URL"].removeprefix("sqlite://")))
    assert facts["integrity"] == "ok"


def test_restore_refuses_to_overwrite_an_existing_database(instance, tmp_path):
    backup_dir = tmp_path / "backup"
    audit_command(instance, "backup", str(backup_dir))
    done = subprocess.run(
        [AUDIT, "restore", str(backup_dir)],
        env=instance,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "already there" in done.stderr
    assert "Traceback" not in done.stderr


BROKEN_CHECKLISTS = {
    # name: (text, a word the message must contain)
    "syntax.yaml": ("id: syntax\ntitle: [unclosed\nversion: 1\nsections: []\n", "syntax"),
    "alias-bomb.yaml": (
        "id: bomb\ntitle: Bomb\nversion: 1\n"
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "sections: []\n",
        "anchor",
    ),
    "python-tag.yaml": (
        'id: tag\ntitle: !!python/object/apply:os.system ["touch /tmp/audit-pwned"]\n'
        "version: 1\nsections: []\n",
        "tag",
    ),
    "duplicate.yaml": (
        "id: dup\ntitle: One\ntitle: Two\nversion: 1\nsections:\n"
        "  - id: phone\n    items:\n      - {id: a, text: A, type: yes_no}\n"
        "      - {id: a, text: B, type: yes_no}\n",
        "duplicate",
    ),
    "forward.yaml": (
        "id: fwd\ntitle: Forward\nversion: 1\nsections:\n  - id: phone\n    items:\n"
        "      - {id: a, text: A, type: yes_no, show_if: {item: b, equals: true}}\n"
        "      - {id: b, text: B, type: yes_no}\n",
        "earlier",
    ),
}


def test_checklist_imports_on_a_live_server_keep_serving_the_previous_version(instance, tmp_path):
    """A broken import changes nothing; a new version retires the old one for new audits only."""
    server = LiveServer(instance, tmp_path / "server.log")
    new_dir = tmp_path / "new"
    new_dir.mkdir()
    changed = (FIXTURES / "shop.yaml").read_text().replace("version: 1", "version: 2", 1)
    (new_dir / "shop.yaml").write_text(changed)
    broken_dir = tmp_path / "broken"
    shutil.copytree(new_dir, broken_dir)
    for name, (text, _) in BROKEN_CHECKLISTS.items():
        (broken_dir / name).write_text(text)
    with running(server):
        cookies, csrf = sign_in(server.url, "auditor@x.test")
        with httpx.Client(
            base_url=server.url, cookies=cookies, headers={"X-CSRF-Token": csrf}, timeout=20
        ) as client:
            old = client.get("/api/checklists/shop").json()
            pinned = str(uuid.uuid4())  # a draft started on the old version
            assert client.put(f"/api/audits/{pinned}", json=payload(1)).status_code == 201

            done = subprocess.run(
                [AUDIT, "checklist", "import", str(broken_dir)],
                env=instance, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert done.returncode == 1
            assert "Traceback" not in done.stderr
            assert not Path("/tmp/audit-pwned").exists()
            for name, (_, word) in BROKEN_CHECKLISTS.items():
                prefix = f"{broken_dir / name}:"
                lines = [line for line in done.stderr.splitlines() if line.startswith(prefix)]
                assert lines, f"no FILE:LINE message for {name}: {done.stderr}"
                assert all(line.split(":")[1].isdigit() for line in lines)
                assert any(word in line.lower() for line in lines), lines
            # Nothing was imported, not even the valid file beside the broken ones.
            assert client.get("/api/checklists/shop").json() == old

            audit_command(instance, "checklist", "import", str(new_dir))
            new = client.get("/api/checklists/shop").json()
            assert new["version"] == 2 and new["hash"] != old["hash"]
            assert (
                client.get("/api/checklists/shop", params={"hash": old["hash"]}).json()["current"]
                is False
            )

            # A new audit pinned to the retired version: 422 naming the field, nothing written.
            late = str(uuid.uuid4())
            r = client.post(
                f"/api/audits/{late}/submit", json={**payload(1), "checklist_hash": old["hash"]}
            )
            assert r.status_code == 422, r.text
            assert "retired" in r.json()["fields"]["checklist_hash"]
            assert client.get(f"/api/audits/{late}").status_code == 404
            # The draft begun before the change still submits, on the version it was begun on.
            r = client.post(f"/api/audits/{pinned}/submit", json=payload(1))
            assert r.status_code == 200, r.text
            assert r.json()["checklist_hash"] == old["hash"]


def _upload_until_answered(
    server: LiveServer, path: str, cookie: str, csrf: str, total: int, chunked: bool
) -> tuple[int, int]:
    """Stream ``total`` bytes as a photo; return (HTTP status, bytes sent before the answer)."""
    head = [
        f"PUT {path} HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Cookie: audit_session={cookie}",
        f"X-CSRF-Token: {csrf}",
        "Content-Type: image/jpeg",
        "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}",
    ]
    chunk = b"\xff" * (1024 * 1024)
    sent = 0
    received = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        if not chunked:
            # A declared length is judged on the headers: the answer comes before any body.
            select.select([sock], [], [], 5)
        while sent < total and b"\r\n" not in received:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                received += sock.recv(65536)
                break
            piece = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        sock.settimeout(10)
        with contextlib.suppress(ConnectionResetError):
            while b"\r\n" not in received:
                data = sock.recv(65536)
                if not data:
                    break
                received += data
    status = int(received.split(b" ", 2)[1]) if received.startswith(b"HTTP/1.1 ") else 0
    print(f"{path}: {status} after {sent:,} bytes sent")
    return status, sent


def test_a_50_mb_upload_to_the_live_server_is_refused_early_and_leaves_nothing(instance, tmp_path):
    server = LiveServer(instance, tmp_path / "server.log")
    media = Path(instance["AUDIT_MEDIA_DIR"])
    fifty = 50 * 1024 * 1024
    with running(server):
        cookies, csrf = sign_in(server.url, "auditor@x.test")
        uid = str(uuid.uuid4())
        r = httpx.put(
            f"{server.url}/api/audits/{uid}",
            json=payload(1),
            cookies=cookies,
            headers={"X-CSRF-Token": csrf},
            timeout=20,
        )
        assert r.status_code == 201, r.text
        cookie = cookies["audit_session"]
        # Declared: refused on the headers, long before 50 MB have gone out.
        status, sent = _upload_until_answered(
            server,
            f"/api/audits/{uid}/photos/{uuid.uuid4()}?item=clean",
            cookie,
            csrf,
            fifty,
            False,
        )
        assert status == 413
        assert sent == 0
        # Streamed without a length: cut off once past the 15 MB limit.
        status, sent = _upload_until_answered(
            server, f"/api/audits/{uid}/photos/{uuid.uuid4()}?item=clean", cookie, csrf, fifty, True
        )
        assert status == 413
        assert sent < 32 * 1024 * 1024  # the 15 MB limit plus what socket buffers took
        # The server is up, and nothing was kept.
        view = httpx.get(f"{server.url}/api/audits/{uid}", cookies=cookies, timeout=20).json()
        assert view["photos"] == []
        assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    assert not [p for p in media.rglob("*") if p.is_file()]
