"""The offline outbox protocol, driven by a Hypothesis state machine over the real app.

The machine plays the PWA's outbox: it makes audits on the device, queues
their drafts, submits and photos, sends them in any order, "drops" responses
(the request reaches the server, the answer never reaches the phone, so the
request stays queued and is sent again), and restarts the server (the app's
own lifespan shut down and started again on the same database).

Beside the client's view (what was acknowledged) the machine keeps the
server's expected state, derived from every request that reached it.  After
every step:

- the server's audits are exactly the expected ones; in particular every
  acknowledged submission is there, submitted, and the only other submitted
  audits are ones whose submit was sent but not acknowledged;
- nothing is duplicated: one row per audit uuid, one photo row (and two
  files) per photo uuid, one score row per section and scored item;
- each submitted audit's stored answers and scorecard equal what the device
  computes for the same answers with :func:`audit.scoring.score_answers`.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher, profiles
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from PIL import Image
from tortoise.backends.base.executor import EXECUTOR_CACHE

from audit import auth
from audit.answers import AnswersError, parse_answers
from audit.app import create_app
from audit.checklist import Checklist, Item, load_checklist
from audit.db import database
from audit.models import Audit, ItemScore, Photo, SectionScore
from audit.photos import photo_filenames
from audit.scoring import score_answers
from audit.settings import Settings
from audit.store.accounts import add_user
from audit.submission import answers_json
from tests.helpers import PASSWORD, ROOT, seed

# Bounded for the suite; AUDIT_OUTBOX_EXAMPLES=500 for a deeper local run.
EXAMPLES = int(os.environ.get("AUDIT_OUTBOX_EXAMPLES", "25"))
CHECKLIST: Checklist = load_checklist(ROOT / "tests" / "fixtures" / "api" / "shop.yaml")
PHOTO_ITEMS = [i.id for i in CHECKLIST.items() if i.type == "photo" or i.photo != "none"]
VISITS = ["2026-11-20T14:30:00Z", "2026-12-01T09:05:00+01:00", "2026-10-15"]


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(out, "JPEG")
    return out.getvalue()


PHOTOS = [_jpeg(c) for c in ((200, 30, 30), (30, 200, 30), (30, 30, 200))]


# Any Unicode text but NUL, which the API refuses with 400 (PostgreSQL cannot store it).
TEXT = st.characters(codec="utf-8", exclude_characters="\x00")


def _value(item: Item) -> st.SearchStrategy[Any]:
    if item.type == "yes_no":
        return st.booleans()
    if item.type == "scale":
        assert item.min is not None and item.max is not None
        return st.integers(int(item.min), int(item.max))
    if item.type == "nps":
        return st.integers(0, 10)
    if item.type == "number":
        return st.integers(0, 12) | st.floats(0, 12, allow_nan=False, allow_infinity=False)
    if item.type == "choice":
        return st.sampled_from([o.value for o in item.options])
    return st.text(TEXT, max_size=30)


def _answer(item: Item) -> st.SearchStrategy[dict[str, Any]]:
    given = _value(item).map(lambda v: {"value": v})
    if item.na:
        given = given | st.just({"na": True})
    comment = st.none() | st.text(TEXT, min_size=1, max_size=20)
    return st.tuples(given, comment).map(
        lambda pair: pair[0] if pair[1] is None else {**pair[0], "comment": pair[1]}
    )


@st.composite
def answers_for(draw: st.DrawFn, checklist: Checklist = CHECKLIST) -> dict[str, Any]:
    """Valid answers; each item left out one time in five (so some are incomplete)."""
    out: dict[str, Any] = {}
    for item in checklist.items():
        if item.type == "photo":
            continue
        if draw(st.integers(0, 4)) > 0:
            out[item.id] = draw(_answer(item))
    return out


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True)


@dataclass
class Expected:
    """The server's state of one audit, as the requests that reached it made it."""

    status: str  # draft | submitted
    payload: dict[str, Any]  # the last stored (draft) or the submitted payload


@dataclass
class Request:
    kind: str  # put | submit | photo
    audit: str
    payload: dict[str, Any] = field(default_factory=dict)
    photo: str = ""
    item: str = ""
    image: bytes = field(default=b"", repr=False)


def is_complete(payload: dict[str, Any]) -> bool:
    return not score_answers(CHECKLIST, parse_answers(CHECKLIST, payload["answers"])).missing


def same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """What the server's replay hash compares: checklist, location, visit, normalised answers."""

    def key(p: dict[str, Any]) -> tuple[Any, ...]:
        return (
            p["checklist"],
            p["location"],
            p["visited_at"],
            answers_json(parse_answers(CHECKLIST, p["answers"])),
        )

    return key(a) == key(b)


class Outbox(RuleBasedStateMachine):
    """One device of one auditor against one server (restartable) on one database."""

    config: Settings
    counter = itertools.count()

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.lifespan: Any = None
        self.client: httpx.AsyncClient | None = None
        self.email = f"outbox-{next(self.counter)}@x.test"
        self.csrf = ""
        self.local: dict[str, dict[str, Any]] = {}  # uuid → the payload being edited
        self.queue: list[Request] = []
        self.server: dict[str, Expected] = {}
        self.server_photos: dict[str, tuple[str, str, bytes]] = {}  # photo → audit, item, bytes
        self.acked_submits: dict[str, dict[str, Any]] = {}
        self.sent_submits: set[str] = set()

    # ---- plumbing

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)

    async def _start(self, cookies: httpx.Cookies | None) -> None:
        app = create_app(self.config)
        self.lifespan = app.router.lifespan_context(app)
        await self.lifespan.__aenter__()  # migrations, Tortoise: the real start-up
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver", cookies=cookies
        )

    async def _stop(self) -> httpx.Cookies:
        assert self.client is not None
        cookies = self.client.cookies
        await self.client.aclose()
        await self.lifespan.__aexit__(None, None, None)
        self.client = None
        return cookies

    async def _request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        assert self.client is not None
        if method != "GET":
            kw.setdefault("headers", {})["X-CSRF-Token"] = self.csrf
        return await self.client.request(method, url, **kw)

    def teardown(self) -> None:
        try:
            if self.client is not None:
                try:
                    self.run(self._final_check())
                finally:
                    self.run(self._stop())
        finally:
            self.runner.close()

    # ---- rules

    @initialize()
    def start(self) -> None:
        async def go() -> None:
            await self._start(None)
            await add_user(self.email, "auditor", PASSWORD, "Outbox Auditor")
            assert self.client is not None
            r = await self.client.post(
                "/api/session", json={"email": self.email, "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            self.csrf = r.json()["csrf_token"]

        self.run(go())

    @rule(
        answers=answers_for(),
        location=st.sampled_from(["S1", "S2"]),
        visited=st.sampled_from(VISITS),
    )
    def create_audit(self, answers: dict[str, Any], location: str, visited: str) -> None:
        uid = f"00000000-0000-4000-8000-{next(self.counter):012d}"
        self.local[uid] = {
            "checklist": "shop",
            "location": location,
            "visited_at": visited,
            "answers": answers,
        }

    @precondition(lambda self: self.local)
    @rule(data=st.data(), answers=answers_for())
    def edit(self, data: st.DataObject, answers: dict[str, Any]) -> None:
        uid = data.draw(st.sampled_from(sorted(self.local)))
        self.local[uid] = {**self.local[uid], "answers": answers}

    @precondition(lambda self: self.local)
    @rule(data=st.data())
    def save_draft(self, data: st.DataObject) -> None:
        uid = data.draw(st.sampled_from(sorted(self.local)))
        self.queue.append(Request("put", uid, dict(self.local[uid])))

    @precondition(lambda self: self.local)
    @rule(data=st.data())
    def press_submit(self, data: st.DataObject) -> None:
        """The record leaves the editor: its submit is queued, the device edits it no more."""
        uid = data.draw(st.sampled_from(sorted(self.local)))
        self.queue.append(Request("submit", uid, self.local.pop(uid)))

    @precondition(lambda self: self.server or self.local)
    @rule(data=st.data(), item=st.sampled_from(PHOTO_ITEMS), picture=st.integers(0, 2))
    def take_photo(self, data: st.DataObject, item: str, picture: int) -> None:
        uid = data.draw(st.sampled_from(sorted({*self.server, *self.local})))
        photo = f"11111111-0000-4000-8000-{next(self.counter):012d}"
        self.queue.append(Request("photo", uid, photo=photo, item=item, image=PHOTOS[picture]))

    @precondition(lambda self: len(self.queue) > 1)
    @rule(data=st.data())
    def reorder(self, data: st.DataObject) -> None:
        self.queue = data.draw(st.permutations(self.queue))

    @precondition(lambda self: self.queue)
    @rule(drop=st.booleans())
    def send_next(self, drop: bool) -> None:
        """Send the head of the queue; a dropped response leaves it queued for a retry."""
        request = self.queue[0]
        settled = self.run(self._send(request, drop=drop))
        if settled and not drop:
            self.queue.pop(0)

    @precondition(lambda self: self.queue)
    @rule()
    def retry_everything(self) -> None:
        """Back online: send the whole queue in order, every answer received."""
        while self.queue:
            request = self.queue[0]
            if not self.run(self._send(request)):
                self.queue.append(self.queue.pop(0))  # e.g. a photo before its audit
                if all(not self._sendable(r) for r in self.queue):
                    break
            else:
                self.queue.pop(0)

    @precondition(lambda self: self.queue)
    @rule(data=st.data())
    def send_twice_at_once(self, data: st.DataObject) -> None:
        """The same request from two tabs (or a retry racing the original)."""
        request = data.draw(st.sampled_from(self.queue))
        self.run(self._send_concurrently(request))

    @precondition(lambda self: self.acked_submits)
    @rule(data=st.data(), answers=answers_for())
    def change_after_submit(self, data: st.DataObject, answers: dict[str, Any]) -> None:
        """A different payload for a submitted audit is 409 and changes nothing."""
        uid = data.draw(st.sampled_from(sorted(self.acked_submits)))
        submitted = self.acked_submits[uid]
        changed = {**submitted, "answers": answers}
        if same_content(changed, submitted):
            return
        r = self.run(self._request("POST", f"/api/audits/{uid}/submit", json=changed))
        assert r.status_code == 409, r.text
        r = self.run(self._request("PUT", f"/api/audits/{uid}", json=changed))
        assert r.status_code == 409, r.text

    @rule()
    def restart_server(self) -> None:
        async def go() -> None:
            cookies = await self._stop()
            await self._start(cookies)
            assert self.client is not None
            # Sessions live in the database: the device stays signed in.
            r = await self.client.get("/api/session")
            assert r.status_code == 200, r.text
            assert r.json()["csrf_token"] == self.csrf

        self.run(go())

    # ---- the server's expected answer to one request

    def _sendable(self, request: Request) -> bool:
        return request.kind != "photo" or request.audit in self.server

    def _expect(self, request: Request) -> tuple[int, Callable[[], None]]:
        """The status the server must answer given the expected state, and the state change."""
        uid, payload = request.audit, request.payload
        known = self.server.get(uid)

        def nothing() -> None:
            pass

        if request.kind == "photo":
            if known is None:
                return 404, nothing  # the audit has not reached the server yet
            if request.photo in self.server_photos:
                return 200, nothing

            def store_photo() -> None:
                self.server_photos[request.photo] = (uid, request.item, request.image)

            return 201, store_photo
        if request.kind == "put":
            if known is None:

                def create() -> None:
                    self.server[uid] = Expected("draft", payload)

                return 201, create
            if known.status == "draft":

                def update() -> None:
                    known.payload = payload

                return 200, update
            # Submitted: a replay of the same content is fine; a stale draft overtaken
            # by its own submit is refused (the outbox then drops it).
            return (200 if same_content(payload, known.payload) else 409), nothing
        if known is not None and known.status == "submitted":
            return (200 if same_content(payload, known.payload) else 409), nothing
        if not is_complete(payload):

            def keep_draft() -> None:
                if known is None:  # the work is kept as a draft, never submitted
                    self.server[uid] = Expected("draft", payload)
                self.local.setdefault(uid, payload)  # the device takes it back for editing

            return 422, keep_draft

        def submit() -> None:
            self.server[uid] = Expected("submitted", payload)

        return 200, submit

    def _raw(self, request: Request) -> tuple[str, str, dict[str, Any]]:
        if request.kind == "put":
            return "PUT", f"/api/audits/{request.audit}", {"json": request.payload}
        if request.kind == "submit":
            return "POST", f"/api/audits/{request.audit}/submit", {"json": request.payload}
        return (
            "PUT",
            f"/api/audits/{request.audit}/photos/{request.photo}?item={request.item}",
            {"content": request.image, "headers": {"Content-Type": "image/jpeg"}},
        )

    def _received(self, request: Request, response: httpx.Response) -> None:
        """What the device learns from an answer that reached it."""
        if request.kind == "submit":
            self.sent_submits.add(request.audit)
            if response.status_code == 200:
                self._check_submitted(request.audit, response.json())
                self.acked_submits[request.audit] = request.payload
            elif response.status_code == 422:
                assert response.json()["missing"], response.text

    async def _send(self, request: Request, *, drop: bool = False) -> bool:
        """Send one request and check the answer; True when it is settled (not a 404)."""
        status, change = self._expect(request)
        if request.kind == "submit":
            self.sent_submits.add(request.audit)
        method, url, kw = self._raw(request)
        response = await self._request(method, url, **kw)
        assert response.status_code == status, (request.kind, status, response.text)
        change()
        if not drop:
            self._received(request, response)
        return status != 404

    async def _send_concurrently(self, request: Request) -> None:
        """Two identical requests at once: one is processed as if alone, the other as its replay."""
        first, change = self._expect(request)
        change()
        second, change = self._expect(request)
        change()
        if request.kind == "submit":
            self.sent_submits.add(request.audit)
        method, url, kw = self._raw(request)
        responses = await asyncio.gather(
            self._request(method, url, **kw), self._request(method, url, **kw)
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == sorted([first, second]), [r.text for r in responses]
        for response in responses:
            self._received(request, response)

    def _check_submitted(self, uid: str, view: dict[str, Any]) -> None:
        payload = self.server[uid].payload
        answers = parse_answers(CHECKLIST, payload["answers"])
        assert view["status"] == "submitted"
        assert view["answers"] == answers_json(answers)
        assert view["scorecard"] == score_answers(CHECKLIST, answers).to_dict()

    # ---- invariants

    @invariant()
    def server_holds_exactly_the_expected_audits(self) -> None:
        if self.client is None:
            return
        rows = self.run(self._request("GET", "/api/audits?limit=10000")).json()
        uuids = [row["uuid"] for row in rows]
        assert len(uuids) == len(set(uuids)), "an audit is listed twice"
        assert {row["uuid"]: row["status"] for row in rows} == {
            uid: e.status for uid, e in self.server.items()
        }
        submitted = {row["uuid"] for row in rows if row["status"] == "submitted"}
        # The protocol's promise, in the client's terms.
        assert set(self.acked_submits) <= submitted
        assert submitted <= set(self.acked_submits) | self.sent_submits

    @invariant()
    def nothing_is_stored_twice(self) -> None:
        if self.client is None:
            return
        self.run(self._check_rows())

    async def _check_rows(self) -> None:
        ids = dict(await Audit.filter(uuid__in=list(self.server)).values_list("uuid", "id"))
        assert set(ids) == set(self.server)
        sections = len(CHECKLIST.sections)
        for uid, expected in self.server.items():
            count = await SectionScore.filter(audit_id=ids[uid]).count()
            assert count == (sections if expected.status == "submitted" else 0), uid
        scored = await ItemScore.filter(audit_id__in=list(ids.values())).values_list(
            "audit_id", "item_id"
        )
        assert len(scored) == len(set(scored)), "an item score is stored twice"
        photos = await Photo.filter(audit_id__in=list(ids.values())).values_list(
            "uuid", "item_id", "sha256"
        )
        assert {p[0]: (p[1], p[2]) for p in photos} == {
            photo: (item, hashlib.sha256(image).hexdigest())
            for photo, (_, item, image) in self.server_photos.items()
        }
        assert len(photos) == len(self.server_photos)

    async def _final_check(self) -> None:
        """The end state through the API: answers and scorecards as the device computes them."""
        for uid, expected in self.server.items():
            r = await self._request("GET", f"/api/audits/{uid}")
            assert r.status_code == 200, r.text
            view = r.json()
            assert view["status"] == expected.status
            if expected.status == "submitted":
                self._check_submitted(uid, view)
            else:
                answers = parse_answers(CHECKLIST, expected.payload["answers"])
                assert view["answers"] == answers_json(answers)
            assert sorted(p["uuid"] for p in view["photos"]) == sorted(
                photo for photo, (owner, _, _) in self.server_photos.items() if owner == uid
            )
        media = self.config.media_dir
        for photo, (uid, _, _) in self.server_photos.items():
            for name in photo_filenames(uid, photo):
                assert (media / name).is_file()
        assert not list(media.rglob(".upload-*")), "a half-written upload was left behind"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    monkeypatch.setattr(auth, "_hasher", cheap)
    monkeypatch.setattr(auth, "_DUMMY_HASH", cheap.hash("dummy"))


def test_outbox_protocol_never_loses_or_duplicates_an_acknowledged_audit(
    database_url: str, tmp_path: Path
) -> None:
    config = Settings(
        database_url=database_url,
        media_dir=tmp_path / "media",
        var_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",
    )

    # Tortoise caches insert SQL per connection name, not per dialect, and the
    # suite runs SQLite and PostgreSQL in one process.
    EXECUTOR_CACHE.clear()

    async def prepare() -> None:
        async with database(config):
            await seed()

    asyncio.run(prepare())
    Outbox.config = config
    run_state_machine_as_test(
        Outbox,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_answers_strategy_makes_valid_answers_and_some_incomplete() -> None:
    """The generator itself: every draw parses; complete and incomplete ones both occur."""
    seen: set[bool] = set()

    @given(answers_for())
    @settings(max_examples=60, deadline=None, database=None)
    def check(answers: dict[str, Any]) -> None:
        try:
            parsed = parse_answers(CHECKLIST, answers)
        except AnswersError as exc:
            raise AssertionError(exc.fields) from None
        seen.add(not score_answers(CHECKLIST, parsed).missing)

    check()
    assert seen == {True, False}
