"""Corrective actions through the API: the owner records, changes and closes them; HQ reads
them all; the next approved visit checks each item; races leave one action.

The fixtures' ``shop`` checklist at S1 (owner@x.test) and S2 (owner2@x.test).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from audit.models import (
    Assignment,
    ChecklistVersion,
    CorrectiveAction,
    Delivery,
    Location,
    Wave,
)
from audit.report.data import SinceCheck, SinceLastVisit
from audit.report.sample import sample_report_data
from audit.store.accounts import add_user
from audit.store.locations import add_location
from audit.workflow.delivery import ReportMailer, compose_email
from tests.helpers import Session, audit_body, new_uuid, seed
from tests.test_report import flat, pdf_text
from tests.test_store_reports import free_port, smtp_server

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

Login = Callable[[str], Awaitable[Session]]

# answered: failed (0); rings 4: weak (0.5); restroom refused: failed, critical;
# clean 2: weak (0.25); recommend and notes are not scored.
POOR = {
    "answered": {"value": False},
    "rings": {"value": 4, "comment": "voicemail first"},
    "needed_restroom": {"value": True},
    "restroom": {"value": "refused"},
    "clean": {"value": 2},
    "recommend": {"value": 6},
}
# answered fixed, rings still 4 (weak), restroom not needed (not checked), clean 5 (fixed).
BETTER = {
    "answered": {"value": True},
    "rings": {"value": 4},
    "needed_restroom": {"value": False},
    "clean": {"value": 5},
    "recommend": {"value": 9},
}
TODAY = datetime.now(UTC).date()
SOON = (TODAY + timedelta(days=14)).isoformat()
PLAN = {"what": "Answer the phone before the third ring", "who": "Maria, shift lead", "due": SOON}


class World:
    def __init__(self, auditor: Session, hq: Session, owner: Session, owner2: Session) -> None:
        self.auditor, self.hq, self.owner, self.owner2 = auditor, hq, owner, owner2

    async def visit(
        self, location: str, day: date, answers: dict[str, Any], *, approve: bool = True
    ) -> str:
        uid = new_uuid()
        body = audit_body(answers, location=location, visited_at=f"{day.isoformat()}T10:00:00Z")
        assert (await self.auditor.put(f"/api/audits/{uid}", json=body)).status_code == 201
        assert (await self.auditor.post(f"/api/audits/{uid}/submit")).status_code == 200
        if approve:
            r = await self.hq.post(
                f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""}
            )
            assert r.status_code == 200, r.text
        return uid


@pytest.fixture
async def world(db: Any, app: Any, login: Login) -> World:
    await seed()
    return World(
        await login("auditor@x.test"),
        await login("hq@x.test"),
        await login("owner@x.test"),
        await login("owner2@x.test"),
    )


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


async def test_the_owner_sees_the_failed_and_weak_items_of_an_approved_visit(
    world: World,
) -> None:
    uid = await world.visit("S1", days_ago(20), POOR)

    r = await world.owner.get(f"/api/audits/{uid}/actions")

    assert r.status_code == 200, r.text
    items = {i["item"]: i for i in r.json()["items"]}
    assert list(items) == ["answered", "rings", "restroom", "clean"]  # journey order
    assert [items[k]["shortfall"] for k in items] == ["failed", "weak", "failed", "weak"]
    assert items["restroom"]["answer"] == "Refused or sent elsewhere"
    assert items["clean"]["score"] == "25%" and items["clean"]["touchpoint"] == "facilities"
    assert all(i["action"] is None for i in items.values())
    # Nothing about the visit's auditor, nor their comments.
    assert "Ann" not in r.text and "auditor@" not in r.text and "voicemail" not in r.text


async def test_an_owner_records_an_action_and_the_same_request_again_changes_nothing(
    world: World,
) -> None:
    uid = await world.visit("S1", days_ago(20), POOR)

    first = await world.owner.put(f"/api/audits/{uid}/actions/answered", json=PLAN)
    again = await world.owner.put(f"/api/audits/{uid}/actions/answered", json=PLAN)

    assert first.status_code == 201, first.text
    assert again.status_code == 200 and again.json() == first.json()
    body = first.json()
    assert (body["what"], body["who"], body["due"], body["status"]) == (
        PLAN["what"],
        PLAN["who"],
        SOON,
        "open",
    )
    assert body["item_text"] == "A person answered within three rings"
    assert body["touchpoint"] == "phone" and body["overdue"] is False and body["check"] is None
    rows = await CorrectiveAction.all()
    assert len(rows) == 1
    assert (rows[0].item_id, rows[0].who, rows[0].due) == (
        "answered",
        "Maria, shift lead",
        date.fromisoformat(SOON),
    )
    listed = (await world.owner.get(f"/api/audits/{uid}/actions")).json()["items"]
    assert listed[0]["action"] == body


@pytest.mark.parametrize(
    ("item", "body", "status", "fields"),
    [
        ("answered", {"who": "Maria", "due": SOON}, 422, {"what"}),
        ("answered", {**PLAN, "what": "   "}, 422, {"what"}),
        ("answered", {**PLAN, "who": 7}, 422, {"who"}),
        ("answered", {**PLAN, "due": "next week"}, 422, {"due"}),
        ("answered", {**PLAN, "due": "2020-01-01"}, 422, {"due"}),  # before the visit
        ("answered", {**PLAN, "due": (TODAY + timedelta(days=400)).isoformat()}, 422, {"due"}),
        ("answered", {**PLAN, "status": "closed"}, 422, {"status"}),
        ("answered", {**PLAN, "status": "done"}, 422, {"note"}),  # done needs a note
        ("answered", {**PLAN, "priority": "high"}, 422, {"priority"}),
        ("answered", {**PLAN, "what": "x" * 2001}, 422, {"what"}),
        ("recommend", PLAN, 422, {"item"}),  # not scored
        ("no_such_item", PLAN, 404, set()),
    ],
)
async def test_bad_actions_are_refused_naming_the_field_and_store_nothing(
    world: World, item: str, body: dict[str, Any], status: int, fields: set[str]
) -> None:
    uid = await world.visit("S1", days_ago(20), POOR)

    r = await world.owner.put(f"/api/audits/{uid}/actions/{item}", json=body)

    assert r.status_code == status, r.text
    assert set(r.json()["fields"]) == fields
    assert await CorrectiveAction.all().count() == 0


async def test_an_item_that_passed_takes_no_action(world: World) -> None:
    uid = await world.visit("S1", days_ago(20), BETTER)

    r = await world.owner.put(f"/api/audits/{uid}/actions/clean", json=PLAN)

    assert r.status_code == 422
    assert "scored 100%" in r.json()["fields"]["item"]


async def test_only_the_locations_owner_sees_or_records_actions(world: World) -> None:
    uid = await world.visit("S1", days_ago(20), POOR)
    unapproved = await world.visit("S1", days_ago(10), POOR, approve=False)
    assert (await world.owner.put(f"/api/audits/{uid}/actions/clean", json=PLAN)).status_code == 201

    for who in (world.owner2, world.auditor):
        assert (await who.get(f"/api/audits/{uid}/actions")).status_code == 404
        r = await who.put(f"/api/audits/{uid}/actions/answered", json=PLAN)
        assert r.status_code == 404
    # HQ reads everything and records nothing.
    assert (await world.hq.get(f"/api/audits/{uid}/actions")).status_code == 200
    assert (await world.hq.put(f"/api/audits/{uid}/actions/answered", json=PLAN)).status_code == 404
    # An audit not yet approved is not the owner's to see.
    assert (await world.owner.get(f"/api/audits/{unapproved}/actions")).status_code == 404
    r = await world.owner.put(f"/api/audits/{unapproved}/actions/answered", json=PLAN)
    assert r.status_code == 404
    assert await CorrectiveAction.all().count() == 1
    # Lists: the other owner sees none of S1's, and cannot ask for S1.
    assert (await world.owner2.get("/api/actions")).json()["actions"] == []
    assert (await world.owner2.get("/api/actions?location=S1")).status_code == 404
    assert (await world.auditor.get("/api/actions")).status_code == 404
    assert len((await world.owner.get("/api/actions")).json()["actions"]) == 1
    assert len((await world.hq.get("/api/actions")).json()["actions"]) == 1


async def test_marking_done_needs_a_note_keeps_the_first_done_time_and_can_be_reopened(
    world: World,
) -> None:
    uid = await world.visit("S1", days_ago(20), POOR)
    url = f"/api/audits/{uid}/actions/clean"
    assert (await world.owner.put(url, json=PLAN)).status_code == 201

    refused = await world.owner.put(url, json={"status": "done"})
    done = await world.owner.put(url, json={"status": "done", "note": "Deep clean every evening"})
    again = await world.owner.put(url, json={"status": "done", "note": "Deep clean every evening"})

    assert refused.status_code == 422 and set(refused.json()["fields"]) == {"note"}
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done" and done.json()["done_at"] is not None
    assert done.json()["what"] == PLAN["what"]  # fields left out keep their values
    assert again.json()["done_at"] == done.json()["done_at"]
    reopened = await world.owner.put(url, json={"status": "open"})
    assert reopened.json()["status"] == "open" and reopened.json()["done_at"] is None


async def test_the_list_puts_overdue_actions_first_and_filters_by_location_and_region(
    world: World,
) -> None:
    await add_location("S3", "Northgate", "North")
    s1 = await world.visit("S1", days_ago(30), POOR)
    s2 = await world.visit("S2", days_ago(30), POOR)
    late = {**PLAN, "due": days_ago(3).isoformat()}
    later = {**PLAN, "due": days_ago(10).isoformat()}
    assert (await world.owner.put(f"/api/audits/{s1}/actions/clean", json=PLAN)).status_code == 201
    assert (await world.owner.put(f"/api/audits/{s1}/actions/rings", json=late)).status_code == 201
    assert (
        await world.owner2.put(f"/api/audits/{s2}/actions/rings", json=later)
    ).status_code == 201
    done = {**later, "status": "done", "note": "Fixed"}
    assert (
        await world.owner.put(f"/api/audits/{s1}/actions/answered", json=done)
    ).status_code == 201

    r = await world.hq.get("/api/actions")

    assert r.status_code == 200, r.text
    rows = r.json()["actions"]
    assert [(a["location"], a["item"], a["overdue"]) for a in rows] == [
        ("S2", "rings", True),  # ten days late
        ("S1", "rings", True),  # three days late
        ("S1", "clean", False),
        ("S1", "answered", False),  # done
    ]
    assert rows[0]["region"] == "South" and rows[0]["visited_at"] == days_ago(30).isoformat()
    assert r.json()["total"] == 4
    north = (await world.hq.get("/api/actions?region=North")).json()["actions"]
    assert {a["location"] for a in north} == {"S1"}
    overdue = (await world.hq.get("/api/actions?status=overdue")).json()["actions"]
    assert [a["item"] for a in overdue] == ["rings", "rings"]
    only_s2 = (await world.hq.get("/api/actions?location=S2")).json()["actions"]
    assert [a["location"] for a in only_s2] == ["S2"]
    assert (await world.hq.get("/api/actions?region=Atlantis")).status_code == 404
    bad = await world.hq.get("/api/actions?status=late")
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"status"}


async def test_the_next_approved_visit_checks_each_action_and_hq_sees_the_fix_rate(
    world: World,
) -> None:
    first = await world.visit("S1", days_ago(60), POOR)
    for item in ("answered", "rings", "restroom", "clean"):
        r = await world.owner.put(f"/api/audits/{first}/actions/{item}", json=PLAN)
        assert r.status_code == 201
    # Not approved yet: checks nothing.
    pending = await world.visit("S1", days_ago(20), BETTER, approve=False)
    before = (await world.hq.get("/api/actions")).json()
    assert all(a["check"] is None for a in before["actions"])
    assert before["fix_rates"] == [{"region": "North", "fixed": 0, "verified": 0, "rate": None}]

    r = await world.hq.post(
        f"/api/audits/{pending}/review", json={"decision": "approve", "note": ""}
    )
    assert r.status_code == 200

    after = (await world.hq.get("/api/actions")).json()
    found = {a["item"]: a["check"] for a in after["actions"]}
    assert {k: v["verdict"] for k, v in found.items()} == {
        "answered": "fixed",
        "rings": "still_failing",
        "restroom": "not_checked",
        "clean": "fixed",
    }
    assert found["answered"]["visited_at"] == days_ago(20).isoformat()
    assert after["fix_rates"] == [{"region": "North", "fixed": 2, "verified": 3, "rate": 2 / 3}]
    # The owner sees the same checks on the visit's items.
    items = (await world.owner.get(f"/api/audits/{first}/actions")).json()["items"]
    assert items[0]["action"]["check"]["label"] == "Fixed"
    # A later visit still: the first is checked by the next one only.
    await world.visit("S1", days_ago(5), POOR)
    again = (await world.hq.get("/api/actions")).json()
    assert {a["item"]: a["check"]["verdict"] for a in again["actions"]} == {
        k: v["verdict"] for k, v in found.items()
    }


async def test_two_first_saves_of_one_item_at_once_leave_one_action(world: World) -> None:
    uid = await world.visit("S1", days_ago(20), POOR)
    url = f"/api/audits/{uid}/actions/rings"
    bodies = [{**PLAN, "who": f"Person {n}"} for n in range(6)]

    answers = await asyncio.gather(*(world.owner.put(url, json=b) for b in bodies))

    assert sorted(r.status_code for r in answers) == [200] * 5 + [201], [r.text for r in answers]
    rows = await CorrectiveAction.filter(item_id="rings")
    assert len(rows) == 1
    assert rows[0].who in {b["who"] for b in bodies}
    # Whatever each 2xx said was stored at its moment; the last word is one of them.
    assert rows[0].who in {r.json()["who"] for r in answers}


async def test_marking_done_twice_at_once_keeps_one_done_time(world: World) -> None:
    uid = await world.visit("S1", days_ago(20), POOR)
    url = f"/api/audits/{uid}/actions/clean"
    assert (await world.owner.put(url, json=PLAN)).status_code == 201
    done = {"status": "done", "note": "Cleaned"}

    answers = await asyncio.gather(*(world.owner.put(url, json=done) for _ in range(5)))

    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    stored = await CorrectiveAction.get(item_id="clean")
    assert stored.status == "done" and stored.done_at is not None
    assert {r.json()["done_at"] for r in answers} == {stored.done_at.isoformat()}


async def test_overdue_actions_remind_each_owner_once_a_day_through_the_mail_queue(
    world: World, settings: Any
) -> None:
    await add_user("partner@x.test", "owner", "correct horse battery", "Pia Partner", ["S1"])
    uid = await world.visit("S1", days_ago(30), POOR)
    late = {**PLAN, "due": days_ago(2).isoformat()}
    for item in ("answered", "clean"):
        assert (
            await world.owner.put(f"/api/audits/{uid}/actions/{item}", json=late)
        ).status_code == 201
    assert (await world.owner.put(f"/api/audits/{uid}/actions/rings", json=PLAN)).status_code == 201
    port = free_port()
    controller, inbox = smtp_server(port)
    try:
        mailer = ReportMailer(
            replace(settings, smtp_url=f"smtp://127.0.0.1:{port}", smtp_from="audit@x.test")
        )
        # Two nodes (or hours) looking on one day queue the same reminders.
        queued = await asyncio.gather(mailer.queue_reminders(TODAY), mailer.queue_reminders(TODAY))
        assert await mailer.queue_reminders(TODAY) == 4
        assert await Delivery.filter(purpose__startswith="action:").count() == 4
        assert sum(queued) >= 4
        # One of them is done before the mail goes: its reminders are dropped.
        done = {"status": "done", "note": "Cleaned"}
        assert (
            await world.owner.put(f"/api/audits/{uid}/actions/clean", json=done)
        ).status_code == 200
        assert await mailer.send_due() == 2
        assert await mailer.send_due() == 0
        # The next day: one more reminder for the action still overdue, per owner.
        assert await mailer.queue_reminders(TODAY + timedelta(days=1)) == 2
        assert await mailer.send_due() == 2
    finally:
        controller.stop()

    assert sorted(m["To"] for m in inbox.messages) == [
        "owner@x.test",
        "owner@x.test",
        "partner@x.test",
        "partner@x.test",
    ]
    message = inbox.messages[0]
    assert (
        message["Subject"].strip()
        == "Overdue action at Riverside Mall: A person answered within three rings"
    )
    body = message.get_body(("plain",)).get_content()
    assert "Answer the phone before the third ring" in body and "Maria, shift lead" in body
    assert "2 days ago" in body
    assert not list(message.iter_attachments())
    raw = message.as_bytes().lower()
    assert b"ann auditor" not in raw and b"auditor@x.test" not in raw
    skipped = await Delivery.filter(status="skipped").count()
    assert skipped == 2
    assert len({m["Message-ID"] for m in inbox.messages}) == 4


async def test_a_visit_of_the_same_wave_does_not_check_an_action_a_later_wave_does(
    world: World,
) -> None:
    version = await ChecklistVersion.get(slug="shop", is_current=True)
    location = await Location.get(code="S1")

    async def wave(name: str, start: date, *uids: str) -> None:
        made = await Wave.create(
            name=name,
            checklist_slug="shop",
            checklist=version,
            starts_on=start,
            ends_on=start + timedelta(days=20),
        )
        for uid in uids:
            await Assignment.create(
                location=location, checklist_slug="shop", wave=made, audit_uuid=uid
            )

    first = await world.visit("S1", days_ago(60), POOR)
    twin = await world.visit("S1", days_ago(55), BETTER)  # the same wave's second visit
    await wave("Spring", days_ago(61), first, twin)
    assert (
        await world.owner.put(f"/api/audits/{first}/actions/answered", json=PLAN)
    ).status_code == 201
    assert (await world.hq.get("/api/actions")).json()["actions"][0]["check"] is None

    later = await world.visit("S1", days_ago(10), POOR)
    await wave("Autumn", days_ago(11), later)

    [action] = (await world.hq.get("/api/actions")).json()["actions"]
    assert action["check"] == {
        "verdict": "still_failing",
        "label": "Still failing",
        "visited_at": days_ago(10).isoformat(),
    }


async def test_the_next_report_says_what_was_fixed_since_the_last_visit_in_pdf_and_json(
    world: World,
) -> None:
    first = await world.visit("S1", days_ago(60), POOR)
    plan = {**PLAN, "what": "Put a second phone at the till", "status": "done", "note": "Done"}
    assert (
        await world.owner.put(f"/api/audits/{first}/actions/answered", json=plan)
    ).status_code == 201
    second = await world.visit("S1", days_ago(20), BETTER)

    doc = (await world.owner.get(f"/api/audits/{second}/report.json")).json()
    pdf = await world.owner.get(f"/api/audits/{second}/report.pdf")

    since = doc["since_last_visit"]
    assert since["visited_at"] == days_ago(60).isoformat()
    assert (since["fixed"], since["verified"]) == (2, 3)
    found = {i["item"]: i for i in since["items"]}
    assert {k: v["verdict"] for k, v in found.items()} == {
        "answered": "fixed",
        "rings": "still_failing",
        "restroom": "not_checked",
        "clean": "fixed",
    }
    assert found["answered"]["action"]["what"] == "Put a second phone at the till"
    assert found["rings"]["action"] is None
    text = flat(pdf_text(pdf.content))
    assert "Since the last visit" in text
    assert "2 of the 4 items that failed or were weak" in text
    assert "Put a second phone at the till" in text
    for label in ("Fixed", "Still failing", "Not checked"):
        assert label in text
    # The first visit has none before it; nor does the JSON then.
    assert (await world.owner.get(f"/api/audits/{first}/report.json")).json()[
        "since_last_visit"
    ] is None


async def test_hq_pages_list_actions_overdue_first_with_fix_rates_and_the_location_check(
    world: World,
) -> None:
    first = await world.visit("S1", days_ago(60), POOR)
    late = {**PLAN, "what": "Retrain the phone team", "due": days_ago(30).isoformat()}
    assert (
        await world.owner.put(f"/api/audits/{first}/actions/rings", json=late)
    ).status_code == 201
    done = {**PLAN, "what": "Deep clean nightly", "status": "done", "note": "Rota on the wall"}
    assert (
        await world.owner.put(f"/api/audits/{first}/actions/clean", json=done)
    ).status_code == 201
    await world.visit("S1", days_ago(20), BETTER)

    page = await world.hq.get("/hq/actions")
    north = await world.hq.get("/hq/actions?region=South")
    location = await world.hq.get("/hq/locations/S1")

    assert page.status_code == 200, page.text
    html = page.text
    assert html.index("Retrain the phone team") < html.index("Deep clean nightly")  # overdue first
    assert "overdue" in html and "Still failing" in html and "Fixed" in html
    assert "<strong>50%</strong>" in html  # North: 1 fixed of 2 verified
    assert "Retrain the phone team" not in north.text
    assert location.status_code == 200, location.text
    assert "Since the last visit" in location.text and "2 of the 4 items" in location.text
    assert "Retrain the phone team" in location.text
    audit_page = await world.hq.get(f"/hq/audits/{first}")
    assert audit_page.status_code == 200, audit_page.text
    assert "the owner recorded an action for 2" in audit_page.text
    assert "Retrain the phone team" in audit_page.text and "Still failing" in audit_page.text
    assert (await world.owner.get("/hq/actions")).status_code == 404
    bad = await world.hq.get("/hq/actions?status=late")
    assert bad.status_code == 422 and "status" in bad.text


async def test_an_upheld_appeal_of_the_later_visit_changes_its_check_at_once(world: World) -> None:
    first = await world.visit("S1", days_ago(60), POOR)
    assert (
        await world.owner.put(f"/api/audits/{first}/actions/rings", json=PLAN)
    ).status_code == 201
    second = await world.visit("S1", days_ago(20), BETTER)  # rings 4: still failing
    [before] = (await world.hq.get("/api/actions")).json()["actions"]
    assert before["check"]["verdict"] == "still_failing"

    r = await world.owner.post(
        f"/api/audits/{second}/appeals",
        json={"item": "rings", "reason": "It rang twice", "proposed": {"value": 2}},
    )
    assert r.status_code == 201, r.text
    r = await world.hq.post(
        f"/api/appeals/{r.json()['uuid']}/decision", json={"decision": "upheld", "note": "Agreed"}
    )
    assert r.status_code == 200, r.text

    [after] = (await world.hq.get("/api/actions")).json()["actions"]
    assert after["check"]["verdict"] == "fixed"
    doc = (await world.owner.get(f"/api/audits/{second}/report.json")).json()
    rings = next(i for i in doc["since_last_visit"]["items"] if i["item"] == "rings")
    assert (rings["after"], rings["verdict"]) == (1.0, "fixed")


def test_the_report_e_mail_says_what_was_fixed_since_the_last_visit(tmp_path) -> None:
    data = sample_report_data(tmp_path)
    since = SinceLastVisit(
        date(2025, 1, 10),
        (
            SinceCheck("a", "A", "phone", 0.0, 1.0, "failed", "fixed"),
            SinceCheck("b", "B", "phone", 0.5, 0.5, "weak", "still_failing"),
        ),
    )
    message = compose_email(replace(data, since_last=since), b"%PDF", "o@x.test", "a@x.test")
    body = message.get_body(("plain",)).get_content()
    assert "Since the last visit: 1 of the 2 items that failed or were weak" in body
    assert "10 January 2025 is fixed." in body
