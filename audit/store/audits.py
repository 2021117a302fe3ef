"""Audits: drafts, idempotent submission, stored scores, review, role-filtered views."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from audit.answers import Answer, AnswersError, parse_answers
from audit.auth import Principal
from audit.checklist import Checklist
from audit.errors import Conflict, Invalid, NotFound
from audit.models import (
    STATUSES,
    Audit,
    ChecklistVersion,
    ItemScore,
    Location,
    Photo,
    ReviewEvent,
    SectionScore,
)
from audit.scoring import Scorecard, score_answers, scorecard_in_order
from audit.store import rollups, sql
from audit.store.accounts import owned_location_ids
from audit.store.checklists import current_version, parsed, version_by_hash, version_with_hash
from audit.store.locations import location_by_code
from audit.submission import AuditPayload, answers_json, content_hash

EDITABLE = ("draft", "returned")
LOCKED = ("submitted", "approved")
MAX_LIST_LIMIT = 10_000


def _now() -> datetime:
    return datetime.now(UTC)


def stored_answers(audit: Audit) -> dict[str, Answer]:
    raw: Mapping[str, Any] = audit.answers or {}
    out: dict[str, Answer] = {}
    for item_id, data in raw.items():
        if isinstance(data, Mapping):
            out[item_id] = Answer(
                value=data.get("value"),
                na=bool(data.get("na", False)),
                comment=data.get("comment"),
                photos=tuple(data.get("photos", ())),
            )
    return out


@functools.cache
def _find_sql() -> str:
    # Built on first use: Tortoise knows the foreign-key columns once initialised.
    return (
        f"SELECT {sql.columns(Audit, 'a')}, {sql.columns(Location, 'l')},"
        " cv.content_hash AS checklist_hash"
        " FROM audit a JOIN location l ON l.id = a.location_id"
        " JOIN checklist_version cv ON cv.id = a.checklist_id WHERE a.uuid = ?"
    )


async def _find_audit(uuid: str) -> Audit | None:
    """The audit with its location and checklist version, as select_related would load it.

    Every request about one audit starts here, so it is one hand-written
    query (audit.store.sql) and the checklist's definition comes from the
    version cache rather than from each row.
    """
    rows = await sql.fetch(Audit, _find_sql(), [uuid])
    if not rows:
        return None
    audit = sql.model_from_row(Audit, rows[0], "a")
    audit.location = sql.model_from_row(Location, rows[0], "l")
    audit.checklist = await version_with_hash(
        audit.checklist_id,  # type: ignore[attr-defined]
        rows[0]["checklist_hash"],
    )
    return audit


async def _reload(audit: Audit) -> Audit:
    fresh = await _find_audit(audit.uuid)
    assert fresh is not None  # audits are never deleted
    return fresh


async def _visible_audit(who: Principal, uuid: str) -> Audit:
    """The audit if the caller may see it, else 404 (never 403)."""
    audit = await _find_audit(uuid)
    if audit is None:
        raise NotFound("no such audit")
    if who.is_hq:
        return audit
    if who.is_auditor and audit.auditor_id == who.user_id:  # type: ignore[attr-defined]
        return audit
    if (
        who.is_owner
        and audit.status == "approved"
        and audit.location_id in await owned_location_ids(who.user_id)  # type: ignore[attr-defined]
    ):
        return audit
    raise NotFound("no such audit")


async def _own_audit(who: Principal, uuid: str) -> Audit | None:
    """The caller's own audit, None if it does not exist, 404 if it is someone else's."""
    audit = await _find_audit(uuid)
    if audit is None:
        return None
    if audit.auditor_id != who.user_id:  # type: ignore[attr-defined]
        raise NotFound("no such audit")
    return audit


class _Resolved:
    """A payload checked against the database: checklist version, location, typed answers."""

    def __init__(
        self,
        payload: AuditPayload,
        version: ChecklistVersion,
        checklist: Checklist,
        location: Location,
        answers: dict[str, Answer],
    ) -> None:
        self.payload = payload
        self.version = version
        self.checklist = checklist
        self.location = location
        self.answers = answers
        self.hash = content_hash(checklist.id, location.code, payload.visited_at, answers)


async def _resolve(payload: AuditPayload, existing: Audit | None) -> _Resolved:
    problems: dict[str, str] = dict(payload.problems)
    version: ChecklistVersion | None
    if existing is not None:
        version = existing.checklist
        if payload.checklist != existing.checklist_slug:
            problems["checklist"] = f"this audit uses checklist {existing.checklist_slug!r}"
    elif payload.checklist_hash is not None:
        version = await version_by_hash(payload.checklist, payload.checklist_hash)
        if version is None:
            problems["checklist_hash"] = "no such version of this checklist"
        elif not version.is_current:
            problems["checklist_hash"] = (
                "this checklist version has been retired; start the audit again"
            )
            version = None
    else:
        version = await current_version(payload.checklist)
        if version is None:
            problems["checklist"] = f"no checklist {payload.checklist!r}"
    location: Location | None
    if existing is not None:
        location = existing.location
        if payload.location != location.code:
            problems["location"] = "an audit's location cannot change"
    else:
        location = await location_by_code(payload.location)
        if location is None:
            problems["location"] = f"no location {payload.location!r}"
    answers: dict[str, Answer] = {}
    answer_problems: dict[str, str] = {}
    if version is not None:
        try:
            answers = parse_answers(parsed(version), payload.answers)
        except AnswersError as exc:
            answer_problems = exc.fields
    if problems or answer_problems or version is None or location is None:
        message = "the audit has invalid fields" if problems else "some answers are invalid"
        raise Invalid(message, {**problems, **answer_problems})
    return _Resolved(payload, version, parsed(version), location, answers)


def _draft_changes(audit: Audit, r: _Resolved) -> dict[str, Any]:
    """The columns a draft write sets (what the payload leaves out stays as it is)."""
    changes: dict[str, Any] = {"answers": answers_json(r.answers), "draft_hash": r.hash}
    if r.payload.visited_at is not None:
        changes["visited_at"] = r.payload.visited_at
        changes["visit_date"] = r.payload.visited_at.date()
    if r.payload.started_at is not None:
        changes["started_at"] = r.payload.started_at
    if r.payload.finished_at is not None:
        changes["finished_at"] = r.payload.finished_at
    return changes


def _set(audit: Audit, changes: Mapping[str, Any]) -> None:
    # The in-memory audit mirrors the row just written: no reload.
    for name, value in changes.items():
        setattr(audit, name, value)


async def save_draft(who: Principal, uuid: str, payload: AuditPayload) -> tuple[Audit, bool]:
    """PUT: create or update a draft; the same request again changes nothing."""
    existing = await _own_audit(who, uuid)
    resolved = await _resolve(payload, existing)
    if existing is not None:
        return await _update_draft(existing, resolved), False
    audit = Audit(
        uuid=uuid,
        auditor_id=who.user_id,
        location=resolved.location,
        checklist=resolved.version,
        checklist_slug=resolved.checklist.id,
        status="draft",
    )
    _set(audit, _draft_changes(audit, resolved))
    try:
        await audit.save()
    except IntegrityError:
        # The same PUT raced itself: the other request created it.
        again = await _own_audit(who, uuid)
        if again is None:
            raise
        return await _update_draft(again, resolved), False
    return audit, True


async def _update_draft(existing: Audit, resolved: _Resolved) -> Audit:
    if existing.status in LOCKED:
        if resolved.hash in (existing.submit_hash, existing.draft_hash):
            return existing
        raise Conflict(f"this audit is {existing.status} and can no longer change")
    if existing.draft_hash == resolved.hash and not _times_changed(existing, resolved.payload):
        return existing
    changes = {**_draft_changes(existing, resolved), "updated_at": _now()}
    # Conditional, not save(): a submit that won the race meanwhile must not
    # be written back to a draft.
    if await _update_if_editable(existing.id, changes):
        _set(existing, changes)
        return existing
    fresh = await _reload(existing)
    if resolved.hash in (fresh.submit_hash, fresh.draft_hash):
        return fresh
    raise Conflict(f"this audit is {fresh.status} and can no longer change")


async def _update_if_editable(audit_id: int, changes: Mapping[str, Any]) -> bool:
    """Write ``changes`` if the audit is still a draft (or returned); False if not.

    Every save and submit runs it: hand-written (audit.store.sql).
    """
    assignments = ", ".join(f'"{Audit._meta.fields_db_projection[name]}" = ?' for name in changes)
    query = f"UPDATE audit SET {assignments} WHERE id = ? AND status IN (?, ?)"
    values = [*sql.db_values(Audit, changes), audit_id, *EDITABLE]
    return await sql.execute(Audit, query, values) > 0


def _times_changed(audit: Audit, payload: AuditPayload) -> bool:
    return (payload.started_at is not None and payload.started_at != audit.started_at) or (
        payload.finished_at is not None and payload.finished_at != audit.finished_at
    )


PhotoRow = dict[str, Any]  # {"uuid": ..., "item_id": ...}


_PHOTOS_SQL = "SELECT uuid, item_id FROM photo WHERE audit_id = ? ORDER BY created_at, id"


async def photo_rows(audit_id: int) -> list[PhotoRow]:
    return await sql.fetch(Photo, _PHOTOS_SQL, [audit_id])


def count_photos(rows: list[PhotoRow]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[str(row["item_id"])] = counts.get(str(row["item_id"]), 0) + 1
    return counts


async def photo_counts(audit_id: int) -> dict[str, int]:
    return count_photos(await photo_rows(audit_id))


async def submit(
    who: Principal, uuid: str, payload: AuditPayload | None
) -> tuple[Audit, list[PhotoRow]]:
    """Submit once: replays return the same audit, a different payload is 409.

    Returns the audit and its photos (the caller's view needs both).
    """
    audit = await _own_audit(who, uuid)
    resolved = await _resolve(payload, audit) if payload is not None else None
    photos: list[PhotoRow] | None = None
    if audit is None:
        if payload is None:
            raise NotFound("no such audit; send the audit with the submit or PUT it first")
        audit, _ = await save_draft(who, uuid, payload)
        photos = []  # photos need an existing audit: a new one has none
    if audit.status in LOCKED:
        wanted = resolved.hash if resolved is not None else audit.submit_hash
        if wanted == audit.submit_hash:
            return audit, await photo_rows(audit.id)
        raise Conflict(f"this audit is already {audit.status}; it cannot be submitted again")
    if photos is None:
        photos = await photo_rows(audit.id)
    checklist = resolved.checklist if resolved is not None else parsed(audit.checklist)
    answers = resolved.answers if resolved is not None else stored_answers(audit)
    card = score_answers(checklist, answers, count_photos(photos))
    if card.missing:
        raise Invalid(
            f"{len(card.missing)} required item(s) are not answered yet",
            {f"answers.{item_id}": "is required" for item_id in card.missing},
            extra={"missing": list(card.missing)},
        )
    if resolved is not None:
        _set(audit, _draft_changes(audit, resolved))
    stamp = _now()
    visited = audit.visited_at or audit.finished_at or stamp
    changes: dict[str, Any] = {
        "status": "submitted",
        "answers": audit.answers,
        "draft_hash": audit.draft_hash,
        "submit_hash": audit.draft_hash,
        "visited_at": visited,
        "visit_date": visited.date(),
        "started_at": audit.started_at,
        "finished_at": audit.finished_at or stamp,
        "submitted_at": stamp,
        "updated_at": stamp,
        "review_note": "",
        "overall": card.overall,
        "service": card.service,
        "experience": card.experience,
        "nps": card.nps,
        "critical_failed": bool(card.critical_failures),
        "scorecard": card.to_dict(),
    }
    # Only an audit submitted before (and returned) has scores to replace.
    resubmitted = audit.submitted_at is not None
    async with in_transaction():
        # The conditional update is the lock: of twenty identical submits,
        # exactly one moves the audit out of draft; the others see 0 rows.
        moved = await _update_if_editable(audit.id, changes)
        if moved:
            await _store_scores(audit.id, card, replace=resubmitted)
    if moved:
        _set(audit, changes)
        return audit, photos
    fresh = await _reload(audit)
    if fresh.submit_hash != audit.draft_hash:
        raise Conflict("this audit was submitted with different answers")
    return fresh, photos


_INSERT_SECTION_SCORES = (
    'INSERT INTO "section_score" (audit_id, section_id, touchpoint, weight, score)'
    " VALUES (?, ?, ?, ?, ?)"
)
_INSERT_ITEM_SCORES = (
    'INSERT INTO "item_score" (audit_id, item_id, touchpoint, points) VALUES (?, ?, ?, ?)'
)


async def _store_scores(audit_id: int, card: Scorecard, *, replace: bool) -> None:
    if replace:
        await SectionScore.filter(audit_id=audit_id).delete()
        await ItemScore.filter(audit_id=audit_id).delete()
    # Sixty rows an audit: written without building sixty models (audit.store.sql).
    await sql.execute_many(
        SectionScore,
        _INSERT_SECTION_SCORES,
        [(audit_id, s.id, s.touchpoint, s.weight, s.score) for s in card.sections],
    )
    touchpoint_of = {s.id: s.touchpoint for s in card.sections}
    await sql.execute_many(
        ItemScore,
        _INSERT_ITEM_SCORES,
        [
            (audit_id, r.item.id, touchpoint_of[r.section_id], r.points)
            for r in card.items
            if r.points is not None
        ],
    )


async def get_audit(who: Principal, uuid: str) -> Audit:
    return await _visible_audit(who, uuid)


async def review(who: Principal, uuid: str, decision: str, note: str) -> Audit:
    audit = await _visible_audit(who, uuid)
    target = {"approve": "approved", "return": "returned"}[decision]
    if audit.status == target:
        return audit  # the same decision again changes nothing
    if audit.status != "submitted":
        raise Conflict(f"this audit is {audit.status}, not awaiting review")
    stamp = _now()
    async with in_transaction():
        changes: dict[str, Any] = {"status": target}
        if target == "approved":
            changes["approved_at"] = stamp
        else:
            changes["review_note"] = note
        moved = await Audit.filter(id=audit.id, status="submitted").update(**changes)
        if not moved:
            raise Conflict("this audit was reviewed by someone else just now")
        if target == "approved":
            await rollups.add_approved(audit.id)
        await ReviewEvent.create(
            audit_id=audit.id, actor_id=who.user_id, action=decision, note=note
        )
    return await _reload(audit)


async def review_events(audit_id: int) -> list[dict[str, Any]]:
    rows = (
        await ReviewEvent.filter(audit_id=audit_id)
        .order_by("created_at")
        .values(
            "action", "note", "created_at", actor_email="actor__email", actor_name="actor__name"
        )
    )
    return [
        {
            "action": r["action"],
            "note": r["note"],
            "at": r["created_at"].isoformat(),
            "by": r["actor_name"] or r["actor_email"],
        }
        for r in rows
    ]


async def list_audits(
    who: Principal, status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    query = Audit.all()
    if who.is_auditor:
        query = query.filter(auditor_id=who.user_id)
    elif who.is_owner:
        query = query.filter(
            status="approved", location_id__in=await owned_location_ids(who.user_id)
        )
    if status is not None:
        query = query.filter(status=status)
    rows = (
        await query.order_by("-created_at", "-id")
        .offset(offset)
        .limit(limit)
        .values(
            "uuid",
            "status",
            "visited_at",
            "visit_date",
            "overall",
            "review_note",
            "checklist_slug",
            location_code="location__code",
            location_name="location__name",
            checklist_title="checklist__title",
        )
    )
    out = []
    for r in rows:
        visited: str | None
        if who.is_owner:
            visited = r["visit_date"].isoformat() if r["visit_date"] else None
        else:
            visited = r["visited_at"].isoformat() if r["visited_at"] else None
        row = {
            "uuid": r["uuid"],
            "status": r["status"],
            "location": r["location_code"],
            "location_name": r["location_name"],
            "checklist": r["checklist_slug"],
            "checklist_title": r["checklist_title"],
            "visited_at": visited,
            "overall": r["overall"],
        }
        if not who.is_owner:
            row["review_note"] = r["review_note"]
        out.append(row)
    return out


def valid_status(status: str | None) -> str | None:
    if status is not None and status not in STATUSES:
        raise Invalid("unknown status", {"status": f"must be one of {', '.join(STATUSES)}"})
    return status


async def audit_view(
    who: Principal, audit: Audit, photos: list[PhotoRow] | None = None
) -> dict[str, Any]:
    """One audit as the caller may see it; owners get nothing that identifies the auditor.

    ``photos`` are the audit's photo rows when the caller has them already.
    """
    version = audit.checklist
    checklist = parsed(version)
    if photos is None:
        photos = await photo_rows(audit.id)
    answers = stored_answers(audit)
    if audit.scorecard is not None:
        scorecard = scorecard_in_order(audit.scorecard, checklist)
    else:
        # A draft's running score, for the auditor's comfort; never stored.
        scorecard = score_answers(checklist, answers, count_photos(photos)).to_dict()
    view: dict[str, Any] = {
        "uuid": audit.uuid,
        "status": audit.status,
        "location": audit.location.code,
        "location_name": audit.location.name,
        "checklist": audit.checklist_slug,
        "checklist_title": version.title,
        "checklist_version": version.version,
        "checklist_hash": version.content_hash,
        "answers": answers_json(answers),
        "photos": [{"uuid": p["uuid"], "item": p["item_id"]} for p in photos],
        "scorecard": scorecard,
        "overall": audit.overall,
    }
    if who.is_owner:
        view["visited_at"] = audit.visit_date.isoformat() if audit.visit_date else None
        for answer in view["answers"].values():
            answer.pop("photos", None)
        return view
    view.update(
        {
            "visited_at": audit.visited_at.isoformat() if audit.visited_at else None,
            "started_at": audit.started_at.isoformat() if audit.started_at else None,
            "finished_at": audit.finished_at.isoformat() if audit.finished_at else None,
            "submitted_at": audit.submitted_at.isoformat() if audit.submitted_at else None,
            "review_note": audit.review_note,
        }
    )
    if who.is_hq:
        auditor = await audit.auditor
        view["auditor"] = {"name": auditor.name, "email": auditor.email}
        view["approved_at"] = audit.approved_at.isoformat() if audit.approved_at else None
        view["review_history"] = await review_events(audit.id)
    return view
