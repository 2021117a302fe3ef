"""The demo's editor QA: HQ's grades of the shoppers' reports, returns with notes on
items, and a few rejected visits (docs/programme.md, "Editor QA").

Run on the audits the demo just wrote, before the rollups are rebuilt: a
rejected visit must never be counted.  Only approved audits are rewritten
(some become rejected or returned, as they were decided); the submitted ones
stay in HQ's review queue.  Each auditor writes reports of their
own care, so their average grades and return rates differ the way a real
panel's do.  Updates go in groups (one statement per grade and note, a few
hundred ids at a time) and the review events in bulk, so 100,000 audits stay
a matter of seconds.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from audit.checklist import Checklist
from audit.models import Audit, ReviewEvent, User

# How many ids one UPDATE … WHERE id IN (…) names: well under SQLite's limit.
CHUNK = 500
GRADED_SHARE = 0.85  # editors grade most approvals, not every one
RETURNED_BEFORE_SHARE = 0.07  # approved after one return
REJECTED_SHARE = 0.015  # of the decided visits (more of a hurried shopper's)
DEMO_RETURNED = 2  # the demo auditor's visits waiting for corrections

GRADE_NOTES = {
    1: ("Most answers had no comment and the receipt photo was missing.",),
    2: (
        "Several comments were too short to act on; say what you saw.",
        "The photos do not show what the answers describe.",
    ),
    3: (
        "Complete, but the comments could say more about the staff's answers.",
        "Good photos; the timings are missing.",
    ),
    4: (
        "Clear and complete; say which till next time.",
        "Good evidence and useful comments.",
    ),
    5: (
        "Exemplary: every answer explained, every photo sharp.",
        "A model report: clear, complete, evidenced.",
    ),
}
RETURN_NOTES = (
    "Two answers need a second look before we can publish.",
    "Please add what you saw to the items below.",
)
ITEM_NOTES = (
    "Say what you saw: which shelf, which till, which member of staff's role.",
    "Your comment and your answer disagree; which is right?",
    "The photo does not show this; add one that does, or say why you could not.",
)
REJECT_REASONS = (
    "The receipt is from another store.",
    "The photos were taken before the visit date.",
    "The visit was made outside the opening hours given.",
)


def _grade(care: float, rng: random.Random) -> int:
    return max(1, min(5, round(rng.gauss(care, 0.8))))


async def review_demo_audits(
    first_id: int,
    hq: User,
    demo_auditor: User,
    checklists: dict[str, Checklist],
    rng: random.Random,
) -> None:
    """Grade, return and reject some of the audits numbered ``first_id`` and up."""
    rows = (
        await Audit.filter(id__gte=first_id, status="approved")
        .order_by("id")
        .values_list("id", "auditor_id", "checklist_slug", "submitted_at", "approved_at")
    )
    # The demo auditor's latest visits wait for corrections in the app; the
    # submitted ones stay in HQ's queue, untouched.
    theirs = sorted((r for r in rows if r[1] == demo_auditor.id), key=lambda r: r[3], reverse=True)
    returning = {r[0] for r in theirs[:DEMO_RETURNED]}
    care: dict[int, float] = {}
    grades: dict[tuple[int, str], list[int]] = defaultdict(list)
    rejected: dict[str, list[int]] = defaultdict(list)
    events: list[ReviewEvent] = []
    returned_now: list[tuple[int, str, dict[str, str]]] = []
    for audit_id, auditor_id, slug, submitted_at, approved_at in rows:
        # Some shoppers write careful reports, some hurried ones.
        mean = care.setdefault(auditor_id, min(4.6, max(2.2, rng.gauss(3.7, 0.6))))
        if audit_id in returning:
            notes = _item_notes(checklists.get(slug), rng)
            returned_now.append((audit_id, rng.choice(RETURN_NOTES), notes))
            events.append(
                _event(
                    audit_id, hq, "return", returned_now[-1][1], submitted_at, {"item_notes": notes}
                )
            )
        elif rng.random() < REJECTED_SHARE * (5 - mean) / 2:
            # Found unusable in review: never approved, counted nowhere.
            reason = rng.choice(REJECT_REASONS)
            rejected[reason].append(audit_id)
            events.append(_event(audit_id, hq, "reject", reason, submitted_at, None))
        else:
            if rng.random() < RETURNED_BEFORE_SHARE * (5 - mean) / 2:
                notes = _item_notes(checklists.get(slug), rng)
                events.append(
                    _event(
                        audit_id,
                        hq,
                        "return",
                        rng.choice(RETURN_NOTES),
                        submitted_at,
                        {"item_notes": notes} if notes else None,
                        grade=_grade(mean - 1, rng),
                    )
                )
            grade = _grade(mean, rng) if rng.random() < GRADED_SHARE else None
            if grade is not None:
                grades[(grade, rng.choice(GRADE_NOTES[grade]))].append(audit_id)
            events.append(_event(audit_id, hq, "approve", "", approved_at, None, grade=grade))
    for (grade, note), ids in grades.items():
        for start in range(0, len(ids), CHUNK):
            await Audit.filter(id__in=ids[start : start + CHUNK]).update(
                grade=grade, grade_note=note
            )
    for reason, ids in rejected.items():
        for start in range(0, len(ids), CHUNK):
            await Audit.filter(id__in=ids[start : start + CHUNK]).update(
                status="rejected", review_note=reason, approved_at=None
            )
    for audit_id, note, notes in returned_now:
        await Audit.filter(id=audit_id).update(
            status="returned", review_note=note, item_notes=notes or None, approved_at=None
        )
    for start in range(0, len(events), 2_000):
        await ReviewEvent.bulk_create(events[start : start + 2_000])


def _item_notes(checklist: Checklist | None, rng: random.Random) -> dict[str, str]:
    """A note on one or two scored items of the checklist."""
    if checklist is None:
        return {}
    scored = [i.id for i in checklist.items() if i.type in ("yes_no", "scale", "choice")]
    picked = rng.sample(scored, k=min(len(scored), rng.choice((1, 2))))
    return {item_id: rng.choice(ITEM_NOTES) for item_id in picked}


def _event(
    audit_id: int,
    hq: User,
    action: str,
    note: str,
    at: datetime | None,
    detail: dict[str, Any] | None,
    grade: int | None = None,
) -> ReviewEvent:
    event = ReviewEvent(
        audit_id=audit_id, actor_id=hq.id, action=action, note=note, grade=grade, detail=detail
    )
    if at is not None:
        # The editor decides the day after; a visit sent today, today.
        event.created_at = min(at + timedelta(hours=20), datetime.now(UTC))
    return event
