"""An audit started from an assignment is linked to it; the assignment's state follows the audit."""

from __future__ import annotations

import pytest

from audit.models import Assignment, Audit
from tests.helpers import new_uuid, seed
from tests.test_api_roles import payload

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
async def people(login):
    await seed()
    return {
        "hq": await login("hq@x.test"),
        "ann": await login("auditor@x.test"),
        "bob": await login("auditor2@x.test"),
    }


async def assign(hq, location="S1", auditor: str | None = "auditor@x.test") -> int:
    body = {"location": location, "checklist": "shop"}
    if auditor:
        body["auditor"] = auditor
    r = await hq.post("/api/assignments", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def state_seen_by_hq(hq, assignment_id: int) -> tuple[str, str | None]:
    rows = {a["id"]: a for a in (await hq.get("/api/assignments")).json()}
    return rows[assignment_id]["state"], rows[assignment_id]["audit"]


async def test_the_assignment_follows_its_audit_from_start_to_approval(people) -> None:
    hq, ann = people["hq"], people["ann"]
    aid = await assign(hq)
    assert await state_seen_by_hq(hq, aid) == ("open", None)
    uid = new_uuid()
    r = await ann.put(f"/api/audits/{uid}", json={**payload(), "assignment": aid})
    assert r.status_code == 201, r.text
    assert (await Assignment.get(id=aid)).audit_uuid == uid
    assert await state_seen_by_hq(hq, aid) == ("started", uid)
    assert (await ann.get("/api/assignments")).json() == []

    assert (await ann.post(f"/api/audits/{uid}/submit", json=payload())).status_code == 200
    assert await state_seen_by_hq(hq, aid) == ("submitted", uid)
    review = {"decision": "return", "note": "photo of the entrance, please"}
    assert (await hq.post(f"/api/audits/{uid}/review", json=review)).status_code == 200
    assert await state_seen_by_hq(hq, aid) == ("returned", uid)
    assert (await ann.post(f"/api/audits/{uid}/submit", json=payload())).status_code == 200
    review = {"decision": "approve", "note": ""}
    assert (await hq.post(f"/api/audits/{uid}/review", json=review)).status_code == 200
    assert await state_seen_by_hq(hq, aid) == ("approved", uid)

    approved = (await hq.get("/api/assignments", params={"state": "approved"})).json()
    assert [a["id"] for a in approved] == [aid]
    assert (await hq.get("/api/assignments", params={"state": "open"})).json() == []


async def test_discarding_the_draft_opens_the_assignment_again(people) -> None:
    hq, ann = people["hq"], people["ann"]
    aid = await assign(hq)
    uid = new_uuid()
    r = await ann.put(f"/api/audits/{uid}", json={**payload(), "assignment": aid})
    assert r.status_code == 201, r.text
    assert (await ann.delete(f"/api/audits/{uid}")).status_code == 204
    assert await state_seen_by_hq(hq, aid) == ("open", None)
    assert [a["id"] for a in (await ann.get("/api/assignments")).json()] == [aid]


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ("someone_elses", "no such assignment of yours"),
        ("other_location", "this assignment is for another location"),
        ("missing", "no such assignment of yours"),
        ("not_a_number", "must be an assignment id (a whole number)"),
    ],
)
async def test_an_audit_cannot_start_from_an_assignment_it_does_not_match(
    people, case, problem
) -> None:
    hq, ann = people["hq"], people["ann"]
    aid = {
        "someone_elses": await assign(hq, auditor="auditor2@x.test"),
        "other_location": await assign(hq, location="S2"),
        "missing": 999_999,
        "not_a_number": "1",
    }[case]
    uid = new_uuid()
    r = await ann.put(f"/api/audits/{uid}", json={**payload(), "assignment": aid})
    assert r.status_code == 422
    assert r.json()["fields"]["assignment"] == problem
    assert not await Audit.exists(uuid=uid)
    assert await Assignment.filter(audit_uuid__not_isnull=True).count() == 0


async def test_an_open_assignment_started_by_two_auditors_links_the_first_and_keeps_both(
    people,
) -> None:
    hq, ann, bob = people["hq"], people["ann"], people["bob"]
    aid = await assign(hq, auditor=None)
    first, second = new_uuid(), new_uuid()
    r = await ann.put(f"/api/audits/{first}", json={**payload(), "assignment": aid})
    assert r.status_code == 201, r.text
    # Bob's phone was offline when Ann took it: his visit is kept, unlinked.
    r = await bob.put(f"/api/audits/{second}", json={**payload(), "assignment": aid})
    assert r.status_code == 201, r.text
    assert (await Assignment.get(id=aid)).audit_uuid == first
    assert await Audit.exists(uuid=second)


async def test_hq_is_told_which_assignment_states_exist(people) -> None:
    r = await people["hq"].get("/api/assignments", params={"state": "done"})
    assert r.status_code == 422
    assert r.json()["fields"]["state"].startswith("must be one of open, started")
