"""The life of an audit: draft, submit, discard, and who may see it (HQ's review:
:mod:`audit.workflow.review`).

Concurrency (docs/api.md, "Revisions"): every stored change of an audit moves
its ``revision`` by one, in a single conditional ``UPDATE … WHERE revision =
…`` (:func:`audit.store.audits.update_audit_if`).  A request first reads the
audit and does its work (validation, scoring) without holding anything; its
write then succeeds only if nobody wrote in between.  If somebody did, a
request that named the revision it was based on (``If-Match``) is refused
with 412 and the server's audit; one that did not is done again from the
fresh state (the old last-writer-wins behaviour).  Either way a request that
loses a race is never acknowledged: whatever a 2xx returns is what is stored.

A submit also re-counts the photos with the audit's row locked, in the same
transaction that changes its status; deleting a photo takes the same lock,
so an audit is never submitted without the evidence its checklist requires.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from audit.answers import Answer, AnswersError, parse_answers
from audit.auth import Principal
from audit.checklist import Checklist
from audit.errors import Conflict, Invalid, NotFound, PreconditionFailed
from audit.media import remove_files
from audit.models import STATUSES, Audit, ChecklistVersion, Location
from audit.scoring import score_answers
from audit.store import assignments as assignment_store
from audit.store import audits as store
from audit.store import photos as photo_store
from audit.store.accounts import owned_location_ids
from audit.store.checklists import current_version, parsed, version_by_hash
from audit.store.locations import fits_brand, location_by_code, other_brand_problem
from audit.submission import AuditPayload, answers_json, content_hash
from audit.trust import Rules
from audit.workflow import assignments, visits, webhooks
from audit.workflow.views import list_rows, stale

EDITABLE = ("draft", "returned")
# HQ's from the submit on; a returned audit is the auditor's again.
LOCKED = ("submitted", "approved", "rejected")
MAX_LIST_LIMIT = 10_000
# A write that loses a race is redone from the fresh state.  Each loss means
# another write of the same audit succeeded, so more than a few in a row
# means a device is hammering one audit; it is told to try again.
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Precondition:
    """A request's ``If-Match``: the revisions it may apply to (``None``: any, ``*``)."""

    revisions: frozenset[int] | None

    def matches(self, revision: int | None) -> bool:
        if revision is None:
            return False
        return self.revisions is None or revision in self.revisions

    def describe(self) -> str:
        if self.revisions is None:
            return "*"
        return ", ".join(f"revision {r}" for r in sorted(self.revisions)) or "no revision"


def _now() -> datetime:
    return datetime.now(UTC)


def _missing_audit(expected: Precondition) -> PreconditionFailed:
    return PreconditionFailed(
        "the audit does not exist on the server",
        {"If-Match": f"names {expected.describe()}, but there is no such audit"},
    )


async def _visible_audit(who: Principal, uuid: str) -> Audit:
    """The audit if the caller may see it, else 404 (never 403)."""
    audit = await store.find_audit(uuid)
    if audit is None:
        raise NotFound("no such audit")
    if who.is_hq and who.sees_location(audit.location.brand_id):  # type: ignore[attr-defined]
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


async def own_audit(who: Principal, uuid: str) -> Audit | None:
    """The caller's own audit, None if it does not exist, 404 if it is someone else's."""
    audit = await store.find_audit(uuid)
    if audit is None:
        return None
    if audit.auditor_id != who.user_id:  # type: ignore[attr-defined]
        raise NotFound("no such audit")
    return audit


async def get_audit(who: Principal, uuid: str) -> Audit:
    return await _visible_audit(who, uuid)


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


async def _resolve(payload: AuditPayload, existing: Audit | None, who: Principal) -> _Resolved:
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
    if existing is None and version is not None and not who.sees_checklist(version.brand_id):  # type: ignore[attr-defined]
        problems["checklist"] = f"no checklist {payload.checklist!r}"
        version = None
    location: Location | None
    if existing is not None:
        location = existing.location
        if payload.location != location.code:
            problems["location"] = "an audit's location cannot change"
    else:
        location = await location_by_code(payload.location)
        if location is None or not who.sees_location(location.brand_id):  # type: ignore[attr-defined]
            problems["location"] = f"no location {payload.location!r}"
            location = None
        elif version is not None and not fits_brand(version.brand_id, location.brand_id):  # type: ignore[attr-defined]
            problems["checklist"] = other_brand_problem([location.code])
    answers: dict[str, Answer] = {}
    answer_problems: dict[str, str] = {}
    if version is not None:
        sections = {section.id for section in parsed(version).sections}
        for section_id in payload.touchpoint_dates or {}:
            if section_id not in sections:
                problems[f"touchpoint_dates.{section_id}"] = "no such section in this checklist"
        try:
            answers = parse_answers(parsed(version), payload.answers)
        except AnswersError as exc:
            answer_problems = exc.fields
    if problems or answer_problems or version is None or location is None:
        message = "the audit has invalid fields" if problems else "some answers are invalid"
        raise Invalid(message, {**problems, **answer_problems})
    return _Resolved(payload, version, parsed(version), location, answers)


def _draft_changes(r: _Resolved) -> dict[str, Any]:
    """The columns a draft write sets (what the payload leaves out stays as it is)."""
    changes: dict[str, Any] = {"answers": answers_json(r.answers), "draft_hash": r.hash}
    if r.payload.visited_at is not None:
        changes["visited_at"] = r.payload.visited_at
        changes["visit_date"] = r.payload.visited_at.date()
    if r.payload.started_at is not None:
        changes["started_at"] = r.payload.started_at
    if r.payload.finished_at is not None:
        changes["finished_at"] = r.payload.finished_at
    if r.payload.touchpoint_dates is not None:
        changes["touchpoint_dates"] = _dates_json(r.payload.touchpoint_dates)
    return changes


def _dates_json(dates: Mapping[str, Any]) -> dict[str, str]:
    return {section_id: day.isoformat() for section_id, day in sorted(dates.items())}


def _set(audit: Audit, changes: Mapping[str, Any]) -> None:
    # The in-memory audit mirrors the row just written: no reload.
    for name, value in changes.items():
        setattr(audit, name, value)


def _times_changed(audit: Audit, payload: AuditPayload) -> bool:
    return (
        (payload.started_at is not None and payload.started_at != audit.started_at)
        or (payload.finished_at is not None and payload.finished_at != audit.finished_at)
        or (
            payload.touchpoint_dates is not None
            and _dates_json(payload.touchpoint_dates) != (audit.touchpoint_dates or {})
        )
    )


class _PhotosChanged(Exception):
    """Rolls a submit back: its photos or checks changed between scoring and the write."""


def _busy() -> Conflict:
    return Conflict("this audit is being changed by another request right now; try again")


async def save_draft(
    who: Principal, uuid: str, payload: AuditPayload, expected: Precondition | None = None
) -> tuple[Audit, bool]:
    """PUT: create or update a draft; the same request again changes nothing.

    Returns the audit as stored and whether this request created it.
    """
    for _ in range(MAX_ATTEMPTS):
        existing = await own_audit(who, uuid)
        if existing is None:
            if expected is not None:
                raise _missing_audit(expected)
            resolved = await _resolve(payload, None, who)
            await assignments.check_start(
                who, uuid, payload.assignment, resolved.location, resolved.checklist.id
            )
            audit = Audit(
                uuid=uuid,
                auditor_id=who.user_id,
                location=resolved.location,
                checklist=resolved.version,
                checklist_slug=resolved.checklist.id,
                status="draft",
                revision=1,
            )
            _set(audit, _draft_changes(resolved))
            if await store.insert_audit(audit):
                await assignments.link_start(uuid, payload.assignment, who.user_id)
                return audit, True
            continue  # the same PUT raced itself: the other request created it
        written = await _write_draft(
            who, existing, await _resolve(payload, existing, who), expected
        )
        if written is not None:
            return written, False
    raise _busy()


async def _write_draft(
    who: Principal, existing: Audit, resolved: _Resolved, expected: Precondition | None
) -> Audit | None:
    """The stored audit after the write, or None when another write came first."""
    if existing.status in LOCKED:
        if resolved.hash in (existing.submit_hash, existing.draft_hash):
            return existing  # a replay of what was stored
        if expected is not None and not expected.matches(existing.revision):
            raise await stale(who, existing, expected.describe())
        raise Conflict(f"this audit is {existing.status} and can no longer change")
    if existing.draft_hash == resolved.hash and not _times_changed(existing, resolved.payload):
        return existing  # nothing to change (a replay, or a save of what is there)
    if expected is not None and not expected.matches(existing.revision):
        raise await stale(who, existing, expected.describe())
    changes = {**_draft_changes(resolved), "updated_at": _now()}
    if not await store.update_audit_if(existing.id, existing.revision, EDITABLE, changes):
        return None
    _set(existing, changes)
    existing.revision += 1
    return existing


async def submit(
    who: Principal,
    uuid: str,
    payload: AuditPayload | None,
    expected: Precondition | None = None,
    rules: Rules | None = None,
) -> tuple[Audit, list[store.PhotoRow]]:
    """Submit once: replays return the same audit, a different payload is 409.

    Returns the audit and its photos as stored (the caller's view needs both).
    ``rules``: the proof-of-visit thresholds of the settings (audit.trust).
    """
    rules = rules or Rules()
    for _ in range(MAX_ATTEMPTS):
        audit = await own_audit(who, uuid)
        if audit is None:
            if payload is None:
                raise NotFound("no such audit; send the audit with the submit or PUT it first")
            if expected is not None:
                raise _missing_audit(expected)
            audit, _ = await save_draft(who, uuid, payload)
        done = await _try_submit(who, audit, payload, expected, rules)
        if done is not None:
            return done
    raise _busy()


async def _try_submit(
    who: Principal,
    audit: Audit,
    payload: AuditPayload | None,
    expected: Precondition | None,
    rules: Rules,
) -> tuple[Audit, list[store.PhotoRow]] | None:
    resolved = await _resolve(payload, audit, who) if payload is not None else None
    if audit.status in LOCKED:
        if resolved is not None:
            replay = resolved.hash == audit.submit_hash
        else:
            # Made from the draft it submitted, or knowing it is submitted.
            replay = (
                expected is None
                or expected.matches(audit.submitted_revision)
                or expected.matches(audit.revision)
            )
        if replay:
            return audit, await store.photo_rows(audit.id)
        if expected is not None and not expected.matches(audit.revision):
            raise await stale(who, audit, expected.describe())
        raise Conflict(f"this audit is already {audit.status}; it cannot be submitted again")
    if expected is not None and not expected.matches(audit.revision):
        raise await stale(who, audit, expected.describe())
    photos = await store.photo_rows(audit.id)
    checklist = resolved.checklist if resolved is not None else parsed(audit.checklist)
    answers = resolved.answers if resolved is not None else store.stored_answers(audit)
    photo_counts = store.count_photos(photos)
    card = score_answers(checklist, answers, photo_counts)
    # Evidence of something that did not apply would print under "N/A".
    na_photos = [
        item_id
        for item_id, answer in answers.items()
        if answer.na and (photo_counts.get(item_id) or answer.photos)
    ]
    if card.missing or na_photos:
        problems = {f"answers.{item_id}": "is required" for item_id in card.missing}
        for item_id in na_photos:
            problems[f"answers.{item_id}"] = "has a photo but is answered not applicable"
        raise Invalid(
            f"{len(card.missing)} required item(s) are not answered yet"
            if card.missing
            else f"{len(na_photos)} item(s) answered not applicable have a photo",
            problems,
            extra={"missing": list(card.missing)},
        )
    draft = _draft_changes(resolved) if resolved is not None else {}
    visited_at = draft.get("visited_at", audit.visited_at)
    finished_at = draft.get("finished_at", audit.finished_at)
    stamp = _now()
    visited = visited_at or finished_at or stamp
    draft_hash = draft.get("draft_hash", audit.draft_hash)
    touchpoint_dates = draft.get("touchpoint_dates", audit.touchpoint_dates)
    # Proof of visit, from the checks and photos as submitted (checked again below).
    trust, checks = await visits.assess_audit(
        audit, checklist, rules, touchpoint_dates, has_photos=bool(photos)
    )
    changes: dict[str, Any] = {
        "status": "submitted",
        "answers": draft.get("answers", audit.answers),
        "draft_hash": draft_hash,
        "submit_hash": draft_hash,
        "submitted_revision": audit.revision,
        "visited_at": visited,
        "visit_date": visited.date(),
        "started_at": draft.get("started_at", audit.started_at),
        "touchpoint_dates": touchpoint_dates,
        "finished_at": finished_at or stamp,
        "submitted_at": stamp,
        "updated_at": stamp,
        "review_note": "",
        "item_notes": None,  # HQ's notes on the returned audit were answered by this submit
        "overall": card.overall,
        "service": card.service,
        "experience": card.experience,
        "nps": card.nps,
        "critical_failed": card.critical_failed,
        "consistency": card.consistency_score,
        "scorecard": card.to_dict(),
        "trust_score": trust.score,
        "trust": trust.to_dict(),
    }
    # Only an audit submitted before (and returned) has scores to replace.
    resubmitted = audit.submitted_at is not None
    try:
        async with in_transaction():
            # The compare-and-swap is also the row lock: until this
            # transaction ends, a photo delete (which locks the row first,
            # audit.store.audits.lock_audit) waits, and an edit finds another
            # revision.  Not moved: written meanwhile, start again from what
            # is stored.
            if not await store.update_audit_if(audit.id, audit.revision, EDITABLE, changes):
                return None
            # These are the photos it is submitted with.  One that came or
            # went since the score was taken means scoring again: undo.
            photos = await store.photo_rows(audit.id)
            if store.count_photos(photos) != photo_counts:
                raise _PhotosChanged
            # A check-in stored meanwhile took the same lock first: score again.
            if not await visits.checks_unchanged(audit.id, checks):
                raise _PhotosChanged
            await store.store_scores(audit.id, card, replace=resubmitted)
            # The outbox row commits with the submission, or neither does.
            await webhooks.emit("audit.submitted", audit, changes, audit.revision + 1)
    except _PhotosChanged:
        return None
    _set(audit, changes)
    audit.revision += 1
    return audit, photos


async def discard_draft(
    who: Principal, uuid: str, media_dir: Path, expected: Precondition | None = None
) -> None:
    """DELETE: the auditor's own draft that was never submitted, with its photos.

    A returned audit is HQ's record (409), as is anything submitted.  The
    status is checked again with the row locked, in the transaction that
    deletes it: a submit holds the same lock, so of a discard and a submit
    racing each other exactly one happens, and a submitted audit is never
    deleted.  Afterwards the audit is 404.
    """
    for _ in range(MAX_ATTEMPTS):
        audit = await own_audit(who, uuid)
        if audit is None:
            raise NotFound("no such audit")
        if expected is not None and not expected.matches(audit.revision):
            raise await stale(who, audit, expected.describe())
        if audit.status != "draft" or audit.submitted_at is not None:
            raise Conflict(
                f"this audit is {audit.status}"
                + (" and was submitted" if audit.status == "draft" else "")
                + "; only a draft that was never submitted can be discarded"
            )
        files: list[tuple[str, str]] | None = None
        async with in_transaction():
            locked = await store.lock_audit(audit.id)
            if locked == (audit.revision, "draft"):
                files = await photo_store.photo_files(audit.id)
                await photo_store.delete_photos_of(audit.id)
                await store.delete_audit_row(audit.id)
                await assignment_store.unlink_audit(uuid)  # the assignment is open again
        if files is not None:
            for names in files:
                remove_files(media_dir, names)
            return
        # Written (or deleted) meanwhile: the next pass sees what is stored.
    raise _busy()


def valid_status(status: str | None) -> str | None:
    if status is not None and status not in STATUSES:
        raise Invalid("unknown status", {"status": f"must be one of {', '.join(STATUSES)}"})
    return status


async def list_audits(
    who: Principal, status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The audits the caller may see, newest first."""
    auditor_id: int | None = None
    location_ids: list[int] | None = None
    if who.is_auditor:
        auditor_id = who.user_id
    elif who.is_owner:
        if status not in (None, "approved"):
            return []
        status = "approved"
        location_ids = list(await owned_location_ids(who.user_id))
    rows = await store.audit_rows(
        auditor_id=auditor_id,
        location_ids=location_ids,
        status=status,
        limit=limit,
        offset=offset,
        by_visit=who.is_owner,
        brand_ids=who.brand_limit if who.is_hq else (),
    )
    return list_rows(who, rows)
