"""Every route of the app, tried by every role: the access table of docs/reliability.md.

The roles are the three of the contract (auditor, owner, HQ) plus the ones a
sceptic adds: an auditor and an owner to whom the audit does not belong, and
three kinds of visitor without a valid session (none, a tampered cookie, an
expired one).  Every route in the app's routes table must have a row in
``MATRIX``: a new route without one fails here until someone decides who may
call it.

The target of every ``{uuid}`` is one approved audit of location S1, made by
``auditor@x.test``, with one photo.  Roles that are refused go first and must
leave the database exactly as it was; the allowed ones follow.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher, profiles
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from PIL import Image
from starlette.routing import Mount, Route

from audit import auth
from audit.app import create_app
from audit.auth import COOKIE_NAME, SESSION_SECONDS
from audit.models import (
    Assignment,
    Audit,
    CorrectiveAction,
    Location,
    Photo,
    ReviewEvent,
    Session,
    VisitCheck,
)
from audit.settings import Settings
from tests.helpers import PASSWORD, new_uuid, seed

# Refused roles first: they must change nothing.
ROLES = (
    "anonymous",
    "tampered",
    "expired",
    "other_owner",
    "other_auditor",
    "owner",
    "auditor",
    "hq",
)
EMAILS = {
    "auditor": "auditor@x.test",
    "other_auditor": "auditor2@x.test",
    "owner": "owner@x.test",
    "other_owner": "owner2@x.test",
    "hq": "hq@x.test",
}
# What identifies the auditor of the target audit; an owner's answer holds none of it.
# Nor does it hold the proof of visit: where the phone was, when, the trust score.
CHECK_IN = {"latitude": 45.7641234, "longitude": 4.8361234, "accuracy": 12.5}
AUDITOR_IDENTITY = ("auditor@x.test", "Ann Auditor", "45.7641234", "4.8361234")
# The words of the proof of visit, in any answer about audits (the public
# schema at /openapi.json describes the fields, so it is not searched).
PROOF_WORDS = ("trust", "check_in", "check_out", "accuracy", "received_at")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ANSWERS: dict[str, Any] = {
    "answered": {"value": True},
    "rings": {"value": 4, "comment": "voicemail first"},
    "needed_restroom": {"value": False},
    "clean": {"value": 4},
    "recommend": {"value": 9},
    "notes": {"value": "Tidy shelves."},
}
PAYLOAD = {
    "checklist": "shop",
    "location": "S1",
    "visited_at": "2026-11-20T14:30:00Z",
    "answers": ANSWERS,
}


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


PHOTO = jpeg()


@dataclass(frozen=True)
class Case:
    """How to call one route and what each role gets.

    ``expect`` names auditor, other_auditor, owner, other_owner and hq; the
    three roles without a valid session all get ``signed_out``.
    """

    expect: dict[str, int]
    signed_out: int = 401
    query: str = ""
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def status(self, role: str) -> int:
        if role in ("anonymous", "tampered", "expired"):
            return self.signed_out
        return self.expect[role]


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(EMAILS, status)


def only(status: int, *roles: str, others: int = 404) -> dict[str, int]:
    return {role: status if role in roles else others for role in EMAILS}


# Who sees the target audit: its auditor, HQ, and the owner of S1 (it is approved).
AUDIT_READERS = ("auditor", "owner", "hq")
HQ_ONLY = only(200, "hq")

MATRIX: dict[tuple[str, str], Case] = {
    # ---- session
    # Signing in (again) with one's own good credentials works for anyone.
    ("POST", "/api/session"): Case(everyone(200), signed_out=200),
    ("GET", "/api/session"): Case(everyone(200)),
    ("PATCH", "/api/session"): Case(everyone(200), json={"language": "fr"}),
    ("DELETE", "/api/session"): Case(everyone(204)),
    # ---- passwords: for people signed out, so anyone may call them; no CSRF
    # token (there is none before signing in), the Origin is still checked.
    # An empty address is 422: the throttle allows five requests per address,
    # fewer than the roles here (tests/test_invitations.py covers the 202).
    ("POST", "/api/password-reset"): Case(everyone(422), signed_out=422, json={"email": ""}),
    ("POST", "/api/password-link"): Case(
        everyone(404), signed_out=404, json={"token": "no-such-link-0000000000"}
    ),
    ("POST", "/api/password"): Case(
        everyone(404),
        signed_out=404,
        json={"token": "no-such-link-0000000000", "password": "lantern orchard seventeen"},
    ),
    # ---- reference data
    ("GET", "/api/locations"): Case(everyone(200)),
    ("GET", "/api/checklists"): Case(everyone(200)),
    ("GET", "/api/checklists/{checklist_id}"): Case(everyone(200)),
    ("GET", "/api/assignments"): Case(only(200, "auditor", "other_auditor", "hq")),
    ("POST", "/api/assignments"): Case(
        only(201, "hq"), json={"location": "S1", "checklist": "shop", "notes": "matrix"}
    ),
    # The target assignment is open and claimed by the auditor: claiming it
    # again is theirs; the other auditor learns only that it is taken.
    ("POST", "/api/assignments/{assignment_id}/claim"): Case(
        {**only(200, "auditor"), "other_auditor": 409}
    ),
    ("POST", "/api/assignments/{assignment_id}/release"): Case(only(200, "auditor")),
    ("POST", "/api/assignments/{assignment_id}/assign"): Case(
        only(200, "hq"), json={"auditor": "auditor@x.test"}
    ),
    # ---- waves
    ("GET", "/api/waves"): Case(HQ_ONLY),
    ("GET", "/api/waves/{wave_id}"): Case(HQ_ONLY),
    ("POST", "/api/waves"): Case(
        only(201, "hq"),
        json={
            "name": "Matrix",
            "checklist": "shop",
            "locations": ["S1"],
            "from": "2026-06-01",
            "to": "2026-06-30",
        },
    ),
    # ---- audits (the same payload again: a replay changes nothing)
    ("GET", "/api/audits"): Case(everyone(200)),
    ("GET", "/api/audits/{uuid}"): Case(only(200, *AUDIT_READERS)),
    ("PUT", "/api/audits/{uuid}"): Case(only(200, "auditor"), json=PAYLOAD),
    ("POST", "/api/audits/{uuid}/submit"): Case(only(200, "auditor")),
    ("POST", "/api/audits/{uuid}/review"): Case(
        only(200, "hq"), json={"decision": "approve", "note": ""}
    ),
    ("PUT", "/api/audits/{uuid}/photos/{photo_uuid}"): Case(
        only(200, "auditor"),
        query="?item=clean",
        content=PHOTO,
        headers={"Content-Type": "image/jpeg"},
    ),
    ("GET", "/api/audits/{uuid}/photos/{photo_uuid}"): Case(only(200, *AUDIT_READERS)),
    # An approved audit's photos are closed: its auditor gets 409, nobody else learns it exists.
    ("DELETE", "/api/audits/{uuid}/photos/{photo_uuid}"): Case(only(409, "auditor")),
    # Only a never-submitted draft can be discarded: the approved target is 409.
    ("DELETE", "/api/audits/{uuid}"): Case(only(409, "auditor")),
    ("PUT", "/api/audits/{uuid}/owner-text/{item}"): Case(
        HQ_ONLY, json={"text": "Tidy shelves.", "cleared": True}
    ),
    # Proof of visit: the target is approved, so its auditor's new check is 409.
    ("POST", "/api/audits/{uuid}/check-in"): Case(
        only(409, "auditor"), json={"permission": "denied"}
    ),
    ("POST", "/api/audits/{uuid}/check-out"): Case(
        only(409, "auditor"), json={"permission": "denied"}
    ),
    ("GET", "/api/locations/{code}/place"): Case(HQ_ONLY),
    ("PUT", "/api/locations/{code}/place"): Case(
        HQ_ONLY,
        json={"latitude": 45.764043, "longitude": 4.835659, "hours": None, "timezone": None},
    ),
    # ---- appeals: the owner of S1 disputes an item of the approved target;
    # {uuid} of an appeal's own routes is the audit's, which names no appeal.
    ("GET", "/api/audits/{uuid}/appeals"): Case(only(200, "owner", "hq")),
    ("POST", "/api/audits/{uuid}/appeals"): Case(
        only(201, "owner"), json={"item": "answered", "reason": "The matrix says so."}
    ),
    ("GET", "/api/appeals"): Case(only(200, "owner", "other_owner", "hq")),
    ("GET", "/api/appeals/{uuid}"): Case(everyone(404)),
    ("PUT", "/api/appeals/{uuid}/photo"): Case(
        everyone(404), content=PHOTO, headers={"Content-Type": "image/jpeg"}
    ),
    ("GET", "/api/appeals/{uuid}/photo"): Case(everyone(404)),
    ("POST", "/api/appeals/{uuid}/decision"): Case(
        everyone(404), json={"decision": "rejected", "note": "No."}
    ),
    # ---- corrective actions: the owner of S1 records one for the weak item
    # (rings 4) of the approved target; HQ reads every action and records none.
    ("GET", "/api/audits/{uuid}/actions"): Case(only(200, "owner", "hq")),
    ("PUT", "/api/audits/{uuid}/actions/{item}"): Case(
        only(201, "owner"),
        json={
            "what": "Answer within three rings",
            "who": "Shift lead",
            "due": (date.today() + timedelta(days=30)).isoformat(),
        },
    ),
    ("GET", "/api/actions"): Case(only(200, "owner", "other_owner", "hq")),
    ("GET", "/api/audits/{uuid}/report.pdf"): Case(only(200, "owner", "hq")),
    ("GET", "/api/audits/{uuid}/report.json"): Case(only(200, "owner", "hq")),
    # ---- HQ (JSON twins and exports)
    ("GET", "/api/compare"): Case(HQ_ONLY, query="?checklist=shop"),
    ("GET", "/api/compare.csv"): Case(HQ_ONLY, query="?checklist=shop"),
    ("GET", "/api/compare.xlsx"): Case(HQ_ONLY, query="?checklist=shop"),
    ("GET", "/api/heatmap"): Case(HQ_ONLY, query="?checklist=shop"),
    ("GET", "/api/trends"): Case(HQ_ONLY, query="?checklist=shop"),
    ("GET", "/api/weakest-items"): Case(HQ_ONLY, query="?checklist=shop"),
    ("GET", "/api/review-queue"): Case(HQ_ONLY),
    ("GET", "/api/shoppers"): Case(HQ_ONLY),
    # The path names no user ({user_id} is left as it is): 422 for HQ, 404 for the rest.
    ("GET", "/api/shoppers/{user_id}"): Case(only(422, "hq")),
    ("GET", "/api/audits.csv"): Case(HQ_ONLY),
    ("GET", "/api/audits.xlsx"): Case(HQ_ONLY),
    ("GET", "/api/answers.csv"): Case(HQ_ONLY),
    ("GET", "/api/answers.xlsx"): Case(HQ_ONLY),
    # ---- HQ pages: signed-out visitors are sent to the sign-in page
    ("GET", "/hq"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/heatmap"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/trends"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/weakest"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/review"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/locations/{code}"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/audits/{uuid}"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/appeals"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/actions"): Case(HQ_ONLY, signed_out=303),
    # {uuid} is the audit's, which names no appeal: 404 even for HQ.
    ("GET", "/hq/appeals/{uuid}"): Case(everyone(404), signed_out=303),
    ("GET", "/hq/users"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/shoppers"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/shoppers/{user_id}"): Case(only(422, "hq"), signed_out=303),
    ("GET", "/hq/waves"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/waves/new"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/waves/{wave_id}"): Case(HQ_ONLY, signed_out=303),
    ("GET", "/hq/assignments"): Case(HQ_ONLY, signed_out=303),
    # The path names no user ({user_id} is left as it is): 404 even for HQ, so
    # the matrix signs nobody out; tests/test_hq_users.py covers what they do.
    ("POST", "/hq/users/{user_id}/end-sessions"): Case(everyone(404), signed_out=303),
    ("POST", "/hq/users/{user_id}/deactivate"): Case(everyone(404), signed_out=303),
    # JSON posts of the users and import pages (signed out: 401); ids and
    # digests are left as they are, so 404 even for HQ (tests/test_invitations.py
    # and tests/test_hq_imports.py cover what they do).
    ("POST", "/hq/users/{user_id}/reactivate"): Case(everyone(404)),
    ("POST", "/hq/users/{user_id}/invite"): Case(everyone(404)),
    ("POST", "/hq/users/invite"): Case(
        only(201, "hq"), json={"email": "matrix@x.test", "role": "auditor"}
    ),
    ("GET", "/hq/import"): Case(HQ_ONLY, signed_out=303),
    ("POST", "/hq/import"): Case(
        only(201, "hq"), query="?kind=locations&name=m.csv", content=b"code,name\nM1,Matrix\n"
    ),
    ("GET", "/hq/import/{kind}/{digest}"): Case(everyone(404), signed_out=303),
    ("POST", "/hq/import/{kind}/{digest}/apply"): Case(everyone(404), json={"plan": "0" * 64}),
    # ---- HQ's integrations: pages (signed out: to sign-in) and their JSON posts
    # (signed out: 401); ids are left as they are, so 404 even for HQ
    # (tests/test_api_tokens.py, tests/test_webhooks.py cover what they do).
    ("GET", "/hq/tokens"): Case(HQ_ONLY, signed_out=303),
    ("POST", "/hq/tokens"): Case(only(201, "hq"), json={"name": "BI", "scope": "read"}),
    ("POST", "/hq/tokens/{token_id}/revoke"): Case(everyone(404)),
    ("GET", "/hq/webhooks"): Case(HQ_ONLY, signed_out=303),
    ("POST", "/hq/webhooks"): Case(
        only(201, "hq"), json={"url": "https://example.com/hook", "events": ["audit.approved"]}
    ),
    ("GET", "/hq/webhooks/{endpoint_id}"): Case(everyone(404), signed_out=303),
    ("POST", "/hq/webhooks/{endpoint_id}/switch"): Case(everyone(404), json={"active": False}),
    ("POST", "/hq/webhooks/{endpoint_id}/delete"): Case(everyone(404)),
    ("POST", "/hq/webhooks/{endpoint_id}/ping"): Case(everyone(404)),
    ("POST", "/hq/webhooks/{endpoint_id}/deliveries/{delivery_id}/resend"): Case(everyone(404)),
    # ---- public: the PWA shell, the schema, health
    ("GET", "/"): Case(everyone(200), signed_out=200),
    ("GET", "/sw.js"): Case(everyone(200), signed_out=200),
    ("GET", "/manifest.webmanifest"): Case(everyone(200), signed_out=200),
    ("GET", "/static"): Case(everyone(200), signed_out=200, query="/sw.js"),
    ("GET", "/openapi.json"): Case(everyone(200), signed_out=200),
    ("GET", "/healthz"): Case(everyone(200), signed_out=200),
    ("GET", "/readyz"): Case(everyone(200), signed_out=200),
    # HQ, or the metrics token: anyone else does not learn it exists.
    ("GET", "/metrics"): Case(HQ_ONLY, signed_out=404),
}


def routes_of(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every entry in the app's routes table; mounts answer GET."""
    found: list[tuple[str, str]] = []
    for route in app.routes:
        if isinstance(route, Route):
            found += [(m, route.path) for m in sorted(route.methods or ()) if m != "HEAD"]
        elif isinstance(route, Mount):
            found.append(("GET", route.path))
    return found


# The routes table needs no database: build it once to parametrize the tests.
APP_ROUTES = routes_of(create_app(Settings(secret_key="collect"), manage_database=False))
WRITE_ROUTES = [r for r in APP_ROUTES if r[0] in WRITE_METHODS]
# Writes made before there is a session (signing in, choosing a password from
# a link): no CSRF token exists yet; only the Origin check guards them.
SIGNED_OUT_WRITES = {
    ("POST", "/api/session"),
    ("POST", "/api/password-reset"),
    ("POST", "/api/password-link"),
    ("POST", "/api/password"),
}


def route_id(route: tuple[str, str]) -> str:
    return f"{route[0]} {route[1]}"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    # argon2 at its cheapest: every test seeds five users and signs them all in.
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    monkeypatch.setattr(auth, "_hasher", cheap)
    monkeypatch.setattr(auth, "_DUMMY_HASH", cheap.hash("dummy"))


@dataclass
class Target:
    audit: str
    photo: str
    assignment: int = 0  # open, claimed by the auditor
    wave: int = 0


class Caller:
    """One role on a client of its own; writes carry that session's CSRF token."""

    def __init__(self, client: httpx.AsyncClient, csrf: str = "") -> None:
        self.client = client
        self.csrf = csrf

    async def call(
        self, method: str, url: str, case: Case, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        sent = dict(case.headers)
        if method in WRITE_METHODS and self.csrf:
            sent["X-CSRF-Token"] = self.csrf
        sent.update(headers or {})
        kwargs: dict[str, Any] = {"headers": sent}
        if case.content is not None:
            kwargs["content"] = case.content
        elif case.json is not None:
            kwargs["json"] = case.json
        return await self.client.request(method, url, **kwargs)


@pytest.fixture
async def clients(app) -> AsyncIterator[Callable[[], httpx.AsyncClient]]:
    made: list[httpx.AsyncClient] = []

    def new() -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        made.append(client)
        return client

    yield new
    for client in made:
        await client.aclose()


async def signed_in(new: Callable[[], httpx.AsyncClient], email: str) -> Caller:
    client = new()
    r = await client.post("/api/session", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return Caller(client, r.json()["csrf_token"])


def resign(cookie: str, secret: str, *, age: int = 0) -> str:
    """The session token of ``cookie`` signed again, as if ``age`` seconds ago."""
    token = URLSafeTimedSerializer(secret, salt="audit-session").loads(cookie)

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age

    return URLSafeTimedSerializer(secret, salt="audit-session", signer=Backdated).dumps(token)


@pytest.fixture
async def world(db, clients) -> tuple[Target, dict[str, Caller]]:
    """The target audit (approved, with a photo) and a caller for every role."""
    await seed()
    target = Target(new_uuid(), new_uuid())
    callers = {role: await signed_in(clients, email) for role, email in EMAILS.items()}
    auditor, hq = callers["auditor"], callers["hq"]
    r = await auditor.call("PUT", f"/api/audits/{target.audit}", Case({}, json=PAYLOAD))
    assert r.status_code == 201, r.text
    photo = MATRIX[("PUT", "/api/audits/{uuid}/photos/{photo_uuid}")]
    r = await auditor.call(
        "PUT", f"/api/audits/{target.audit}/photos/{target.photo}?item=clean", photo
    )
    assert r.status_code == 201, r.text
    for kind in ("check-in", "check-out"):
        r = await auditor.call(
            "POST", f"/api/audits/{target.audit}/{kind}", Case({}, json=CHECK_IN)
        )
        assert r.status_code == 201, r.text
    r = await auditor.call("POST", f"/api/audits/{target.audit}/submit", Case({}))
    assert r.status_code == 200, r.text
    review = MATRIX[("POST", "/api/audits/{uuid}/review")]
    r = await hq.call("POST", f"/api/audits/{target.audit}/review", review)
    assert r.status_code == 200, r.text

    r = await hq.call(
        "POST", "/api/assignments", Case({}, json={"location": "S2", "checklist": "shop"})
    )
    assert r.status_code == 201, r.text
    target = replace(target, assignment=r.json()["id"])
    r = await auditor.call("POST", f"/api/assignments/{target.assignment}/claim", Case({}))
    assert r.status_code == 200, r.text
    wave = {**MATRIX[("POST", "/api/waves")].json, "name": "World"}
    r = await hq.call("POST", "/api/waves", Case({}, json=wave))
    assert r.status_code == 201, r.text
    target = replace(target, wave=r.json()["id"])

    callers["anonymous"] = Caller(clients())
    # A cookie whose signature was tampered with, and one past its lifetime;
    # each still carries a live server session, so only the cookie is wrong.
    for role, make in (
        ("tampered", lambda c: c[:-4] + ("AAAA" if c[-4:] != "AAAA" else "BBBB")),
        ("expired", lambda c: resign(c, db.secret_key, age=SESSION_SECONDS + 60)),
    ):
        holder = await signed_in(clients, EMAILS["auditor"])
        cookie = holder.client.cookies[COOKIE_NAME]
        holder.client.cookies.clear()
        holder.client.cookies.set(COOKIE_NAME, make(cookie))
        callers[role] = holder
    return target, callers


def url_for(method: str, path: str, case: Case, target: Target) -> str:
    filled = (
        path.replace("{uuid}", target.audit)
        .replace("{photo_uuid}", target.photo)
        .replace("{checklist_id}", "shop")
        .replace("{code}", "S1")
        # The weak item of the target (rings 4): one an owner may record an action for.
        .replace("/actions/{item}", "/actions/rings")
        .replace("{item}", "notes")
        .replace("{assignment_id}", str(target.assignment))
        .replace("{wave_id}", str(target.wave))
    )
    return filled + case.query


async def database_state() -> dict[str, Any]:
    return {
        "audits": await Audit.all().order_by("id").values(),
        "photos": await Photo.all().order_by("id").values(),
        "assignments": await Assignment.all().count(),
        "actions": await CorrectiveAction.all().values(),
        "reviews": await ReviewEvent.all().count(),
        "sessions": await Session.all().count(),
        "visit_checks": await VisitCheck.all().order_by("id").values(),
        "places": await Location.all().order_by("id").values("latitude", "longitude"),
    }


def assert_no_auditor_identity(role: str, response: httpx.Response, label: str) -> None:
    if role not in ("owner", "other_owner"):
        return
    body = response.content
    for secret in AUDITOR_IDENTITY:
        assert secret.encode() not in body, f"{label}: the {role}'s answer names the auditor"
    if "/api/audits" in label:
        for word in PROOF_WORDS:
            assert word.encode() not in body, f"{label}: the {role}'s answer tells of the visit"


def test_every_route_of_the_app_has_a_row_in_the_matrix():
    missing = [route_id(r) for r in APP_ROUTES if r not in MATRIX]
    assert not missing, f"decide who may call these and add them to MATRIX: {missing}"
    # The API of the contract is all there.
    for route in [
        ("POST", "/api/session"),
        ("GET", "/api/audits/{uuid}"),
        ("PUT", "/api/audits/{uuid}"),
        ("POST", "/api/audits/{uuid}/submit"),
        ("POST", "/api/audits/{uuid}/review"),
        ("PUT", "/api/audits/{uuid}/photos/{photo_uuid}"),
    ]:
        assert route in APP_ROUTES


@pytest.mark.parametrize("route", APP_ROUTES, ids=route_id)
async def test_every_role_gets_what_the_matrix_says(route, world):
    target, callers = world
    method, path = route
    case = MATRIX.get(route)
    assert case is not None, f"{route_id(route)} has no row in MATRIX"
    url = url_for(method, path, case, target)
    before = await database_state()
    refused_phase = True
    got: dict[str, int] = {}
    for role in ROLES:
        if route == ("POST", "/api/session"):
            email = EMAILS.get(role, "hq@x.test")
            case = replace(case, json={"email": email, "password": PASSWORD})
        if refused_phase and case.status(role) < 400 and method in WRITE_METHODS:
            # Before the first allowed write: everyone refused so far changed nothing.
            assert await database_state() == before, f"{route_id(route)}: a refused role wrote"
            refused_phase = False
        response = await callers[role].call(method, url, case)
        got[role] = response.status_code
        label = f"{route_id(route)} as {role}"
        if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            assert response.json()["error"], label
        assert_no_auditor_identity(role, response, label)
    want = {role: MATRIX[route].status(role) for role in ROLES}
    assert got == want, route_id(route)


@pytest.mark.parametrize(
    "route", [r for r in WRITE_ROUTES if r not in SIGNED_OUT_WRITES], ids=route_id
)
async def test_cookie_writes_without_the_csrf_token_are_403_and_change_nothing(route, world):
    target, callers = world
    method, path = route
    case = MATRIX[route]
    allowed = [role for role in EMAILS if case.status(role) < 400] or ["auditor"]
    caller = callers[allowed[0]]
    before = await database_state()

    for headers in ({"X-CSRF-Token": ""}, {"X-CSRF-Token": "not-the-token"}):
        bare = Caller(caller.client)  # the valid cookie, but no (or a wrong) token
        r = await bare.call(method, url_for(method, path, case, target), case, headers=headers)
        assert r.status_code == 403, (route_id(route), headers, r.text)
        assert "csrf" in r.json()["error"].lower()
    assert await database_state() == before


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=route_id)
async def test_cross_origin_writes_with_a_valid_cookie_and_token_are_403(route, world):
    target, callers = world
    method, path = route
    case = MATRIX[route]
    allowed = [role for role in EMAILS if case.status(role) < 400] or ["auditor"]
    before = await database_state()

    for origin in ("https://evil.example", "null", "http://testserver.evil.example"):
        r = await callers[allowed[0]].call(
            method, url_for(method, path, case, target), case, headers={"Origin": origin}
        )
        assert r.status_code == 403, (route_id(route), origin, r.text)
        assert "cross-origin" in r.json()["error"]
    assert await database_state() == before


async def test_same_origin_writes_with_cookie_and_token_pass(world):
    target, callers = world
    case = MATRIX[("PUT", "/api/audits/{uuid}")]
    r = await callers["auditor"].call(
        "PUT", f"/api/audits/{target.audit}", case, headers={"Origin": "http://testserver"}
    )
    assert r.status_code == 200, r.text


async def test_the_expired_cookie_holds_a_live_session(world, db):
    """Control for the matrix: only the cookie's age is wrong; signed anew it is accepted."""
    _, callers = world
    client = callers["expired"].client
    assert (await client.get("/api/session")).status_code == 401
    fresh = resign(client.cookies[COOKIE_NAME], db.secret_key)
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, fresh)
    assert (await client.get("/api/session")).status_code == 200


async def test_a_cookie_signed_with_another_secret_key_is_401(world):
    _, callers = world
    client = callers["auditor"].client
    token = URLSafeTimedSerializer(
        "test-secret-key-not-for-production", salt="audit-session"
    ).loads(client.cookies[COOKIE_NAME])
    client.cookies.clear()
    client.cookies.set(
        COOKIE_NAME, URLSafeTimedSerializer("another-key", salt="audit-session").dumps(token)
    )
    assert (await client.get("/api/audits")).status_code == 401


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("audit.example", 200),
        ("evil.example", 400),
        ("audit.example.evil.example", 400),
        ("127.0.0.1", 400),
        ("", 400),
    ],
)
async def test_only_the_allowed_host_is_served(db, host, status):
    app = create_app(replace(db, allowed_hosts=("audit.example",)), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://audit.example") as client:
        for path in ("/healthz", "/api/session", "/openapi.json"):
            r = await client.get(path, headers={"Host": host})
            expected = status if status != 200 or path != "/api/session" else 401
            assert r.status_code == expected, (host, path)


async def test_owners_answers_name_no_auditor_on_any_route(world):
    """Every GET an owner may make, at every audit state they can reach."""
    target, callers = world
    owner = callers["owner"]
    reached = 0
    for method, path in APP_ROUTES:
        case = MATRIX[(method, path)]
        if method != "GET" or case.status("owner") >= 400:
            continue
        r = await owner.call(method, url_for(method, path, case, target), case)
        assert r.status_code == 200
        assert_no_auditor_identity("owner", r, route_id((method, path)))
        reached += 1
    assert reached >= 6


def test_every_test_named_in_docs_reliability_exists():
    """docs/reliability.md backs each case with `file::name`; renaming a test must update it."""
    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "reliability.md").read_text()
    named = set(re.findall(r"(tests/[\w/]+\.py)::(\w+)", text))
    assert len(named) >= 40
    missing = [
        f"{path}::{name}"
        for path, name in sorted(named)
        if not (root / path).is_file()
        or not re.search(rf"\bdef {name}\b", (root / path).read_text())
    ]
    assert not missing, f"docs/reliability.md names tests that do not exist: {missing}"
