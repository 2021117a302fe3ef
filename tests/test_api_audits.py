"""Drafts (PUT /api/audits/{uuid}) and the audit list: errors, idempotency, paging."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from audit.models import Audit
from tests.helpers import audit_body, new_uuid, seed, sign_in

ANSWERS: dict[str, Any] = {
    "answered": {"value": True},
    "rings": {"value": 4, "comment": "voicemail first"},
    "needed_restroom": {"value": True},
    "restroom": {"value": "after_asking"},
    "clean": {"value": 4},
    "recommend": {"value": 9},
}


# argon2 at its cheapest: every test seeds five users and signs in.
pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def payload(answers: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    return audit_body(ANSWERS if answers is None else answers, **changes)


async def stored(uuid: str) -> dict[str, Any] | None:
    rows = await Audit.filter(uuid=uuid).values()
    return rows[0] if rows else None


async def test_put_creates_a_draft_then_the_same_put_changes_nothing(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()

    first = await auditor.put(f"/api/audits/{uid}", json=payload())
    assert first.status_code == 201, first.text
    before = await stored(uid)
    again = await auditor.put(f"/api/audits/{uid}", json=payload())

    assert again.status_code == 200
    assert again.json() == first.json()
    assert await stored(uid) == before
    assert before is not None
    assert before["status"] == "draft"
    assert before["answers"]["rings"] == {"value": 4, "comment": "voicemail first"}
    body = first.json()
    assert body["uuid"] == uid
    assert body["location"] == "S1"
    assert body["checklist"] == "shop"
    assert body["visited_at"] == "2026-11-20T14:30:00+00:00"
    # A draft carries its running score, for the auditor's comfort only.
    assert body["scorecard"]["missing"] == []
    assert before["scorecard"] is None


async def test_put_with_changed_answers_updates_the_draft(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=payload())).status_code == 201

    r = await auditor.put(f"/api/audits/{uid}", json=payload({"answered": {"value": False}}))

    assert r.status_code == 200
    row = await stored(uid)
    assert row is not None
    assert row["answers"] == {"answered": {"value": False}}
    assert r.json()["scorecard"]["missing"] == ["rings", "clean", "recommend"]


async def test_put_refuses_bodies_that_are_not_storable_json(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=payload())).status_code == 201
    before = await stored(uid)

    nul = b'{"checklist": "shop", "location": "S1", "answers": {"notes": {"value": "a\\u0000"}}}'
    surrogate = nul.replace(b"\\u0000", b"\\udc00")
    deep = b"[" * 100_000 + b"]" * 100_000
    for raw in (b"{not json", b"", b'{"checklist": NaN}', b"\xff\xfe", nul, surrogate, deep):
        r = await auditor.put(
            f"/api/audits/{uid}", content=raw, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400, raw
        body = r.json()
        assert body["error"]
        assert "body" in body["fields"]
        assert await stored(uid) == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        pytest.param(["a list"], {"body"}, id="not-an-object"),
        pytest.param(payload(colour="red", device="x"), {"colour", "device"}, id="unknown-fields"),
        pytest.param(payload(checklist=None), {"checklist"}, id="no-checklist"),
        pytest.param(payload(location=7), {"location"}, id="location-not-text"),
        pytest.param(payload(answers=[1]), {"answers"}, id="answers-not-an-object"),
        pytest.param(payload(visited_at="yesterday"), {"visited_at"}, id="bad-date"),
        pytest.param(payload(visited_at="1999-01-01"), {"visited_at"}, id="date-out-of-range"),
        pytest.param(payload(checklist_hash="abc"), {"checklist_hash"}, id="bad-hash"),
        pytest.param(payload(checklist="nope"), {"checklist"}, id="unknown-checklist"),
        pytest.param(payload(location="NOPE"), {"location"}, id="unknown-location"),
        pytest.param(payload({"bogus": {"value": 1}}), {"answers.bogus"}, id="unknown-item"),
        pytest.param(payload({"clean": {"value": 6}}), {"answers.clean"}, id="out-of-range"),
        pytest.param(
            payload({"answered": {"na": True}}), {"answers.answered"}, id="na-not-allowed"
        ),
        pytest.param(
            payload({"answered": {"value": "yes"}, "recommend": {"value": 11}}),
            {"answers.answered", "answers.recommend"},
            id="every-bad-item",
        ),
        pytest.param(
            payload({"rings": {"value": 1, "colour": "red"}}), {"answers.rings"}, id="answer-key"
        ),
        pytest.param(
            payload(checklist="nope", location="NOPE", extra=1),
            {"checklist", "location", "extra"},
            id="every-bad-field",
        ),
        pytest.param(
            payload({"bogus": {"value": 1}, "clean": {"value": 0}}, location="NOPE", extra=1),
            {"answers.bogus", "answers.clean", "location", "extra"},
            id="bad-fields-and-bad-items",
        ),
    ],
)
async def test_put_422_names_every_bad_field_and_stores_nothing(client, db, body, fields):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()

    r = await auditor.put(f"/api/audits/{uid}", json=body)

    assert r.status_code == 422, r.text
    data = r.json()
    assert set(data) >= {"error", "fields"}
    assert isinstance(data["error"], str) and data["error"]
    assert set(data["fields"]) == fields
    assert await Audit.filter(uuid=uid).count() == 0


async def test_failed_puts_leave_an_existing_draft_unchanged(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=payload())).status_code == 201
    before = await stored(uid)

    cases = [
        (payload(checklist="other"), "checklist"),  # wrong checklist for this audit
        (payload(location="S2"), "location"),  # an audit's location is fixed
        (payload(location="NOPE"), "location"),
        (payload({**ANSWERS, "clean": {"value": 0}}), "answers.clean"),
        (payload({**ANSWERS, "bogus": {"value": 0}}), "answers.bogus"),
        (payload({**ANSWERS, "answered": {"na": True}}), "answers.answered"),
        (payload(extra=True), "extra"),
    ]
    for body, field in cases:
        r = await auditor.put(f"/api/audits/{uid}", json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["fields"]
        assert await stored(uid) == before


async def test_put_with_a_malformed_uuid_is_422(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")

    for bad in ("not-a-uuid", "{12345678-1234-5678-1234-567812345678}", "1" * 32):
        r = await auditor.put(f"/api/audits/{bad}", json=payload())
        assert r.status_code == 422
        assert "uuid" in r.json()["fields"]
    assert await Audit.all().count() == 0


async def test_time_based_uuids_that_would_name_the_phone_are_refused(client, db):
    """A version-1 id holds the phone's network address and the moment it was made."""
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    made = str(uuid.uuid1())
    # The version is the digit after the second hyphen: 1, and 2 and 6 alike.
    device_ids = [made[:14] + version + made[15:] for version in "126"]

    for bad in device_ids:
        for method, url in (("put", f"/api/audits/{bad}"), ("post", f"/api/audits/{bad}/submit")):
            r = await getattr(auditor, method)(url, json=payload())
            assert r.status_code == 422, (bad, r.text)
            assert "random" in r.json()["fields"]["uuid"]
    assert await Audit.all().count() == 0

    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=payload())).status_code == 201
    # Only random (version 4) ids are new ids: see tests/test_new_ids.py.
    for other in (str(uuid.uuid5(uuid.NAMESPACE_URL, "x")), "00000000-0000-0000-0000-000000000001"):
        assert (await auditor.put(f"/api/audits/{other}", json=payload())).status_code == 422


async def test_put_of_an_oversized_json_body_is_413(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    huge = payload({"notes": {"value": "x" * (3 * 1024 * 1024)}})

    r = await auditor.put(f"/api/audits/{uid}", json=huge)

    assert r.status_code == 413
    assert r.json()["error"]
    assert await Audit.all().count() == 0


async def test_uppercase_uuid_is_the_same_audit(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=payload())).status_code == 201

    r = await auditor.put(f"/api/audits/{uid.upper()}", json=payload())

    assert r.status_code == 200
    assert await Audit.all().count() == 1


async def test_twenty_concurrent_identical_puts_of_a_new_uuid_make_one_row(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()

    responses = await asyncio.gather(
        *(auditor.put(f"/api/audits/{uid}", json=payload()) for _ in range(20))
    )

    statuses = [r.status_code for r in responses]
    assert all(s < 500 for s in statuses), [r.text for r in responses]
    assert statuses.count(201) == 1
    assert statuses.count(200) == 19
    assert len({r.text for r in responses}) == 1
    assert await Audit.filter(uuid=uid).count() == 1


async def test_another_auditors_uuid_is_404_and_unchanged(client, db):
    await seed()
    first = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    assert (await first.put(f"/api/audits/{uid}", json=payload())).status_code == 201
    before = await stored(uid)
    await client.delete("/api/session", headers={"X-CSRF-Token": first.csrf})
    second = await sign_in(client, "auditor2@x.test")

    r = await second.put(f"/api/audits/{uid}", json=payload({"answered": {"value": False}}))

    assert r.status_code == 404
    assert await stored(uid) == before


async def put_many(auditor, count: int, location: str = "S1") -> list[str]:
    uids = []
    for day in range(1, count + 1):
        uid = new_uuid()
        body = payload(location=location, visited_at=f"2026-10-{day:02d}T10:00:00Z")
        r = await auditor.put(f"/api/audits/{uid}", json=body)
        assert r.status_code == 201, r.text
        uids.append(uid)
    return uids


async def test_list_is_newest_first_with_the_contract_fields(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uids = await put_many(auditor, 3)

    r = await auditor.get("/api/audits")

    assert r.status_code == 200
    rows = r.json()
    assert [row["uuid"] for row in rows] == uids[::-1]
    assert set(rows[0]) >= {"uuid", "status", "location", "checklist", "visited_at", "overall"}
    assert rows[0]["location"] == "S1"
    assert rows[0]["checklist"] == "shop"
    assert rows[0]["status"] == "draft"
    assert rows[0]["visited_at"] == "2026-10-03T10:00:00+00:00"
    assert rows[0]["overall"] is None


async def test_list_honours_limit_offset_and_status(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")
    uids = await put_many(auditor, 5)
    newest_first = uids[::-1]
    assert (await auditor.post(f"/api/audits/{uids[0]}/submit")).status_code == 200

    async def listed(query: str) -> list[str]:
        r = await auditor.get(f"/api/audits{query}")
        assert r.status_code == 200, r.text
        return [row["uuid"] for row in r.json()]

    assert await listed("?limit=2") == newest_first[:2]
    assert await listed("?limit=2&offset=2") == newest_first[2:4]
    assert await listed("?offset=4") == newest_first[4:]
    assert await listed("?offset=9") == []
    assert await listed("?limit=10000") == newest_first
    assert await listed("?status=submitted") == [uids[0]]
    assert await listed("?status=draft&limit=1") == [newest_first[0]]
    assert await listed("?status=approved") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=-1", "limit"),
        ("limit=ten", "limit"),
        ("limit=", "limit"),
        ("offset=-1", "offset"),
        ("offset=1.5", "offset"),
        ("status=finished", "status"),
    ],
)
async def test_list_refuses_bad_query_parameters(client, db, query, field):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")

    r = await auditor.get(f"/api/audits?{query}")

    assert r.status_code == 422
    assert list(r.json()["fields"]) == [field]


async def test_nul_characters_in_the_url_are_400_not_a_database_error(client, db):
    await seed()
    auditor = await sign_in(client, "auditor@x.test")

    for url in ("/api/checklists/sh%00op", "/api/checklists/shop?hash=%00", "/api/audits?x=%00"):
        r = await auditor.get(url)
        assert r.status_code == 400, url
        assert r.json()["error"]
