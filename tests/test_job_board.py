"""The job board: claiming an open visit, giving it back, HQ giving it to an auditor.

The race is real: 50 signed-in auditors send their claims of one visit at
once (on SQLite and PostgreSQL), and exactly one of them gets it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from audit.models import Assignment, User
from audit.store.accounts import add_user
from tests.helpers import PASSWORD, new_uuid, seed
from tests.test_api_roles import payload

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

TODAY = datetime.now(UTC).date()


@pytest.fixture
async def people(login):
    await seed()
    return {
        "hq": await login("hq@x.test"),
        "ann": await login("auditor@x.test"),
        "bob": await login("auditor2@x.test"),
    }


async def open_visit(hq, location="S1", due: date | None = None) -> int:
    body: dict = {"location": location, "checklist": "shop"}
    if due is not None:
        body["due"] = due.isoformat()
    r = await hq.post("/api/assignments", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def make_wave(hq, **changes) -> dict:
    body = {
        "name": "June",
        "checklist": "shop",
        "locations": "all",
        "from": TODAY.isoformat(),
        "to": (TODAY + timedelta(days=27)).isoformat(),
        "visits": 2,
        **changes,
    }
    r = await hq.post("/api/waves", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_claimed_visit_is_the_claimers_and_leaves_the_board_of_others(people) -> None:
    hq, ann, bob = people["hq"], people["ann"], people["bob"]
    aid = await open_visit(hq, due=TODAY + timedelta(days=10))
    board = (await bob.get("/api/assignments")).json()
    assert [(a["id"], a["mine"]) for a in board] == [(aid, False)]

    r = await ann.post(f"/api/assignments/{aid}/claim")
    assert r.status_code == 200, r.text
    assert r.json()["mine"] is True and r.json()["claimed"] is True
    assert r.json()["can_release"] is True
    row = await Assignment.get(id=aid)
    assert row.auditor_id == (await User.get(email="auditor@x.test")).id
    assert row.claimed_at is not None

    assert (await bob.get("/api/assignments")).json() == []
    assert [a["mine"] for a in (await ann.get("/api/assignments")).json()] == [True]
    # Claiming it again is the same request again: still Ann's.
    assert (await ann.post(f"/api/assignments/{aid}/claim")).status_code == 200

    r = await bob.post(f"/api/assignments/{aid}/claim")
    assert r.status_code == 409
    assert r.json()["error"] == "already claimed by another shopper"
    assert "Ann" not in r.text and "auditor@x.test" not in r.text
    assert (await Assignment.get(id=aid)).auditor_id == row.auditor_id


async def test_fifty_auditors_claiming_one_visit_at_once_give_it_to_exactly_one(
    people, login
) -> None:
    hq = people["hq"]
    aid = await open_visit(hq)
    for n in range(50):
        await add_user(f"racer{n}@x.test", "auditor", PASSWORD, f"Racer {n}")
    racers = [await login(f"racer{n}@x.test") for n in range(50)]

    results = await asyncio.gather(*(r.post(f"/api/assignments/{aid}/claim") for r in racers))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [409] * 49, statuses
    winner = next(n for n, r in enumerate(results) if r.status_code == 200)
    assert all(
        r.json()["error"] == "already claimed by another shopper"
        for r in results
        if r.status_code == 409
    )
    row = await Assignment.get(id=aid).select_related("auditor")
    assert row.auditor is not None and row.auditor.email == f"racer{winner}@x.test"


async def test_a_claim_is_given_back_before_its_release_day_and_not_after(people) -> None:
    hq, ann, bob = people["hq"], people["ann"], people["bob"]
    aid = await open_visit(hq, due=TODAY + timedelta(days=10))
    assert (await ann.post(f"/api/assignments/{aid}/claim")).status_code == 200
    assert (await bob.post(f"/api/assignments/{aid}/release")).status_code == 404
    r = await ann.post(f"/api/assignments/{aid}/release")
    assert r.status_code == 200, r.text
    assert r.json()["mine"] is False
    row = await Assignment.get(id=aid)
    assert (row.auditor_id, row.claimed_at) == (None, None)
    assert [a["id"] for a in (await bob.get("/api/assignments")).json()] == [aid]

    # Due tomorrow: the release day (two days before) has passed.
    late = await open_visit(hq, due=TODAY + timedelta(days=1))
    assert (await ann.post(f"/api/assignments/{late}/claim")).status_code == 200
    mine = {a["id"]: a for a in (await ann.get("/api/assignments")).json()}
    assert mine[late]["can_release"] is False
    r = await ann.post(f"/api/assignments/{late}/release")
    assert r.status_code == 409
    assert r.json()["error"].startswith(
        f"this visit could be given back until {(TODAY - timedelta(days=1)).isoformat()}"
    )
    assert (await Assignment.get(id=late)).auditor_id is not None


async def test_a_started_or_head_office_given_visit_cannot_be_given_back(people) -> None:
    hq, ann = people["hq"], people["ann"]
    aid = await open_visit(hq)
    assert (await ann.post(f"/api/assignments/{aid}/claim")).status_code == 200
    uid = new_uuid()
    r = await ann.put(f"/api/audits/{uid}", json={**payload(), "assignment": aid})
    assert r.status_code == 201, r.text
    r = await ann.post(f"/api/assignments/{aid}/release")
    assert r.status_code == 409
    assert "discard its draft" in r.json()["error"]

    given = await open_visit(hq, location="S2")
    r = await hq.post(f"/api/assignments/{given}/assign", json={"auditor": "auditor@x.test"})
    assert r.status_code == 200, r.text
    assert r.json()["auditor"] == "auditor@x.test" and r.json()["claimed"] is False
    r = await ann.post(f"/api/assignments/{given}/release")
    assert r.status_code == 409
    assert r.json()["error"].startswith("head office gave you this visit")


async def test_a_claimed_visit_cannot_be_started_by_another_auditor(people) -> None:
    hq, ann, bob = people["hq"], people["ann"], people["bob"]
    aid = await open_visit(hq)
    assert (await ann.post(f"/api/assignments/{aid}/claim")).status_code == 200
    r = await bob.put(f"/api/audits/{new_uuid()}", json={**payload(), "assignment": aid})
    assert r.status_code == 422
    assert r.json()["fields"] == {"assignment": "no such assignment of yours"}
    assert (await Assignment.get(id=aid)).audit_uuid is None


async def test_no_auditor_visits_a_location_twice_in_a_wave_unless_it_allows(people) -> None:
    hq, ann, bob = people["hq"], people["ann"], people["bob"]
    wave = await make_wave(hq)
    rows = await Assignment.filter(wave_id=wave["id"]).order_by("id").select_related("location")
    s1 = [r.id for r in rows if r.location.code == "S1"]
    assert len(s1) == 2
    assert (await ann.post(f"/api/assignments/{s1[0]}/claim")).status_code == 200
    # Ann's board no longer offers S1's second visit; Bob's does.
    ann_board = {a["id"] for a in (await ann.get("/api/assignments")).json() if not a["mine"]}
    assert s1[1] not in ann_board
    assert s1[1] in {a["id"] for a in (await bob.get("/api/assignments")).json()}
    r = await ann.post(f"/api/assignments/{s1[1]}/claim")
    assert r.status_code == 409
    assert r.json()["error"] == "you already have a visit to this location in this wave"
    r = await hq.post(f"/api/assignments/{s1[1]}/assign", json={"auditor": "auditor@x.test"})
    assert r.status_code == 409
    assert r.json()["fields"] == {
        "auditor": "this auditor already has a visit to this location in this wave"
    }
    assert (await bob.post(f"/api/assignments/{s1[1]}/claim")).status_code == 200

    repeatable = await make_wave(hq, name="July", allow_repeat=True)
    rows = await Assignment.filter(wave_id=repeatable["id"], location__code="S2").order_by("id")
    for row in rows:
        assert (await ann.post(f"/api/assignments/{row.id}/claim")).status_code == 200


async def test_hq_gives_a_visit_to_an_auditor_and_back_to_the_board(people) -> None:
    hq, ann, bob = people["hq"], people["ann"], people["bob"]
    aid = await open_visit(hq)
    r = await hq.post(f"/api/assignments/{aid}/assign", json={"auditor": "nobody@x.test"})
    assert r.status_code == 422
    assert r.json()["fields"] == {"auditor": "must be the e-mail of an active auditor"}
    r = await hq.post(f"/api/assignments/{aid}/assign", json={"auditor": "auditor2@x.test"})
    assert r.status_code == 200
    assert [a["mine"] for a in (await bob.get("/api/assignments")).json()] == [True]
    assert (await ann.get("/api/assignments")).json() == []
    r = await hq.post(f"/api/assignments/{aid}/assign", json={"auditor": None})
    assert r.status_code == 200 and r.json()["auditor"] is None
    assert [a["id"] for a in (await ann.get("/api/assignments")).json()] == [aid]


async def test_only_auditors_claim_and_only_hq_assigns(people) -> None:
    hq, ann = people["hq"], people["ann"]
    aid = await open_visit(hq)
    assert (await hq.post(f"/api/assignments/{aid}/claim")).status_code == 404
    r = await ann.post(f"/api/assignments/{aid}/assign", json={"auditor": None})
    assert r.status_code == 404
    assert (await ann.post("/api/assignments/999999/claim")).status_code == 404
    assert (await ann.post("/api/assignments/x/claim")).status_code == 404


async def test_an_overdue_visit_is_marked_until_it_is_sent(people) -> None:
    hq, ann = people["hq"], people["ann"]
    aid = await open_visit(hq, due=TODAY - timedelta(days=1))
    assert (await ann.post(f"/api/assignments/{aid}/claim")).status_code == 200
    assert [a["overdue"] for a in (await ann.get("/api/assignments")).json()] == [True]
    overdue = (await hq.get("/api/assignments", params={"state": "overdue"})).json()
    assert [a["id"] for a in overdue] == [aid]
    uid = new_uuid()
    r = await ann.put(f"/api/audits/{uid}", json={**payload(), "assignment": aid})
    assert r.status_code == 201
    assert (await ann.post(f"/api/audits/{uid}/submit", json=payload())).status_code == 200
    assert (await hq.get("/api/assignments", params={"state": "overdue"})).json() == []
