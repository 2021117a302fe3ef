"""HQ's decision on a submitted audit: approve, return or reject, with a grade of the report.

Only a submitted audit awaits a decision (docs/programme.md, "Editor QA")::

    submitted ──approve──> approved    published to the owner, counted in every figure
              ──return───> returned    back to the auditor, with a note and notes per item
              ──reject───> rejected    final: counted nowhere, its assignment open again

An approved audit is never rejected: it is published and its figures are in
the rollups and the owner's report; a mistake found later is the owners'
appeal to make, not a silent withdrawal.  A returned audit comes back as
submitted and is decided again.

Each decision is one conditional write of the audit (``WHERE revision = …
AND status = 'submitted'``) with its review event, in one transaction: of two
HQ users deciding at once (an approval and a rejection) exactly one wins and
the other is refused with 409.  The same decision sent again with the same
content is answered with the audit as it is; with other content it is 409,
so a 2xx always means what the request asked for is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from audit.auth import Principal
from audit.errors import Conflict, Invalid
from audit.models import Audit
from audit.store import assignments as assignment_store
from audit.store import audits as store
from audit.store import reports as report_store
from audit.store import rollups
from audit.store.checklists import parsed
from audit.workflow import webhooks
from audit.workflow.audits import get_audit

TARGET = {"approve": "approved", "return": "returned", "reject": "rejected"}
DECISIONS = tuple(TARGET)


@dataclass(frozen=True)
class Decision:
    """A review as the route parsed it; :func:`review` checks it against the audit."""

    decision: str  # approve | return | reject
    note: str = ""  # to the auditor: what to correct, or why the visit is rejected
    grade: int | None = None  # 1-5, the report's quality
    grade_note: str = ""
    item_notes: Mapping[str, str] = field(default_factory=dict)


def _problems(decision: Decision, audit: Audit) -> dict[str, str]:
    problems: dict[str, str] = {}
    if decision.decision == "return" and not (decision.note or decision.item_notes):
        problems["note"] = "tell the auditor what to correct (a note, or a note on an item)"
    if decision.decision == "reject":
        if not decision.note:
            problems["note"] = "give the reason the visit is rejected"
        if decision.grade is not None:
            problems["grade"] = "a rejected visit is not graded; it counts in the rejection rate"
    if decision.decision != "return":
        for item_id in decision.item_notes:
            problems[f"item_notes.{item_id}"] = "notes on items go with a return"
    else:
        items = parsed(audit.checklist).item_map()
        for item_id in decision.item_notes:
            if item_id not in items:
                problems[f"item_notes.{item_id}"] = "no such item in this audit's checklist"
    if decision.grade_note and decision.grade is None:
        problems["grade_note"] = "goes with a grade"
    return problems


def _changes(decision: Decision, stamp: datetime) -> dict[str, Any]:
    """The audit's columns the decision writes."""
    target = TARGET[decision.decision]
    changes: dict[str, Any] = {"status": target, "updated_at": stamp}
    if target == "approved":
        changes["approved_at"] = stamp
    else:
        changes["review_note"] = decision.note
    if target == "returned":
        changes["item_notes"] = dict(decision.item_notes) or None
    if decision.grade is not None:
        changes["grade"] = decision.grade
        changes["grade_note"] = decision.grade_note
    return changes


def _is_stored(audit: Audit, changes: Mapping[str, Any]) -> bool:
    """The audit already holds what the decision writes: a replay."""
    return all(
        getattr(audit, name) == value
        for name, value in changes.items()
        if name not in ("updated_at", "approved_at")
    )


async def review(who: Principal, uuid: str, decision: Decision) -> Audit:
    """HQ decides on a submitted audit (see the module's docstring)."""
    audit = await get_audit(who, uuid)
    problems = _problems(decision, audit)
    if problems:
        raise Invalid("the review has invalid fields", problems)
    stamp = datetime.now(UTC)
    changes = _changes(decision, stamp)
    target = changes["status"]
    if audit.status == target and _is_stored(audit, changes):
        return audit  # the same decision again changes nothing
    if audit.status != "submitted":
        raise Conflict(f"this audit is {audit.status}, not awaiting review")
    detail = {"item_notes": dict(decision.item_notes)} if decision.item_notes else None
    async with in_transaction():
        moved = await store.update_audit_if(audit.id, audit.revision, ("submitted",), changes)
        if moved:
            if target == "approved":
                await _count_approved(audit)
            elif target == "rejected":
                # The visit does not count: the assignment is on the job board again.
                await assignment_store.reopen_for(uuid)
            await store.add_review_event(
                audit.id, who.user_id, decision.decision, decision.note, decision.grade, detail
            )
            # The outbox row commits with the decision, or neither does.
            await webhooks.emit(f"audit.{target}", audit, changes, audit.revision + 1)
    if not moved:
        fresh = await get_audit(who, uuid)
        if fresh.status == target and _is_stored(fresh, changes):
            return fresh  # the same decision, made by a twin request just now
        raise Conflict(
            f"this audit was {fresh.status} by someone else just now"
            if fresh.status != "submitted"
            else "this audit was changed by someone else just now; try again"
        )
    for name, value in changes.items():
        setattr(audit, name, value)
    audit.revision += 1
    return audit


async def _count_approved(audit: Audit) -> None:
    await rollups.add_approved(audit.id)
    if audit.visit_date is not None:
        # Later visits elsewhere benchmarked without it: they count it now.
        await report_store.drop_snapshots_benchmarked_by(
            audit.checklist_slug,
            audit.location.brand_id,  # type: ignore[attr-defined]
            audit.location.id,
            audit.visit_date,
        )
