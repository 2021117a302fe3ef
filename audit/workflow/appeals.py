"""Appeals: an owner disputes items of an approved report, HQ decides each.

The life of an appeal (docs/programme.md, "Appeals")::

    owner opens it ──> open ──> HQ decides ──> upheld | partly_upheld | rejected
    (within Settings.appeal_days of the approval, one open appeal per item;
     due Settings.appeal_decision_days after it was opened)

An upheld or partly upheld decision gives the item a new answer (a value,
or "not applicable") and re-scores the audit through the one scorer
(:func:`audit.scoring.score_answers`), all in one transaction under the
audit's row lock: the audit's answers and stored scores, its section and
item score rows, the rollups it is counted in (recounted,
:func:`audit.store.rollups.recount_rows_of`), its frozen report benchmarks
(taken again, dated with the decision: the re-approval) and its report
version (one up, so the PDF is a new document and its cache key changes).
The audit trail (``review_event``) gets the old and the new scores.  A
rejected decision changes no score and issues no new report.

Two decisions at once: they take the audit's lock in turn, and the appeal's
own change is a conditional update of an open appeal, so of two decisions
on one appeal one is stored and the other is refused with 409 (a request
naming the audit's revision in ``If-Match`` gets 412 once another decision
moved it); never are both acknowledged.  Owners see their appeals and HQ's
decisions, never who decided or anything about the auditor.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio.to_thread
from tortoise.transactions import in_transaction

from audit.answers import Answer, check_value
from audit.auth import Principal
from audit.checklist import SCORED_TYPES, Checklist, Item
from audit.decoding import default_decoder
from audit.errors import (
    Conflict,
    Invalid,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    UnsupportedMedia,
)
from audit.media import remove_files, store_files
from audit.models import APPEAL_STATUSES, Appeal, Audit
from audit.photos import PhotoError, photo_filenames
from audit.presentation import appeal_status_label, describe_answer, format_score
from audit.scoring import Scorecard, score_answers
from audit.settings import Settings
from audit.store import appeals as store
from audit.store import audits as audit_store
from audit.store import deliveries as delivery_store
from audit.store import rollups
from audit.store.accounts import owner_emails, user_by_id
from audit.store.checklists import parsed, version_with_hash
from audit.store.locations import visible_location_ids
from audit.store.reports import audit_by_id
from audit.submission import answers_json
from audit.workflow import webhooks
from audit.workflow.audits import Precondition, get_audit
from audit.workflow.delivery import appeal_purpose
from audit.workflow.reports import refreeze_benchmarks

MAX_REASON = 4_000
MAX_NOTE = 4_000
DECISIONS = ("upheld", "partly_upheld", "rejected")
# The trail's action names (review_event.action holds 16 characters).
TRAIL_ACTIONS = {
    "open": "appeal_opened",
    "upheld": "appeal_upheld",
    "partly_upheld": "appeal_partly",
    "rejected": "appeal_rejected",
}
MAX_LIST_LIMIT = 1_000


def _now() -> datetime:
    return datetime.now(UTC)


def window_closes(audit: Audit, settings: Settings) -> datetime | None:
    """When the owner's time to appeal ends: ``appeal_days`` after the approval."""
    if audit.approved_at is None:
        return None
    return audit.approved_at + timedelta(days=settings.appeal_days)


def appealable_items(checklist: Checklist, audit: Audit) -> list[Item]:
    """The items an owner may dispute: scored, the owner's to see, shown on the visit."""
    card = score_answers(checklist, audit_store.stored_answers(audit))
    hq_only = checklist.hq_item_ids()
    return [
        r.item
        for r in card.items
        if r.visible
        and r.item.type in SCORED_TYPES
        and r.item.id not in hq_only
        and r.answer is not None
        and (r.answer.na or r.answer.value is not None)
    ]


def answer_input(item: Item) -> dict[str, Any]:
    """What a form needs to offer an answer to ``item`` (the owner's proposal, HQ's decision)."""
    out: dict[str, Any] = {"type": item.type}
    if item.type == "yes_no":
        out["options"] = [{"value": True, "label": "Yes"}, {"value": False, "label": "No"}]
    elif item.type == "choice":
        out["options"] = [{"value": o.value, "label": o.label} for o in item.options]
    elif item.type in ("scale", "number"):
        out.update(min=item.min, max=item.max, unit=item.unit, integer=item.type == "scale")
    return out


def item_choices(checklist: Checklist, audit: Audit) -> list[dict[str, Any]]:
    """The items an owner may dispute, in journey order, with their answer and points."""
    card = score_answers(checklist, audit_store.stored_answers(audit))
    results = {r.item.id: r for r in card.items}
    touchpoint_of = {i.id: s.touchpoint for s in checklist.sections for i in s.items}
    return [
        {
            "item": item.id,
            "text": item.text,
            "touchpoint": touchpoint_of[item.id],
            "answer_text": describe_answer(item, results[item.id].answer).text,
            "points": results[item.id].points,
            "input": answer_input(item),
        }
        for item in appealable_items(checklist, audit)
    ]


# -- reading


async def _owned(who: Principal, appeal: Appeal | None) -> Appeal:
    """The appeal if the caller may see it: HQ, or an owner of its location (else 404)."""
    if appeal is None:
        raise NotFound("no such appeal")
    if who.is_hq or who.is_owner:
        audit = await audit_by_id(appeal.audit_id)  # type: ignore[attr-defined]
        visible = await visible_location_ids(who)
        if audit is not None and (visible is None or audit.location_id in visible):  # type: ignore[attr-defined]
            return appeal
    raise NotFound("no such appeal")


async def get_appeal(who: Principal, appeal_uuid: str) -> dict[str, Any]:
    appeal = await _owned(who, await store.appeal_by_uuid(appeal_uuid))
    audit = await audit_by_id(appeal.audit_id)  # type: ignore[attr-defined]
    assert audit is not None
    return await appeal_view(who, appeal, audit)


async def appeal_view(who: Principal, appeal: Appeal, audit: Audit) -> dict[str, Any]:
    """One appeal as the caller may see it (owners: nothing about who decided or audited)."""
    checklist = parsed(audit.checklist)
    item = checklist.item_map().get(appeal.item_id)
    touchpoint_of = {i.id: s.touchpoint for s in checklist.sections for i in s.items}
    current = audit_store.stored_answers(audit).get(appeal.item_id)
    view: dict[str, Any] = {
        "uuid": appeal.uuid,
        "audit": audit.uuid,
        "location": audit.location.code,
        "location_name": audit.location.name,
        "checklist": audit.checklist_slug,
        "visited_at": audit.visit_date.isoformat() if audit.visit_date else None,
        "item": appeal.item_id,
        "item_text": item.text if item is not None else appeal.item_id,
        "touchpoint": touchpoint_of.get(appeal.item_id),
        "reason": appeal.reason,
        "proposed": appeal.proposed,
        "proposed_text": _words(item, appeal.proposed),
        "status": appeal.status,
        "status_label": appeal_status_label(appeal.status),
        "opened_at": appeal.opened_at.isoformat(),
        "due_at": appeal.due_at.isoformat(),
        "overdue": appeal.status == store.OPEN and appeal.due_at < _now(),
        "photo": appeal.photo_path is not None,
        # What the report says now, and (once decided) what it said before.
        "answer_text": _words(item, current.to_dict() if current is not None else None),
        "decision": None,
    }
    if appeal.status != store.OPEN:
        view["decision"] = {
            "status": appeal.status,
            "answer": appeal.decided_answer,
            "answer_text": _words(item, appeal.decided_answer)
            if appeal.decided_answer is not None
            else None,
            "original_text": _words(item, appeal.original),
            "note": appeal.decision_note,
            "decided_at": appeal.decided_at.isoformat() if appeal.decided_at else None,
            "report_version": appeal.report_version,
            "scores_before": appeal.scores_before,
            "scores_after": appeal.scores_after,
        }
    if who.is_hq:
        owner = await user_by_id(appeal.owner_id) if appeal.owner_id else None  # type: ignore[attr-defined]
        decider = (
            await user_by_id(appeal.decided_by_id)  # type: ignore[attr-defined]
            if appeal.decided_by_id  # type: ignore[attr-defined]
            else None
        )
        view["owner"] = {"name": owner.name, "email": owner.email} if owner else None
        if view["decision"] is not None:
            view["decision"]["by"] = (decider.name or decider.email) if decider else None
        view["audit_revision"] = audit.revision
    return view


def _words(item: Item | None, raw: Mapping[str, Any] | None) -> str | None:
    if item is None or raw is None:
        return None
    answer = Answer(value=raw.get("value"), na=bool(raw.get("na", False)))
    return describe_answer(item, answer).text


async def appeals_of_audit(who: Principal, audit_uuid: str, settings: Settings) -> dict[str, Any]:
    """An audit's appeals, and whether (and until when) its owner may open more."""
    audit = await get_audit(who, audit_uuid)  # 404 for an audit the caller may not see
    if audit.status != "approved":
        raise NotFound("no such audit")
    closes = window_closes(audit, settings)
    found = await store.appeals_of(audit.id)
    checklist = parsed(audit.checklist)
    return {
        "audit": audit.uuid,
        "report_version": audit.report_version,
        "window_closes_at": closes.isoformat() if closes else None,
        "window_open": closes is not None and _now() <= closes,
        "appealable": [i.id for i in appealable_items(checklist, audit)],
        "items": item_choices(checklist, audit),
        "appeals": [await appeal_view(who, a, audit) for a in found],
    }


async def list_appeals(
    who: Principal, status: str | None, limit: int, offset: int, *, decided: bool = False
) -> tuple[int, list[dict[str, Any]]]:
    """Owners: the appeals of their locations; HQ: the queue, open ones by due time.

    ``decided``: only those HQ has decided, the latest first.
    """
    location_ids = await visible_location_ids(who)
    count, rows = await store.appeal_rows(
        location_ids=location_ids, status=status, limit=limit, offset=offset, decided=decided
    )
    now = _now()
    out = []
    for r in rows:
        version = await version_with_hash(r["checklist_id"], r["checklist_hash"])
        item = parsed(version).item_map().get(r["item_id"])
        row = {
            "uuid": r["uuid"],
            "audit": r["audit_uuid"],
            "location": r["location"],
            "location_name": r["location_name"],
            "checklist": r["checklist"],
            "visited_at": r["visit_date"].isoformat() if r["visit_date"] else None,
            "item": r["item_id"],
            "item_text": item.text if item is not None else r["item_id"],
            "reason": r["reason"],
            "status": r["status"],
            "status_label": appeal_status_label(r["status"]),
            "opened_at": r["opened_at"].isoformat(),
            "due_at": r["due_at"].isoformat(),
            "overdue": r["status"] == store.OPEN and r["due_at"] < now,
            "decided_at": r["decided_at"].isoformat() if r["decided_at"] else None,
            "decision_note": r["decision_note"],
            "report_version": r["report_version"],
            "photo": r["photo_path"] is not None,
        }
        out.append(row)
    return count, out


def valid_status(status: str | None) -> str | None:
    if status is not None and status not in APPEAL_STATUSES:
        raise Invalid(
            "unknown appeal status", {"status": f"must be one of {', '.join(APPEAL_STATUSES)}"}
        )
    return status


# -- the owner opens an appeal


def parse_answer_choice(item: Item, raw: Any, field: str) -> dict[str, Any]:
    """``{"value": V}`` (checked against the item) or ``{"na": true}``, as stored JSON."""
    if not isinstance(raw, Mapping) or set(raw) - {"value", "na"} or not raw:
        raise Invalid(
            f"{field} must be an answer",
            {field: 'must be {"value": ...} or {"na": true}'},
        )
    if raw.get("na") is not None and raw.get("na") is not False:
        if raw.get("na") is not True or raw.get("value") is not None:
            raise Invalid(f"{field} is not an answer", {field: "give either a value or na: true"})
        return {"na": True}
    value, problem = check_value(item, raw.get("value"))
    if problem is not None or value is None:
        raise Invalid(
            f"{field} is not a valid answer", {f"{field}.value": problem or "is required"}
        )
    return {"value": value}


async def open_appeal(
    who: Principal,
    audit_uuid: str,
    body: Mapping[str, Any],
    settings: Settings,
) -> Appeal:
    """The owner disputes one item of an approved report of their location."""
    audit = await get_audit(who, audit_uuid)  # an owner sees only approved audits of theirs
    if audit.status != "approved":
        raise NotFound("no such audit")
    problems: dict[str, str] = {}
    for key in body:
        if key not in ("item", "reason", "proposed"):
            problems[str(key)] = "unknown field"
    checklist = parsed(audit.checklist)
    item_id = body.get("item")
    item: Item | None = None
    if not isinstance(item_id, str) or not item_id:
        problems["item"] = "is required: the id of the item you dispute"
    else:
        item = checklist.item_map().get(item_id)
        if item is None or item.id in checklist.hq_item_ids():
            problems["item"] = f"no item {item_id!r} in this report"
            item = None
        elif item.id not in {i.id for i in appealable_items(checklist, audit)}:
            problems["item"] = "only a scored item the shopper answered can be disputed"
            item = None
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        problems["reason"] = "is required: say why the item is wrong"
    elif len(reason) > MAX_REASON:
        problems["reason"] = f"must be at most {MAX_REASON:,} characters"
    proposed: dict[str, Any] | None = None
    if problems:
        raise Invalid("the appeal has invalid fields", problems)
    assert item is not None and isinstance(reason, str)
    if body.get("proposed") is not None:
        proposed = parse_answer_choice(item, body["proposed"], "proposed")
    now = _now()
    closes = window_closes(audit, settings)
    if closes is None or now > closes:
        day = closes.date().isoformat() if closes else "approval"
        raise Conflict(
            f"the time to appeal this report ended on {day}",
            {"item": f"appeals are open for {settings.appeal_days} days after approval"},
        )
    async with in_transaction():
        appeal = await store.insert_appeal(
            {
                "uuid": str(uuidlib.uuid4()),
                "audit_id": audit.id,
                "item_id": item.id,
                "owner_id": who.user_id,
                "reason": reason.strip(),
                "proposed": proposed,
                "status": store.OPEN,
                "open_key": store.open_key(audit.id, item.id),
                "opened_at": now,
                "due_at": now + timedelta(days=settings.appeal_decision_days),
            }
        )
        if appeal is None:
            raise Conflict(
                "an appeal of this item is open already",
                {"item": "wait for HQ's decision on the open appeal"},
            )
        await audit_store.add_review_event(
            audit.id,
            who.user_id,
            TRAIL_ACTIONS["open"],
            f"{item.text}: {reason.strip()}",
            detail={"appeal": appeal.uuid, "item": item.id},
        )
        # The outbox row commits with the appeal, or neither does.
        await webhooks.emit_appeal("appeal.opened", appeal, {}, audit, audit.revision)
    return appeal


async def attach_photo(who: Principal, appeal_uuid: str, data: bytes, media_dir: Path) -> Appeal:
    """The owner's evidence photo of an open appeal; the same photo again changes nothing."""
    appeal = await _owned(who, await store.appeal_by_uuid(appeal_uuid))
    if not who.is_owner:
        raise NotFound("no such appeal")
    try:
        processed = await default_decoder().process(who.user_id, data)
    except PhotoError as exc:
        error = {413: PayloadTooLarge, 415: UnsupportedMedia}.get(exc.status, Invalid)
        raise error(exc.message, {"body": exc.message}) from None
    if appeal.photo_path is not None:
        if appeal.photo_sha256 == processed.sha256:
            return appeal
        raise Conflict("this appeal has its evidence photo already")
    if appeal.status != store.OPEN:
        raise Conflict(f"this appeal is {appeal_status_label(appeal.status).lower()}")
    audit = await audit_by_id(appeal.audit_id)  # type: ignore[attr-defined]
    assert audit is not None
    names = photo_filenames(audit.uuid, appeal.uuid)
    stored = False
    try:
        async with in_transaction():
            stored = await store.set_photo_if_open(appeal.id, names, processed.sha256)
            if stored:
                await anyio.to_thread.run_sync(store_files, media_dir, names, processed)
    except BaseException:
        if stored:
            remove_files(media_dir, names)
        raise
    fresh = await store.appeal_by_uuid(appeal_uuid)
    assert fresh is not None
    if not stored and fresh.photo_sha256 != processed.sha256:
        raise Conflict("this appeal has its evidence photo already, or was decided just now")
    return fresh


async def appeal_photo_path(who: Principal, appeal_uuid: str, media_dir: Path, thumb: bool) -> Path:
    appeal = await _owned(who, await store.appeal_by_uuid(appeal_uuid))
    name = appeal.thumb_path if thumb else appeal.photo_path
    if name is None:
        raise NotFound("this appeal has no photo")
    return media_dir / name


# -- HQ decides


@dataclass(frozen=True)
class Decision:
    status: str  # upheld | partly_upheld | rejected
    answer: dict[str, Any] | None  # the item's new answer (None: rejected)
    note: str


def parse_decision(item: Item, appeal: Appeal, body: Any) -> Decision:
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    problems: dict[str, str] = {}
    for key in body:
        if key not in ("decision", "answer", "note"):
            problems[str(key)] = "unknown field"
    status = body.get("decision")
    if status not in DECISIONS:
        problems["decision"] = f"must be one of {', '.join(DECISIONS)}"
    note = body.get("note")
    if not isinstance(note, str) or not note.strip():
        problems["note"] = "is required: tell the owner why"
    elif len(note) > MAX_NOTE:
        problems["note"] = f"must be at most {MAX_NOTE:,} characters"
    if problems:
        raise Invalid("the decision has invalid fields", problems)
    assert isinstance(status, str) and isinstance(note, str)
    answer: dict[str, Any] | None = None
    if status == "rejected":
        if body.get("answer") is not None:
            raise Invalid(
                "a rejected appeal changes no answer",
                {"answer": "leave it out when rejecting"},
            )
    else:
        raw = body.get("answer")
        if raw is None and status == "upheld":
            raw = appeal.proposed
        if raw is None:
            raise Invalid(
                "which answer does the item get?",
                {"answer": 'is required: {"value": ...} or {"na": true}'},
            )
        answer = parse_answer_choice(item, raw, "answer")
    return Decision(status, answer, note.strip())


class _AlreadyDecided(Exception):
    """Rolls a decision back: another decision of the same appeal was stored first."""


def _scores(card: Scorecard | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(card, Scorecard):
        return {
            "overall": card.overall,
            "service": card.service,
            "experience": card.experience,
            "critical_failures": list(card.critical_failures),
        }
    return {
        "overall": card.get("overall"),
        "service": card.get("service"),
        "experience": card.get("experience"),
        "critical_failures": list(card.get("critical_failures") or ()),
    }


def _trail_note(item: Item, before: dict[str, Any], after: dict[str, Any], words: str) -> str:
    def line(name: str) -> str:
        return f"{name} {format_score(before[name])} → {format_score(after[name])}"

    return f"{item.text}: {words}; " + ", ".join(
        line(n) for n in ("overall", "service", "experience")
    )


async def decide(
    who: Principal,
    appeal_uuid: str,
    body: Any,
    settings: Settings,
    expected: Precondition | None = None,
) -> Appeal:
    """HQ's decision on an open appeal; see the module docstring for what it changes."""
    appeal = await store.appeal_by_uuid(appeal_uuid)
    if appeal is None:
        raise NotFound("no such appeal")
    audit = await audit_by_id(appeal.audit_id)  # type: ignore[attr-defined]
    assert audit is not None
    checklist = parsed(audit.checklist)
    item = checklist.item_map()[appeal.item_id]
    decision = parse_decision(item, appeal, body)
    if appeal.status != store.OPEN:
        return _same_or_conflict(appeal, decision, who)
    now = _now()
    try:
        async with in_transaction():
            locked = await audit_store.lock_audit(audit.id)
            if locked is None:
                raise NotFound("no such appeal")
            revision, status = locked
            if expected is not None and not expected.matches(revision):
                raise PreconditionFailed(
                    f"the audit changed on the server (revision {revision}, you had "
                    f"{expected.describe()})",
                    {"If-Match": f'the audit is at revision {revision}: "r{revision}"'},
                    extra={"revision": revision},
                    headers={"ETag": f'"r{revision}"'},
                )
            if status != "approved":
                raise Conflict(f"this audit is {status}; only an approved audit is appealed")
            if decision.status == "rejected":
                current = audit_store.stored_answers(audit).get(item.id)
                changes: dict[str, Any] = {
                    "status": decision.status,
                    "original": current.to_dict() if current is not None else None,
                    "decision_note": decision.note,
                    "decided_by_id": who.user_id,
                    "decided_at": now,
                }
                if not await store.decide_if_open(appeal.id, changes):
                    raise _AlreadyDecided
                await audit_store.add_review_event(
                    audit.id,
                    who.user_id,
                    TRAIL_ACTIONS["rejected"],
                    f"{item.text}: rejected, scores unchanged. {decision.note}",
                    detail={"appeal": appeal.uuid, "item": item.id},
                )
                await webhooks.emit_appeal("appeal.decided", appeal, changes, audit, revision)
            else:
                await _rescore(who, appeal, audit.uuid, item, decision, settings, now)
            if settings.smtp_url:
                # Queued with the decision itself: the owners hear of every one stored.
                await delivery_store.record_deliveries(
                    audit.id,
                    await owner_emails(audit.location_id),  # type: ignore[attr-defined]
                    appeal_purpose(appeal.uuid),
                )
    except _AlreadyDecided:
        fresh = await store.appeal_by_uuid(appeal_uuid)
        assert fresh is not None
        return _same_or_conflict(fresh, decision, who)
    fresh = await store.appeal_by_uuid(appeal_uuid)
    assert fresh is not None
    return fresh


def _same_or_conflict(appeal: Appeal, decision: Decision, who: Principal) -> Appeal:
    """A decided appeal: the same decision sent again is answered as stored, any other is 409."""
    same = (
        appeal.status == decision.status
        and appeal.decision_note == decision.note
        and appeal.decided_answer == decision.answer
        and appeal.decided_by_id == who.user_id  # type: ignore[attr-defined]
    )
    if same:
        return appeal
    raise Conflict(
        f"this appeal was decided already: {appeal_status_label(appeal.status).lower()}",
        {"decision": "another decision was stored first; reload the appeal"},
    )


async def _rescore(
    who: Principal,
    appeal: Appeal,
    audit_uuid: str,
    item: Item,
    decision: Decision,
    settings: Settings,
    now: datetime,
) -> None:
    """The re-score of an upheld decision; inside the decision's transaction, audit locked."""
    # Before anything an approval writes too (benchmark snapshots): one lock order.
    await rollups.lock_rollups()
    audit = await audit_store.find_audit(audit_uuid)  # as stored now, under the lock
    assert audit is not None and decision.answer is not None
    checklist = parsed(audit.checklist)
    answers = audit_store.stored_answers(audit)
    old = answers.get(item.id)
    new_answer = Answer(
        value=decision.answer.get("value"),
        na=bool(decision.answer.get("na", False)),
        comment=old.comment if old is not None else None,
        photos=old.photos if old is not None else (),
    )
    answers[item.id] = new_answer
    card = score_answers(checklist, answers, await audit_store.photo_counts(audit.id))
    if card.missing:
        raise Invalid(
            "this answer would show items the shopper never answered",
            {"answer": "would make " + ", ".join(card.missing) + " required but unanswered"},
        )
    before = _scores(audit.scorecard or {})
    after = _scores(card)
    version = audit.report_version + 1
    changes: dict[str, Any] = {
        "answers": answers_json(answers),
        "overall": card.overall,
        "service": card.service,
        "experience": card.experience,
        "nps": card.nps,
        "critical_failed": card.critical_failed,
        "consistency": card.consistency_score,
        "scorecard": card.to_dict(),
        "report_version": version,
        "amended_at": now,
        "updated_at": now,
    }
    if not await audit_store.update_audit_if(audit.id, audit.revision, ("approved",), changes):
        raise Conflict("this audit was changed by another request just now; try again")
    for name, value in changes.items():
        setattr(audit, name, value)
    audit.revision += 1
    await audit_store.store_scores(audit.id, card, replace=True)
    await rollups.recount_rows_of(audit.id)
    decided = await store.decide_if_open(
        appeal.id,
        {
            "status": decision.status,
            "original": old.to_dict() if old is not None else None,
            "decided_answer": decision.answer,
            "decision_note": decision.note,
            "decided_by_id": who.user_id,
            "decided_at": now,
            "scores_before": before,
            "scores_after": after,
            "report_version": version,
        },
    )
    if not decided:
        raise _AlreadyDecided
    old_words = describe_answer(item, old).text
    new_words = describe_answer(item, new_answer).text
    await audit_store.add_review_event(
        audit.id,
        who.user_id,
        TRAIL_ACTIONS[decision.status],
        _trail_note(item, before, after, f"{old_words} → {new_words}")
        + f" (report version {version}). {decision.note}",
        detail={
            "appeal": appeal.uuid,
            "item": item.id,
            "answer_before": old.to_dict() if old is not None else None,
            "answer_after": decision.answer,
            "scores_before": before,
            "scores_after": after,
            "report_version": version,
        },
    )
    await refreeze_benchmarks(audit, settings.benchmark_days, now.date())
    await webhooks.emit_appeal(
        "appeal.decided",
        appeal,
        {"status": decision.status, "decided_at": now, "report_version": version},
        audit,
        audit.revision,
    )
