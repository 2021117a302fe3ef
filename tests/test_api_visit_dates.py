"""The visit's date and per-touchpoint dates: never in the future, sections that exist, stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import Session, audit_body, new_uuid, seed

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

ANSWERS: dict[str, Any] = {
    "answered": {"value": True},
    "rings": {"na": True},
    "clean": {"value": 3},
    "recommend": {"value": 7},
}


@pytest.fixture
async def auditor(db, login) -> Session:
    await seed()
    return await login("auditor@x.test")


async def test_a_visit_dated_in_the_future_is_422_naming_visited_at(auditor: Session) -> None:
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    r = await auditor.put(f"/api/audits/{new_uuid()}", json=audit_body(ANSWERS, visited_at=later))
    assert r.status_code == 422, r.text
    assert r.json()["fields"] == {"visited_at": "must not be in the future"}


async def test_a_phone_clock_a_few_hours_ahead_is_accepted(auditor: Session) -> None:
    ahead = (datetime.now(UTC) + timedelta(hours=6)).isoformat()
    r = await auditor.put(f"/api/audits/{new_uuid()}", json=audit_body(ANSWERS, visited_at=ahead))
    assert r.status_code == 201, r.text


async def test_a_date_only_visit_is_stored_as_that_day(auditor: Session) -> None:
    day = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    uid = new_uuid()
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(ANSWERS, visited_at=day))
    assert r.status_code == 201, r.text
    assert r.json()["visited_at"].startswith(day)


async def test_touchpoint_dates_are_stored_returned_and_a_change_alone_is_saved(
    auditor: Session,
) -> None:
    uid = new_uuid()
    body = audit_body(ANSWERS, touchpoint_dates={"phone": "2026-11-18"})
    r = await auditor.put(f"/api/audits/{uid}", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["touchpoint_dates"] == {"phone": "2026-11-18"}
    moved = audit_body(ANSWERS, touchpoint_dates={"phone": "2026-11-19"})
    r = await auditor.put(f"/api/audits/{uid}", json=moved)
    assert r.status_code == 200 and r.json()["revision"] == 2
    r = await auditor.post(f"/api/audits/{uid}/submit")
    assert r.status_code == 200, r.text
    assert r.json()["touchpoint_dates"] == {"phone": "2026-11-19"}
    assert (await auditor.get(f"/api/audits/{uid}")).json()["touchpoint_dates"] == {
        "phone": "2026-11-19"
    }


async def test_bad_touchpoint_dates_are_422_naming_each_section(auditor: Session) -> None:
    later = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    body = audit_body(
        ANSWERS,
        touchpoint_dates={"phone": later, "nowhere": "2026-11-18", "facilities": "18/11/2026"},
    )
    r = await auditor.put(f"/api/audits/{new_uuid()}", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["fields"] == {
        "touchpoint_dates.phone": "must not be in the future",
        "touchpoint_dates.facilities": "must be a date YYYY-MM-DD",
        "touchpoint_dates.nowhere": "no such section in this checklist",
    }
    r = await auditor.put(
        f"/api/audits/{new_uuid()}", json=audit_body(ANSWERS, touchpoint_dates=[])
    )
    assert r.status_code == 422 and "touchpoint_dates" in r.json()["fields"]
