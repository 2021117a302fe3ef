"""HQ's personal API tokens: made and revoked on the tokens page, used as Bearer on the JSON API.

A token is shown once and stored hashed; a read-only one is refused every
write with 403 naming its scope; a revoked or expired one is 401; none opens
a page, a session or the token page itself; use is counted and throttled.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from audit.models import ApiToken, Assignment, Audit, User
from audit.workflow import tokens as token_workflow
from tests.conftest import make_client
from tests.helpers import Session, seed, sign_in
from tests.test_durability import payload

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
async def hq(app, db):
    await seed()
    async with make_client(app) as client:
        yield await sign_in(client, "hq@x.test")


async def make_token(hq: Session, scope: str = "read", **extra) -> str:
    r = await hq.post("/hq/tokens", json={"name": f"BI ({scope})", "scope": scope, **extra})
    assert r.status_code == 201, r.text
    token: str = r.json()["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def submitted_audit(login) -> str:
    auditor = await login("auditor@x.test")
    uid = "6f1c2a3e-8b7d-4c5e-9f10-2a3b4c5d6e7f"
    r = await auditor.post(f"/api/audits/{uid}/submit", json=payload(1))
    assert r.status_code == 200, r.text
    return uid


async def test_a_token_is_shown_once_stored_hashed_and_reads_the_api_without_a_session(hq, app):
    token = await make_token(hq)

    row = await ApiToken.get()
    assert token.startswith("audit_") and len(token) > 40
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.prefix, row.name, row.token_hash) and token.startswith(row.prefix)
    page = await hq.get("/hq/tokens")
    assert page.status_code == 200
    assert row.prefix in page.text and token not in page.text

    async with make_client(app) as machine:  # no cookie at all
        r = await machine.get("/api/compare", params={"checklist": "shop"}, headers=bearer(token))
        listed = await machine.get("/api/audits", headers=bearer(token))
        export = await machine.get("/api/audits.csv", headers=bearer(token))
        without = await machine.get("/api/audits")

    assert r.status_code == 200, r.text
    assert listed.status_code == 200 and export.status_code == 200
    assert without.status_code == 401
    used = await ApiToken.get(id=row.id)
    assert used.uses == 3 and used.last_used_at is not None and used.last_used_from


async def test_a_read_only_token_gets_403_naming_its_scope_on_every_write_and_nothing_changes(
    hq, app, login
):
    token = await make_token(hq, "read")
    uid = await submitted_audit(login)

    async with make_client(app) as machine:
        assign = await machine.post(
            "/api/assignments",
            json={"location": "S1", "checklist": "shop"},
            headers=bearer(token),
        )
        review = await machine.post(
            f"/api/audits/{uid}/review", json={"decision": "approve"}, headers=bearer(token)
        )

    for r in (assign, review):
        assert r.status_code == 403, r.text
        assert "scope is read" in r.json()["error"]
        assert r.json()["fields"] == {"Authorization": "token scope is read"}
    assert await Assignment.all().count() == 0
    assert (await Audit.get(uuid=uid)).status == "submitted"


async def test_a_read_write_token_writes_without_a_csrf_header_but_not_from_a_foreign_origin(
    hq, app, login
):
    token = await make_token(hq, "write")
    uid = await submitted_audit(login)

    async with make_client(app) as machine:
        foreign = await machine.post(
            f"/api/audits/{uid}/review",
            json={"decision": "approve"},
            headers={**bearer(token), "Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
        assert (await Audit.get(uuid=uid)).status == "submitted"
        approved = await machine.post(
            f"/api/audits/{uid}/review", json={"decision": "approve"}, headers=bearer(token)
        )
        assigned = await machine.post(
            "/api/assignments", json={"location": "S2", "checklist": "shop"}, headers=bearer(token)
        )

    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert assigned.status_code == 201, assigned.text
    events = await (await Audit.get(uuid=uid)).review_events.all()
    hq_user = await User.get(email="hq@x.test")
    assert [(e.action, e.actor_id) for e in events] == [("approve", hq_user.id)]


async def test_a_revoked_or_expired_token_is_401(hq, app):
    revoked, expired = await make_token(hq, "write"), await make_token(hq, "read")
    first = await ApiToken.get(token_hash=hashlib.sha256(revoked.encode()).hexdigest())
    r = await hq.post(f"/hq/tokens/{first.id}/revoke")
    assert r.status_code == 200, r.text
    await ApiToken.filter(token_hash=hashlib.sha256(expired.encode()).hexdigest()).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )

    async with make_client(app) as machine:
        gone = await machine.get("/api/audits", headers=bearer(revoked))
        old = await machine.get("/api/audits", headers=bearer(expired))

    assert gone.status_code == 401 and gone.json()["error"] == "this API token was revoked"
    assert old.status_code == 401 and "expired" in old.json()["error"]
    page = await hq.get("/hq/tokens")
    assert ">revoked<" in page.text and ">expired<" in page.text


async def test_a_token_opens_no_page_no_session_and_cannot_make_or_revoke_tokens(hq, app):
    token = await make_token(hq, "write")
    row = await ApiToken.get()

    async with make_client(app) as machine:
        answers = {
            "hq page": await machine.get("/hq", headers=bearer(token)),
            "tokens page": await machine.get("/hq/tokens", headers=bearer(token)),
            "webhooks page": await machine.get("/hq/webhooks", headers=bearer(token)),
            "make a token": await machine.post(
                "/hq/tokens", json={"name": "more", "scope": "write"}, headers=bearer(token)
            ),
            "revoke": await machine.post(f"/hq/tokens/{row.id}/revoke", headers=bearer(token)),
            "add a webhook": await machine.post(
                "/hq/webhooks",
                json={"url": "https://example.com/h", "events": ["audit.approved"]},
                headers=bearer(token),
            ),
            "session": await machine.get("/api/session", headers=bearer(token)),
        }

    for what, r in answers.items():
        assert r.status_code == 401, what
        assert r.json()["fields"] == {"Authorization": "not accepted here"}, what
    assert await ApiToken.all().count() == 1
    assert (await ApiToken.get()).revoked_at is None


async def test_a_bearer_header_is_the_only_credential_even_beside_a_good_cookie(hq):
    r = await hq.get("/api/audits", headers=bearer("audit_not-a-real-token"))

    assert r.status_code == 401
    assert r.json()["error"] == "unknown API token"


async def test_a_token_stops_when_its_user_is_deactivated_or_no_longer_hq(hq, app):
    token = await make_token(hq)
    async with make_client(app) as machine:
        assert (await machine.get("/api/audits", headers=bearer(token))).status_code == 200
        await User.filter(email="hq@x.test").update(role="auditor")
        demoted = await machine.get("/api/audits", headers=bearer(token))
        await User.filter(email="hq@x.test").update(role="hq", active=False)
        deactivated = await machine.get("/api/audits", headers=bearer(token))

    assert demoted.status_code == 401 and deactivated.status_code == 401


async def test_tokens_are_personal_another_hq_user_neither_sees_nor_revokes_them(hq, app, login):
    await make_token(hq)
    row = await ApiToken.get()
    from audit.store.accounts import add_user
    from tests.helpers import PASSWORD

    await add_user("hq2@x.test", "hq", PASSWORD, "Hanna HQ")
    other = await login("hq2@x.test")

    r = await other.post(f"/hq/tokens/{row.id}/revoke")
    page = await other.get("/hq/tokens")

    assert r.status_code == 404
    assert (await ApiToken.get(id=row.id)).revoked_at is None
    assert row.prefix not in page.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "read"}, "name"),
        ({"name": "  ", "scope": "read"}, "name"),
        ({"name": "x" * 101, "scope": "read"}, "name"),
        ({"name": "BI", "scope": "admin"}, "scope"),
        ({"name": "BI", "scope": "read", "expires": "2020-01-01"}, "expires"),
        ({"name": "BI", "scope": "read", "expires": "next week"}, "expires"),
        ({"name": "BI", "scope": "read", "colour": "red"}, "colour"),
    ],
)
async def test_a_bad_token_request_is_422_naming_the_field_and_makes_nothing(hq, body, field):
    r = await hq.post("/hq/tokens", json=body)

    assert r.status_code == 422, r.text
    assert field in r.json()["fields"]
    assert await ApiToken.all().count() == 0


async def test_an_expiry_day_is_the_last_day_the_token_works(hq):
    day = (datetime.now(UTC) + timedelta(days=30)).date()
    await make_token(hq, expires=day.isoformat())

    row = await ApiToken.get()
    assert row.expires_at == datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


async def test_a_page_or_the_token_api_without_a_session_is_refused(app, db):
    await seed()
    async with make_client(app) as anonymous:
        r = await anonymous.post("/hq/tokens", json={"name": "x", "scope": "read"})
    assert r.status_code == 401
    assert await ApiToken.all().count() == 0


async def test_a_token_is_throttled_per_minute_even_when_its_requests_race(hq, app, monkeypatch):
    monkeypatch.setattr(token_workflow, "MAX_TOKEN_REQUESTS", 5)
    token = await make_token(hq)

    async with make_client(app) as machine:
        answers = await asyncio.gather(
            *(machine.get("/api/locations", headers=bearer(token)) for _ in range(12))
        )

    codes = sorted(r.status_code for r in answers)
    assert codes == [200] * 5 + [429] * 7
    refused = next(r for r in answers if r.status_code == 429)
    assert 1 <= int(refused.headers["retry-after"]) <= 61
    assert (await ApiToken.get()).uses == 12


async def test_unknown_tokens_from_one_address_are_throttled(hq, app, monkeypatch):
    monkeypatch.setattr(token_workflow, "MAX_UNKNOWN_TOKENS", 3)
    good = await make_token(hq)

    async with make_client(app) as machine:
        wrong = [
            (await machine.get("/api/audits", headers=bearer(f"audit_guess{n}"))).status_code
            for n in range(5)
        ]
        after = await machine.get("/api/audits", headers=bearer(good))

    assert wrong == [401, 401, 401, 429, 429]
    # The address is refused as a whole for a while, even a good token from it.
    assert after.status_code == 429 and "retry-after" in after.headers


async def test_the_request_log_names_the_token_but_never_shows_it(hq, app, caplog):
    token = await make_token(hq)
    row = await ApiToken.get()

    with caplog.at_level("INFO", logger="audit.access"):
        async with make_client(app) as machine:
            await machine.get("/api/audits", headers=bearer(token))

    lines = [r for r in caplog.records if r.name == "audit.access"]
    assert any(getattr(r, "api_token", None) == row.id for r in lines)
    assert all(token not in r.getMessage() for r in caplog.records)
