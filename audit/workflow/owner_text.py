"""HQ's owner-facing copy of an audit's free text (audit.redaction), edited during review.

The auditor's words stay as submitted; HQ's copy and clearance are stored
beside them on the audit, and each change is a review event in the audit's
history (HQ reads it, owners never do): who, when, the owner's copy before
and after, and the clearance before and after.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from audit.auth import Principal
from audit.errors import Conflict, NotFound, ServiceUnavailable
from audit.redaction import OwnerText, free_text_field, owner_texts, with_owner_text
from audit.store import audits as store
from audit.store.checklists import parsed

# Free text reaches an owner only from these statuses on; before them the
# auditor may still change it, after a return it is theirs again.
EDITABLE_BY_HQ = ("submitted", "approved")
MAX_ATTEMPTS = 8
ACTION = "owner_text"


async def edit_owner_text(
    who: Principal, uuid: str, item_id: str, field: str | None, text: str | None, cleared: bool
) -> OwnerText:
    """Set the owner's copy of one free text (``text`` None: the auditor's words) and
    whether HQ clears it for the owner.  Anyone but HQ gets 404."""
    if not who.is_hq:
        raise NotFound("no such audit")
    for _ in range(MAX_ATTEMPTS):
        audit = await store.find_audit(uuid)
        if audit is None or not who.sees_location(audit.location.brand_id):  # type: ignore[attr-defined]
            raise NotFound("no such audit")
        checklist = parsed(audit.checklist)
        chosen = field or free_text_field(checklist, item_id)
        if chosen is None:
            raise NotFound(f"no item {item_id!r} in checklist {checklist.id!r}")
        if audit.status not in EDITABLE_BY_HQ:
            raise Conflict(f"this audit is {audit.status}; free text is edited once submitted")
        texts = owner_texts(checklist, store.stored_answers(audit), audit.owner_text)
        current = next((t for t in texts if t.item == item_id and t.field == chosen), None)
        if current is None:
            what = "answer" if chosen == "value" else "comment"
            raise NotFound(f"item {item_id!r} has no {what} to edit")
        stored = with_owner_text(audit.owner_text, item_id, chosen, current.original, text, cleared)
        changes: dict[str, Any] = {"owner_text": stored, "updated_at": datetime.now(UTC)}
        async with in_transaction():
            moved = await store.update_audit_if(audit.id, audit.revision, EDITABLE_BY_HQ, changes)
            if moved:
                updated = OwnerText(item_id, chosen, current.original, text, cleared)
                await store.add_review_event(
                    audit.id,
                    who.user_id,
                    ACTION,
                    _describe(current, updated),
                    detail={
                        "item": item_id,
                        "field": chosen,
                        "old": current.copy,
                        "new": updated.copy,
                        "cleared_before": current.cleared,
                        "cleared": cleared,
                    },
                )
        if moved:
            return updated
        # Written meanwhile (a review, another edit): start again from what is stored.
    raise ServiceUnavailable("the audit is being changed by someone else; try again")


def _describe(before: OwnerText, after: OwnerText) -> str:
    """The review event's note: which text, and what HQ did to it."""
    what = f"{'answer' if after.field == 'value' else 'comment'} on {after.item}"
    if after.edited is None:
        change = "kept the auditor's words"
    elif not after.edited.strip():
        change = "removed for the owner"
    else:
        change = f"edited for the owner: {after.edited}"
    if before.copy == after.copy and before.cleared != after.cleared:
        change = "cleared for the owner" if after.cleared else "clearance withdrawn"
    elif after.cleared:
        change += "; cleared"
    return f"Owner's copy of the {what}: {change}"
