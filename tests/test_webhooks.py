"""Webhooks against a real HTTP receiver (``tests/receiver.py``), on SQLite and PostgreSQL.

Events are written with the change that causes them (one transaction: both
or neither), then POSTed signed by :class:`~audit.workflow.webhooks.WebhookSender`
and retried after a 500, a timeout or a redirect under the same event id,
until the receiver answers 2xx or the attempts run out. The clock of each
pass is given, so retries fall due without waiting.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from audit.models import Audit, WebhookDelivery, WebhookEndpoint, WebhookEvent
from audit.store import webhooks as webhook_store
from audit.workflow.webhooks import MAX_ATTEMPTS, WebhookSender, retry_at
from tests.conftest import make_client
from tests.helpers import Session, seed, sign_in
from tests.receiver import Receiver, receiver
from tests.test_durability import payload

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

UID = "0b5c7e2a-4d1f-4a8e-9c3b-5e6f7a8b9c0d"


@pytest.fixture
async def hq(app, db):
    await seed()
    async with make_client(app) as client:
        yield await sign_in(client, "hq@x.test")


@pytest.fixture
def hook():
    with receiver() as r:
        yield r


@pytest.fixture
def sender(db):
    # Generous for a local receiver on a busy machine; the timeout case has its own.
    return WebhookSender(dataclasses.replace(db, webhook_timeout=10, webhook_first_retry=30))


async def add_webhook(hq: Session, url: str, events: list[str]) -> str:
    r = await hq.post("/hq/webhooks", json={"url": url, "events": events, "description": "BI"})
    assert r.status_code == 201, r.text
    secret: str = r.json()["secret"]
    return secret


async def submit(login, n: int = 1) -> None:
    auditor = await login("auditor@x.test")
    r = await auditor.post(f"/api/audits/{UID}/submit", json=payload(n))
    assert r.status_code == 200, r.text


async def review(hq: Session, decision: str, note: str = "") -> dict:
    r = await hq.post(f"/api/audits/{UID}/review", json={"decision": decision, "note": note})
    assert r.status_code == 200, r.text
    body: dict = r.json()
    return body


async def test_an_approval_is_posted_signed_with_ids_and_scores_and_nobodys_identity(
    hq, login, hook: Receiver, sender: WebhookSender
):
    secret = await add_webhook(hq, hook.url, ["audit.approved"])
    await submit(login)
    approved = await review(hq, "approve")

    assert await sender.send_due() == 1

    [got] = hook.wait_for(1)
    assert got.path == "/hooks/audit"
    assert got.signature_ok(secret)
    assert not dataclasses.replace(got, body=got.body + b" ").signature_ok(secret)
    assert not got.signature_ok("whsec_someone-elses")
    event = json.loads(got.body)
    assert got.headers["x-audit-event"] == event["type"] == "audit.approved"
    assert got.headers["x-audit-event-id"] == event["id"]
    assert got.headers["content-type"] == "application/json"
    audit = event["data"]["audit"]
    assert audit["uuid"] == UID and audit["status"] == "approved"
    assert audit["location"] == "S1" and audit["checklist"] == "shop"
    assert audit["overall"] == approved["overall"] and audit["revision"] == approved["revision"]
    assert audit["visit_date"] == "2026-11-20" and audit["approved_at"].endswith("Z")
    # Who audited is not in it, in any form: HQ's API is where details are fetched.
    text = got.body.decode()
    for secret_of_the_shopper in ("Ann", "auditor@x.test", "auditor", "Friendly"):
        assert secret_of_the_shopper not in text
    row = await WebhookDelivery.get()
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 1, 200)


async def test_each_event_goes_to_the_endpoints_that_take_it(hq, login, hook, sender):
    await add_webhook(hq, hook.url, ["audit.submitted", "audit.returned"])
    await add_webhook(hq, hook.url + "?only=approved", ["audit.approved"])

    await submit(login)
    await review(hq, "return", "The restroom photo is missing")
    await submit(login, 3)
    await review(hq, "approve")
    await sender.send_due()

    got = hook.wait_for(4)
    seen = sorted((r.path, json.loads(r.body)["type"]) for r in got)
    assert seen == [
        ("/hooks/audit", "audit.returned"),
        ("/hooks/audit", "audit.submitted"),
        ("/hooks/audit", "audit.submitted"),
        ("/hooks/audit?only=approved", "audit.approved"),
    ]
    # The return's note is the auditor's business: not in the event.
    assert all(b"restroom" not in r.body for r in got)
    assert len({r.headers["x-audit-event-id"] for r in got}) == 4


async def test_a_500_then_a_timeout_are_retried_with_backoff_under_one_event_id(
    hq, login, hook: Receiver, db
):
    # One second to answer: the receiver's "hang" runs it out quickly.
    sender = WebhookSender(dataclasses.replace(db, webhook_timeout=1, webhook_first_retry=30))
    secret = await add_webhook(hq, hook.url, ["audit.submitted"])
    await submit(login)
    hook.answer(500, "hang")
    t0 = datetime.now(UTC)

    assert await sender.send_due(t0) == 0
    failed = await WebhookDelivery.get()
    assert (failed.status, failed.attempts, failed.last_status_code) == ("failed", 1, 500)
    assert "HTTP 500: receiver says no" in failed.last_error
    wait = (failed.next_attempt_at - t0).total_seconds()
    assert 30 * 0.75 <= wait <= 30  # the first retry, less its jitter
    assert await sender.send_due(t0 + timedelta(seconds=10)) == 0  # not due yet
    assert (await WebhookDelivery.get()).attempts == 1

    t1 = t0 + timedelta(seconds=31)
    assert await sender.send_due(t1) == 0
    timed_out = await WebhookDelivery.get()
    assert (timed_out.status, timed_out.attempts) == ("failed", 2)
    assert timed_out.last_status_code is None and "no answer within 1 s" in timed_out.last_error
    assert 60 * 0.75 <= (timed_out.next_attempt_at - t1).total_seconds() <= 60  # doubled

    assert await sender.send_due(t1 + timedelta(seconds=61)) == 1
    got = hook.wait_for(3)
    assert len({r.headers["x-audit-event-id"] for r in got}) == 1
    assert len({r.body for r in got}) == 1  # byte for byte the same event
    assert [r.headers["x-audit-attempt"] for r in got] == ["1", "2", "3"]
    assert all(r.signature_ok(secret) for r in got)
    done = await WebhookDelivery.get()
    assert (done.status, done.attempts, done.last_status_code) == ("delivered", 3, 200)


async def test_a_redirect_is_a_failure_never_followed(hq, login, hook, sender):
    await add_webhook(hq, hook.url, ["audit.submitted"])
    await submit(login)
    hook.answer(302)

    await sender.send_due()

    row = await WebhookDelivery.get()
    assert (row.status, row.last_status_code) == ("failed", 302)
    assert "follow no redirects" in row.last_error
    assert len(hook.received) == 1


async def test_after_the_last_attempt_it_is_given_up_and_hq_can_send_it_again(
    hq, login, hook: Receiver, db
):
    sender = WebhookSender(dataclasses.replace(db, webhook_first_retry=1), max_attempts=3)
    await add_webhook(hq, hook.url, ["audit.submitted"])
    await submit(login)
    hook.answer(503, 503, 503)
    at = datetime.now(UTC)
    for _ in range(3):
        await sender.send_due(at)
        at += timedelta(hours=1)

    row = await WebhookDelivery.get()
    assert (row.status, row.attempts, row.next_attempt_at) == ("abandoned", 3, None)
    assert await sender.send_due(at) == 0  # nothing more is tried
    endpoint = await WebhookEndpoint.get()
    log = await hq.get(f"/hq/webhooks/{endpoint.id}")
    assert log.status_code == 200
    assert "abandoned" in log.text and "3 / " in log.text and "HTTP 503" in log.text

    r = await hq.post(f"/hq/webhooks/{endpoint.id}/deliveries/{row.id}/resend")
    assert r.status_code == 202, r.text
    assert await sender.send_due(at) == 1

    got = hook.wait_for(4)
    assert len({r.headers["x-audit-event-id"] for r in got}) == 1
    assert (await WebhookDelivery.get()).status == "delivered"


def test_the_backoff_doubles_to_six_hours_with_jitter_and_gives_up_at_the_last_attempt():
    at = datetime(2026, 12, 3, tzinfo=UTC)
    waits = [(retry_at(n, at, 30, MAX_ATTEMPTS) - at).total_seconds() for n in range(1, 12)]
    for n, wait in enumerate(waits, start=1):
        step = min(6 * 3600, 30 * 2 ** (n - 1))
        assert step * 0.75 <= wait <= step
    assert retry_at(MAX_ATTEMPTS, at, 30, MAX_ATTEMPTS) is None
    total = sum(waits) / 3600
    assert 10.5 < total < 15  # what docs/integrations.md promises


async def test_an_event_commits_with_its_change_or_neither_is_stored(hq, login, hook, monkeypatch):
    await add_webhook(hq, hook.url, ["audit.approved"])
    await submit(login)
    submitted_events = await WebhookEvent.all().count()

    async def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    # The deliveries are written last in the approval's transaction: fail there.
    monkeypatch.setattr(WebhookDelivery, "bulk_create", broken)
    with pytest.raises(RuntimeError, match="disk is full"):  # the server's 500
        await hq.post(f"/api/audits/{UID}/review", json={"decision": "approve"})

    assert (await Audit.get(uuid=UID)).status == "submitted"
    assert await WebhookEvent.all().count() == submitted_events == 0
    monkeypatch.undo()
    await review(hq, "approve")
    assert await WebhookEvent.filter(type="audit.approved").count() == 1


async def test_a_switched_off_endpoint_keeps_its_deliveries_until_it_is_on_again(
    hq, login, hook, sender
):
    await add_webhook(hq, hook.url, ["audit.submitted"])
    endpoint = await WebhookEndpoint.get()
    r = await hq.post(f"/hq/webhooks/{endpoint.id}/switch", json={"active": False})
    assert r.status_code == 200 and r.json() == {"id": endpoint.id, "active": False}

    await submit(login)  # an event no active endpoint takes: nothing is queued
    assert await WebhookDelivery.all().count() == 0
    await hq.post(f"/hq/webhooks/{endpoint.id}/switch", json={"active": True})
    await review(hq, "return", "Add the photo")
    await submit(login, 3)
    await hq.post(f"/hq/webhooks/{endpoint.id}/switch", json={"active": False})
    assert await sender.send_due() == 0
    assert hook.received == []

    await hq.post(f"/hq/webhooks/{endpoint.id}/switch", json={"active": True})
    assert await sender.send_due() == 1
    assert json.loads(hook.wait_for(1)[0].body)["type"] == "audit.submitted"


async def test_a_test_event_goes_to_its_endpoint_alone(hq, hook, sender):
    secret = await add_webhook(hq, hook.url, ["audit.approved"])
    await add_webhook(hq, hook.url + "?other", ["audit.approved"])
    endpoint = await WebhookEndpoint.filter(url=hook.url).get()

    r = await hq.post(f"/hq/webhooks/{endpoint.id}/ping")
    assert r.status_code == 202
    await sender.send_due()

    [got] = hook.wait_for(1)
    assert got.signature_ok(secret)
    body = json.loads(got.body)
    assert body["type"] == "ping" and body["id"] == r.json()["event_id"]
    assert body["data"] == {"webhook": endpoint.id}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": ["audit.approved"]}, "url"),
        ({"url": "ftp://example.com/x", "events": ["audit.approved"]}, "url"),
        ({"url": "https://", "events": ["audit.approved"]}, "url"),
        ({"url": "https://example.com:99999/", "events": ["audit.approved"]}, "url"),
        ({"url": "https://example.com/" + "x" * 2000, "events": ["audit.approved"]}, "url"),
        ({"url": "https://example.com/h", "events": []}, "events"),
        ({"url": "https://example.com/h", "events": ["audit.deleted"]}, "events"),
        ({"url": "https://example.com/h", "events": ["audit.approved"], "x": 1}, "x"),
        (
            {"url": "https://example.com/h", "events": ["audit.approved"], "description": 5},
            "description",
        ),
    ],
)
async def test_a_bad_webhook_is_422_naming_the_field_and_registers_nothing(hq, body, field):
    r = await hq.post("/hq/webhooks", json=body)

    assert r.status_code == 422, r.text
    assert field in r.json()["fields"]
    assert await WebhookEndpoint.all().count() == 0


async def test_only_hq_manages_webhooks(hq, login, app):
    await add_webhook(hq, "https://example.com/h", ["audit.approved"])
    endpoint = await WebhookEndpoint.get()
    auditor = await login("auditor@x.test")
    owner = await login("owner@x.test")

    for who in (auditor, owner):
        assert (await who.get("/hq/webhooks")).status_code == 404
        assert (await who.post("/hq/webhooks", json={})).status_code == 404
        r = await who.post(f"/hq/webhooks/{endpoint.id}/delete")
        assert r.status_code == 404
    async with make_client(app) as anonymous:
        assert (await anonymous.post(f"/hq/webhooks/{endpoint.id}/delete")).status_code == 401
    assert await WebhookEndpoint.all().count() == 1


async def test_the_webhook_pages_list_endpoints_and_their_deliveries(hq, login, hook, sender):
    secret = await add_webhook(hq, hook.url, ["audit.submitted"])
    await submit(login)
    await sender.send_due()
    endpoint = await WebhookEndpoint.get()
    event = await WebhookEvent.get()

    listing = await hq.get("/hq/webhooks")
    log = await hq.get(f"/hq/webhooks/{endpoint.id}")

    assert listing.status_code == 200 and log.status_code == 200
    assert hook.url in listing.text and secret not in listing.text
    assert event.event_id in log.text and f"/hq/audits/{UID}" in log.text
    assert ">delivered<" in log.text and secret not in log.text
    deleted = await hq.post(f"/hq/webhooks/{endpoint.id}/delete")
    assert deleted.status_code == 204
    assert await WebhookDelivery.all().count() == 0
    assert (await hq.get(f"/hq/webhooks/{endpoint.id}")).status_code == 404


async def test_the_webhook_queue_depth_is_in_the_metrics(hq, login, hook, sender):
    await add_webhook(hq, hook.url, ["audit.submitted"])
    await submit(login)

    before = (await hq.get("/metrics")).text
    await sender.send_due()
    after = (await hq.get("/metrics")).text

    assert 'audit_webhook_queue{status="pending"} 1.0' in before
    assert 'audit_webhook_queue{status="pending"} 0.0' in after
    assert 'audit_delivery_queue{status="pending"} 0.0' in after  # the e-mail queue stays


async def test_concurrent_senders_deliver_each_event_once(hq, login, hook, db):
    import asyncio

    await add_webhook(hq, hook.url, ["audit.submitted", "audit.returned", "audit.approved"])
    await submit(login)
    await review(hq, "return", "Add the photo")
    await submit(login, 3)
    await review(hq, "approve")
    senders = [WebhookSender(db) for _ in range(3)]

    delivered = await asyncio.gather(*(s.send_due() for s in senders))

    assert sum(delivered) == 4
    got = hook.wait_for(4)
    assert len({r.headers["x-audit-event-id"] for r in got}) == 4 == len(got)
    assert await webhook_store.queue_depth() == {
        "pending": 0,
        "sending": 0,
        "failed": 0,
        "abandoned": 0,
    }
    for s in senders:
        await s.stop()


async def test_a_rejection_is_an_event_without_its_reason(hq, login, hook, sender):
    await add_webhook(hq, hook.url, ["audit.rejected"])
    await submit(login)
    r = await hq.post(
        f"/api/audits/{UID}/review",
        json={"decision": "reject", "note": "The receipt is from another store"},
    )
    assert r.status_code == 200, r.text

    await sender.send_due()

    [got] = hook.wait_for(1)
    event = json.loads(got.body)
    assert event["type"] == "audit.rejected"
    assert event["data"]["audit"]["status"] == "rejected"
    assert b"receipt" not in got.body


async def test_appeals_are_events_with_the_new_scores_and_without_anyones_words(
    hq, login, hook, sender
):
    from tests.test_appeals import open_appeal

    await add_webhook(hq, hook.url, ["appeal.opened", "appeal.decided"])
    await submit(login)
    await review(hq, "approve")
    owner = await login("owner@x.test")
    r = await open_appeal(owner, UID, proposed={"value": False})
    assert r.status_code == 201, r.text
    appeal = r.json()["uuid"]
    r = await hq.post(
        f"/api/appeals/{appeal}/decision",
        json={"decision": "upheld", "note": "The phone log is convincing."},
    )
    assert r.status_code == 200, r.text

    assert await sender.send_due() == 2

    got = sorted(hook.wait_for(2), key=lambda r: r.headers["x-audit-event"], reverse=True)
    opened, decided = (json.loads(r.body) for r in got)
    assert opened["type"] == "appeal.opened" and decided["type"] == "appeal.decided"
    assert opened["data"]["appeal"]["uuid"] == decided["data"]["appeal"]["uuid"] == appeal
    assert opened["data"]["appeal"]["status"] == "open"
    assert opened["data"]["appeal"]["item"] == "answered"
    assert decided["data"]["appeal"]["status"] == "upheld"
    assert decided["data"]["appeal"]["report_version"] == 2
    stored = await Audit.get(uuid=UID)
    assert decided["data"]["audit"]["overall"] == stored.overall
    assert decided["data"]["audit"]["report_version"] == stored.report_version == 2
    assert decided["data"]["audit"]["revision"] == stored.revision
    assert opened["data"]["audit"]["overall"] != stored.overall  # before the re-score
    for body in (r.body for r in got):
        assert b"phone log" not in body and b"Olga" not in body and b"owner@" not in body


async def test_a_rejected_appeal_is_an_appeal_decided_event_with_the_scores_unchanged(
    hq, login, hook, sender
):
    from tests.test_appeals import open_appeal

    await submit(login)
    await review(hq, "approve")
    await add_webhook(hq, hook.url, ["appeal.decided"])
    owner = await login("owner@x.test")
    appeal = (await open_appeal(owner, UID, item="clean")).json()["uuid"]
    before = await Audit.get(uuid=UID)
    r = await hq.post(
        f"/api/appeals/{appeal}/decision",
        json={"decision": "rejected", "note": "The photo shows a clean room."},
    )
    assert r.status_code == 200, r.text

    await sender.send_due()

    [got] = hook.wait_for(1)
    event = json.loads(got.body)
    assert event["type"] == "appeal.decided"
    assert event["data"]["appeal"]["status"] == "rejected"
    assert event["data"]["appeal"]["report_version"] is None
    assert event["data"]["audit"]["overall"] == before.overall
    assert event["data"]["audit"]["report_version"] == 1
    assert b"clean room" not in got.body


async def test_a_receiver_that_is_down_is_a_failed_attempt_to_retry(hq, login, sender):
    from tests.test_durability import free_port

    await add_webhook(hq, f"http://127.0.0.1:{free_port()}/nobody-listens", ["audit.submitted"])
    await submit(login)

    assert await sender.send_due() == 0

    row = await WebhookDelivery.get()
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 1, None)
    assert row.last_error.startswith("ConnectError")
    assert row.next_attempt_at is not None


async def test_month_old_events_are_deleted_unless_a_delivery_still_waits(hq, login, hook, sender):
    from audit.housekeeping import sweep_database

    await add_webhook(hq, hook.url, ["audit.submitted", "audit.returned", "audit.approved"])
    await submit(login)
    await sender.send_due()  # delivered
    await review(hq, "return", "Add the photo")
    hook.answer(500)
    await sender.send_due()  # failed: a retry is due later
    await submit(login, 3)  # pending, and recent
    old = datetime.now(UTC) - timedelta(days=31)
    submitted, returned, _ = await WebhookEvent.all().order_by("id")
    await WebhookEvent.filter(id__in=[submitted.id, returned.id]).update(created_at=old)

    assert await sweep_database()

    left = await WebhookEvent.all().order_by("id").values_list("type", flat=True)
    assert left == ["audit.returned", "audit.submitted"]  # still to deliver; recent
    assert await WebhookDelivery.filter(event_id=submitted.id).count() == 0
    assert await WebhookDelivery.all().count() == 2


async def test_a_request_wakes_the_sender_only_when_it_queued_a_delivery(hq, login, hook, db):
    import asyncio

    sender = WebhookSender(db)
    sender._wake = asyncio.Event()
    await submit(login)  # no endpoint yet: nothing queued
    sender.wake()
    assert not sender._wake.is_set()

    await add_webhook(hq, hook.url, ["audit.returned"])
    await review(hq, "return", "Add the photo")
    sender.wake()
    assert sender._wake.is_set()
    sender._wake.clear()
    sender.wake()  # nothing new since
    assert not sender._wake.is_set()
    sender.wake(force=True)  # a re-send queues without an event
    assert sender._wake.is_set()
