"""Accounts and sessions: sign-in, cookies, throttling, CSRF, allowed hosts."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import httpx
import pytest
from argon2 import PasswordHasher
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from audit import auth
from audit.app import create_app
from audit.auth import COOKIE_NAME, SESSION_SECONDS
from audit.models import Audit, LoginThrottle, Session, User
from audit.store.accounts import add_user
from tests.helpers import PASSWORD, new_uuid, seed, sign_in

BODY = {"checklist": "shop", "location": "S1", "answers": {"answered": {"value": True}}}


# argon2 at its cheapest: every test seeds five users and signs in.
pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def session_cookie(response: httpx.Response) -> SimpleCookie:
    cookie = SimpleCookie()
    cookie.load(response.headers["set-cookie"])
    assert COOKIE_NAME in cookie
    return cookie


async def test_sign_in_returns_role_and_csrf_token_and_sets_a_strict_cookie(client, db):
    await seed()

    r = await client.post("/api/session", json={"email": "Auditor@X.test ", "password": PASSWORD})

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["role"] == "auditor"
    assert len(body["csrf_token"]) >= 32
    assert body["email"] == "auditor@x.test"
    morsel = session_cookie(r)[COOKIE_NAME]
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/"
    assert not morsel["secure"]  # plain http in tests
    assert int(morsel["max-age"]) == SESSION_SECONDS
    # The server keeps a hash of the token, never the token itself.
    token = client._transport.app.state.signer.loads(morsel.value)
    assert token
    assert await Session.filter(token_hash=auth.token_hash(token)).count() == 1
    assert not await Session.filter(token_hash=token).exists()


async def test_the_cookie_is_secure_over_https_and_when_configured(app, db):
    await seed()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as https:
        r = await https.post("/api/session", json={"email": "hq@x.test", "password": PASSWORD})
        assert r.status_code == 200
        assert session_cookie(r)[COOKIE_NAME]["secure"] is True
    forced = create_app(dataclasses.replace(db, https_only=True), manage_database=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=forced), base_url="http://testserver"
    ) as plain:
        r = await plain.post("/api/session", json={"email": "hq@x.test", "password": PASSWORD})
        assert r.status_code == 200
        assert session_cookie(r)[COOKIE_NAME]["secure"] is True


async def test_passwords_are_stored_as_argon2id_hashes(db, monkeypatch):
    monkeypatch.setattr(auth, "_hasher", PasswordHasher())  # the production parameters

    user, created = await add_user("new@x.test", "hq", PASSWORD, "New")

    assert created
    stored = (await User.get(id=user.id)).password_hash
    assert stored.startswith("$argon2id$")
    assert "m=65536,t=3" in stored
    assert PASSWORD not in stored
    assert await auth.verify_password(stored, PASSWORD)
    assert not await auth.verify_password(stored, PASSWORD + "!")


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "auditor@x.test", "password": "wrong password"},
        {"email": "nobody@x.test", "password": PASSWORD},
    ],
)
async def test_bad_credentials_are_401_with_one_message(client, db, credentials):
    await seed()

    r = await client.post("/api/session", json=credentials)

    assert r.status_code == 401
    assert r.json() == {"error": "wrong email or password", "fields": {}}
    assert "set-cookie" not in r.headers
    assert await Session.all().count() == 0


async def test_an_inactive_user_cannot_sign_in(client, db):
    await seed()
    await User.filter(email="auditor@x.test").update(active=False)

    r = await client.post("/api/session", json={"email": "auditor@x.test", "password": PASSWORD})

    assert r.status_code == 401


@pytest.mark.parametrize(
    ("raw", "status", "fields"),
    [
        (b"{oops", 400, {"body"}),
        (b"", 400, {"body"}),
        (b"[1, 2]", 422, {"body"}),
        (b"{}", 422, {"email", "password"}),
        (b'{"email": "a@x.test"}', 422, {"password"}),
        (b'{"email": 5, "password": ""}', 422, {"email", "password"}),
        (b'{"email": "a\\u0000@x.test", "password": "x"}', 400, {"body"}),
        (b'{"email": "a\\ud800@x.test", "password": "x"}', 400, {"body"}),
        (b"[" * 50_000, 400, {"body"}),
    ],
)
async def test_malformed_sign_ins_name_the_bad_fields(client, db, raw, status, fields):
    await seed()

    r = await client.post("/api/session", content=raw, headers={"Content-Type": "application/json"})

    assert r.status_code == status
    assert set(r.json()["fields"]) == fields
    assert await LoginThrottle.all().count() == 0


async def test_current_session_and_sign_out(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    cookie = client.cookies[COOKIE_NAME]

    me = await client.get("/api/session")
    assert me.status_code == 200
    assert me.json()["csrf_token"] == auditor.csrf
    assert me.json()["role"] == "auditor"

    r = await client.delete("/api/session", headers={"X-CSRF-Token": auditor.csrf})
    assert r.status_code == 204
    assert await Session.all().count() == 0
    assert (await client.get("/api/session")).status_code == 401
    # The old cookie is dead on the server, not only in this browser.
    client.cookies.set(COOKIE_NAME, cookie)
    assert (await client.get("/api/session")).status_code == 401
    assert (await client.get("/api/audits")).status_code == 401


async def test_signed_out_requests_are_401(client, db):
    await seed()

    for method, url in [
        ("GET", "/api/session"),
        ("DELETE", "/api/session"),
        ("GET", "/api/audits"),
    ]:
        r = await client.request(method, url)
        assert r.status_code == 401
        assert r.json()["error"]


async def test_a_tampered_cookie_is_401(client, db):
    await seed()
    await sign_in(client, "auditor@x.test")
    value = client.cookies[COOKIE_NAME]
    client.cookies.clear()

    for bad in (value[:-2] + ("AA" if value[-2:] != "AA" else "BB"), "x" + value, "garbage", ""):
        client.cookies.set(COOKIE_NAME, bad)
        assert (await client.get("/api/audits")).status_code == 401, bad
        client.cookies.clear()


async def test_a_cookie_signed_with_another_key_is_401(client, db):
    await seed()
    await sign_in(client, "auditor@x.test")
    token = client._transport.app.state.signer.loads(client.cookies[COOKIE_NAME])
    forged = URLSafeTimedSerializer("another-key", salt="audit-session").dumps(token)
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, forged)

    assert (await client.get("/api/audits")).status_code == 401


async def test_an_expired_cookie_is_401(client, db):
    await seed()
    await sign_in(client, "auditor@x.test")
    token = client._transport.app.state.signer.loads(client.cookies[COOKIE_NAME])

    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - SESSION_SECONDS - 60

    old = URLSafeTimedSerializer(db.secret_key, salt="audit-session", signer=LongAgo).dumps(token)
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, old)

    assert (await client.get("/api/audits")).status_code == 401


async def test_an_expired_server_session_is_401(client, db):
    await seed()
    await sign_in(client, "auditor@x.test")
    await Session.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))

    assert (await client.get("/api/audits")).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"X-CSRF-Token": "not-the-token"}, id="wrong-token"),
        pytest.param({"X-CSRF-Token": ""}, id="empty-token"),
    ],
)
async def test_cookie_writes_without_the_csrf_token_are_403(client, db, headers):
    await seed()
    await sign_in(client, "auditor@x.test")
    uid = new_uuid()

    put = await client.put(f"/api/audits/{uid}", json=BODY, headers=headers)
    submit = await client.post(f"/api/audits/{uid}/submit", json=BODY, headers=headers)
    out = await client.delete("/api/session", headers=headers)

    assert put.status_code == submit.status_code == out.status_code == 403
    assert "X-CSRF-TOKEN" in put.json()["error"]
    assert await Audit.all().count() == 0
    assert (await client.get("/api/session")).status_code == 200


async def test_another_sessions_csrf_token_is_403(app, client, db):
    await seed()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as other:
        theirs = await sign_in(other, "auditor2@x.test")
    await sign_in(client, "auditor@x.test")

    r = await client.put(
        f"/api/audits/{new_uuid()}", json=BODY, headers={"X-CSRF-Token": theirs.csrf}
    )

    assert r.status_code == 403
    assert await Audit.all().count() == 0


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://testserver.evil.example", "null", "http://evil"]
)
async def test_writes_from_another_origin_are_403_even_with_the_token(client, db, origin):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")

    r = await auditor.put(f"/api/audits/{new_uuid()}", json=BODY, headers={"Origin": origin})
    login = await client.post(
        "/api/session",
        json={"email": "hq@x.test", "password": PASSWORD},
        headers={"Origin": origin},
    )

    assert r.status_code == 403
    assert login.status_code == 403
    assert "set-cookie" not in login.headers
    assert await Audit.all().count() == 0


async def test_same_origin_writes_with_the_token_pass(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")

    r = await auditor.put(
        f"/api/audits/{new_uuid()}", json=BODY, headers={"Origin": "http://testserver"}
    )

    assert r.status_code == 201, r.text


async def test_only_allowed_hosts_are_served(db):
    await seed()
    app = create_app(
        dataclasses.replace(db, allowed_hosts=("audit.example.com",)), manage_database=False
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://evil.example") as bad:
        r = await bad.post("/api/session", json={"email": "hq@x.test", "password": PASSWORD})
        assert r.status_code == 400
        assert "set-cookie" not in r.headers
    async with httpx.AsyncClient(transport=transport, base_url="http://audit.example.com") as ok:
        assert (await sign_in(ok, "hq@x.test")).role == "hq"


async def test_api_responses_are_not_cached_and_carry_security_headers(client, db):
    await seed()
    await sign_in(client, "hq@x.test")

    r = await client.get("/api/audits")

    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_a_cookie_checked_once_is_still_refused_once_it_expires(monkeypatch):
    signer = auth.CookieSigner("secret")
    cookie = signer.dumps("token-1")
    forged = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")

    assert signer.loads(cookie) == "token-1"
    assert signer.loads(cookie) == "token-1"  # the second time from what was checked
    assert signer.loads(forged) is None
    assert forged not in signer._verified

    later = time.time() + SESSION_SECONDS + 60
    monkeypatch.setattr(auth.time, "time", lambda: later)
    assert signer.loads(cookie) is None
    assert auth.CookieSigner("secret").loads(cookie) is None  # itsdangerous agrees
