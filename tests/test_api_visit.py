"""Proof of visit over HTTP: check-in / check-out, the trust score at submission, who sees it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from audit.models import Audit, Location, VisitCheck
from tests.helpers import Session, audit_body, image_bytes, new_uuid, seed, sign_in
from tests.test_report import pdf_text

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

ANSWERS: dict[str, Any] = {
    "answered": {"value": True},
    "rings": {"value": 2},
    "needed_restroom": {"value": False},
    "clean": {"value": 4},
    "recommend": {"value": 9},
}
# S1, Riverside Mall, pinned in Lyon; the honest phone reads 40 m from the pin.
PIN = (45.764043, 4.835659)
HERE = {"latitude": 45.764311, "longitude": 4.836021, "accuracy": 14.7}
FAR = {"latitude": 45.781234, "longitude": 4.872345, "accuracy": 9.3}  # 3.4 km away


def ago(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


async def pin_s1(**extra: Any) -> None:
    await Location.filter(code="S1").update(latitude=PIN[0], longitude=PIN[1], **extra)


async def draft(auditor: Session, answers: dict[str, Any] | None = None) -> str:
    uid = new_uuid()
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(answers or ANSWERS))
    assert r.status_code == 201, r.text
    return uid


@pytest.fixture
async def auditor(client, db) -> Session:
    await seed()
    await pin_s1()
    return await sign_in(client, "auditor@x.test")


async def test_check_in_is_stored_with_the_servers_receipt_time_and_replays_change_nothing(
    auditor,
):
    uid = await draft(auditor)
    body = {**HERE, "time": ago(1)}
    before = datetime.now(UTC)

    first = await auditor.post(f"/api/audits/{uid}/check-in", json=body)
    again = await auditor.post(f"/api/audits/{uid}/check-in", json=body)

    assert first.status_code == 201, first.text
    assert again.status_code == 200
    assert again.json() == first.json()
    stored = await VisitCheck.get(audit__uuid=uid, kind="check_in")
    assert (stored.latitude, stored.longitude, stored.accuracy) == (
        HERE["latitude"],
        HERE["longitude"],
        HERE["accuracy"],
    )
    assert stored.received_at >= before - timedelta(seconds=1)
    assert datetime.fromisoformat(first.json()["time"]) == datetime.fromisoformat(body["time"])
    # A different reading later is refused: the first check-in is the one kept.
    moved = await auditor.post(f"/api/audits/{uid}/check-in", json={**FAR, "time": ago(0)})
    assert moved.status_code == 409
    assert "first check-in is the one kept" in moved.json()["error"]
    assert await VisitCheck.filter(audit__uuid=uid).count() == 1


async def test_bad_readings_are_422_naming_each_field_and_store_nothing(auditor):
    uid = await draft(auditor)
    r = await auditor.post(
        f"/api/audits/{uid}/check-in",
        json={"latitude": 123, "longitude": None, "accuracy": "good", "speed": 3},
    )
    assert r.status_code == 422
    assert set(r.json()["fields"]) == {"latitude", "longitude", "accuracy", "speed"}
    r = await auditor.post(f"/api/audits/{uid}/check-out", json={"permission": "maybe"})
    assert r.status_code == 422 and set(r.json()["fields"]) == {"permission"}
    assert await VisitCheck.all().count() == 0


async def test_someone_elses_audit_or_one_not_saved_yet_is_404(auditor, login):
    uid = await draft(auditor)
    other = await login("auditor2@x.test")
    assert (await other.post(f"/api/audits/{uid}/check-in", json=HERE)).status_code == 404
    missing = await other.post(f"/api/audits/{new_uuid()}/check-in", json=HERE)
    assert missing.status_code == 404
    assert "PUT" in missing.json()["error"]
    assert await VisitCheck.all().count() == 0


async def test_twenty_identical_check_ins_at_once_store_one(auditor):
    uid = await draft(auditor)
    body = {**HERE, "time": ago(2)}

    responses = await asyncio.gather(
        *(auditor.post(f"/api/audits/{uid}/check-in", json=body) for _ in range(20))
    )

    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert len({r.text for r in responses}) == 1
    assert await VisitCheck.filter(audit__uuid=uid).count() == 1


async def test_an_honest_visit_is_trusted_and_hq_sees_distance_and_time_on_site(auditor, login):
    uid = await draft(auditor)
    await auditor.post(f"/api/audits/{uid}/check-in", json={**HERE, "time": ago(30)})
    await auditor.post(f"/api/audits/{uid}/check-out", json={**HERE, "time": ago(2)})
    submitted = await auditor.post(f"/api/audits/{uid}/submit")
    assert submitted.status_code == 200, submitted.text

    audit = await Audit.get(uuid=uid)
    assert audit.trust_score == 100
    hq = await login("hq@x.test")
    visit = (await hq.get(f"/api/audits/{uid}")).json()["visit"]
    assert visit["trust"]["score"] == 100 and visit["trust"]["label"] == "Trusted"
    assert visit["trust"]["distance_m"] == pytest.approx(40, abs=3)
    assert visit["trust"]["minutes_on_site"] == pytest.approx(28, abs=0.2)
    assert visit["check_in"]["accuracy"] == HERE["accuracy"]
    # The shopper sees their own checks, never the score.
    mine = (await auditor.get(f"/api/audits/{uid}")).json()["visit"]
    assert mine["check_in"]["latitude"] == HERE["latitude"] and "trust" not in mine


async def test_a_far_short_visit_with_a_reused_photo_is_suspicious_with_its_reasons(auditor, login):
    photo = image_bytes("JPEG", colour=(10, 200, 30))
    first = await draft(auditor)
    r = await auditor.put(f"/api/audits/{first}/photos/{new_uuid()}?item=clean", content=photo)
    assert r.status_code == 201
    uid = await draft(auditor)
    # The photo reaches the server before the check-in, and is the same file.
    await auditor.put(f"/api/audits/{uid}/photos/{new_uuid()}?item=clean", content=photo)
    await auditor.post(f"/api/audits/{uid}/check-in", json={**FAR, "time": ago(5)})
    await auditor.post(f"/api/audits/{uid}/check-out", json={**FAR, "time": ago(3)})
    assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200

    audit = await Audit.get(uuid=uid)
    codes = [r["code"] for r in audit.trust["reasons"]]
    assert codes == [
        "too_far",
        "check_out_far",
        "short_visit",
        "photo_before_check_in",
        "photo_reused",
    ]
    assert audit.trust_score == 0
    hq = await login("hq@x.test")
    low = (await hq.get("/api/review-queue?trust=low")).json()
    assert [a["uuid"] for a in low["audits"]] == [uid]
    assert low["audits"][0]["trust_label"] == "Suspicious"
    page = await hq.get(f"/hq/audits/{uid}")
    assert "Checked in 3.4 km from the location" in page.text
    assert "also belongs to another audit" in page.text
    queue = await hq.get("/hq/review?trust=low")
    assert "Suspicious" in queue.text and uid in queue.text
    assert (await hq.get("/api/review-queue?trust=high")).status_code == 422


async def test_refusing_location_is_allowed_but_recorded_and_no_check_in_costs_more(auditor):
    refused = await draft(auditor)
    r = await auditor.post(f"/api/audits/{refused}/check-in", json={"permission": "denied"})
    assert r.status_code == 201 and r.json()["latitude"] is None
    await auditor.post(f"/api/audits/{refused}/check-out", json={"permission": "denied"})
    never = await draft(auditor)
    for uid in (refused, never):
        assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200
    a, b = await Audit.get(uuid=refused), await Audit.get(uuid=never)
    assert [r["code"] for r in a.trust["reasons"]] == ["permission_denied", "short_visit"]
    assert [r["code"] for r in b.trust["reasons"]] == ["no_check_in"]
    assert a.trust_score == 30 and b.trust_score == 40


async def test_after_submission_a_new_check_is_409_but_the_outbox_replay_is_200(auditor):
    uid = await draft(auditor)
    body = {**HERE, "time": ago(20)}
    await auditor.post(f"/api/audits/{uid}/check-in", json=body)
    await auditor.post(f"/api/audits/{uid}/submit")

    assert (await auditor.post(f"/api/audits/{uid}/check-in", json=body)).status_code == 200
    late = await auditor.post(f"/api/audits/{uid}/check-out", json={**HERE, "time": ago(0)})
    assert late.status_code == 409
    assert "submitted" in late.json()["error"]
    assert await VisitCheck.filter(audit__uuid=uid).count() == 1


async def test_a_check_in_racing_the_submit_is_in_its_score_or_refused(auditor):
    for _ in range(3):
        uid = await draft(auditor)
        check, submit = await asyncio.gather(
            auditor.post(f"/api/audits/{uid}/check-in", json={**HERE, "time": ago(15)}),
            auditor.post(f"/api/audits/{uid}/submit"),
        )
        assert submit.status_code == 200, submit.text
        codes = [r["code"] for r in (await Audit.get(uuid=uid)).trust["reasons"]]
        if check.status_code == 201:
            assert "no_check_in" not in codes
        else:
            assert check.status_code == 409 and "no_check_in" in codes
            assert await VisitCheck.filter(audit__uuid=uid).count() == 0


async def test_owners_never_see_checks_times_or_the_score(auditor, login):
    uid = await draft(auditor)
    await auditor.post(f"/api/audits/{uid}/check-in", json={**FAR, "time": ago(9)})
    await auditor.post(f"/api/audits/{uid}/check-out", json={**FAR, "time": ago(8)})
    await auditor.post(f"/api/audits/{uid}/submit")
    hq = await login("hq@x.test")
    assert (
        await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve"})
    ).status_code == 200
    owner = await login("owner@x.test")
    secrets = ("45.781234", "4.872345", "trust", "check_in", "accuracy", "Suspicious")
    for url in (f"/api/audits/{uid}", f"/api/audits/{uid}/report.json", "/api/audits"):
        r = await owner.get(url)
        assert r.status_code == 200
        for secret in secrets:
            assert secret not in r.text, (url, secret)
    pdf = await owner.get(f"/api/audits/{uid}/report.pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert "Riverside Mall" in text
    for secret in ("45.78", "4.87", "trust", "Trust", "check-in", "Check-in", "km from"):
        assert secret not in text, secret


async def test_hq_sets_a_locations_place_and_bad_fields_change_nothing(auditor, login):
    hq = await login("hq@x.test")
    good = {
        "latitude": 48.856613,
        "longitude": 2.352222,
        "hours": {"mon": [["09:00", "18:00"]], "sat": [["10:00", "13:00"]]},
        "timezone": "Europe/Paris",
    }
    r = await hq.put("/api/locations/S1/place", json=good)
    assert r.status_code == 200, r.text
    assert (await hq.get("/api/locations/S1/place")).json()["hours"] == good["hours"]
    bad = await hq.put(
        "/api/locations/S1/place",
        json={"latitude": 48.8, "hours": {"mon": [["18:00", "09"]]}, "timezone": "Mars/Base"},
    )
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"longitude", "hours.mon", "timezone"}
    location = await Location.get(code="S1")
    assert (location.latitude, location.timezone) == (48.856613, "Europe/Paris")
    assert (await hq.put("/api/locations/NOPE/place", json=good)).status_code == 404
    page = await hq.get("/hq/locations/S1")
    assert 'value="48.856613"' in page.text and "Europe/Paris" in page.text


async def test_a_check_in_outside_opening_hours_is_a_reason(auditor):
    # Open only on Sundays 03:00-03:30 in Lyon: now is almost certainly outside.
    now = datetime.now(UTC)
    await pin_s1(opening_hours={"sun": [["03:00", "03:30"]]}, timezone="Europe/Paris")
    uid = await draft(auditor)
    await auditor.post(f"/api/audits/{uid}/check-in", json={**HERE, "time": ago(25)})
    await auditor.post(f"/api/audits/{uid}/check-out", json={**HERE, "time": ago(1)})
    await auditor.post(f"/api/audits/{uid}/submit")
    codes = [r["code"] for r in (await Audit.get(uuid=uid)).trust["reasons"]]
    local = now.astimezone(ZoneInfo("Europe/Paris"))
    inside = local.weekday() == 6 and 2 <= local.hour <= 3
    assert ("outside_hours" in codes) != inside


async def test_geolocation_is_allowed_for_this_origin_only(client, db):
    r = await client.get("/")
    policy = r.headers["permissions-policy"]
    assert "geolocation=(self)" in policy
    assert "microphone=()" in policy


async def test_a_shoppers_trust_history_lists_each_submitted_visit_latest_first(auditor):
    from audit.models import User
    from audit.workflow.visits import shopper_trust_history

    honest, refused = await draft(auditor), await draft(auditor)
    await auditor.post(f"/api/audits/{honest}/check-in", json={**HERE, "time": ago(40)})
    await auditor.post(f"/api/audits/{honest}/check-out", json={**HERE, "time": ago(5)})
    await auditor.post(f"/api/audits/{honest}/submit")
    await auditor.post(f"/api/audits/{refused}/check-in", json={"permission": "denied"})
    await auditor.post(f"/api/audits/{refused}/submit")
    await draft(auditor)  # a draft has no score yet: not in the history

    ann = await User.get(email="auditor@x.test")
    history = await shopper_trust_history(ann.id)
    assert [(h["uuid"], h["trust_score"], h["label"]) for h in history] == [
        (refused, 50, "Doubtful"),
        (honest, 100, "Trusted"),
    ]
    assert history[0]["reasons"] == [
        "permission_denied",
        "no_check_out",
    ]
    assert history[0]["location"] == "S1"


async def test_discarding_a_checked_in_draft_takes_its_checks_with_it(auditor):
    uid = await draft(auditor)
    await auditor.post(f"/api/audits/{uid}/check-in", json={**HERE, "time": ago(3)})
    assert (await auditor.delete(f"/api/audits/{uid}")).status_code == 204
    assert await VisitCheck.all().count() == 0
    assert (await auditor.post(f"/api/audits/{uid}/check-in", json=HERE)).status_code == 404
