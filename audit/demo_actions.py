"""The demo's corrective actions: what the demo owner did about their locations' weak items.

For each approved audit of the owner's locations, most of its failed and weak
items (:func:`audit.corrective.shortfall`, from the points the scorer stored)
get an action in the owner's words, due two to four weeks after the visit.
Those of visits a later visit has followed were mostly done by then; the
latest visits' are open, a few of them overdue, so HQ's actions page, the
fix rates and the reports' "Since the last visit" all have something to show.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from audit.corrective import shortfall
from audit.models import Audit, CorrectiveAction, ItemScore, LocationOwner, User

# What a franchise owner writes, by touchpoint: (what will be done, who).
PLANS: dict[str, list[tuple[str, str]]] = {
    "website": [
        (
            "Put this store's opening hours and its own phone number on the store page",
            "Jo, marketing",
        ),
        ("Answer web enquiries the same day from the shared inbox", "Assistant manager"),
    ],
    "phone": [
        (
            "Answer every call within three rings; put calls through to the back office when busy",
            "Front desk team",
        ),
        ("Call back every missed call before closing", "Shift lead on duty"),
    ],
    "arrival": [
        ("Put up a clear sign at the mall entrance and by the car park lift", "Store manager"),
        ("Greet every customer within a minute of coming in", "Floor team"),
    ],
    "facilities": [
        ("Check the restroom every hour and sign the rota on the door", "Weekend team"),
        ("Clear the aisles of boxes before opening", "Morning shift"),
    ],
    "service": [
        (
            "Coach the floor team on asking what the customer needs before showing products",
            "Store manager",
        ),
        ("Run a ten-minute product briefing at every Monday huddle", "Maria, shift lead"),
    ],
    "checkout": [
        ("Explain the returns policy at the till and offer the receipt by e-mail", "Till staff"),
        ("Open a second till when more than three customers queue", "Shift lead on duty"),
    ],
    "follow_up": [
        ("Send the thank-you message within 24 hours from the CRM", "Assistant manager"),
    ],
}
DEFAULT_PLAN = [
    ("Brief the team at the morning huddle and check it again in two weeks", "Store manager")
]
DONE_NOTES = (
    "Done and checked at the next team meeting",
    "Rota in place since the first week",
    "Briefed everyone, including the weekend staff",
    "Sign ordered and put up",
)
RECORDED = 0.8  # the share of failed or weak items the owner records an action for


async def demo_actions(owner: User, rng: random.Random, today: date | None = None) -> int:
    """Record the demo owner's actions (once: nothing when some exist); how many."""
    if await CorrectiveAction.exists():
        return 0
    today = today or datetime.now(UTC).date()
    location_ids = await LocationOwner.filter(user=owner).values_list("location_id", flat=True)
    audits = (
        await Audit.filter(location_id__in=list(location_ids), status="approved")
        .exclude(visit_date=None)
        .order_by("location_id", "checklist_slug", "visit_date", "id")
    )
    latest = {(a.location_id, a.checklist_slug): a.id for a in audits}  # type: ignore[attr-defined]
    points: dict[int, list[tuple[str, str, float]]] = {}
    for row in (
        await ItemScore.filter(audit_id__in=[a.id for a in audits])
        .order_by("id")
        .values("audit_id", "item_id", "touchpoint", "points")
    ):
        points.setdefault(row["audit_id"], []).append(
            (row["item_id"], row["touchpoint"], row["points"])
        )
    made: list[CorrectiveAction] = []
    for audit in audits:
        visit: date = audit.visit_date  # type: ignore[assignment]
        followed = latest[(audit.location_id, audit.checklist_slug)] != audit.id  # type: ignore[attr-defined]
        for item_id, touchpoint, earned in points.get(audit.id, []):
            if shortfall(earned) is None or rng.random() > RECORDED:
                continue
            what, who = rng.choice(PLANS.get(touchpoint, DEFAULT_PLAN))
            due = visit + timedelta(days=rng.randrange(14, 29))
            done = (followed and rng.random() < 0.85) or (
                not followed and due < today and rng.random() < 0.5
            )
            done_on = min(today, due - timedelta(days=rng.randrange(0, 6)))
            made.append(
                CorrectiveAction(
                    audit_id=audit.id,
                    location_id=audit.location_id,  # type: ignore[attr-defined]
                    item_id=item_id,
                    touchpoint=touchpoint,
                    what=what,
                    who=who,
                    due=due,
                    status="done" if done else "open",
                    done_at=datetime.combine(done_on, time(17, 30), UTC) if done else None,
                    note=rng.choice(DONE_NOTES) if done else "",
                    created_by=owner,
                )
            )
    await CorrectiveAction.bulk_create(made)
    return len(made)
