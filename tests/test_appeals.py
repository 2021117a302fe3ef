"""Appeals: an owner disputes an item of an approved report, HQ decides, the audit is re-scored.

Every decision is checked against what is stored: the audit's scores, its
score rows, the rollups (against the raw rows), the frozen benchmarks, the
report's version in both formats and the audit trail.  Races are real
parallel requests (on PostgreSQL each in a transaction of its own).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from audit.auth import Principal
from audit.models import (
    Appeal,
    Audit,
    Delivery,
    ItemScore,
    ReportBenchmarks,
    ReviewEvent,
    SectionScore,
    User,
)
from audit.store import aggregates
from audit.store.accounts import add_user
from audit.store.scope import Scope
from audit.workflow import appeals as appeals_workflow
from audit.workflow.delivery import ReportMailer
from tests.helpers import Session, audit_body, image_bytes, new_uuid, seed
from tests.test_report import pdf_text
from tests.test_rollups import assert_same_tallies
from tests.test_store_reports import free_port, smtp_server

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

ANSWERS = {
    "answered": {"value": False, "comment": "rang out"},
    "rings": {"value": 4},
    "needed_restroom": {"value": True},
    "restroom": {"value": "after_asking"},
    "clean": {"value": 2},
    "recommend": {"value": 6},
    "notes": {"value": "Quiet afternoon."},
}


async def approved_audit(login: Any, answers: dict[str, Any] | None = None) -> str:
    """An audit of S1 submitted by the auditor and approved by HQ; its uuid."""
    auditor = await login("auditor@x.test")
    uid = new_uuid()
    r = await auditor.post(f"/api/audits/{uid}/submit", json=audit_body(answers or ANSWERS))
    assert r.status_code == 200, r.text
    hq = await login("hq@x.test")
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200, r.text
    return uid


async def open_appeal(owner: Session, uid: str, **body: Any) -> Any:
    body.setdefault("item", "answered")
    body.setdefault("reason", "Our phone log shows the call answered on the second ring.")
    return await owner.post(f"/api/audits/{uid}/appeals", json=body)


async def assert_rollups_match_raw() -> None:
    for scope in (Scope(checklist="shop"), Scope(checklist="shop", date_from=None)):
        for group in ("location", "month", "all"):
            rolled = await aggregates.tallies(scope, group, False, rollups=True)
            raw = await aggregates.tallies(scope, group, False, rollups=False)
            assert_same_tallies(rolled, raw, group)


async def stored_state(uid: str) -> dict[str, Any]:
    """Everything a decision may change, to compare before and after a refused one."""
    audit = await Audit.get(uuid=uid)
    return {
        "audit": (audit.revision, audit.overall, audit.answers, audit.report_version),
        "sections": sorted(
            await SectionScore.filter(audit_id=audit.id).values_list("section_id", "score")
        ),
        "appeals": sorted(
            await Appeal.filter(audit_id=audit.id).values_list("uuid", "status", "decision_note")
        ),
        "events": await ReviewEvent.filter(audit_id=audit.id).count(),
        "benchmarks": await ReportBenchmarks.filter(audit_id=audit.id).values_list(
            "as_of", flat=True
        ),
    }


async def test_an_upheld_appeal_rescores_the_audit_and_issues_report_version_2(db, login):
    await seed()
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    before = (await owner.get(f"/api/audits/{uid}/report.json")).json()
    assert before["version"] == 1 and before["appeals"] == []

    r = await open_appeal(owner, uid, proposed={"value": True})
    assert r.status_code == 201, r.text
    appeal = r.json()
    assert appeal["status"] == "open" and appeal["status_label"] == "Waiting for HQ"
    assert appeal["answer_text"] == "No" and appeal["proposed_text"] == "Yes"
    opened = datetime.fromisoformat(appeal["opened_at"])
    assert datetime.fromisoformat(appeal["due_at"]) - opened == timedelta(days=5)

    hq = await login("hq@x.test")
    queue = (await hq.get("/api/appeals")).json()
    assert [a["uuid"] for a in queue["appeals"]] == [appeal["uuid"]]
    r = await hq.post(
        f"/api/appeals/{appeal['uuid']}/decision",
        json={"decision": "upheld", "note": "The phone log is convincing."},
    )
    assert r.status_code == 200, r.text
    decided = r.json()
    assert decided["status"] == "upheld"
    assert decided["decision"]["answer"] == {"value": True}
    assert decided["decision"]["by"] == "Hal HQ"
    assert decided["decision"]["report_version"] == 2
    # phone: answered 3 of 3 + rings 0.5 of 1 = 87.5 (was 12.5)
    assert decided["decision"]["scores_before"]["overall"] == before["overall"]
    stored = await Audit.get(uuid=uid)
    assert stored.answers["answered"] == {"value": True, "comment": "rang out"}
    assert stored.scorecard["sections"]["phone"]["score"] == 87.5
    assert decided["decision"]["scores_after"]["overall"] == stored.overall
    assert stored.overall > before["overall"]
    assert stored.report_version == 2
    phone = await SectionScore.get(audit_id=stored.id, section_id="phone")
    assert phone.score == 87.5
    assert (await ItemScore.get(audit_id=stored.id, item_id="answered")).points == 1.0
    await assert_rollups_match_raw()
    # The benchmarks are frozen again, dated with the re-approval.
    frozen = await ReportBenchmarks.get(audit_id=stored.id)
    assert frozen.as_of == stored.amended_at.astimezone(UTC).date()

    after = (await owner.get(f"/api/audits/{uid}/report.json")).json()
    assert after["version"] == 2
    assert after["amended_at"] == stored.amended_at.astimezone(UTC).date().isoformat()
    assert after["overall"] == stored.overall
    assert after["appeals"] == [
        {
            "item": "answered",
            "label": "A person answered within three rings",
            "touchpoint": "phone",
            "decision": "upheld",
            "decision_label": "Upheld",
            "before": "No",
            "after": "Yes",
            "note": "The phone log is convincing.",
            "decided_at": after["amended_at"],
        }
    ]
    # The owner's view of the appeal: the outcome, not who decided.
    mine = (await owner.get(f"/api/appeals/{appeal['uuid']}")).json()
    assert mine["status_label"] == "Upheld" and mine["answer_text"] == "Yes"
    assert "by" not in mine["decision"] and "owner" not in mine
    assert "hal" not in str(mine).lower() and "ann" not in str(mine).lower()

    events = await ReviewEvent.filter(audit_id=stored.id).order_by("id")
    assert [e.action for e in events] == ["approve", "appeal_opened", "appeal_upheld"]
    assert "No → Yes" in events[2].note and "report version 2" in events[2].note
    old, new = round(before["overall"]), round(stored.overall)
    assert f"overall {old} → {new}" in events[2].note


async def test_the_amended_pdf_says_version_2_and_lists_the_decision(db, login, settings):
    await seed()
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    appeal = (await open_appeal(owner, uid, proposed={"value": True})).json()
    hq = await login("hq@x.test")
    r = await hq.post(
        f"/api/appeals/{appeal['uuid']}/decision",
        json={"decision": "upheld", "note": "The phone log is convincing."},
    )
    assert r.status_code == 200, r.text
    r = await owner.get(f"/api/audits/{uid}/report.pdf")
    assert r.status_code == 200
    assert "-v2.pdf" in r.headers["content-disposition"]
    text = pdf_text(r.content)
    flat = " ".join(text.split())
    assert "Version 2 — amended after appeal on" in flat
    assert "taken again at the re-approval after appeal" in flat
    assert "Appeals" in text and "Upheld" in text
    assert "The phone log is convincing." in flat
    assert "first reported: No" in flat
    # The item's row in the detail says it was amended.
    assert "A person answered within three rings Amended after appeal" in flat


async def test_a_rejected_appeal_changes_no_score_and_issues_no_new_version(db, login):
    await seed()
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    appeal = (await open_appeal(owner, uid)).json()
    overall = (await Audit.get(uuid=uid)).overall
    hq = await login("hq@x.test")
    r = await hq.post(
        f"/api/appeals/{appeal['uuid']}/decision",
        json={"decision": "rejected", "note": "The shopper's recording shows six rings."},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected"
    audit = await Audit.get(uuid=uid)
    assert (audit.overall, audit.report_version, audit.amended_at) == (overall, 1, None)
    report = (await owner.get(f"/api/audits/{uid}/report.json")).json()
    assert report["version"] == 1 and report["appeals"] == []
    mine = (await owner.get(f"/api/appeals/{appeal['uuid']}")).json()
    assert mine["status_label"] == "Rejected"
    assert mine["decision"]["note"] == "The shopper's recording shows six rings."
    actions = (
        await ReviewEvent.filter(audit_id=audit.id).order_by("id").values_list("action", flat=True)
    )
    assert actions[-1] == "appeal_rejected"
    # Decided, so the item may be disputed again; the same decision sent again is 200.
    again = await hq.post(
        f"/api/appeals/{appeal['uuid']}/decision",
        json={"decision": "rejected", "note": "The shopper's recording shows six rings."},
    )
    assert again.status_code == 200
    other = await hq.post(
        f"/api/appeals/{appeal['uuid']}/decision",
        json={"decision": "upheld", "answer": {"value": True}, "note": "Changed my mind."},
    )
    assert other.status_code == 409
    assert (await open_appeal(owner, uid)).status_code == 201


async def test_only_the_locations_owner_may_appeal_within_the_window_once_per_item(db, login):
    await seed()
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    other_owner = await login("owner2@x.test")
    auditor = await login("auditor@x.test")
    hq = await login("hq@x.test")
    state = await stored_state(uid)

    assert (await open_appeal(other_owner, uid)).status_code == 404
    assert (await open_appeal(auditor, uid)).status_code == 404
    assert (await open_appeal(hq, uid)).status_code == 404
    assert (await other_owner.get(f"/api/audits/{uid}/appeals")).status_code == 404
    for body, field in (
        ({"item": "nope"}, "item"),
        ({"item": "notes"}, "item"),  # a text item has no score to dispute
        ({"item": "recommend"}, "item"),  # nps: unscored
        ({"reason": "  "}, "reason"),
        ({"proposed": {"value": 7}}, "proposed.value"),
        ({"proposed": {"na": True, "value": True}}, "proposed"),
        ({"colour": "red"}, "colour"),
    ):
        r = await open_appeal(owner, uid, **body)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["fields"], (body, r.json())
    assert await stored_state(uid) == state

    first = await open_appeal(owner, uid)
    assert first.status_code == 201
    r = await open_appeal(owner, uid, reason="Again.")
    assert r.status_code == 409
    assert "open already" in r.json()["error"]
    assert (await open_appeal(owner, uid, item="clean")).status_code == 201

    # Eight days after approval the window (7 days) is closed.
    audit = await Audit.get(uuid=uid)
    await Audit.filter(id=audit.id).update(approved_at=datetime.now(UTC) - timedelta(days=8))
    r = await open_appeal(owner, uid, item="rings")
    assert r.status_code == 409
    assert "time to appeal" in r.json()["error"]
    listing = (await owner.get(f"/api/audits/{uid}/appeals")).json()
    assert listing["window_open"] is False
    assert len(listing["appeals"]) == 2
    assert "answered" in listing["appealable"] and "notes" not in listing["appealable"]
    assert (await other_owner.get("/api/appeals")).json() == {"total": 0, "appeals": []}
    assert (await auditor.get("/api/appeals")).status_code == 404


async def test_a_refused_decision_stores_nothing(db, login):
    await seed()
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    appeal = (await open_appeal(owner, uid)).json()  # proposes no answer
    hq = await login("hq@x.test")
    url = f"/api/appeals/{appeal['uuid']}/decision"
    state = await stored_state(uid)
    for body, status, field in (
        ({"decision": "upheld", "note": "Yes."}, 422, "answer"),
        ({"decision": "upheld", "answer": {"value": 3}, "note": "Yes."}, 422, "answer.value"),
        ({"decision": "rejected", "answer": {"value": True}, "note": "No."}, 422, "answer"),
        ({"decision": "upheld", "answer": {"value": True}}, 422, "note"),
        ({"decision": "maybe", "note": "Hm."}, 422, "decision"),
    ):
        r = await hq.post(url, json=body)
        assert r.status_code == status, (body, r.text)
        assert field in r.json()["fields"], (body, r.json())
    assert (await owner.post(url, json={"decision": "rejected", "note": "x"})).status_code == 404
    assert await stored_state(uid) == state


async def test_a_decision_that_would_show_unanswered_items_is_refused(db, login):
    await seed()
    answers = {k: v for k, v in ANSWERS.items() if k != "restroom"}
    answers["needed_restroom"] = {"value": False}
    uid = await approved_audit(login, answers)
    owner = await login("owner@x.test")
    appeal = (await open_appeal(owner, uid, item="needed_restroom")).json()
    hq = await login("hq@x.test")
    state = await stored_state(uid)
    r = await hq.post(
        f"/api/appeals/{appeal['uuid']}/decision",
        json={"decision": "upheld", "answer": {"value": True}, "note": "Asked."},
    )
    assert r.status_code == 422
    assert "restroom" in r.json()["fields"]["answer"]
    assert await stored_state(uid) == state
    # N/A instead: the item counts nowhere, the audit is re-scored.
    r = await hq.post(
        f"/api/appeals/{appeal['uuid']}/decision",
        json={"decision": "partly_upheld", "answer": {"na": True}, "note": "Not needed."},
    )
    assert r.status_code == 200, r.text
    assert r.json()["decision"]["answer_text"] == "Not applicable"
    audit = await Audit.get(uuid=uid)
    assert audit.answers["needed_restroom"] == {"na": True}
    await assert_rollups_match_raw()


async def test_an_evidence_photo_is_kept_with_the_appeal(db, login, settings):
    await seed()
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    appeal = (await open_appeal(owner, uid)).json()
    url = f"/api/appeals/{appeal['uuid']}/photo"
    data = image_bytes("PNG", (80, 60))
    r = await owner.put(url, content=data, headers={"Content-Type": "image/png"})
    assert r.status_code == 200, r.text
    assert r.json()["photo"] is True
    assert (await owner.put(url, content=data)).status_code == 200  # the same photo again
    other = image_bytes("PNG", (80, 60), colour=(0, 0, 255))
    assert (await owner.put(url, content=other)).status_code == 409
    assert (await owner.put(url, content=b"not an image")).status_code == 415
    hq = await login("hq@x.test")
    for reader in (owner, hq):
        r = await reader.get(url, params={"size": "thumb"})
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    stored = await Appeal.get(uuid=appeal["uuid"])
    assert (settings.media_dir / stored.photo_path).is_file()
    assert (await (await login("owner2@x.test")).get(url)).status_code == 404


async def test_two_decisions_of_one_appeal_at_once_store_exactly_one(db, login):
    await seed()
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    appeal = (await open_appeal(owner, uid, proposed={"value": True})).json()
    first, second = await login("hq@x.test"), await login("hq@x.test")
    url = f"/api/appeals/{appeal['uuid']}/decision"
    responses = await asyncio.gather(
        first.post(url, json={"decision": "upheld", "note": "Upheld."}),
        second.post(url, json={"decision": "rejected", "note": "Rejected."}),
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    stored = await Appeal.get(uuid=appeal["uuid"])
    assert stored.status == winner["status"]
    audit = await Audit.get(uuid=uid)
    assert audit.report_version == (2 if stored.status == "upheld" else 1)
    actions = (
        await ReviewEvent.filter(audit_id=audit.id).order_by("id").values_list("action", flat=True)
    )
    assert len([a for a in actions if a in ("appeal_upheld", "appeal_rejected")]) == 1
    await assert_rollups_match_raw()


async def test_decisions_racing_on_one_audit_with_if_match_acknowledge_one(db, login):
    await seed()
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    a = (await open_appeal(owner, uid, proposed={"value": True})).json()
    b = (await open_appeal(owner, uid, item="clean", proposed={"value": 5})).json()
    hq = await login("hq@x.test")
    revision = (await hq.get(f"/api/audits/{uid}")).json()["revision"]
    headers = {"If-Match": f'"r{revision}"'}
    other_hq = await login("hq@x.test")
    responses = await asyncio.gather(
        hq.post(
            f"/api/appeals/{a['uuid']}/decision",
            json={"decision": "upheld", "note": "Yes."},
            headers=dict(headers),
        ),
        other_hq.post(
            f"/api/appeals/{b['uuid']}/decision",
            json={"decision": "upheld", "note": "Yes."},
            headers=dict(headers),
        ),
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 412], [r.text for r in responses]
    audit = await Audit.get(uuid=uid)
    assert audit.report_version == 2 and audit.revision == revision + 1
    statuses = sorted(await Appeal.filter(audit_id=audit.id).values_list("status", flat=True))
    assert statuses == ["open", "upheld"]
    await assert_rollups_match_raw()


async def test_a_decision_racing_a_second_approval_is_the_only_change(db, login):
    await seed()
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    appeal = (await open_appeal(owner, uid, proposed={"value": True})).json()
    hq, other_hq = await login("hq@x.test"), await login("hq@x.test")
    decided, approved = await asyncio.gather(
        hq.post(
            f"/api/appeals/{appeal['uuid']}/decision", json={"decision": "upheld", "note": "Y"}
        ),
        other_hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""}),
    )
    assert decided.status_code == 200, decided.text
    # Approving an approved audit again changes nothing (and says so: the
    # answer shows the audit as stored, whichever came first).
    assert approved.status_code == 200
    audit = await Audit.get(uuid=uid)
    actions = (
        await ReviewEvent.filter(audit_id=audit.id).order_by("id").values_list("action", flat=True)
    )
    assert actions.count("approve") == 1 and actions.count("appeal_upheld") == 1
    assert audit.report_version == 2
    await assert_rollups_match_raw()


async def test_two_appeals_of_one_item_at_once_open_one(db, login):
    await seed()
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    responses = await asyncio.gather(*(open_appeal(owner, uid) for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert await Appeal.filter(status="open").count() == 1


async def test_the_queue_lists_open_appeals_by_due_time_overdue_first(db, login):
    await seed()
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    first = (await open_appeal(owner, uid)).json()
    second = (await open_appeal(owner, uid, item="clean")).json()
    await Appeal.filter(uuid=second["uuid"]).update(due_at=datetime.now(UTC) - timedelta(hours=1))
    hq = await login("hq@x.test")
    queue = (await hq.get("/api/appeals", params={"status": "open"})).json()
    assert [a["uuid"] for a in queue["appeals"]] == [second["uuid"], first["uuid"]]
    assert [a["overdue"] for a in queue["appeals"]] == [True, False]
    r = await hq.get("/api/appeals", params={"status": "sideways"})
    assert r.status_code == 422 and "status" in r.json()["fields"]


async def test_hq_pages_list_the_queue_and_offer_the_decision(db, login):
    await seed()
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    appeal = (await open_appeal(owner, uid, proposed={"value": True})).json()
    late = (await open_appeal(owner, uid, item="clean", reason="The floor was mopped.")).json()
    await Appeal.filter(uuid=late["uuid"]).update(due_at=datetime.now(UTC) - timedelta(days=1))
    hq = await login("hq@x.test")
    page = await hq.get("/hq/appeals")
    assert page.status_code == 200
    html = page.text
    assert 'aria-label="2 open"' in html  # the navigation's badge
    # The overdue appeal leads the queue.
    assert html.index(f"/hq/appeals/{late['uuid']}") < html.index(f"/hq/appeals/{appeal['uuid']}")
    assert "overdue" in html and "The floor was mopped." in html
    one = await hq.get(f"/hq/appeals/{appeal['uuid']}")
    assert one.status_code == 200
    revision = (await hq.get(f"/api/audits/{uid}")).json()["revision"]
    assert f'data-revision="{revision}"' in one.text
    assert "Record the decision" in one.text and "Olga Owner" in one.text
    assert (await owner.get("/hq/appeals")).status_code == 404
    r = await hq.post(
        f"/api/appeals/{appeal['uuid']}/decision",
        json={"decision": "upheld", "note": "Convincing."},
        headers={"If-Match": f'"r{revision}"'},
    )
    assert r.status_code == 200, r.text
    one = await hq.get(f"/hq/appeals/{appeal['uuid']}")
    assert "Record the decision" not in one.text and "version 2" in one.text
    audit_page = await hq.get(f"/hq/audits/{uid}")
    assert "Appeal upheld" in audit_page.text and "Appeal opened" in audit_page.text
    event = await ReviewEvent.get(action="appeal_upheld")
    assert event.detail["answer_before"] == {"value": False, "comment": "rang out"}
    assert event.detail["scores_after"]["overall"] == (await Audit.get(uuid=uid)).overall


async def test_the_owners_are_mailed_each_decision_with_the_amended_report(db, login, settings):
    await seed()
    await add_user("partner@x.test", "owner", "correct horse battery", "Pia Partner", ["S1"])
    uid = await approved_audit(login)
    owner = await login("owner@x.test")
    upheld = (await open_appeal(owner, uid, proposed={"value": True})).json()
    rejected = (await open_appeal(owner, uid, item="clean", reason="It was spotless.")).json()
    port = free_port()
    controller, inbox = smtp_server(port)
    mailing = replace(settings, smtp_url=f"smtp://127.0.0.1:{port}", smtp_from="audit@x.test")
    try:
        hq = await login("hq@x.test")
        # The app's settings have no mail server: its decisions queue nothing.
        r = await hq.post(
            f"/api/appeals/{rejected['uuid']}/decision",
            json={"decision": "rejected", "note": "The photo shows a wet floor."},
        )
        assert r.status_code == 200
        assert await Delivery.filter(purpose__startswith="appeal:").count() == 0
        # A service with a mail server: the decision queues one e-mail per owner.
        user = await User.get(email="hq@x.test")
        principal = Principal(user.id, user.email, user.name, "hq", "", 0)
        await appeals_workflow.decide(
            principal,
            upheld["uuid"],
            {"decision": "upheld", "note": "The phone log is convincing."},
            mailing,
        )
        queued = await Delivery.filter(purpose=f"appeal:{upheld['uuid']}").values_list(
            "recipient", flat=True
        )
        assert sorted(queued) == ["owner@x.test", "partner@x.test"]
        mailer = ReportMailer(mailing)
        assert await mailer.send_due() == 2
        assert await mailer.send_due() == 0
    finally:
        controller.stop()
    assert sorted(m["To"] for m in inbox.messages) == ["owner@x.test", "partner@x.test"]
    message = inbox.messages[0]
    assert message["Subject"].strip() == (
        "Appeal upheld: Riverside Mall, A person answered within three rings"
    )
    body = message.get_body(("plain",)).get_content()
    assert "The item now reads: Yes (first reported: No)" in body
    assert "The phone log is convincing." in body and "version 2" in body
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename().endswith("-v2.pdf")
    raw = message.as_bytes().lower()
    for secret in (b"hal hq", b"hq@x.test", b"ann auditor", b"auditor@x.test"):
        assert secret not in raw


async def test_the_demo_has_an_upheld_a_rejected_and_two_waiting_appeals(db):
    from audit.demo import DemoSize, fill_demo

    db.media_dir.mkdir(parents=True, exist_ok=True)
    await fill_demo(db, DemoSize(locations=6, audits=60), seed=3)
    statuses = sorted(await Appeal.all().values_list("status", flat=True))
    assert statuses.count("open") == 2
    decided = [s for s in statuses if s != "open"]
    assert len(decided) == 2 and "rejected" in decided
    overdue = await Appeal.filter(status="open", due_at__lt=datetime.now(UTC)).count()
    assert overdue == 1
    await assert_rollups_match_raw()
    for appeal in await Appeal.exclude(status="open"):
        audit = await Audit.get(id=appeal.audit_id)
        assert audit.report_version == (2 if appeal.report_version else 1)
