"""POST /api/audits/{uuid}/submit: validation, the stored scorecard, idempotency, races."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from audit.models import Audit, ItemScore, SectionScore
from tests.helpers import audit_body, new_uuid, seed, sign_in

ANSWERS: dict[str, Any] = {
    "answered": {"value": True},
    "rings": {"value": 4, "comment": "voicemail first"},
    "needed_restroom": {"value": True},
    "restroom": {"value": "after_asking"},
    "clean": {"value": 4},
    "recommend": {"value": 9},
    "notes": {"value": "Friendly, but the restroom needed two requests."},
}
# phone 87.5 (weight 2), facilities 75, checkout unscored
OVERALL = (2 * 87.5 + 75.0) / 3


# argon2 at its cheapest: every test seeds five users and signs in.
pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def payload(answers: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    return audit_body(ANSWERS if answers is None else answers, **changes)


async def stored(uuid: str) -> dict[str, Any]:
    """Everything a request could change about one audit, as plain values."""
    audit = await Audit.get(uuid=uuid)
    sections = await SectionScore.filter(audit_id=audit.id).order_by("id").values()
    items = await ItemScore.filter(audit_id=audit.id).order_by("id").values()
    row = await Audit.filter(uuid=uuid).values()
    return {"audit": row[0], "sections": sections, "items": items}


async def test_submit_stores_status_scorecard_and_section_scores(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=payload())).status_code == 201

    r = await auditor.post(f"/api/audits/{uid}/submit")

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "submitted"
    assert body["scorecard"]["overall"] == pytest.approx(OVERALL)
    assert body["scorecard"]["missing"] == []
    audit = await Audit.get(uuid=uid)
    assert audit.status == "submitted"
    assert audit.submitted_at is not None
    assert audit.overall == pytest.approx(OVERALL)
    assert audit.nps == 9
    assert audit.critical_failed is False
    assert audit.scorecard == body["scorecard"]
    sections = {
        s.section_id: (s.touchpoint, s.weight, s.score)
        for s in await SectionScore.filter(audit_id=audit.id)
    }
    assert sections == {
        "phone": ("phone", 2.0, 87.5),
        "facilities": ("facilities", 1.0, 75.0),
        "checkout": ("checkout", 1.0, None),
    }
    points = {i.item_id: i.points for i in await ItemScore.filter(audit_id=audit.id)}
    assert points == {
        "answered": 1.0,
        "rings": 0.5,
        "needed_restroom": 1.0,
        "restroom": 0.5,
        "clean": 0.75,
    }


async def test_submit_with_the_audit_in_the_body_creates_and_submits_it(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()

    r = await auditor.post(f"/api/audits/{uid}/submit", json=payload())

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "submitted"
    assert await Audit.filter(uuid=uid, status="submitted").count() == 1


async def test_critical_failure_caps_the_stored_overall(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    answers = {**ANSWERS, "restroom": {"value": "refused"}}

    r = await auditor.post(f"/api/audits/{uid}/submit", json=payload(answers))

    assert r.status_code == 200, r.text
    card = r.json()["scorecard"]
    assert card["critical_failures"] == ["restroom"]
    assert card["overall"] == 40
    audit = await Audit.get(uuid=uid)
    assert audit.critical_failed is True
    assert audit.overall == 40


async def test_incomplete_submit_is_422_with_missing_and_stays_a_draft(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    partial = {k: v for k, v in ANSWERS.items() if k not in ("answered", "recommend")}
    assert (await auditor.put(f"/api/audits/{uid}", json=payload(partial))).status_code == 201
    before = await stored(uid)

    r = await auditor.post(f"/api/audits/{uid}/submit")

    assert r.status_code == 422
    body = r.json()
    assert sorted(body["missing"]) == ["answered", "recommend"]
    assert body["fields"] == {"answers.answered": "is required", "answers.recommend": "is required"}
    assert body["error"]
    assert await stored(uid) == before
    assert before["audit"]["status"] == "draft"
    assert before["sections"] == []


async def test_incomplete_submit_with_a_body_stores_nothing_new(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    partial = {k: v for k, v in ANSWERS.items() if k != "clean"}

    r = await auditor.post(f"/api/audits/{uid}/submit", json=payload(partial))

    assert r.status_code == 422
    assert r.json()["missing"] == ["clean"]
    audit = await Audit.get_or_none(uuid=uid)
    # The draft may be kept (the auditor's work is not lost), but never submitted.
    assert audit is None or audit.status == "draft"
    assert await SectionScore.all().count() == 0


async def test_invalid_answers_name_every_bad_item_and_store_nothing(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    bad = {
        **ANSWERS,
        "answered": {"na": True},  # N/A not allowed
        "clean": {"value": 9},  # out of range
        "bogus": {"value": 1},  # unknown item
        "restroom": {"value": "maybe"},  # not an option
    }

    r = await auditor.post(f"/api/audits/{uid}/submit", json=payload(bad))

    assert r.status_code == 422
    fields = r.json()["fields"]
    assert set(fields) == {
        "answers.answered",
        "answers.clean",
        "answers.bogus",
        "answers.restroom",
    }
    assert "not applicable" in fields["answers.answered"]
    assert "between 1 and 5" in fields["answers.clean"]
    assert await Audit.filter(uuid=uid).count() == 0


async def test_invalid_submit_body_leaves_an_existing_draft_unchanged(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=payload())).status_code == 201
    before = await stored(uid)

    cases = [
        (payload({**ANSWERS, "clean": {"value": 0}}), 422, "answers.clean"),
        (payload(checklist="other"), 422, "checklist"),
        (payload(location="NOPE"), 422, "location"),
        (payload(location="S2"), 422, "location"),
        (payload(extra=1), 422, "extra"),
    ]
    for body, status, field in cases:
        r = await auditor.post(f"/api/audits/{uid}/submit", json=body)
        assert r.status_code == status, (body, r.text)
        assert field in r.json()["fields"], r.text
        assert await stored(uid) == before
    r = await auditor.post(
        f"/api/audits/{uid}/submit",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert await stored(uid) == before


async def test_submitting_an_unknown_audit_without_a_body_is_404(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")

    r = await auditor.post(f"/api/audits/{new_uuid()}/submit")

    assert r.status_code == 404
    assert await Audit.all().count() == 0


async def test_replaying_a_submit_returns_the_same_result_and_changes_nothing(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    first = await auditor.post(f"/api/audits/{uid}/submit", json=payload())
    assert first.status_code == 200, first.text
    before = await stored(uid)

    again = await auditor.post(f"/api/audits/{uid}/submit", json=payload())
    bare = await auditor.post(f"/api/audits/{uid}/submit")
    put = await auditor.put(f"/api/audits/{uid}", json=payload())

    assert again.status_code == 200
    assert again.json() == first.json()
    assert bare.status_code == 200
    assert bare.json() == first.json()
    assert put.status_code == 200
    assert await stored(uid) == before


async def test_a_different_payload_for_a_submitted_audit_is_409_and_changes_nothing(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await auditor.post(f"/api/audits/{uid}/submit", json=payload())).status_code == 200
    before = await stored(uid)
    changed = payload({**ANSWERS, "clean": {"value": 1}})

    r = await auditor.post(f"/api/audits/{uid}/submit", json=changed)
    put = await auditor.put(f"/api/audits/{uid}", json=changed)
    moved = await auditor.post(
        f"/api/audits/{uid}/submit", json=payload(visited_at="2026-11-21T09:00:00Z")
    )

    assert r.status_code == 409
    assert r.json()["error"]
    assert put.status_code == 409
    assert moved.status_code == 409
    assert await stored(uid) == before


async def test_twenty_concurrent_identical_submits_make_exactly_one_audit(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()

    responses = await asyncio.gather(
        *(auditor.post(f"/api/audits/{uid}/submit", json=payload()) for _ in range(20))
    )

    statuses = [r.status_code for r in responses]
    assert statuses == [200] * 20, [r.text for r in responses if r.status_code != 200]
    assert len({r.text for r in responses}) == 1
    assert await Audit.filter(uuid=uid).count() == 1
    audit = await Audit.get(uuid=uid)
    assert audit.status == "submitted"
    assert sorted(
        await SectionScore.filter(audit_id=audit.id).values_list("section_id", flat=True)
    ) == [
        "checkout",
        "facilities",
        "phone",
    ]
    assert await ItemScore.filter(audit_id=audit.id).count() == 5


async def test_twenty_concurrent_submits_of_a_saved_draft_submit_it_once(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=payload())).status_code == 201

    responses = await asyncio.gather(
        *(auditor.post(f"/api/audits/{uid}/submit") for _ in range(20))
    )

    assert [r.status_code for r in responses] == [200] * 20
    assert len({r.text for r in responses}) == 1
    audit = await Audit.get(uuid=uid)
    assert await SectionScore.filter(audit_id=audit.id).count() == 3
    assert await ItemScore.filter(audit_id=audit.id).count() == 5


async def test_concurrent_different_submits_submit_one_and_refuse_the_other(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=payload())).status_code == 201
    other = payload({**ANSWERS, "clean": {"value": 2}})

    responses = await asyncio.gather(
        *(
            auditor.post(f"/api/audits/{uid}/submit", json=other if i % 2 else payload())
            for i in range(10)
        )
    )

    statuses = sorted({r.status_code for r in responses})
    assert statuses == [200, 409], [r.text for r in responses]
    audit = await Audit.get(uuid=uid)
    winner = [r.json() for r in responses if r.status_code == 200]
    assert all(w == winner[0] for w in winner)
    assert audit.answers["clean"] == winner[0]["answers"]["clean"]
    assert await SectionScore.filter(audit_id=audit.id).count() == 3


async def test_a_returned_audit_can_be_corrected_and_submitted_again(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await auditor.post(f"/api/audits/{uid}/submit", json=payload())).status_code == 200
    await client.delete("/api/session", headers={"X-CSRF-Token": auditor.csrf})
    hq = await sign_in(client, "hq@x.test")
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "return", "note": "rings?"})
    assert r.status_code == 200, r.text
    await client.delete("/api/session", headers={"X-CSRF-Token": hq.csrf})
    auditor = await sign_in(client, "auditor@x.test")
    assert (await auditor.get(f"/api/audits/{uid}")).json()["review_note"] == "rings?"

    corrected = payload({**ANSWERS, "rings": {"value": 2}})
    r = await auditor.post(f"/api/audits/{uid}/submit", json=corrected)

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "submitted"
    assert r.json()["scorecard"]["sections"]["phone"]["score"] == 100.0
    audit = await Audit.get(uuid=uid)
    assert audit.review_note == ""
    # Re-scoring replaced the section rows; it did not add a second set.
    phone = await SectionScore.filter(audit_id=audit.id, section_id="phone")
    assert [s.score for s in phone] == [100.0]
    assert await ItemScore.filter(audit_id=audit.id).count() == 5


async def test_hidden_answers_are_kept_but_not_scored(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    answers = {**ANSWERS, "needed_restroom": {"value": False}, "restroom": {"value": "refused"}}

    r = await auditor.post(f"/api/audits/{uid}/submit", json=payload(answers))

    assert r.status_code == 200, r.text
    card = r.json()["scorecard"]
    assert card["critical_failures"] == []
    assert r.json()["answers"]["restroom"] == {"value": "refused"}
    points = set(await ItemScore.filter(audit__uuid=uid).values_list("item_id", flat=True))
    assert "restroom" not in points


async def test_a_draft_put_racing_the_submit_never_undoes_it(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=payload())).status_code == 201
    edits = [payload({**ANSWERS, "clean": {"value": n % 5 + 1}}) for n in range(10)]

    submit, *puts = await asyncio.gather(
        auditor.post(f"/api/audits/{uid}/submit"),
        *(auditor.put(f"/api/audits/{uid}", json=body) for body in edits),
    )

    assert submit.status_code == 200, submit.text
    assert {r.status_code for r in puts} <= {200, 409}
    audit = await Audit.get(uuid=uid)
    assert audit.status == "submitted"
    assert audit.submit_hash == audit.draft_hash
    assert audit.answers == submit.json()["answers"]
    assert audit.scorecard == submit.json()["scorecard"]
