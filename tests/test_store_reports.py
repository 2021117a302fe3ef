"""The report from the database: benchmarks and trend from stored scores, photos, e-mail."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import functools
import json
import re
import socket
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from io import BytesIO
from typing import Any

import pikepdf
import pytest
from aiosmtpd.controller import Controller

from audit import backup as backups
from audit.auth import Principal
from audit.errors import NotFound
from audit.models import Audit, Delivery, LocationOwner, ReportBenchmarks, User
from audit.report.pool import RenderPool
from audit.report.render import render_report_pdf, report_cache_key
from audit.report.sample import SAMPLE_ANSWERS, draw_photo
from audit.settings import Settings
from audit.store import reports as report_store
from audit.store.checklists import import_checklists, read_checklist_dir
from audit.store.locations import add_location
from audit.store.reports import Peers, approved_audit_uuids
from audit.submission import parse_payload
from audit.workflow import audits as workflow
from audit.workflow import photos as photo_workflow
from audit.workflow import reports as report_workflow
from audit.workflow.delivery import MAX_ATTEMPTS, ReportMailer, parse_smtp_url
from audit.workflow.reports import freeze_benchmarks, report_data_for
from audit.workflow.review import Decision, review
from tests.helpers import ROOT, new_uuid
from tests.test_report import decompressed, flat, images_in, jpeg_with_gps, pdf_text

AUDITOR_NAME, AUDITOR_EMAIL = "Ann Auditor", "auditor@x.test"


def answers(**changes: Any) -> dict[str, Any]:
    out = {k: dict(v) for k, v in SAMPLE_ANSWERS.items()}
    for item_id, value in changes.items():
        out[item_id] = {"value": value}
    if changes.get("restroom_access") == "offered":
        out["restroom_clean"] = {"value": 4}
        out["restroom_supplies"] = {"value": True}
    return out


@functools.cache
def evidence_photo(caption: str) -> bytes:
    return draw_photo(caption, (90, 110, 140), 7, size=(640, 480))


async def person(email: str, name: str, role: str) -> Principal:
    # Straight into the table: the tests here need no sign-in (no argon2 hashing).
    user = await User.create(email=email, name=name, role=role, password_hash="-")
    return Principal(user.id, email, name, role, csrf_token="-", session_id=0)


async def approved_audit(
    settings: Settings,
    auditor: Principal,
    hq: Principal | None,
    location: str,
    day: str,
    **changes: Any,
) -> str:
    uid = new_uuid()
    payload = parse_payload(
        {
            "checklist": "electronics-store",
            "location": location,
            "visited_at": f"{day}T11:20:00Z",
            "answers": answers(**changes),
        }
    )
    await workflow.save_draft(auditor, uid, payload)
    for item_id in ("storefront_photo", "checkout_charged_correctly"):
        await photo_workflow.attach_photo(
            auditor, uid, new_uuid(), item_id, evidence_photo(item_id), settings.media_dir
        )
    await workflow.submit(auditor, uid, None)
    if hq is not None:
        await review(hq, uid, Decision("approve"))
    return uid


@pytest.fixture
async def audits(db: Settings) -> dict[str, Any]:
    """S1 (North): three approved audits and a submitted one; S2 (South) and S3 (North): one
    approved each, visited before S1's latest."""
    found, problems = read_checklist_dir(ROOT / "checklists")
    assert not problems
    await import_checklists(found)
    s1, _ = await add_location("S1", "Riverside Mall", "North")
    await add_location("S2", "Hillcrest Plaza", "South")
    await add_location("S3", "Northgate", "North")
    auditor = await person(AUDITOR_EMAIL, AUDITOR_NAME, "auditor")
    hq = await person("hq@x.test", "Hal HQ", "hq")
    owner = await person("owner@x.test", "Olga Owner", "owner")
    await LocationOwner.create(user_id=owner.user_id, location_id=s1.id)
    made = {}
    for key, location, day, changes in (
        ("first", "S1", "2025-01-10", {"restroom_access": "offered"}),
        ("second", "S1", "2025-02-10", {}),
        ("other", "S2", "2025-02-12", {"restroom_access": "offered"}),
        ("north", "S3", "2025-02-20", {}),
        ("latest", "S1", "2025-03-14", {"restroom_access": "offered"}),
    ):
        made[key] = await approved_audit(db, auditor, hq, location, day, **changes)
    made["pending"] = await approved_audit(db, auditor, None, "S1", "2025-03-20")
    return {"settings": db, "auditor": auditor, "hq": hq, **made}


async def stored_overall(uid: str) -> float:
    audit = await Audit.get(uuid=uid)
    assert audit.overall is not None
    return audit.overall


async def test_report_data_has_other_locations_benchmarks_and_its_own_trend(audits) -> None:
    data = await report_data_for(audits["latest"], audits["settings"])
    s1 = [await stored_overall(audits[k]) for k in ("first", "second", "latest")]
    s2 = await stored_overall(audits["other"])
    s3 = await stored_overall(audits["north"])

    assert data.location_code == "S1" and data.location_name == "Riverside Mall"
    assert data.region == "North"
    assert data.visit_date == date(2025, 3, 14)
    # Other locations only: S1's own audits are its trend, not its benchmark.
    assert data.benchmarks.brand_count == 2
    assert data.benchmarks.brand_avg == pytest.approx((s2 + s3) / 2)
    assert data.benchmarks.region_count == 1
    assert data.benchmarks.region_avg == pytest.approx(s3)
    assert data.benchmarks.region_touchpoints["website"] is not None
    assert set(data.benchmarks.brand_touchpoints) == set(data.checklist.touchpoints())
    assert [(p.visit_date, p.overall) for p in data.trend] == [
        (date(2025, 1, 10), pytest.approx(s1[0])),
        (date(2025, 2, 10), pytest.approx(s1[1])),
        (date(2025, 3, 14), pytest.approx(s1[2])),
    ]
    assert data.scorecard.overall == pytest.approx(s1[2])
    assert data.generated_at == datetime.now(UTC).date()  # the day it was approved
    assert len(data.photos["storefront_photo"]) == 1
    assert data.photos["storefront_photo"][0].is_file()
    assert await approved_audit_uuids(date(2025, 2, 11)) == [
        audits["other"],
        audits["north"],
        audits["latest"],
    ]


async def test_benchmarks_are_frozen_once_an_approved_audit_is_reported(audits) -> None:
    settings = audits["settings"]
    before = await report_data_for(audits["latest"], settings)
    preview = await report_data_for(audits["pending"], settings)  # submitted, not approved
    assert preview.benchmarks == before.benchmarks  # the same peers: S2's and S3's visits

    # Approved after "latest" was, visited after it too: not in its frozen figures.
    await approved_audit(settings, audits["auditor"], audits["hq"], "S2", "2025-03-16")
    after = await report_data_for(audits["latest"], settings)
    assert after.benchmarks == before.benchmarks
    assert report_cache_key(after) == report_cache_key(before)  # the cached PDF stays valid
    fresh_preview = await report_data_for(audits["pending"], settings)
    assert fresh_preview.benchmarks.brand_count == before.benchmarks.brand_count + 1

    # Approved after it, visited before it (a late review): it counts, and says so.
    await approved_audit(settings, audits["auditor"], audits["hq"], "S2", "2025-03-01")
    late = await report_data_for(audits["latest"], settings)
    assert late.benchmarks.brand_count == before.benchmarks.brand_count + 1
    assert report_cache_key(late) != report_cache_key(before)
    fresh_preview = await report_data_for(audits["pending"], settings)
    await review(audits["hq"], audits["pending"], Decision("approve"))
    now_approved = await report_data_for(audits["pending"], settings)
    assert now_approved.benchmarks == fresh_preview.benchmarks


def compared_with(text: str) -> tuple[str, ...]:
    """The benchmark figures a report prints: its region's and its brand's mean and count."""
    text = flat(text)
    region = re.search(r"region average \((\d+), (\d+) approved audits? in ([^)]+)\)", text)
    brand = re.search(r"brand average \((\d+), (\d+) approved audits?\)", text)
    assert region is not None and brand is not None, text
    return (*region.groups(), *brand.groups())


async def test_frozen_benchmarks_are_a_row_and_the_report_keeps_them_after_more_approvals(
    audits: dict[str, Any],
) -> None:
    settings = audits["settings"]
    assert await ReportBenchmarks.all().count() == 0  # approved without the hook: not frozen yet
    await freeze_benchmarks(audits["latest"])  # what the approval hook does
    latest = await Audit.get(uuid=audits["latest"]).select_related("location")
    [row] = await ReportBenchmarks.all()
    assert row.audit_id == latest.id  # type: ignore[attr-defined]
    assert row.snapshot["brand_count"] == 2 and row.snapshot["region_count"] == 1
    assert row.as_of == datetime.now(UTC).date()
    before = await report_data_for(audits["latest"], settings)
    first_pdf = pdf_text(render_report_pdf(before))
    assert compared_with(first_pdf)[1] == "1" and compared_with(first_pdf)[4] == "2"

    # More approvals of later visits move the live averages, not this report's.
    await review(audits["hq"], audits["pending"], Decision("approve"))
    await approved_audit(settings, audits["auditor"], audits["hq"], "S3", "2025-03-18")
    live = await report_store.peer_mean(
        Peers(
            checklist_slug="electronics-store",
            location_id=latest.location.id,
            audit_id=latest.id,
            brand_id=latest.location.brand_id,  # type: ignore[attr-defined]
            visited_from=None,
            visited_to=date(2025, 3, 18),
        ),
        latest.location.region_id,  # type: ignore[attr-defined]
    )
    assert live.audits == 2  # S3's second audit in the region
    after = await report_data_for(audits["latest"], settings)
    assert after.benchmarks == before.benchmarks and after.generated_at == before.generated_at
    assert compared_with(pdf_text(render_report_pdf(after))) == compared_with(first_pdf)
    assert await ReportBenchmarks.filter(audit_id=latest.id).count() == 1
    assert await ReportBenchmarks.all().count() == 1  # the newly approved ones are not reported yet


async def test_concurrent_first_freezes_store_one_row_and_all_return_its_figures(
    audits: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = audits["settings"]
    racers = 4
    barrier = asyncio.Barrier(racers)
    taken: list[int] = []
    real = report_workflow.peer_benchmarks

    async def each_racer_sees_other_figures(*args: Any, **kwargs: Any) -> Any:
        # Every racer computes before any of them stores, each with figures
        # of its own: only a first-writer-wins store makes them agree.
        benchmarks, last = await real(*args, **kwargs)
        taken.append(len(taken))
        mine = dataclasses.replace(benchmarks, brand_count=1000 + taken[-1])
        await barrier.wait()
        return mine, last

    monkeypatch.setattr(report_workflow, "peer_benchmarks", each_racer_sees_other_figures)
    uid = audits["second"]
    hooks = [freeze_benchmarks(uid) for _ in range(racers // 2)]
    renders = [report_data_for(uid, settings) for _ in range(racers // 2)]
    results = await asyncio.gather(*renders, *hooks)

    assert len(taken) == racers  # all of them raced past the "no snapshot yet" read
    [row] = await ReportBenchmarks.all()
    assert 1000 <= row.snapshot["brand_count"] < 1000 + racers
    reports = results[: racers // 2]
    assert all(r.benchmarks.brand_count == row.snapshot["brand_count"] for r in reports)
    # Afterwards everyone reads the stored row and computes nothing.
    again = await report_data_for(uid, settings)
    assert again.benchmarks == reports[0].benchmarks and len(taken) == racers


async def test_backup_carries_the_frozen_benchmarks(audits: dict[str, Any], backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the SQLite copy is read back here; PostgreSQL backups are pg_dump's")
    settings = audits["settings"]
    await freeze_benchmarks(audits["latest"])
    stored = (await ReportBenchmarks.get(audit__uuid=audits["latest"])).snapshot
    done = await asyncio.to_thread(backups.backup, settings, settings.var_dir / "backup")
    copy = sqlite3.connect(done.path / done.database_file)
    try:
        [(snapshot, as_of)] = copy.execute(
            "SELECT snapshot, as_of FROM report_benchmarks"
            " JOIN audit ON audit.id = report_benchmarks.audit_id WHERE audit.uuid = ?",
            (audits["latest"],),
        ).fetchall()
    finally:
        copy.close()
    assert json.loads(snapshot) == stored and as_of == datetime.now(UTC).date().isoformat()


async def test_report_from_database_names_no_auditor(audits) -> None:
    data = await report_data_for(audits["second"], audits["settings"])
    pdf = render_report_pdf(data)
    everything = decompressed(pdf).lower()
    for secret in (AUDITOR_NAME, AUDITOR_EMAIL, "11:20"):
        assert secret.lower().encode() not in everything
    text = pdf_text(pdf)
    assert "Riverside Mall" in text and "10 February 2025" in text
    assert "CRITICAL FAILURE" in text  # the refused restroom of the sample answers


async def test_uploaded_photo_reaches_the_report_without_metadata(audits: dict[str, Any]) -> None:
    settings, auditor = audits["settings"], audits["auditor"]
    uid = new_uuid()
    payload = parse_payload(
        {"checklist": "electronics-store", "location": "S1", "answers": answers()}
    )
    await workflow.save_draft(auditor, uid, payload)
    await photo_workflow.attach_photo(
        auditor, uid, new_uuid(), "storefront_photo", jpeg_with_gps((1200, 900)), settings.media_dir
    )
    data = await report_data_for(uid, settings)
    pdf = render_report_pdf(data)
    [stored] = images_in(pdf)
    assert b"Exif" not in stored and b"SecretCam" not in decompressed(pdf)
    with pikepdf.open(BytesIO(pdf)) as doc:
        assert len(doc.pages) >= 6


async def test_unknown_audit_has_no_report(db: Settings) -> None:
    with pytest.raises(NotFound):
        await report_data_for(new_uuid(), db)


# -- e-mail


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def pool() -> Iterator[RenderPool]:
    pool = RenderPool(workers=1, timeout=60)
    yield pool
    pool.close()


def smtp_server(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


async def test_approval_mails_the_report_to_the_owner(
    audits: dict[str, Any], pool: RenderPool
) -> None:
    port = free_port()
    controller, inbox = smtp_server(port)
    try:
        settings = dataclasses.replace(
            audits["settings"], smtp_url=f"smtp://127.0.0.1:{port}", smtp_from="reports@x.test"
        )
        mailer = ReportMailer(settings, pool=pool)
        queued = await mailer.queue(audits["latest"])
        assert [d.recipient for d in queued] == ["owner@x.test"]
        assert await mailer.queue(audits["latest"])  # approving twice queues nothing new
        assert await mailer.queue(audits["pending"]) == []  # not approved: nothing to send
        assert await mailer.send_due() == 1
        assert await mailer.send_due() == 0
    finally:
        controller.stop()

    [message] = inbox.messages
    assert message["To"] == "owner@x.test" and message["From"] == "reports@x.test"
    assert message["Subject"].startswith(
        "Customer experience report: Riverside Mall, 14 March 2025"
    )
    body = message.get_body(("plain",)).get_content()
    assert "Overall score:" in body and "What to fix first:" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "experience-report-S1-2025-03-14.pdf"
    pdf = attachment.get_payload(decode=True)
    assert pdf.startswith(b"%PDF-1.7") and "Riverside Mall" in pdf_text(pdf)
    raw = message.as_bytes().lower() + decompressed(pdf).lower()
    assert AUDITOR_EMAIL.encode() not in raw and AUDITOR_NAME.lower().encode() not in raw
    [delivery] = await Delivery.all()
    assert delivery.status == "sent" and delivery.attempts == 1 and delivery.sent_at is not None


async def test_failing_mail_server_keeps_the_approval_and_retries_later(
    audits: dict[str, Any], pool: RenderPool
) -> None:
    port = free_port()  # nothing listens here yet
    settings = dataclasses.replace(audits["settings"], smtp_url=f"smtp://127.0.0.1:{port}")
    mailer = ReportMailer(settings, pool=pool)
    await mailer.queue(audits["second"])
    now = datetime.now(UTC)
    assert await mailer.send_due(now) == 0

    [delivery] = await Delivery.all()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "ConnectionRefusedError" in delivery.last_error
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at - now == pytest.approx(
        timedelta(minutes=1), abs=timedelta(seconds=5)
    )
    assert (await Audit.get(uuid=audits["second"])).status == "approved"
    assert await mailer.send_due(now) == 0  # not due yet
    assert (await Delivery.get(id=delivery.id)).attempts == 1

    controller, inbox = smtp_server(port)
    try:
        assert await mailer.send_due(now + timedelta(minutes=2)) == 1
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    delivery = await Delivery.get(id=delivery.id)
    assert delivery.status == "sent" and delivery.attempts == 2 and delivery.last_error == ""


async def test_delivery_is_abandoned_after_the_last_attempt(
    audits: dict[str, Any], pool: RenderPool
) -> None:
    settings = dataclasses.replace(audits["settings"], smtp_url=f"smtp://127.0.0.1:{free_port()}")
    mailer = ReportMailer(settings, pool=pool)
    [delivery] = await mailer.queue(audits["first"])
    delivery.attempts = MAX_ATTEMPTS - 1
    await delivery.save()
    await mailer.send_due(datetime.now(UTC))
    delivery = await Delivery.get(id=delivery.id)
    assert delivery.status == "abandoned" and delivery.attempts == MAX_ATTEMPTS
    assert delivery.next_attempt_at is None
    assert await mailer.send_due(datetime.now(UTC) + timedelta(days=30)) == 0


async def test_without_smtp_url_nothing_is_queued(db: Settings) -> None:
    mailer = ReportMailer(db)
    assert not mailer.enabled
    assert await mailer.queue(new_uuid()) == []
    assert await mailer.send_due() == 0
    assert await Delivery.all().count() == 0


def test_smtp_urls() -> None:
    assert parse_smtp_url("smtp://mail.example:2525").port == 2525
    tls = parse_smtp_url("smtps://user%40x:p%3Ass@mail.example")
    assert (tls.security, tls.port, tls.username, tls.password) == ("tls", 465, "user@x", "p:ss")
    assert parse_smtp_url("smtp+starttls://mail.example").port == 587
    with pytest.raises(ValueError):
        parse_smtp_url("http://mail.example")
