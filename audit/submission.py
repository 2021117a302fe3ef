"""The audit payload of ``PUT /api/audits/{uuid}`` and ``POST …/submit``: shape checks.

Answers themselves are checked by :mod:`audit.answers` once the checklist is
known; this module checks the envelope and makes the canonical hash that
decides whether a replay is "the same request".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from audit.answers import Answer
from audit.errors import Invalid

PAYLOAD_KEYS = frozenset(
    {
        "checklist",
        "checklist_hash",
        "location",
        "visited_at",
        "started_at",
        "finished_at",
        "answers",
        "touchpoint_dates",
        # Optional: the id of the assignment the audit is started from.
        "assignment",
    }
)
# A phone's clock may run ahead of the server's (and a date-only visit is
# taken as noon UTC): a visit up to this far "in the future" is accepted.
CLOCK_SKEW = timedelta(days=1)
MAX_TOUCHPOINT_DATES = 100


@dataclass(frozen=True)
class AuditPayload:
    checklist: str
    location: str
    answers: Mapping[str, Any]
    checklist_hash: str | None = None
    visited_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # Section id → the day that touchpoint happened (a call days after the visit).
    touchpoint_dates: Mapping[str, date] | None = None
    assignment: int | None = None
    # Envelope problems that still let the checklist and location be looked up
    # (unknown keys, bad times): the store refuses the payload naming these
    # together with its own findings, so one 422 names every bad field.
    problems: Mapping[str, str] = dataclasses.field(default_factory=dict)


def check_uuid(value: str, field: str = "uuid") -> str:
    try:
        parsed = uuidlib.UUID(value)
    except ValueError:
        raise Invalid(f"{field} is not a UUID", {field: "must be a UUID"}) from None
    if str(parsed) != value.lower():
        raise Invalid(f"{field} is not a UUID", {field: "must be a UUID like 1b4e28ba-2fa1-…"})
    return str(parsed)


# Only random ids are taken for new audits and photos.  Versions 1, 2 and 6
# hold the moment they were made and the device's network address, 7 (and 8,
# free-form, often the same) a millisecond timestamp: owners see audit and
# photo ids, so such an id would tell them which phone made the audit, and
# when, which the docs promise they never learn.  An id whose variant bits are
# not RFC 4122's has no version at all (it may be any of these, altered).  The
# PWA makes its ids with crypto.randomUUID(), which is version 4.
NEW_UUID_VERSION = 4


def check_new_uuid(value: str, field: str = "uuid") -> str:
    """A client-made id for something new: a canonical, random (RFC 4122 version 4) UUID."""
    found = check_uuid(value, field)
    parsed = uuidlib.UUID(found)
    if parsed.variant != uuidlib.RFC_4122 or parsed.version != NEW_UUID_VERSION:
        raise Invalid(
            f"{field} must be a random UUID",
            {
                field: "must be a random (RFC 4122 version 4) UUID, like crypto.randomUUID() "
                "makes: other versions carry the time or the device"
            },
        )
    return found


def parse_timestamp(value: Any, field: str, problems: dict[str, str]) -> datetime | None:
    """ISO 8601 date or date-time; naive times are taken as UTC."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        problems[field] = "must be an ISO 8601 date or date-time"
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            stamp = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        else:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        problems[field] = "must be an ISO 8601 date or date-time"
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    if not 2000 <= stamp.year <= 2100:
        problems[field] = "must be a date between 2000 and 2100"
        return None
    return stamp.astimezone(UTC)


def _not_in_future(stamp: datetime | None, field: str, problems: dict[str, str]) -> datetime | None:
    if stamp is not None and stamp > datetime.now(UTC) + CLOCK_SKEW:
        problems[field] = "must not be in the future"
        return None
    return stamp


def parse_touchpoint_dates(value: Any, problems: dict[str, str]) -> dict[str, date] | None:
    """``{section_id: "YYYY-MM-DD"}``; which sections exist is checked with the checklist."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or len(value) > MAX_TOUCHPOINT_DATES:
        problems["touchpoint_dates"] = "must be an object of section id to YYYY-MM-DD"
        return None
    latest = (datetime.now(UTC) + CLOCK_SKEW).date()
    out: dict[str, date] = {}
    for section_id, raw in value.items():
        field = f"touchpoint_dates.{section_id}"
        try:
            day = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
        except ValueError:
            day = None
        if day is None:
            problems[field] = "must be a date YYYY-MM-DD"
        elif day > latest:
            problems[field] = "must not be in the future"
        elif day.year < 2000:
            problems[field] = "must be a date after 2000"
        else:
            out[str(section_id)] = day
    return out


def parse_payload(body: Any) -> AuditPayload:
    """Check the envelope; raise :class:`Invalid` when it cannot be resolved at all.

    Other problems travel in ``AuditPayload.problems`` (see there).
    """
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    problems: dict[str, str] = {}
    for key in body:
        if key not in PAYLOAD_KEYS:
            problems[str(key)] = "unknown field"
    checklist = body.get("checklist")
    if not isinstance(checklist, str) or not checklist:
        problems["checklist"] = "is required (a checklist id)"
    location = body.get("location")
    if not isinstance(location, str) or not location:
        problems["location"] = "is required (a location code)"
    digest = body.get("checklist_hash")
    if digest is not None and (not isinstance(digest, str) or len(digest) != 64):
        problems["checklist_hash"] = "must be a checklist content hash"
        digest = None
    answers = body.get("answers", {})
    if not isinstance(answers, Mapping):
        problems["answers"] = "must be an object keyed by item id"
    stamps = {
        key: parse_timestamp(body.get(key), key, problems)
        for key in ("visited_at", "started_at", "finished_at")
    }
    stamps["visited_at"] = _not_in_future(stamps["visited_at"], "visited_at", problems)
    touchpoint_dates = parse_touchpoint_dates(body.get("touchpoint_dates"), problems)
    assignment = body.get("assignment")
    if assignment is not None and (
        isinstance(assignment, bool) or not isinstance(assignment, int) or assignment < 1
    ):
        problems["assignment"] = "must be an assignment id (a whole number)"
        assignment = None
    if {"checklist", "location", "answers"} & problems.keys():
        raise Invalid("the audit has invalid fields", problems)
    assert isinstance(checklist, str) and isinstance(location, str)
    return AuditPayload(
        checklist=checklist,
        location=location,
        answers=answers,
        checklist_hash=digest,
        visited_at=stamps["visited_at"],
        started_at=stamps["started_at"],
        finished_at=stamps["finished_at"],
        touchpoint_dates=touchpoint_dates,
        assignment=assignment,
        problems=problems,
    )


def answers_json(answers: Mapping[str, Answer]) -> dict[str, Any]:
    return {item_id: answer.to_dict() for item_id, answer in sorted(answers.items())}


def content_hash(
    checklist: str, location: str, visited_at: datetime | None, answers: Mapping[str, Answer]
) -> str:
    """Same content ⇔ same hash: a replay of a request is recognised, a change is not missed."""
    canonical = json.dumps(
        {
            "checklist": checklist,
            "location": location,
            "visited_at": visited_at.isoformat() if visited_at else None,
            "answers": answers_json(answers),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
