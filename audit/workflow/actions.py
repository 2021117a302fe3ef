"""Corrective actions: the owner's answer to a failed or weak item, and the next visit's check.

For each item of an approved audit that failed or is weak
(:func:`audit.corrective.shortfall`, from the points the one scorer stored for
the audit, so a re-score is seen at once), the location's owner records what
will be done, who in their team does it (a name or a role, not an account)
and by when; they may change it and mark it done with a note.  Owners reach
only their own locations' approved audits, everyone else sees 404; HQ reads
every action and changes none.  The next approved visit of the checklist to
the location checks each item: fixed, still failing or not checked
(:func:`audit.corrective.verdict`).  Nothing here names the auditor.

Two first saves of one item race on the unique (audit, item): the loser
applies its fields to the winner's row, so both answer 2xx with what is
stored.  Marking done is conditional on the action being open, so the first
``done_at`` stays whatever repeats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from audit.auth import Principal
from audit.checklist import Checklist
from audit.corrective import (
    SHORTFALL_LABELS,
    VERDICT_LABELS,
    FixRate,
    checks,
    shortfall,
    verdict,
)
from audit.errors import Invalid, NotFound, ServiceUnavailable
from audit.models import Audit, CorrectiveAction
from audit.presentation import answer_words, format_percent, touchpoint_label
from audit.redaction import owner_answers
from audit.report.data import ActionNote, SinceCheck, SinceLastVisit
from audit.store import actions as store
from audit.store.audits import stored_answers
from audit.store.checklists import parsed, version_by_id, version_with_hash
from audit.store.filters import location_place, region_by_name
from audit.store.locations import visible_location_ids
from audit.workflow.audits import get_audit

MAX_WHAT = 2000  # a paragraph or two: what will be done, not a report
MAX_WHO = 200  # the column's width
MAX_NOTE = 2000
# A plan beyond a year is no plan for a shop-floor fix.
MAX_DUE_DAYS = 366
MAX_ATTEMPTS = 8
BODY_KEYS = ("what", "who", "due", "status", "note")
STATUS_FILTERS = ("open", "done", "overdue")
MAX_LIST_LIMIT = 1000


def today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class ActionInput:
    """A checked PUT body: the fields it sets (None: left as stored)."""

    what: str | None = None
    who: str | None = None
    due: date | None = None
    status: str | None = None
    note: str | None = None


def parse_action_body(body: Any) -> ActionInput:
    """The body's fields, or 422 naming every bad one."""
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    problems = {str(key): "unknown field" for key in body if key not in BODY_KEYS}
    what = _text(body, "what", MAX_WHAT, problems, "say what will be done")
    who = _text(body, "who", MAX_WHO, problems, "name who in your team will do it")
    note = _text(body, "note", MAX_NOTE, problems, None)
    due: date | None = None
    if "due" in body:
        raw = body["due"]
        try:
            if not isinstance(raw, str) or len(raw) != 10:
                raise ValueError
            due = date.fromisoformat(raw)
        except ValueError:
            problems["due"] = "must be a date, YYYY-MM-DD"
    status = body.get("status")
    if status is not None and status not in ("open", "done"):
        problems["status"] = "must be open or done"
        status = None
    if problems:
        raise Invalid("the corrective action has invalid fields", problems)
    return ActionInput(what, who, due, status, note)


def _text(
    body: Mapping[str, Any], key: str, limit: int, problems: dict[str, str], empty: str | None
) -> str | None:
    if key not in body:
        return None
    raw = body[key]
    if not isinstance(raw, str):
        problems[key] = "must be text"
        return None
    value: str = raw.strip()
    if len(value) > limit:
        problems[key] = f"must be at most {limit:,} characters"
    elif not value and empty is not None:
        problems[key] = f"is empty: {empty}"
    return value


# -- the items of one audit


@dataclass(frozen=True)
class ItemNeed:
    item_id: str
    text: str
    touchpoint: str
    points: float
    shortfall: str
    answer: str


def _needs(audit: Audit, checklist: Checklist, points: Mapping[str, float]) -> list[ItemNeed]:
    """The audit's failed and weak items, in journey order, as the owner's copy words them."""
    answers = owner_answers(checklist, stored_answers(audit), audit.owner_text)
    out = []
    for section in checklist.sections:
        for item in section.items:
            short = shortfall(points.get(item.id))
            if short is None:
                continue
            out.append(
                ItemNeed(
                    item.id,
                    item.text,
                    section.touchpoint,
                    points[item.id],
                    short,
                    answer_words(item, answers.get(item.id)),
                )
            )
    return out


async def _owned_audit(who: Principal, audit_uuid: str) -> Audit:
    audit = await get_audit(who, audit_uuid)  # 404 for what the caller may not see
    if audit.status != "approved":
        raise NotFound("no such audit")
    return audit


async def audit_actions(who: Principal, audit_uuid: str) -> dict[str, Any]:
    """GET /api/audits/{uuid}/actions: the failed and weak items, each with its action."""
    audit = await _owned_audit(who, audit_uuid)
    checklist = parsed(audit.checklist)
    needs = _needs(audit, checklist, await store.item_points(audit.id))
    actions = {a.item_id: a for a in await store.actions_of_audit(audit.id)}
    checks = await _checks(list(actions.values()))
    texts = {item.id: item.text for item in checklist.items()}
    shown = {n.item_id for n in needs}
    items = [
        {
            **_need_json(n),
            "action": _action_json(actions[n.item_id], audit.uuid, n.text, checks)
            if n.item_id in actions
            else None,
        }
        for n in needs
    ]
    # An action whose item no longer calls for one (an appeal re-scored it) stays listed.
    items += [
        {
            "item": a.item_id,
            "text": texts.get(a.item_id, a.item_id),
            "touchpoint": a.touchpoint,
            "touchpoint_label": touchpoint_label(a.touchpoint),
            "points": None,
            "shortfall": None,
            "answer": None,
            "action": _action_json(a, audit.uuid, texts.get(a.item_id, a.item_id), checks),
        }
        for a in actions.values()
        if a.item_id not in shown
    ]
    return {
        "audit": audit.uuid,
        "location": audit.location.code,
        "location_name": audit.location.name,
        "checklist": audit.checklist_slug,
        "visited_at": _iso(audit.visit_date),
        "items": items,
    }


def _need_json(n: ItemNeed) -> dict[str, Any]:
    return {
        "item": n.item_id,
        "text": n.text,
        "touchpoint": n.touchpoint,
        "touchpoint_label": touchpoint_label(n.touchpoint),
        "points": n.points,
        "score": format_percent(n.points),
        "shortfall": n.shortfall,
        "shortfall_label": SHORTFALL_LABELS[n.shortfall],
        "answer": n.answer,
    }


# -- saving


async def save_action(
    who: Principal, audit_uuid: str, item_id: str, change: ActionInput, now: datetime | None = None
) -> tuple[dict[str, Any], bool]:
    """PUT: create the item's action, or change it; (the action as stored, created?)."""
    if not who.is_owner:
        raise NotFound("no such audit")
    now = now or datetime.now(UTC)
    day = now.astimezone(UTC).date()
    audit = await _owned_audit(who, audit_uuid)
    checklist = parsed(audit.checklist)
    for _ in range(MAX_ATTEMPTS):
        existing = await store.action_of(audit.id, item_id)
        if existing is None:
            action = await _new_action(who, audit, checklist, item_id, change, day, now)
            if await store.insert_action(action):
                return await _stored_json(audit, checklist, action), True
            continue  # another first save of this item came first: change that one
        if await _apply(existing, audit, change, day, now):
            fresh = await store.action_of(audit.id, item_id)
            assert fresh is not None
            return await _stored_json(audit, checklist, fresh), False
    raise ServiceUnavailable("this action is being changed by another request; try again")


async def _new_action(
    who: Principal,
    audit: Audit,
    checklist: Checklist,
    item_id: str,
    change: ActionInput,
    day: date,
    now: datetime,
) -> CorrectiveAction:
    item = _item(checklist, item_id)
    points = (await store.item_points(audit.id)).get(item_id)
    problems: dict[str, str] = {}
    if shortfall(points) is None:
        shown = "was not scored" if points is None else f"scored {format_percent(points)}"
        problems["item"] = (
            f"{item.text!r} {shown} at this visit; actions are for failed or weak items"
            " (below 70% of the item's points)"
        )
    for key, what in (("what", "what will be done"), ("who", "who will do it"), ("due", "by when")):
        if getattr(change, key) is None:
            problems[key] = f"is required: {what}"
    status = change.status or "open"
    note = change.note or ""
    _check_due(change.due, audit, day, problems)
    _check_note(status, note, problems)
    if problems:
        raise Invalid("the corrective action cannot be recorded", problems)
    section = next(s for s in checklist.sections if any(i.id == item_id for i in s.items))
    assert change.what is not None and change.who is not None and change.due is not None
    return CorrectiveAction(
        audit_id=audit.id,
        location_id=audit.location.id,
        item_id=item_id,
        touchpoint=section.touchpoint,
        what=change.what,
        who=change.who,
        due=change.due,
        status=status,
        done_at=now if status == "done" else None,
        note=note,
        created_by_id=who.user_id,
    )


async def _apply(
    existing: CorrectiveAction, audit: Audit, change: ActionInput, day: date, now: datetime
) -> bool:
    """Write the change; False when another write changed the status meanwhile."""
    problems: dict[str, str] = {}
    if change.due is not None and change.due != existing.due:
        _check_due(change.due, audit, day, problems)
    status = change.status or existing.status
    note = change.note if change.note is not None else existing.note
    _check_note(status, note, problems)
    if problems:
        raise Invalid("the corrective action cannot be changed", problems)
    changes: dict[str, Any] = {}
    for key in ("what", "who", "due"):
        value = getattr(change, key)
        if value is not None and value != getattr(existing, key):
            changes[key] = value
    if note != existing.note:
        changes["note"] = note
    if status != existing.status:
        changes["status"] = status
        changes["done_at"] = now if status == "done" else None
    if not changes:
        return True  # the same request again: nothing to change
    changes["updated_at"] = now
    return await store.update_action_if(existing.id, existing.status, changes)


def _check_due(due: date | None, audit: Audit, day: date, problems: dict[str, str]) -> None:
    if due is None:
        return
    visit = audit.visit_date
    if visit is not None and due < visit:
        problems["due"] = f"must be on or after the visit of {visit.isoformat()}"
    elif due > day + timedelta(days=MAX_DUE_DAYS):
        problems["due"] = f"must be within {MAX_DUE_DAYS} days from today"


def _check_note(status: str, note: str, problems: dict[str, str]) -> None:
    if status == "done" and not note:
        problems["note"] = "is required to mark the action done: say what was done"


def _item(checklist: Checklist, item_id: str) -> Any:
    for item in checklist.items():
        if item.id == item_id:
            return item
    raise NotFound(f"no item {item_id!r} in checklist {checklist.id!r}")


async def _stored_json(
    audit: Audit, checklist: Checklist, action: CorrectiveAction
) -> dict[str, Any]:
    texts = {item.id: item.text for item in checklist.items()}
    checks = await _checks([action])
    return _action_json(action, audit.uuid, texts.get(action.item_id, action.item_id), checks)


# -- verification


async def since_last_visit(audit: Audit) -> SinceLastVisit | None:
    """What this visit found about the previous approved visit's failed and weak items
    (the report's "Since the last visit"); None when there is no previous visit.

    Both visits' points are the ones the scorer stored, so a re-scored visit
    counts as re-scored; each item's action comes with it.
    """
    previous = await store.previous_approved(audit)
    if previous is None:
        return None
    found = checks(await store.item_points(previous.id), await store.item_points(audit.id))
    version = await _checklist_of(previous)
    texts = {item.id: item.text for item in version.items()}
    touchpoint_of = {i.id: s.touchpoint for s in version.sections for i in s.items}
    actions = {a.item_id: a for a in await store.actions_of_audit(previous.id)}
    return SinceLastVisit(
        visit_date=_as_date(previous.visit_date),
        checks=tuple(
            SinceCheck(
                item_id=c.item_id,
                text=texts.get(c.item_id, c.item_id),
                touchpoint=touchpoint_of.get(c.item_id, ""),
                before=c.before,
                after=c.after,
                shortfall=c.shortfall,
                verdict=c.verdict,
                action=_note(actions.get(c.item_id)),
            )
            for c in found
        ),
    )


async def since_last_visit_of(audit_uuid: str) -> SinceLastVisit | None:
    """:func:`since_last_visit` of an audit by its uuid (HQ's location page)."""
    audit = await store.audit_by_uuid(audit_uuid)
    return None if audit is None else await since_last_visit(audit)


async def _checklist_of(audit: Audit) -> Checklist:
    version = await version_by_id(audit.checklist_id)  # type: ignore[attr-defined]
    assert version is not None
    return parsed(version)


def _note(action: CorrectiveAction | None) -> ActionNote | None:
    if action is None:
        return None
    return ActionNote(
        what=action.what,
        who=action.who,
        due=_as_date(action.due),
        status=action.status,
        done_on=action.done_at.astimezone(UTC).date() if action.done_at else None,
        note=action.note,
    )


@dataclass(frozen=True)
class Verification:
    verdict: str | None  # fixed | still_failing | not_checked; None: no later visit yet
    visited_at: date | None
    audit_id: int | None


async def _checks(actions: list[CorrectiveAction]) -> dict[int, Verification]:
    found = await store.rechecks(action_ids=[a.id for a in actions])
    return {r.action_id: _verification(r) for r in found}


def _verification(r: store.Recheck) -> Verification:
    if r.next_audit_id is None:
        return Verification(None, None, None)
    return Verification(verdict(r.before, r.after), r.next_visit, r.next_audit_id)


def _check_json(v: Verification | None) -> dict[str, Any] | None:
    if v is None or v.visited_at is None:
        return None
    return {
        "verdict": v.verdict,
        "label": VERDICT_LABELS.get(v.verdict or "", "Not checked"),
        "visited_at": v.visited_at.isoformat(),
    }


def _action_json(
    action: CorrectiveAction,
    audit_uuid: str,
    item_text: str,
    checks: Mapping[int, Verification],
) -> dict[str, Any]:
    due = _as_date(action.due)
    overdue = action.status == "open" and due < today()
    return {
        "id": action.id,
        "audit": audit_uuid,
        "item": action.item_id,
        "item_text": item_text,
        "touchpoint": action.touchpoint,
        "touchpoint_label": touchpoint_label(action.touchpoint),
        "what": action.what,
        "who": action.who,
        "due": due.isoformat(),
        "status": action.status,
        "overdue": overdue,
        "done_at": _iso(action.done_at),
        "note": action.note,
        "created_at": _iso(action.created_at),
        "updated_at": _iso(action.updated_at),
        "check": _check_json(checks.get(action.id)),
    }


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# -- lists


@dataclass(frozen=True)
class ListQuery:
    location: str | None = None
    region: str | None = None
    status: str | None = None
    limit: int = 100
    offset: int = 0


async def action_filter(who: Principal, q: ListQuery, day: date) -> store.ActionFilter:
    """The caller's filter: an owner's own locations only; an unknown code or region is 404."""
    problems: dict[str, str] = {}
    if q.status is not None and q.status not in STATUS_FILTERS:
        problems["status"] = f"must be one of {', '.join(STATUS_FILTERS)}"
    if problems:
        raise Invalid("unknown filter", problems)
    if not who.is_owner and not who.is_hq:
        raise NotFound("not found")
    location_ids = await visible_location_ids(who)
    location_id = region_id = None
    if q.location:
        place = await location_place(q.location)
        if place is None or (location_ids is not None and place[0] not in location_ids):
            raise NotFound(f"no location {q.location!r}")
        location_id = place[0]
    if q.region:
        region = await region_by_name(q.region)
        if region is None:
            raise NotFound(f"no region {q.region!r}")
        region_id = region.id
    return store.ActionFilter(location_ids, location_id, region_id, q.status, day)


@dataclass(frozen=True)
class RegionRate:
    region: str | None
    rate: FixRate


async def list_actions(who: Principal, q: ListQuery) -> dict[str, Any]:
    """GET /api/actions: overdue first; with the fix rate of the same actions by region."""
    day = today()
    f = await action_filter(who, q, day)
    total, rows = await store.list_actions(f, day, q.limit, q.offset)
    rechecks = await store.rechecks(action_ids=[int(r["id"]) for r in rows])
    checks = {r.action_id: _verification(r) for r in rechecks}
    regions = await region_fix_rates(f)
    texts = await item_texts(rows)
    return {
        "total": total,
        "actions": [list_row_json(r, checks, texts[int(r["checklist_id"])]) for r in rows],
        "fix_rates": [
            {
                "region": r.region,
                "fixed": r.rate.fixed,
                "verified": r.rate.verified,
                "rate": r.rate.rate,
            }
            for r in regions
        ],
    }


async def region_fix_rates(f: store.ActionFilter) -> list[RegionRate]:
    """Fixed / verified of the filter's actions, by region (no region: None, last)."""
    rates: dict[str | None, FixRate] = {}
    for r in await store.rechecks(f):
        found = _verification(r).verdict
        rates[r.region] = rates.get(r.region, FixRate()).add(found)
    order = sorted(rates, key=lambda name: (name is None, name or ""))
    return [RegionRate(name, rates[name]) for name in order]


def list_row_json(
    row: Mapping[str, Any], checks: Mapping[int, Verification], texts: Mapping[str, str]
) -> dict[str, Any]:
    """One row of :func:`audit.store.actions.list_actions` as the API shows it."""
    action = CorrectiveAction(
        id=int(row["id"]),
        item_id=row["item_id"],
        touchpoint=row["touchpoint"],
        what=row["what"],
        who=row["who"],
        due=_as_date(row["due"]),
        status=row["status"],
        done_at=_datetime(row["done_at"]),
        note=row["note"],
        created_at=_datetime(row["created_at"]),
        updated_at=_datetime(row["updated_at"]),
    )
    out = _action_json(action, row["audit_uuid"], texts.get(row["item_id"], row["item_id"]), checks)
    out.update(
        {
            "location": row["location_code"],
            "location_name": row["location_name"],
            "region": row["region_name"],
            "checklist": row["checklist_slug"],
            "visited_at": _as_date(row["visit_date"]).isoformat() if row["visit_date"] else None,
        }
    )
    return out


async def item_texts(rows: list[dict[str, Any]]) -> dict[int, dict[str, str]]:
    """Checklist version id → item id → text, for the versions of some list rows."""
    out: dict[int, dict[str, str]] = {}
    for r in rows:
        version_id = int(r["checklist_id"])
        if version_id not in out:
            version = await version_with_hash(version_id, r["checklist_hash"])
            out[version_id] = {item.id: item.text for item in parsed(version).items()}
    return out


def _datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed_value = datetime.fromisoformat(str(value))
    return parsed_value if parsed_value.tzinfo else parsed_value.replace(tzinfo=UTC)
