"""HQ's programme pages: the waves, a new wave, one wave's progress, the assignments.

The figures are the API's (:mod:`audit.routes.waves`, :mod:`audit.routes.assignments`):
the same store calls, drawn as tables with stacked progress bars.  Creating a
wave and giving a visit to an auditor post JSON to the API through
``static/hq/waves.js`` with the CSRF header, as the review buttons do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import Principal
from audit.errors import Invalid
from audit.routes.assignments import assignment_json
from audit.routes.common import query_int
from audit.routes.hq_templates import PAGE_SIZE, render
from audit.store import assignments as assignment_store
from audit.store import filters
from audit.store import waves as store
from audit.store.checklists import current_versions
from audit.wave_plan import DAY_TYPES, DAYPARTS, DEFAULT_RELEASE_DAYS, MAX_VISITS
from audit.workflow.waves import find_wave


def _today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Segment:
    key: str  # approved, submitted, claimed
    x: float
    width: float


def segments(p: store.Progress) -> list[Segment]:
    """The stacked bar of a progress row: approved, then sent, then claimed, of 100."""
    if not p.planned:
        return []
    out: list[Segment] = []
    x = 0.0
    for key, count in (
        ("approved", p.approved),
        ("submitted", p.submitted - p.approved),
        ("claimed", p.claimed - p.submitted),
    ):
        width = 100 * max(count, 0) / p.planned
        if width > 0:
            out.append(Segment(key, round(x, 2), round(width, 2)))
        x += width
    return out


async def waves_page(request: Request, who: Principal) -> Response:
    totals = await store.wave_totals(_today())
    empty = store.Progress("", 0, 0, 0, 0, 0, 0)
    rows = [(w, totals.get(w.id, empty)) for w in await store.all_waves(who.brand_limit)]
    return await render(
        request,
        who,
        "hq/waves.html",
        {"nav": "waves", "rows": rows, "segments": segments, "today": _today()},
    )


async def new_wave_page(request: Request, who: Principal) -> Response:
    versions = []
    for current in await current_versions(who.brand_limit):
        versions += [(v, v.is_current) for v in await filters.checklist_versions(current.slug)]
    return await render(
        request,
        who,
        "hq/wave_new.html",
        {
            "nav": "waves",
            "versions": versions,
            "regions": await filters.region_names(),
            "day_types": DAY_TYPES,
            "dayparts": DAYPARTS,
            "max_visits": MAX_VISITS,
            "release_days": DEFAULT_RELEASE_DAYS,
            "today": _today(),
        },
    )


async def wave_page(request: Request, who: Principal) -> Response:
    wave = await find_wave(str(request.path_params["wave_id"]), who)
    today = _today()
    regions = await store.progress(wave.id, today)
    return await render(
        request,
        who,
        "hq/wave.html",
        {
            "nav": "waves",
            "wave": wave,
            "regions": regions,
            "total": store.total(regions),
            "segments": segments,
            "today": today,
        },
    )


async def assignments_page(request: Request, who: Principal) -> Response:
    q = request.query_params
    state = q.get("state", "").strip() or None
    if state is not None and state not in assignment_store.FILTERS:
        raise Invalid(
            "unknown state", {"state": f"must be one of {', '.join(assignment_store.FILTERS)}"}
        )
    wave = None
    raw_wave = q.get("wave", "").strip()
    if raw_wave:
        wave = await find_wave(raw_wave, who)
    region = q.get("region", "").strip() or None
    number = query_int(request, "page", 1, 1, 10**6)
    today = _today()
    total, rows, states = await assignment_store.page_of_assignments(
        state,
        wave.id if wave else None,
        today,
        PAGE_SIZE,
        (number - 1) * PAGE_SIZE,
        region,
        who.brand_limit,
    )
    titles = {v.slug: v.title for v in await current_versions()}
    return await render(
        request,
        who,
        "hq/assignments.html",
        {
            "nav": "assignments",
            "rows": [assignment_json(r, titles, states[r.id], today, hq=True) for r in rows],
            "paging": {"page": number, "pages": max(1, -(-total // PAGE_SIZE)), "total": total},
            "state": state or "",
            "states": assignment_store.FILTERS,
            "wave": wave,
            "waves": await store.wave_names(who.brand_limit),
            "region": region or "",
            "regions": await filters.region_names(),
            "auditors": await assignment_store.auditor_choices(who.brand_limit),
        },
    )
