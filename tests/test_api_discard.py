"""DELETE /api/audits/{uuid}: the auditor discards a draft never submitted, photos and all."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from audit.models import Audit, Photo
from audit.settings import Settings
from audit.store.checklists import import_checklists, read_checklist_dir
from tests.helpers import ROOT, Session, audit_body, image_bytes, new_uuid, seed
from tests.test_concurrent_edits import phone, servers, shop  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

ANSWERS: dict[str, Any] = {
    "answered": {"value": True},
    "rings": {"na": True},
    "clean": {"value": 3},
    "recommend": {"value": 7},
}
EVIDENCE: dict[str, Any] = {"paid_easily": {"value": True}, "receipt": {"value": True}}
RACE_ROUNDS = 30


@pytest.fixture
async def auditor(db, login) -> Session:
    await seed()
    found, problems = read_checklist_dir(ROOT / "tests" / "fixtures" / "evidence")
    assert not problems
    await import_checklists(found)
    return await login("auditor@x.test")


async def _draft_with_photos(auditor: Session, count: int = 2) -> tuple[str, str]:
    uid = new_uuid()
    body = {"checklist": "evidence", "location": "S1", "answers": EVIDENCE}
    r = await auditor.put(f"/api/audits/{uid}", json=body)
    assert r.status_code == 201, r.text
    for _ in range(count):
        r = await auditor.put(
            f"/api/audits/{uid}/photos/{new_uuid()}?item=receipt",
            content=image_bytes("JPEG"),
            headers={"Content-Type": "image/jpeg"},
        )
        assert r.status_code == 201, r.text
    return uid, (await auditor.get(f"/api/audits/{uid}")).headers["etag"]


def _media_files(media_dir: Path) -> list[Path]:
    return [p for p in media_dir.rglob("*") if p.is_file()]


async def test_discarding_a_draft_removes_it_its_photo_rows_and_files_and_it_is_404_after(
    auditor: Session, db: Settings
) -> None:
    uid, tag = await _draft_with_photos(auditor)
    assert len(_media_files(db.media_dir)) == 4  # two photos, each with its thumbnail
    r = await auditor.delete(f"/api/audits/{uid}", headers={"If-Match": tag})
    assert r.status_code == 204, r.text
    assert (await auditor.get(f"/api/audits/{uid}")).status_code == 404
    assert not await Audit.exists(uuid=uid)
    assert await Photo.all().count() == 0
    assert _media_files(db.media_dir) == []
    assert (await auditor.get("/api/audits")).json() == []
    again = await auditor.delete(f"/api/audits/{uid}")
    assert again.status_code == 404 and again.json()["error"] == "no such audit"


async def test_a_discard_based_on_an_old_revision_is_412_with_the_servers_audit(
    auditor: Session,
) -> None:
    uid = new_uuid()
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(ANSWERS))
    old = r.headers["etag"]
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(dict(ANSWERS, clean={"value": 5})))
    assert r.headers["etag"] == '"r2"'
    stale = await auditor.delete(f"/api/audits/{uid}", headers={"If-Match": old})
    assert stale.status_code == 412, stale.text
    assert stale.json()["audit"]["answers"]["clean"] == {"value": 5}
    assert "If-Match" in stale.json()["fields"]
    assert (await auditor.get(f"/api/audits/{uid}")).status_code == 200
    r = await auditor.delete(f"/api/audits/{uid}", headers={"If-Match": '"r2"'})
    assert r.status_code == 204, r.text


async def test_a_submitted_or_returned_audit_cannot_be_discarded(auditor: Session, login) -> None:
    uid = new_uuid()
    await auditor.put(f"/api/audits/{uid}", json=audit_body(ANSWERS))
    assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200
    r = await auditor.delete(f"/api/audits/{uid}")
    assert r.status_code == 409 and "submitted" in r.json()["error"]

    hq = await login("hq@x.test")
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "return", "note": "Fix it"})
    assert r.status_code == 200, r.text
    r = await auditor.delete(f"/api/audits/{uid}")
    assert r.status_code == 409 and "returned" in r.json()["error"]
    assert (await auditor.get(f"/api/audits/{uid}")).json()["status"] == "returned"


async def test_only_its_own_auditor_may_discard_a_draft(auditor: Session, login) -> None:
    uid = new_uuid()
    await auditor.put(f"/api/audits/{uid}", json=audit_body(ANSWERS))
    other = await login("auditor2@x.test")
    assert (await other.delete(f"/api/audits/{uid}")).status_code == 404
    hq = await login("hq@x.test")
    assert (await hq.delete(f"/api/audits/{uid}")).status_code in (403, 404)
    assert (await auditor.get(f"/api/audits/{uid}")).status_code == 200


async def test_a_discard_without_the_csrf_token_is_refused(auditor: Session) -> None:
    uid = new_uuid()
    await auditor.put(f"/api/audits/{uid}", json=audit_body(ANSWERS))
    r = await auditor.client.delete(f"/api/audits/{uid}")
    assert r.status_code == 403
    assert (await auditor.get(f"/api/audits/{uid}")).status_code == 200


async def test_a_discard_racing_a_submit_lets_exactly_one_win_and_never_deletes_a_submitted_audit(
    phone,  # noqa: F811
) -> None:
    outcomes: dict[str, int] = {}
    for n in range(RACE_ROUNDS):
        uid = str(uuid.uuid4())
        r = await phone.on(n).put(f"/api/audits/{uid}", json=shop(2))
        assert r.status_code == 201, r.text
        tag = r.headers["etag"]
        discarded, submitted = await asyncio.gather(
            phone.on(n).delete(f"/api/audits/{uid}", headers={"If-Match": tag}),
            phone.on(n + 1).post(f"/api/audits/{uid}/submit", headers={"If-Match": tag}),
        )
        stored = await phone.on(n).get(f"/api/audits/{uid}")
        wins = [r for r in (discarded, submitted) if 200 <= r.status_code < 300]
        assert len(wins) == 1, (discarded.status_code, submitted.status_code)
        if discarded.status_code == 204:
            assert stored.status_code == 404
            assert submitted.status_code in (404, 412), submitted.text
        else:
            assert submitted.status_code == 200, submitted.text
            assert discarded.status_code in (409, 412), discarded.text
            assert stored.status_code == 200 and stored.json()["status"] == "submitted"
        key = f"{discarded.status_code}/{submitted.status_code}"
        outcomes[key] = outcomes.get(key, 0) + 1
    assert sum(outcomes.values()) == RACE_ROUNDS
