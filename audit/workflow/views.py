"""An audit as each reader may see it: the auditor, HQ, the location's owner.

Owners get nothing that identifies the auditor: no name, no e-mail, no time
finer than the visit date, no photo ids inside answers.
"""

from __future__ import annotations

from typing import Any

from audit.auth import Principal
from audit.errors import PreconditionFailed
from audit.i18n import DEFAULT_LANGUAGE
from audit.models import Audit
from audit.presentation import scorecard_display
from audit.redaction import owner_answers, owner_texts
from audit.scoring import score_answers, scorecard_in_order
from audit.store import audits as store
from audit.store.checklists import parsed
from audit.submission import answers_json
from audit.workflow.visits import visit_view


def audit_etag(audit: Audit) -> str:
    """The entity tag of the audit's representation: its revision (docs/api.md)."""
    return f'"r{audit.revision}"'


async def audit_view(
    who: Principal,
    audit: Audit,
    photos: list[store.PhotoRow] | None = None,
    *,
    visit: bool = True,
) -> dict[str, Any]:
    """One audit as the caller may see it.

    ``photos`` are the audit's photo rows when the caller has them already.
    ``visit=False`` leaves out the proof of visit (the answers to a draft
    save or a submit, which never change it: one query fewer on the phone's
    hottest requests).  Owners never get it.
    """
    version = audit.checklist
    checklist = parsed(version)
    if photos is None:
        photos = await store.photo_rows(audit.id)
    answers = store.stored_answers(audit)
    if audit.scorecard is not None:
        scorecard = scorecard_in_order(audit.scorecard, checklist)
    else:
        # A draft's running score, for the auditor's comfort; never stored.
        scorecard = score_answers(checklist, answers, store.count_photos(photos)).to_dict()
    view: dict[str, Any] = {
        "uuid": audit.uuid,
        "status": audit.status,
        "revision": audit.revision,
        "location": audit.location.code,
        "location_name": audit.location.name,
        "checklist": audit.checklist_slug,
        # In the user's language where the checklist has it (audit.i18n).
        "checklist_title": checklist.localized(who.language or DEFAULT_LANGUAGE).title,
        "checklist_version": version.version,
        "checklist_hash": version.content_hash,
        "answers": answers_json(answers),
        "touchpoint_dates": dict(audit.touchpoint_dates or {}),
        "photos": [{"uuid": p["uuid"], "item": p["item_id"]} for p in photos],
        "scorecard": scorecard,
        # The figures and labels as every other output prints them.
        "display": scorecard_display(scorecard, checklist, who.language or DEFAULT_LANGUAGE),
        "overall": audit.overall,
    }
    if who.is_owner:
        # How many times the auditor saved is theirs and HQ's business.
        del view["revision"]
        view["visited_at"] = audit.visit_date.isoformat() if audit.visit_date else None
        # Answers to `audience: hq` items are notes for head office, never the owner's.
        hq_only = checklist.hq_item_ids()
        # Free text as HQ released it: flagged words wait for HQ (audit.redaction).
        released = answers_json(owner_answers(checklist, answers, audit.owner_text))
        view["answers"] = {k: a for k, a in released.items() if k not in hq_only}
        view["photos"] = [p for p in view["photos"] if p["item"] not in hq_only]
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
            # HQ's notes per item of a returned audit, and its grade of the report
            # (docs/programme.md, "Editor QA"): the auditor's and HQ's, never an owner's.
            "item_notes": dict(audit.item_notes or {}),
            "grade": audit.grade,
            "grade_note": audit.grade_note,
        }
    )
    if visit:
        # Check-in, check-out (and for HQ the trust score): never an owner's.
        view["visit"] = await visit_view(who, audit)
    if who.is_hq:
        auditor = await store.auditor_of(audit)
        view["auditor"] = {"id": auditor.id, "name": auditor.name, "email": auditor.email}
        view["approved_at"] = audit.approved_at.isoformat() if audit.approved_at else None
        view["review_history"] = await store.review_events(audit.id)
        # The auditor's words beside the owner's copy, with what the detector flags.
        view["owner_text"] = [
            t.to_dict() for t in owner_texts(checklist, answers, audit.owner_text)
        ]
    return view


async def stale(who: Principal, audit: Audit, had: str) -> PreconditionFailed:
    """The 412 for a write based on an old revision: it carries the server's audit.

    The phone needs the stored state to show the auditor what differs, so it
    comes with the refusal instead of costing another request.
    """
    return PreconditionFailed(
        f"the audit changed on the server (revision {audit.revision}, you had {had})",
        {"If-Match": f"the audit is at revision {audit.revision}: {audit_etag(audit)}"},
        extra={"revision": audit.revision, "audit": await audit_view(who, audit)},
        headers={"ETag": audit_etag(audit)},
    )


def list_rows(who: Principal, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit list's rows as the caller may see them."""
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
            "revision": r["revision"],
            "location": r["location_code"],
            "location_name": r["location_name"],
            "checklist": r["checklist_slug"],
            "checklist_title": r["checklist_title"],
            "visited_at": visited,
            "overall": r["overall"],
        }
        if who.is_owner:
            del row["revision"]
        else:
            row["review_note"] = r["review_note"]
            row["item_notes"] = dict(r["item_notes"] or {})
            row["grade"] = r["grade"]
            row["grade_note"] = r["grade_note"]
        out.append(row)
    return out
