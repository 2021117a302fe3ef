"""Proof of visit: check-ins and check-outs, the photo evidence, locations' places."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from audit.models import Audit, Location, Photo, VisitCheck
from audit.store import sql
from audit.store.audits import lock_audit

KINDS = ("check_in", "check_out")

_CHECKS_SQL = (
    "SELECT kind, permission, latitude, longitude, accuracy, device_time, received_at"
    " FROM visit_check WHERE audit_id = ?"
)

# Every photo of the audit, and whether the same bytes belong to another audit.
_EVIDENCE_SQL = (
    "SELECT p.item_id, p.created_at, EXISTS (SELECT 1 FROM photo o"
    " WHERE o.sha256 = p.sha256 AND o.audit_id <> p.audit_id) AS reused"
    " FROM photo p WHERE p.audit_id = ? ORDER BY p.created_at, p.id"
)


def _check_row(row: dict[str, Any]) -> dict[str, Any]:
    fields = VisitCheck._meta.fields_map
    return {
        "kind": row["kind"],
        "permission": row["permission"],
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "accuracy": row["accuracy"],
        # As the ORM would read them (SQLite keeps text).
        "device_time": fields["device_time"].to_python_value(row["device_time"]),
        "received_at": fields["received_at"].to_python_value(row["received_at"]),
    }


async def checks_of(audit_id: int) -> dict[str, dict[str, Any]]:
    """The audit's check-in and check-out as stored, by kind."""
    rows = await sql.fetch(VisitCheck, _CHECKS_SQL, [audit_id])
    return {str(r["kind"]): _check_row(r) for r in rows}


async def insert_check_if_editable(
    audit_id: int, kind: str, values: dict[str, Any], editable: Sequence[str]
) -> str:
    """Store the check unless the audit left ``editable`` or has one of this kind.

    ``"stored"``, ``"exists"`` (a twin request stored one first) or the
    audit's status when it no longer takes checks.  The audit's row is locked
    while deciding: a submit holds the same lock, so a check is either before
    the submit (and in its trust score) or refused.
    """
    try:
        async with in_transaction():
            locked = await lock_audit(audit_id)
            if locked is None:
                return "gone"
            if locked[1] not in editable:
                return locked[1]
            await VisitCheck.create(audit_id=audit_id, kind=kind, **values)
    except IntegrityError:
        if await VisitCheck.exists(audit_id=audit_id, kind=kind):
            return "exists"
        raise
    return "stored"


async def photo_evidence(audit_id: int) -> list[dict[str, Any]]:
    rows = await sql.fetch(Photo, _EVIDENCE_SQL, [audit_id])
    created = Photo._meta.fields_map["created_at"]
    return [
        {
            "item_id": str(r["item_id"]),
            "received_at": created.to_python_value(r["created_at"]),
            "reused": bool(r["reused"]),
        }
        for r in rows
    ]


async def set_place(
    location: Location,
    *,
    latitude: float | None,
    longitude: float | None,
    hours: dict[str, Any] | None,
    timezone: str | None,
) -> None:
    """Write a location's coordinates, opening hours and time zone as given (None clears)."""
    location.latitude = latitude
    location.longitude = longitude
    location.opening_hours = hours
    location.timezone = timezone
    await location.save(update_fields=["latitude", "longitude", "opening_hours", "timezone"])


async def set_places(changes: Sequence[tuple[str, dict[str, Any]]]) -> int:
    """Several locations' places at once, all or none: (code, fields to set)."""
    async with in_transaction():
        for code, values in changes:
            await Location.filter(code=code).update(**values)
    return len(changes)


async def location_codes() -> set[str]:
    return {str(code) for code in await Location.all().values_list("code", flat=True)}


async def trust_history(auditor_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """A shopper's submitted audits with their visit trust scores, the latest first.

    Audits submitted before proof of visit existed have no score (None).
    """
    rows = (
        await Audit.filter(auditor_id=auditor_id, submitted_at__isnull=False)
        .order_by("-submitted_at", "-id")
        .limit(limit)
        .values(
            "uuid",
            "status",
            "visited_at",
            "submitted_at",
            "trust_score",
            "trust",
            location_code="location__code",
            location_name="location__name",
        )
    )
    return [
        {
            "uuid": r["uuid"],
            "status": r["status"],
            "location": r["location_code"],
            "location_name": r["location_name"],
            "visited_at": _iso(r["visited_at"]),
            "submitted_at": _iso(r["submitted_at"]),
            "trust_score": r["trust_score"],
            "reasons": [reason["code"] for reason in (r["trust"] or {}).get("reasons", ())],
        }
        for r in rows
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
