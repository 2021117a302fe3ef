"""The HQ review pages: the queue of submitted audits, and one audit answer by answer.

The audit page shows each answer as a reviewer reads it ("4 on a scale of
1-5", "Not shown (skipped by an earlier answer)") beside its points, and
links on to the next audit in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import Principal
from audit.checklist import Item, Section
from audit.routes.common import query_int
from audit.routes.hq_templates import PAGE_SIZE, render
from audit.scoring import score_answers
from audit.store import audits as audit_store
from audit.store import compare as store
from audit.store.checklists import parsed


async def review_page(request: Request, who: Principal) -> Response:
    page_number = query_int(request, "page", 1, 1, 10**6)
    count, rows = await store.review_queue(PAGE_SIZE, (page_number - 1) * PAGE_SIZE)
    now = datetime.now(UTC)
    for r in rows:
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
    audit = await audit_store.get_audit(who, uuid)
    view = await audit_store.audit_view(who, audit)
    checklist = parsed(audit.checklist)
    photos: dict[str, list[str]] = {}
    for p in view["photos"]:
        photos.setdefault(p["item"], []).append(p["uuid"])
    card = score_answers(
        checklist, audit_store.stored_answers(audit), {k: len(v) for k, v in photos.items()}
    )
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
    next_uuid = await store.next_in_queue(uuid) if audit.status == "submitted" else None
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
            "region": await _region_of(view["location"]),
            "next_url": f"/hq/audits/{next_uuid}" if next_uuid else "/hq/review",
        },
    )


async def _region_of(code: str) -> str | None:
    found = await store.location_place(code)
    return found[1].region if found else None


def _answer_line(item: Item, result: Any, photos: list[str]) -> AnswerLine:
    answer = result.answer
    comment = answer.comment if answer is not None else None
    if not result.visible:
        return AnswerLine(
            item, "Not shown (skipped by an earlier answer)", "hidden", None, None, []
        )
    if answer is not None and answer.na:
        return AnswerLine(item, "Not applicable", "na", None, comment, photos)
    if item.type == "photo":
        text = f"{len(photos)} photo{'s' if len(photos) != 1 else ''}" if photos else "No photo"
        return AnswerLine(item, text, "answered" if photos else "unanswered", None, comment, photos)
    if answer is None or answer.value is None:
        return AnswerLine(item, "Not answered", "unanswered", None, comment, photos)
    return AnswerLine(
        item,
        _value_text(item, answer.value),
        "text" if item.type == "text" else "answered",
        result.points,
        comment,
        photos,
    )


def _number(value: Any) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


def _value_text(item: Item, value: Any) -> str:
    if item.type == "yes_no":
        return "Yes" if value is True else "No"
    if item.type == "scale":
        return (
            f"{_number(value)} on a scale of {_number(item.min or 0)}\u2013{_number(item.max or 0)}"
        )
    if item.type == "choice":
        option = item.option(value)
        return option.label if option is not None else str(value)
    if item.type == "number":
        return f"{_number(value)} {item.unit or ''}".strip()
    if item.type == "nps":
        return f"{value} out of 10"
    return str(value)
