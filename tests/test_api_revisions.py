"""Audit revisions over HTTP: ETag on every audit response, If-Match on writes, 412 when stale."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import Audit, Photo
from audit.store.checklists import import_checklists, read_checklist_dir
from tests.helpers import ROOT, Session, audit_body, image_bytes, new_uuid, seed

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

ANSWERS: dict[str, Any] = {
    "answered": {"value": True},
    "rings": {"na": True},
    "clean": {"value": 3},
    "recommend": {"value": 7},
}
OTHER = dict(ANSWERS, clean={"value": 5})
EVIDENCE = {
    "paid_easily": {"value": True},
    "receipt": {"value": True},
    "friendly": {"value": 4},
}


@pytest.fixture
async def auditor(db, login) -> Session:
    await seed()
    found, problems = read_checklist_dir(ROOT / "tests" / "fixtures" / "evidence")
    assert not problems
    await import_checklists(found)
    return await login("auditor@x.test")


async def _draft(auditor: Session, answers: dict[str, Any] = ANSWERS) -> tuple[str, str]:
    uid = new_uuid()
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(answers))
    assert r.status_code == 201, r.text
    return uid, r.headers["etag"]


async def test_every_audit_response_carries_its_revision_as_etag(auditor):
    uid, tag = await _draft(auditor)
    assert tag == '"r1"'
    r = await auditor.get(f"/api/audits/{uid}")
    assert r.headers["etag"] == '"r1"' and r.json()["revision"] == 1
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(OTHER))
    assert r.headers["etag"] == '"r2"' and r.json()["revision"] == 2
    r = await auditor.post(f"/api/audits/{uid}/submit")
    assert r.status_code == 200 and r.headers["etag"] == '"r3"'
    listed = (await auditor.get("/api/audits")).json()
    assert listed[0]["uuid"] == uid and listed[0]["revision"] == 3


async def test_saving_the_same_draft_again_keeps_the_revision(auditor):
    uid, _ = await _draft(auditor)
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(ANSWERS))
    assert r.status_code == 200 and r.json()["revision"] == 1


async def test_get_with_the_current_etag_is_not_modified(auditor):
    uid, tag = await _draft(auditor)
    r = await auditor.get(f"/api/audits/{uid}", headers={"If-None-Match": tag})
    assert r.status_code == 304 and r.headers["etag"] == tag
    await auditor.put(f"/api/audits/{uid}", json=audit_body(OTHER))
    r = await auditor.get(f"/api/audits/{uid}", headers={"If-None-Match": tag})
    assert r.status_code == 200 and r.json()["answers"]["clean"] == {"value": 5}


async def test_a_put_with_the_current_revision_is_saved(auditor):
    uid, tag = await _draft(auditor)
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(OTHER), headers={"If-Match": tag})
    assert r.status_code == 200, r.text
    assert r.json()["answers"]["clean"] == {"value": 5} and r.headers["etag"] == '"r2"'


async def test_a_put_based_on_an_old_revision_is_refused_with_the_servers_audit(auditor):
    uid, old = await _draft(auditor)
    await auditor.put(f"/api/audits/{uid}", json=audit_body(OTHER), headers={"If-Match": old})
    mine = dict(ANSWERS, clean={"value": 1})
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(mine), headers={"If-Match": old})
    assert r.status_code == 412, r.text
    body = r.json()
    assert "revision 2" in body["error"] and "If-Match" in body["fields"]
    assert body["revision"] == 2 and r.headers["etag"] == '"r2"'
    # The server's audit comes with the refusal, so the phone can show what differs.
    assert body["audit"]["answers"]["clean"] == {"value": 5}
    assert body["audit"]["status"] == "draft"
    stored = await Audit.get(uuid=uid)
    assert stored.answers["clean"] == {"value": 5} and stored.revision == 2


async def test_a_replayed_put_that_already_took_effect_is_not_stale(auditor):
    uid, old = await _draft(auditor)
    first = await auditor.put(
        f"/api/audits/{uid}", json=audit_body(OTHER), headers={"If-Match": old}
    )
    again = await auditor.put(
        f"/api/audits/{uid}", json=audit_body(OTHER), headers={"If-Match": old}
    )
    assert again.status_code == 200 and again.json() == first.json()


async def test_if_match_star_and_lists(auditor):
    uid, _ = await _draft(auditor)
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(OTHER), headers={"If-Match": "*"})
    assert r.status_code == 200
    r = await auditor.put(
        f"/api/audits/{uid}", json=audit_body(ANSWERS), headers={"If-Match": '"r9", "r2"'}
    )
    assert r.status_code == 200 and r.json()["revision"] == 3


async def test_a_weak_or_foreign_entity_tag_never_matches(auditor):
    uid, _ = await _draft(auditor)
    for tag in ('W/"r1"', '"1"', '"x"'):
        r = await auditor.put(
            f"/api/audits/{uid}", json=audit_body(OTHER), headers={"If-Match": tag}
        )
        assert r.status_code == 412, (tag, r.text)
    assert (await Audit.get(uuid=uid)).revision == 1


async def test_a_malformed_if_match_is_a_bad_request_naming_the_header(auditor):
    uid, _ = await _draft(auditor)
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(OTHER), headers={"If-Match": "r1"})
    assert r.status_code == 400 and "If-Match" in r.json()["fields"]
    assert (await Audit.get(uuid=uid)).answers["clean"] == {"value": 3}


async def test_if_match_on_an_audit_that_does_not_exist_is_stale_and_creates_nothing(auditor):
    uid = new_uuid()
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(ANSWERS), headers={"If-Match": "*"})
    assert r.status_code == 412 and "If-Match" in r.json()["fields"]
    r = await auditor.post(
        f"/api/audits/{uid}/submit", json=audit_body(ANSWERS), headers={"If-Match": '"r1"'}
    )
    assert r.status_code == 412
    assert not await Audit.exists(uuid=uid)


async def test_a_submit_based_on_an_old_revision_is_refused_and_stays_a_draft(auditor):
    uid, old = await _draft(auditor)
    await auditor.put(f"/api/audits/{uid}", json=audit_body(OTHER))
    r = await auditor.post(f"/api/audits/{uid}/submit", headers={"If-Match": old})
    assert r.status_code == 412 and r.json()["audit"]["answers"]["clean"] == {"value": 5}
    assert (await Audit.get(uuid=uid)).status == "draft"
    r = await auditor.post(f"/api/audits/{uid}/submit", headers={"If-Match": '"r2"'})
    assert r.status_code == 200 and r.json()["status"] == "submitted"


async def test_a_replayed_bodiless_submit_names_the_revision_it_was_made_from(auditor):
    uid, tag = await _draft(auditor)
    first = await auditor.post(f"/api/audits/{uid}/submit", headers={"If-Match": tag})
    assert first.status_code == 200 and first.json()["revision"] == 2
    # The phone lost the answer and sends the same submit again.
    again = await auditor.post(f"/api/audits/{uid}/submit", headers={"If-Match": tag})
    assert again.status_code == 200 and again.json()["submitted_at"] == first.json()["submitted_at"]
    current = await auditor.post(f"/api/audits/{uid}/submit", headers={"If-Match": '"r2"'})
    assert current.status_code == 200


async def test_an_edit_of_a_submitted_audit_from_an_old_revision_gets_the_submitted_audit(auditor):
    uid, old = await _draft(auditor)
    await auditor.post(f"/api/audits/{uid}/submit")
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(OTHER), headers={"If-Match": old})
    assert r.status_code == 412 and r.json()["audit"]["status"] == "submitted"
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(OTHER))
    assert r.status_code == 409


async def test_review_moves_the_revision(auditor, login):
    uid, _ = await _draft(auditor)
    await auditor.post(f"/api/audits/{uid}/submit")
    hq = await login("hq@x.test")
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "return", "note": "Fix it"})
    assert r.status_code == 200 and r.headers["etag"] == '"r3"'
    r = await auditor.put(
        f"/api/audits/{uid}", json=audit_body(OTHER), headers={"If-Match": '"r3"'}
    )
    assert r.status_code == 200 and r.json()["revision"] == 4


async def test_owners_see_neither_revision_nor_etag(auditor, login):
    uid, _ = await _draft(auditor)
    await auditor.post(f"/api/audits/{uid}/submit")
    hq = await login("hq@x.test")
    await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    owner = await login("owner@x.test")
    r = await owner.get(f"/api/audits/{uid}")
    assert r.status_code == 200 and "etag" not in r.headers and "revision" not in r.json()
    assert "revision" not in (await owner.get("/api/audits")).json()[0]


async def _evidence_draft(auditor: Session) -> tuple[str, str, str]:
    uid, photo = new_uuid(), new_uuid()
    body = audit_body(EVIDENCE, checklist="evidence")
    r = await auditor.put(f"/api/audits/{uid}", json=body)
    assert r.status_code == 201, r.text
    r = await auditor.put(
        f"/api/audits/{uid}/photos/{photo}?item=receipt",
        content=image_bytes("JPEG"),
        headers={"Content-Type": "image/jpeg"},
    )
    assert r.status_code == 201, r.text
    return uid, photo, '"r1"'


async def test_a_photo_delete_with_the_current_revision_deletes_it(auditor):
    uid, photo, tag = await _evidence_draft(auditor)
    r = await auditor.delete(f"/api/audits/{uid}/photos/{photo}", headers={"If-Match": tag})
    assert r.status_code == 204
    assert not await Photo.exists(uuid=photo)
    r = await auditor.post(f"/api/audits/{uid}/submit")
    assert r.status_code == 422 and r.json()["missing"] == ["receipt"]


async def test_a_photo_delete_based_on_an_old_revision_keeps_the_photo(auditor):
    uid, photo, tag = await _evidence_draft(auditor)
    await auditor.put(
        f"/api/audits/{uid}",
        json=audit_body(dict(EVIDENCE, friendly={"value": 2}), checklist="evidence"),
    )
    r = await auditor.delete(f"/api/audits/{uid}/photos/{photo}", headers={"If-Match": tag})
    assert r.status_code == 412 and r.json()["revision"] == 2
    assert [p["uuid"] for p in r.json()["audit"]["photos"]] == [photo]
    assert await Photo.exists(uuid=photo)


async def test_a_photo_of_a_submitted_audit_cannot_be_deleted(auditor):
    uid, photo, tag = await _evidence_draft(auditor)
    r = await auditor.post(f"/api/audits/{uid}/submit", headers={"If-Match": tag})
    assert r.status_code == 200, r.text
    r = await auditor.delete(f"/api/audits/{uid}/photos/{photo}", headers={"If-Match": '"r2"'})
    assert r.status_code == 409
    assert await Photo.exists(uuid=photo)
