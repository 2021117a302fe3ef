"""Proof of visit: check-in and check-out, the trust score, and who may see them.

A check is stored once per audit and kind; the phone's outbox may send it
again (the same body gets the stored check back, 200) and it is refused once
the audit is submitted, except as such a replay.  The trust score is computed
at submission (:func:`assess_audit`, in the submit's transaction) from the
checks, the photos and the location as they are then; HQ reads it, owners
never see checks, times or the score (:mod:`audit.workflow.views`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from audit.auth import Principal
from audit.checklist import Checklist
from audit.errors import Conflict, Invalid, NotFound
from audit.models import Audit, Location
from audit.presentation import LOW_TRUST_BELOW, trust_label
from audit.store import audits as audit_store
from audit.store import visits as store
from audit.trust import (
    PhotoEvidence,
    Place,
    Reading,
    Rules,
    Trust,
    TrustInputError,
    assess,
    parse_reading,
)

EDITABLE = ("draft", "returned")
KIND_WORDS = {"check_in": "checked in", "check_out": "checked out"}


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def check_json(check: dict[str, Any]) -> dict[str, Any]:
    """A stored check as the API returns it."""
    return {
        "permission": check["permission"],
        "latitude": check["latitude"],
        "longitude": check["longitude"],
        "accuracy": check["accuracy"],
        "time": _aware(check["device_time"]).isoformat(),
        "received_at": _aware(check["received_at"]).isoformat(),
    }


def _same(check: dict[str, Any], values: dict[str, Any]) -> bool:
    return bool(
        check["permission"] == values["permission"]
        and check["latitude"] == values["latitude"]
        and check["longitude"] == values["longitude"]
        and check["accuracy"] == values["accuracy"]
        and _aware(check["device_time"]) == values["device_time"]
    )


async def record_check(
    who: Principal, uuid: str, kind: str, body: object
) -> tuple[dict[str, Any], bool]:
    """POST check-in / check-out: the stored check and whether this request stored it."""
    audit = await audit_store.find_audit(uuid)
    if audit is None or audit.auditor_id != who.user_id:  # type: ignore[attr-defined]
        raise NotFound("no such audit; save the audit (PUT) before checking in")
    received = _now()
    try:
        reading = parse_reading(body, received)
    except TrustInputError as exc:
        raise Invalid(str(exc), exc.fields) from None
    values = {
        "permission": reading.permission,
        "latitude": reading.latitude,
        "longitude": reading.longitude,
        "accuracy": reading.accuracy,
        "device_time": reading.time,
        "received_at": received,
    }
    for _ in range(2):
        existing = (await store.checks_of(audit.id)).get(kind)
        if existing is not None:
            if _same(existing, values):
                return check_json(existing), False  # the outbox sending it again
            first = _aware(existing["device_time"]).isoformat()
            raise Conflict(
                f"this audit was already {KIND_WORDS[kind]} at {first};"
                f" the first {kind.replace('_', '-')} is the one kept",
                extra={kind: check_json(existing)},
            )
        outcome = await store.insert_check_if_editable(audit.id, kind, values, EDITABLE)
        if outcome == "stored":
            return check_json(values), True
        if outcome == "gone":
            raise NotFound("no such audit")
        if outcome != "exists":
            raise Conflict(f"this audit is {outcome}; it can no longer be {KIND_WORDS[kind]}")
        # A twin request stored one just now: compare with it.
    raise Conflict("this audit is being checked in by another request right now; try again")


def _reading(check: dict[str, Any] | None) -> Reading | None:
    if check is None:
        return None
    return Reading(
        time=_aware(check["device_time"]),
        received_at=_aware(check["received_at"]),
        latitude=check["latitude"],
        longitude=check["longitude"],
        accuracy=check["accuracy"],
        permission=check["permission"],
    )


def place_of(location: Location, rules: Rules) -> Place:
    hours = location.opening_hours
    return Place(
        latitude=location.latitude,
        longitude=location.longitude,
        hours=hours,  # type: ignore[arg-type]  # stored as parse_hours returned it
        timezone=location.timezone or rules.timezone,
    )


def exempt_items(checklist: Checklist, touchpoint_dates: dict[str, Any] | None) -> frozenset[str]:
    """Items of touchpoints met on another day than the visit (their photos may come first)."""
    other_days = set(touchpoint_dates or {})
    return frozenset(
        item.id
        for section in checklist.sections
        if section.id in other_days
        for item in section.items
    )


async def assess_audit(
    audit: Audit,
    checklist: Checklist,
    rules: Rules,
    touchpoint_dates: dict[str, Any] | None,
    has_photos: bool = True,
) -> tuple[Trust, dict[str, dict[str, Any]]]:
    """The audit's trust as of now, and the checks it was computed from.

    ``has_photos=False`` (the caller knows there are none) skips their query.
    """
    checks = await store.checks_of(audit.id)
    evidence = await store.photo_evidence(audit.id) if has_photos else []
    if checklist.min_visit_minutes is not None:
        rules = replace(rules, min_minutes=checklist.min_visit_minutes)
    trust = assess(
        place_of(audit.location, rules),
        _reading(checks.get("check_in")),
        _reading(checks.get("check_out")),
        [PhotoEvidence(p["item_id"], _aware(p["received_at"]), p["reused"]) for p in evidence],
        rules,
        exempt_items(checklist, touchpoint_dates),
    )
    return trust, checks


async def checks_unchanged(audit_id: int, checks: dict[str, dict[str, Any]]) -> bool:
    """Whether the audit still has exactly these checks (read with its row locked)."""
    return await store.checks_of(audit_id) == checks


async def visit_view(who: Principal, audit: Audit) -> dict[str, Any]:
    """The ``visit`` block of an audit: the checks for its auditor and HQ; the trust for HQ."""
    checks = await store.checks_of(audit.id)
    view: dict[str, Any] = {
        "check_in": check_json(checks["check_in"]) if "check_in" in checks else None,
        "check_out": check_json(checks["check_out"]) if "check_out" in checks else None,
    }
    if who.is_hq:
        view["trust"] = trust_json(audit.trust_score, audit.trust)
    return view


def trust_json(score: int | None, trust: dict[str, Any] | None) -> dict[str, Any] | None:
    """HQ's view of a stored assessment, with its label; None before proof of visit."""
    if score is None or trust is None:
        return None
    return {**trust, "score": score, "label": trust_label(score).label}


async def shopper_trust_history(auditor_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """A shopper's submitted audits with their trust scores, the latest first (HQ only).

    Each row: ``uuid``, ``status``, ``location``, ``location_name``,
    ``visited_at``, ``submitted_at``, ``trust_score`` (None for audits from
    before proof of visit), ``label`` and ``reasons`` (reason codes).
    """
    rows = await store.trust_history(auditor_id, limit)
    for row in rows:
        score = row["trust_score"]
        row["label"] = trust_label(score).label if score is not None else None
    return rows


TRUST_FILTERS = ("low",)


def trust_filter(value: str | None) -> int | None:
    """HQ's ``trust`` filter of the review queue as a bound: ``low`` is under Trusted."""
    if value in (None, ""):
        return None
    if value not in TRUST_FILTERS:
        raise Invalid("unknown trust filter", {"trust": "must be low (or left out)"})
    return LOW_TRUST_BELOW


def label_queue_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The review queue's rows with each trust score's label (None before proof of visit)."""
    for row in rows:
        score = row.get("trust_score")
        row["trust_label"] = trust_label(score).label if score is not None else None
    return rows
