"""Who sees and writes what: auditors their own audits, owners approved audits of their
locations (and nothing that identifies the auditor), HQ everything; hidden means 404."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.routing import Route

from audit.models import Audit, Photo, User
from audit.routes.hq import hq_routes
from tests.helpers import audit_body, image_bytes, new_uuid, seed

ANSWERS: dict[str, Any] = {
    "answered": {"value": True},
    "rings": {"value": 4, "comment": "voicemail first"},
    "needed_restroom": {"value": False},
    "clean": {"value": 4},
    "recommend": {"value": 9},
    "notes": {"value": "Tidy shelves."},
}
# What an owner may see of one audit, and of a list row: no auditor, no clock times.
OWNER_VIEW_KEYS = {
    "uuid",
    "status",
    "location",
    "location_name",
    "checklist",
    "checklist_title",
    "checklist_version",
    "checklist_hash",
    "visited_at",
    "answers",
    "photos",
    "scorecard",
    "display",  # the scorecard's figures as printed
    "overall",
    "touchpoint_dates",  # days, like visited_at: no clock times
}
OWNER_ROW_KEYS = {
    "uuid",
    "status",
    "location",
    "location_name",
    "checklist",
    "checklist_title",
    "visited_at",
    "overall",
}


# argon2 at its cheapest: every test seeds five users and signs in.
pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def jpeg() -> bytes:
    return image_bytes("JPEG", (40, 30), (200, 30, 30))


def payload(location: str = "S1") -> dict[str, Any]:
    return audit_body(ANSWERS, location=location)


@dataclass
class World:
    approved: str  # auditor's, S1, approved, with a photo
    photo: str
    submitted: str  # auditor's, S1, awaiting review
    draft: str  # auditor's, S1
    other_approved: str  # auditor2's, S2, approved
    other_draft: str  # auditor2's, S1

    @property
    def all(self) -> set[str]:
        return {self.approved, self.submitted, self.draft, self.other_approved, self.other_draft}


@pytest.fixture
async def world(login) -> World:
    await seed()
    w = World(new_uuid(), new_uuid(), new_uuid(), new_uuid(), new_uuid(), new_uuid())
    auditor = await login("auditor@x.test")
    assert (await auditor.put(f"/api/audits/{w.approved}", json=payload())).status_code == 201
    r = await auditor.put(
        f"/api/audits/{w.approved}/photos/{w.photo}?item=clean",
        content=jpeg(),
        headers={"Content-Type": "image/jpeg"},
    )
    assert r.status_code == 201, r.text
    for uid in (w.approved, w.submitted):
        r = await auditor.post(f"/api/audits/{uid}/submit", json=payload())
        assert r.status_code == 200, r.text
    assert (await auditor.put(f"/api/audits/{w.draft}", json=payload())).status_code == 201
    other = await login("auditor2@x.test")
    r = await other.post(f"/api/audits/{w.other_approved}/submit", json=payload("S2"))
    assert r.status_code == 200, r.text
    assert (await other.put(f"/api/audits/{w.other_draft}", json=payload())).status_code == 201
    hq = await login("hq@x.test")
    for uid in (w.approved, w.other_approved):
        r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
        assert r.status_code == 200, r.text
    return w


def api_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every /api route in the app's routes table."""
    found = []
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/"):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    found.append((method, route.path))
    return found


# Path parameters that are not uuids: a checklist, and a user (1: the first
# seeded, Ann the auditor, whose shopper record HQ reads).
FILLED = {"checklist_id": "shop", "user_id": "1"}


def fill(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: FILLED.get(m[1]) or new_uuid(), path)


async def snapshot() -> list[dict[str, Any]]:
    return await Audit.all().order_by("id").values()


async def test_every_api_route_but_sign_in_is_401_when_signed_out(app, client, world):
    # Signing in, and the links that let someone without a password choose one
    # (tests/test_invitations.py), are for people who are signed out.
    signed_out = {
        ("POST", "/api/session"),
        ("POST", "/api/password-reset"),
        ("POST", "/api/password-link"),
        ("POST", "/api/password"),
    }
    routes = [r for r in api_routes(app) if r not in signed_out]
    assert len(routes) >= 15
    before = await snapshot()

    for method, path in routes:
        r = await client.request(method, fill(path), json={})
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.json()["error"]
    assert await snapshot() == before


async def test_auditors_see_and_write_only_their_own_audits(login, world):
    auditor = await login("auditor@x.test")

    rows = (await auditor.get("/api/audits")).json()
    assert {row["uuid"] for row in rows} == {world.approved, world.submitted, world.draft}
    for uid in (world.approved, world.submitted, world.draft):
        assert (await auditor.get(f"/api/audits/{uid}")).status_code == 200
    before = await snapshot()
    for uid in (world.other_approved, world.other_draft):
        assert (await auditor.get(f"/api/audits/{uid}")).status_code == 404
        r = await auditor.put(f"/api/audits/{uid}", json=payload())
        assert r.status_code == 404
        assert (await auditor.post(f"/api/audits/{uid}/submit", json=payload())).status_code == 404
        assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 404
    assert await snapshot() == before


async def test_missing_and_foreign_audits_look_the_same(login, world):
    auditor = await login("auditor@x.test")

    foreign = await auditor.get(f"/api/audits/{world.other_draft}")
    missing = await auditor.get(f"/api/audits/{new_uuid()}")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


async def test_auditors_cannot_review_or_assign(login, world):
    auditor = await login("auditor@x.test")
    before = await snapshot()

    r = await auditor.post(
        f"/api/audits/{world.submitted}/review", json={"decision": "approve", "note": ""}
    )
    assert r.status_code == 404
    r = await auditor.post("/api/assignments", json={"location": "S1", "checklist": "shop"})
    assert r.status_code == 404
    assert await snapshot() == before


async def test_owners_list_only_approved_audits_of_their_locations(login, world):
    owner = await login("owner@x.test")
    owner2 = await login("owner2@x.test")

    rows = (await owner.get("/api/audits")).json()
    rows2 = (await owner2.get("/api/audits")).json()

    assert [row["uuid"] for row in rows] == [world.approved]
    assert [row["uuid"] for row in rows2] == [world.other_approved]
    assert set(rows[0]) == OWNER_ROW_KEYS
    assert rows[0]["visited_at"] == "2026-11-20"
    for status in ("draft", "submitted", "returned"):
        assert (await owner.get(f"/api/audits?status={status}")).json() == []


async def test_owners_see_only_approved_audits_of_their_locations(login, world):
    owner = await login("owner@x.test")

    assert (await owner.get(f"/api/audits/{world.approved}")).status_code == 200
    for uid in world.all - {world.approved}:
        r = await owner.get(f"/api/audits/{uid}")
        assert r.status_code == 404, uid


async def test_the_owner_view_holds_nothing_that_identifies_the_auditor(login, world):
    owner = await login("owner@x.test")
    auditor = await User.get(email="auditor@x.test")

    r = await owner.get(f"/api/audits/{world.approved}")

    view = r.json()
    assert set(view) == OWNER_VIEW_KEYS
    assert view["visited_at"] == "2026-11-20"
    assert view["photos"] == [{"uuid": world.photo, "item": "clean"}]
    text = r.text.lower()
    for secret in ("ann", "auditor@x.test", "14:30", "started", "submitted_at", "approved_at"):
        assert secret not in text
    assert '"auditor_id"' not in text
    assert f'"id":{auditor.id}' not in text.replace(" ", "")
    # No clock time anywhere: every date-like string is a bare date.
    assert not re.search(r"\d{4}-\d\d-\d\dT", r.text)
    rows = await owner.get("/api/audits")
    assert not re.search(r"\d{4}-\d\d-\d\dT", rows.text)
    assert "ann" not in rows.text.lower()


async def test_owners_photo_responses_carry_no_upload_time(login, world):
    owner = await login("owner@x.test")

    r = await owner.get(f"/api/audits/{world.approved}/photos/{world.photo}")

    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    assert "last-modified" not in r.headers


async def test_owners_write_nothing(login, world):
    owner = await login("owner@x.test")
    before = await snapshot()
    photos = await Photo.all().count()
    uid = world.approved

    attempts = [
        owner.put(f"/api/audits/{new_uuid()}", json=payload()),
        owner.put(f"/api/audits/{uid}", json=payload()),
        owner.post(f"/api/audits/{uid}/submit", json=payload()),
        owner.post(f"/api/audits/{world.submitted}/review", json={"decision": "approve"}),
        owner.put(f"/api/audits/{uid}/photos/{new_uuid()}?item=clean", content=jpeg()),
        owner.delete(f"/api/audits/{uid}/photos/{world.photo}"),
        owner.get("/api/assignments"),
        owner.post("/api/assignments", json={"location": "S1", "checklist": "shop"}),
    ]
    for attempt in attempts:
        r = await attempt
        assert r.status_code == 404, r.text
    assert await snapshot() == before
    assert await Photo.all().count() == photos


async def test_owners_see_only_their_locations(login, world):
    owner = await login("owner@x.test")
    auditor = await login("auditor@x.test")

    mine = (await owner.get("/api/locations")).json()
    every = (await auditor.get("/api/locations")).json()

    assert [loc["code"] for loc in mine] == ["S1"]
    assert mine[0] == {"code": "S1", "name": "Riverside Mall", "region": "North", "address": ""}
    assert sorted(loc["code"] for loc in every) == ["S1", "S2"]


async def test_hq_sees_everything(login, world):
    hq = await login("hq@x.test")

    rows = (await hq.get("/api/audits")).json()
    assert {row["uuid"] for row in rows} == world.all
    for uid in world.all:
        r = await hq.get(f"/api/audits/{uid}")
        assert r.status_code == 200
    view = (await hq.get(f"/api/audits/{world.approved}")).json()
    assert view["auditor"] == {"id": 1, "name": "Ann Auditor", "email": "auditor@x.test"}
    assert view["visited_at"] == "2026-11-20T14:30:00+00:00"
    assert [e["action"] for e in view["review_history"]] == ["approve"]
    r = await hq.get(f"/api/audits/{world.approved}/photos/{world.photo}")
    assert r.status_code == 200


async def test_hq_writes_no_audits(login, world):
    hq = await login("hq@x.test")
    before = await snapshot()

    assert (await hq.put(f"/api/audits/{new_uuid()}", json=payload())).status_code == 404
    assert (await hq.put(f"/api/audits/{world.draft}", json=payload())).status_code == 404
    r = await hq.post(f"/api/audits/{world.draft}/submit", json=payload())
    assert r.status_code == 404
    r = await hq.put(f"/api/audits/{world.draft}/photos/{new_uuid()}?item=clean", content=jpeg())
    assert r.status_code == 404
    assert await snapshot() == before


async def test_review_approves_returns_and_refuses_bad_decisions(login, world):
    hq = await login("hq@x.test")
    before = await snapshot()

    bad = [
        {"decision": "maybe"},
        {"decision": "return", "note": "  "},
        {"decision": "approve", "note": 5},
        {"decision": "approve", "colour": "red"},
    ]
    for body in bad:
        r = await hq.post(f"/api/audits/{world.submitted}/review", json=body)
        assert r.status_code == 422, body
        assert r.json()["fields"]
    r = await hq.post(f"/api/audits/{world.draft}/review", json={"decision": "approve"})
    assert r.status_code == 409
    assert await snapshot() == before

    r = await hq.post(
        f"/api/audits/{world.submitted}/review", json={"decision": "return", "note": "Photo?"}
    )
    assert r.status_code == 200
    assert r.json()["status"] == "returned"
    row = await Audit.get(uuid=world.submitted)
    assert (row.status, row.review_note) == ("returned", "Photo?")


async def test_returned_audits_stay_hidden_from_owners(login, world):
    hq = await login("hq@x.test")
    r = await hq.post(
        f"/api/audits/{world.submitted}/review", json={"decision": "return", "note": "Photo?"}
    )
    assert r.status_code == 200
    owner = await login("owner@x.test")

    assert (await owner.get(f"/api/audits/{world.submitted}")).status_code == 404
    assert world.submitted not in {row["uuid"] for row in (await owner.get("/api/audits")).json()}


async def test_assignments_are_for_auditors_and_hq(login, world):
    hq = await login("hq@x.test")
    r = await hq.post(
        "/api/assignments",
        json={"location": "S2", "checklist": "shop", "auditor": "auditor@x.test"},
    )
    assert r.status_code == 201, r.text
    auditor = await login("auditor@x.test")
    other = await login("auditor2@x.test")

    assert [a["location"] for a in (await auditor.get("/api/assignments")).json()] == ["S2"]
    assert (await other.get("/api/assignments")).json() == []
    assert len((await hq.get("/api/assignments")).json()) == 1


async def test_every_signed_in_role_reads_the_checklists(login, world):
    for email in ("auditor@x.test", "owner@x.test", "hq@x.test"):
        who = await login(email)
        listed = (await who.get("/api/checklists")).json()
        assert [c["id"] for c in listed] == ["shop"]
        r = await who.get("/api/checklists/shop")
        assert r.status_code == 200
        assert r.json()["sections"][0]["id"] == "phone"
        assert (await who.get("/api/checklists/nope")).status_code == 404


async def test_hq_analytics_are_hq_only(login, world):
    routes = [
        r.path
        for r in hq_routes()
        if isinstance(r, Route) and r.path.startswith("/api/") and "GET" in (r.methods or ())
    ]
    assert "/api/compare" in routes
    auditor = await login("auditor@x.test")
    owner = await login("owner@x.test")
    hq = await login("hq@x.test")

    for path in routes:
        url = f"{fill(path)}?checklist=shop"
        assert (await hq.get(url)).status_code == 200, url
        assert (await auditor.get(url)).status_code == 404, url
        assert (await owner.get(url)).status_code == 404, url


async def test_unknown_routes_and_methods_answer_json(login, world):
    hq = await login("hq@x.test")

    missing = await hq.get("/api/nothing-here")
    wrong = await hq.client.patch(f"/api/audits/{world.approved}", json={})

    assert missing.status_code == 404
    assert missing.json() == {"error": "not found", "fields": {}}
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "method not allowed"
