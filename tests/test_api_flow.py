"""The whole journey through the API: draft, submit, scorecard, review, owner view."""

from __future__ import annotations

from tests.helpers import audit_body, new_uuid, seed, sign_in

ANSWERS = {
    "answered": {"value": True},
    "rings": {"value": 4, "comment": "voicemail first"},
    "needed_restroom": {"value": True},
    "restroom": {"value": "after_asking"},
    "clean": {"value": 4},
    "recommend": {"value": 9},
    "notes": {"value": "Friendly, but the restroom needed two requests."},
}


def payload(answers: dict | None = None, location: str = "S1") -> dict:
    return audit_body(ANSWERS if answers is None else answers, location=location)


async def test_draft_submit_review_and_owner_sees_only_after_approval(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()

    r = await auditor.put(f"/api/audits/{uid}", json=payload())
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft"
    r = await auditor.put(f"/api/audits/{uid}", json=payload())
    assert r.status_code == 200

    r = await auditor.post(f"/api/audits/{uid}/submit")
    assert r.status_code == 200, r.text
    card = r.json()["scorecard"]
    # phone: answered 3*1 + rings 1*0.5 = 3.5 of 4 → 87.5
    # facilities: needed_restroom 1 + restroom 0.5 + clean (4-1)/(5-1) = 2.25 of 3 → 75
    assert card["sections"]["phone"] == {"score": 87.5, "earned": 3.5, "possible": 4.0}
    assert card["sections"]["facilities"]["score"] == 75.0
    assert card["sections"]["checkout"]["score"] is None
    assert card["overall"] == (2 * 87.5 + 75.0) / 3
    assert card["nps"] == 9
    assert card["missing"] == []

    await client.delete("/api/session", headers={"X-CSRF-Token": auditor.csrf})
    owner = await sign_in(client, "owner@x.test")
    assert (await owner.get(f"/api/audits/{uid}")).status_code == 404
    assert (await owner.get("/api/audits")).json() == []

    await client.delete("/api/session", headers={"X-CSRF-Token": owner.csrf})
    hq = await sign_in(client, "hq@x.test")
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"

    await client.delete("/api/session", headers={"X-CSRF-Token": hq.csrf})
    owner = await sign_in(client, "owner@x.test")
    r = await owner.get(f"/api/audits/{uid}")
    assert r.status_code == 200
    view = r.json()
    assert view["visited_at"] == "2026-11-20"
    text = r.text.lower()
    for secret in ("ann", "auditor@x.test", "started_at", "submitted_at", "14:30"):
        assert secret not in text
    rows = (await owner.get("/api/audits")).json()
    assert [row["uuid"] for row in rows] == [uid]
