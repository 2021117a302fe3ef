"""The demo's appeals: what the demo owner disputed, and what HQ decided.

On the owner's latest approved visits, a few weak items are disputed: one
upheld (the audit is re-scored and its report is version 2), one rejected,
one waiting and overdue, one waiting and due in a few days, so HQ's queue,
the owner's portal and an amended report all have something to show.
Opened through the same rows and decided through the same workflow as in
the service (:mod:`audit.workflow.appeals`); only the opening dates are set
in the past, as the demo's visits are.
"""

from __future__ import annotations

import random
import uuid as uuidlib
from datetime import UTC, datetime, timedelta

from audit.auth import Principal
from audit.errors import HTTPError
from audit.models import Audit, LocationOwner, User
from audit.settings import Settings
from audit.store import appeals as appeal_store
from audit.store.checklists import parsed
from audit.store.reports import audit_by_id
from audit.workflow import appeals

# (reason, HQ's decision, HQ's note); None: still waiting for HQ.
STORIES: list[tuple[str, str | None, str]] = [
    (
        "Our call log shows this call was answered on the second ring by Priya at the desk.",
        "upheld",
        "The store's call log is convincing: the shopper's phone showed a missed call first.",
    ),
    (
        "We had a delivery blocking the aisle for ten minutes that afternoon; it is not "
        "how the store usually looks.",
        "rejected",
        "The shopper's photo shows the aisle blocked; a customer that day met it too.",
    ),
    ("The sign at the mall entrance was put up the week before the visit.", None, ""),
    ("The shopper arrived during the shift change; two staff were on the floor.", None, ""),
]


async def demo_appeals(
    owner: User, hq: User, settings: Settings, rng: random.Random, now: datetime | None = None
) -> int:
    """Open and decide the demo's appeals; how many were opened."""
    now = now or datetime.now(UTC)
    location_ids = await LocationOwner.filter(user=owner).values_list("location_id", flat=True)
    latest = [
        audit.id
        for audit in await Audit.filter(location_id__in=list(location_ids), status="approved")
        .order_by("-visit_date", "-id")
        .limit(len(STORIES))
    ]
    who = Principal(hq.id, hq.email, hq.name, "hq", "", 0)
    opened = 0
    for n, (audit_id, (reason, decision, note)) in enumerate(zip(latest, STORIES, strict=False)):
        audit = await audit_by_id(audit_id)
        if audit is None:
            continue
        checklist = parsed(audit.checklist)
        choices = [c for c in appeals.item_choices(checklist, audit) if (c["points"] or 0) < 1]
        if not choices:
            continue
        choice = rng.choice(choices)
        # Opened three to six days ago: the overdue one a day past its due time.
        days = 6 if n == 2 else 3 + n % 2
        opened_at = now - timedelta(days=days, hours=rng.randint(1, 8))
        appeal = await appeal_store.insert_appeal(
            {
                "uuid": str(uuidlib.uuid4()),
                "audit_id": audit.id,
                "item_id": choice["item"],
                "owner_id": owner.id,
                "reason": reason,
                "proposed": _best_answer(choice["input"]),
                "status": appeal_store.OPEN,
                "open_key": appeal_store.open_key(audit.id, choice["item"]),
                "opened_at": opened_at,
                "due_at": opened_at + timedelta(days=settings.appeal_decision_days),
            }
        )
        if appeal is None:
            continue
        opened += 1
        if decision is not None:
            try:
                await appeals.decide(
                    who, appeal.uuid, {"decision": decision, "note": note}, settings
                )
            except HTTPError:
                # The owner's answer would show items the shopper never answered.
                await appeals.decide(
                    who, appeal.uuid, {"decision": "rejected", "note": note}, settings
                )
    return opened


def _best_answer(shape: dict[str, object]) -> dict[str, object] | None:
    """The answer an owner who disputes an item claims: the best one the item has."""
    options = shape.get("options")
    if isinstance(options, list) and options:
        return {"value": options[0]["value"]}
    if shape.get("type") == "scale" and shape.get("max") is not None:
        return {"value": shape["max"]}
    return None
