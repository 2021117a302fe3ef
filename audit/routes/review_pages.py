"""The HQ review pages: the queue of submitted audits, and one audit answer by answer.

The audit page shows each answer in the report's words (``describe_answer``:
"4 on a scale of 1 to 5", "Not shown (skipped by an earlier answer)") beside
its points, and links on to the next audit in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import Principal
from audit.checklist import Item, Section
from audit.presentation import consistency_findings, describe_answer
from audit.redaction import segments
from audit.routes.common import query_int
from audit.routes.hq_templates import PAGE_SIZE, render
from audit.routes.shopper_pages import queue_filter
from audit.scoring import ItemResult, score_answers
from audit.store import audit_lists, filters
from audit.store.audits import stored_answers
from audit.store.checklists import parsed
from audit.workflow import actions, shoppers, visits
from audit.workflow.audits import get_audit
from audit.workflow.views import audit_view


async def review_page(request: Request, who: Principal) -> Response:
    page_number = query_int(request, "page", 1, 1, 10**6)
    f = queue_filter(request)
    trust = request.query_params.get("trust") or ""
    count, rows, records = await shoppers.review_queue(
        who, f, PAGE_SIZE, (page_number - 1) * PAGE_SIZE, visits.trust_filter(trust)
    )
    visits.label_queue_rows(rows)
    now = datetime.now(UTC)
    for r in rows:
        r["shopper"] = records.get(r["auditor_id"])
        submitted = datetime.fromisoformat(r["submitted_at"]) if r["submitted_at"] else None
        r["waiting"] = _age(now - submitted) if submitted else ""
        r["visit_day"] = r["visited_at"][:10] if r["visited_at"] else ""
    pages = max(1, -(-count // PAGE_SIZE))
    return await render(
        request,
        who,
        "hq/review.html",
        {
            "nav": "review",
            "rows": rows,
            "filter": f,
            "shoppers": await shoppers.auditor_names(who),
            "trust": trust,
            "paging": {"page": page_number, "pages": pages, "total": count},
        },
    )


def _age(delta: timedelta) -> str:
    if delta.days >= 1:
        return f"{delta.days} day{'s' if delta.days != 1 else ''}"
    hours = delta.seconds // 3600
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "under an hour"


@dataclass(frozen=True)
class AnswerLine:
    item: Item
    answer: str
    state: str  # answered | na | unanswered | hidden | text
    points: float | None
    comment: str | None
    photos: list[str]


@dataclass(frozen=True)
class SectionView:
    section: Section
    lines: list[AnswerLine]
    score: float | None  # as stored at submission


async def audit_page(request: Request, who: Principal) -> Response:
    uuid = str(request.path_params["uuid"])
    audit = await get_audit(who, uuid)
    view = await audit_view(who, audit)
    checklist = parsed(audit.checklist)
    photos: dict[str, list[str]] = {}
    for p in view["photos"]:
        photos.setdefault(p["item"], []).append(p["uuid"])
    card = score_answers(checklist, stored_answers(audit), {k: len(v) for k, v in photos.items()})
    results = {r.item.id: r for r in card.items}
    stored = view["scorecard"] or {}
    sections = [
        SectionView(
            section,
            [_answer_line(i, results[i.id], photos.get(i.id, [])) for i in section.items],
            stored.get("sections", {}).get(section.id, {}).get("score"),
        )
        for section in checklist.sections
    ]
    failed = set(stored.get("critical_failures", ()))
    critical = [line for s in sections for line in s.lines if line.item.id in failed]
    next_uuid = (
        await audit_lists.next_in_queue(uuid, who.brand_limit)
        if audit.status == "submitted"
        else None
    )
    # The owner's corrective actions on the visit's failed and weak items, once published.
    owner_actions = await actions.audit_actions(who, uuid) if audit.status == "approved" else None
    return await render(
        request,
        who,
        "hq/audit.html",
        {
            "nav": "review" if audit.status == "submitted" else "",
            "audit": view,
            "checklist": checklist,
            "sections": sections,
            "critical": critical,
            # Every consistency rule with what each touchpoint said (docs/scoring.md).
            # Disagreements first, then in the checklist's order.
            "findings": sorted(
                consistency_findings(checklist, card.consistency),
                key=lambda f: f.result != "disagree",
            )
            if card.consistency is not None
            else [],
            "consistency_score": card.consistency_score,
            "checklist_section": {i.id: s.id for s in checklist.sections for i in s.items},
            "region": await _region_of(view["location"]),
            # Who made the visit, as HQ's editors weigh a report: their record so far.
            "shopper": await shoppers.shopper_record(who, view["auditor"]["id"]),
            "place": {"latitude": audit.location.latitude, "longitude": audit.location.longitude},
            "next_url": f"/hq/audits/{next_uuid}" if next_uuid else "/hq/review",
            "owner_actions": owner_actions,
            # Free text with what the detector flags, keyed "item:field" (audit.redaction).
            "owner_text": {
                f"{t['item']}:{t['field']}": {
                    **t,
                    "segments": segments(t["original"]),
                    "copy_segments": segments(t["text"]),
                }
                for t in view.get("owner_text", ())
            },
        },
    )


async def _region_of(code: str) -> str | None:
    found = await filters.location_place(code)
    return found[1].region if found else None


def _answer_line(item: Item, result: ItemResult, photos: list[str]) -> AnswerLine:
    words = describe_answer(item, result.answer, len(photos), result.visible)
    if words.state == "hidden":
        return AnswerLine(item, words.text, "hidden", None, None, [])
    comment = result.answer.comment if result.answer is not None else None
    return AnswerLine(item, words.text, words.state, result.points, comment, photos)
