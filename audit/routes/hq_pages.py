"""The HQ dashboard pages: league table, heat map, trends, one location, weakest items.

Each page draws the same figures as its JSON twin (:mod:`audit.routes.hq_figures`),
under a filter bar that fills in a default period (:mod:`audit.routes.hq_filters`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import Principal
from audit.compare import SORT_KEYS, Place, Row, Tally, row, sort_rows, total
from audit.report.view import since_view
from audit.routes.charts import WIDE_W, line_chart
from audit.routes.common import query_int, settings_of
from audit.routes.hq_figures import (
    CHAIN,
    heatmap,
    league,
    matching,
    trend,
    trend_by_wave,
    trend_scope,
    weakest_items,
)
from audit.routes.hq_filters import DEFAULT_DAYS, Filters, find_location, read_filters, today
from audit.routes.hq_templates import PAGE_SIZE, render
from audit.store import aggregates, audit_lists, filters
from audit.store.checklists import current_versions
from audit.store.scope import Scope
from audit.store.waves import waves_of_checklist
from audit.workflow import actions, places

# A location's page lists its latest corrective actions; /hq/actions has them all.
LOCATION_ACTIONS = 25


async def league_page(request: Request, who: Principal) -> Response:
    f = await read_filters(request, page=True)
    found = await league(f, settings_of(request).min_visits)
    key, descending = _sorting(request)
    search = request.query_params.get("q", "").strip()
    rows = matching(found.rows, search)
    shown, paging = _paged(request, sort_rows(rows, key, descending))
    return await render(
        request,
        who,
        "hq/league.html",
        {
            "nav": "league",
            "rows": shown,
            "paging": paging,
            "sort": key,
            "descending": descending,
            "chain": found.chain(),
            "min_visits": found.min_visits,
            "ranked_count": found.ranked_count,
            "locations": len(found.rows),
            "search": search,
            "export": urlencode(f.params()),
            **await _filter_context(f),
        },
    )


async def heatmap_page(request: Request, who: Principal) -> Response:
    f = await read_filters(request, page=True)
    group = "location" if f.region else request.query_params.get("group", "region")
    if group not in ("location", "region"):
        group = "region"
    rows, chain = await heatmap(f, group)
    tp_keys = [f"touchpoint:{tp}" for tp in f.touchpoints]
    key, descending = _sorting(request, [*tp_keys, *(["consistency"] if f.consistency else [])])
    if group == "region" and key == "rank":
        key = "name"
    shown, paging = _paged(request, sort_rows(rows, key, descending))
    return await render(
        request,
        who,
        "hq/heatmap.html",
        {
            "nav": "heatmap",
            "rows": shown,
            "paging": paging,
            "chain": chain,
            "group": group,
            "sort": key,
            "descending": descending,
            **await _filter_context(f),
        },
    )


async def trends_page(request: Request, who: Principal) -> Response:
    f = await read_filters(request, page=True, trend=True)
    if "from" not in request.query_params and "to" not in request.query_params:
        f = _year_to(f, today())  # a trend needs a longer view than the league's default
    scope_of, scope = await trend_scope(request, f)
    months = await trend(f, scope)
    waves = await trend_by_wave(f, scope)
    series = [("overall", "Overall", [r.overall for _, r in months])]
    series += [
        ("service", "Service score", [r.service for _, r in months]),
        ("experience", "Experience score", [r.experience for _, r in months]),
    ]
    labels = [m for m, _ in months]
    return await render(
        request,
        who,
        "hq/trends.html",
        {
            "nav": "trends",
            "months": months,
            "waves_trend": waves,
            "wave_chart": line_chart(
                [w.name for w, _ in waves],
                [("overall", "Overall", [r.overall for _, r in waves])],
                width=WIDE_W,
            )
            if waves
            else None,
            "scope_of": scope_of,
            "chart": line_chart(labels, series, width=WIDE_W),
            "nps_chart": line_chart(
                labels,
                [("nps", "Shopper NPS", [r.nps for _, r in months])],
                lo=-100.0,
                height=200,
                width=WIDE_W,
            ),
            "brands": await filters.brand_names(who.brand_limit),
            "location_code": request.query_params.get("location", ""),
            **await _filter_context(f),
        },
    )


async def location_page(request: Request, who: Principal) -> Response:
    location_id, place, region_id, _ = await find_location(who, str(request.path_params["code"]))
    f = await read_filters(request, page=True)
    # The location fixes the region: a region filter carried over from the heat map is moot.
    f = replace(f, region=None, scope=replace(f.scope, region_id=None))
    here = replace(f.scope, location_id=location_id)
    tally = await _tally(f, here)
    previous = None
    period = f.previous()
    if period is not None:
        previous = (await _tally(f, here.between(*period))).overall
    loc_row = row(place, tally, f.touchpoints, previous)
    region_row = None
    if region_id:
        region_row = row(
            Place("region", place.region or ""),
            await _tally(f, replace(f.scope, region_id=region_id)),
            f.touchpoints,
        )
    chain_row = row(CHAIN, await _tally(f, f.scope), f.touchpoints)
    # The trend looks back a year from the end of the period, whatever the period.
    span = _year_to(f, f.date_to or today())
    months_here = await trend(span, replace(span.scope, location_id=location_id))
    labels = [m for m, _ in months_here]
    series = [("location", place.name, [r.overall for _, r in months_here])]
    if region_id:
        months_region = dict(
            await trend(span, replace(span.scope, region_id=region_id), touchpoints=False)
        )
        series.append(
            ("region", f"{place.region} region", [_overall(months_region.get(m)) for m in labels])
        )
    months_chain = dict(await trend(span, span.scope, touchpoints=False))
    series.append(("chain", "All locations", [_overall(months_chain.get(m)) for m in labels]))
    audits = await audit_lists.recent_audits(location_id, f.slug, 50)
    geo = await places.place_json(who, place.key)  # proof of visit: its pin and hours
    latest = next((a for a in audits if a["status"] == "approved"), None)
    location_actions = await actions.list_actions(
        who, actions.ListQuery(location=place.key, limit=LOCATION_ACTIONS)
    )
    return await render(
        request,
        who,
        "hq/location.html",
        {
            "nav": "league",
            "place": place,
            "row": loc_row,
            "region_row": region_row,
            "chain_row": chain_row,
            "chart": line_chart(labels, series),
            "audits": audits,
            "actions": location_actions,
            "since": since_view(await actions.since_last_visit_of(latest["uuid"]))
            if latest
            else None,
            "since_visit": latest["visit_date"] if latest else None,
            "geo": geo,
            "hours_text": places.hours_text(geo["hours"]),
            "default_timezone": settings_of(request).timezone,
            **await _filter_context(f),
        },
    )


async def weakest_page(request: Request, who: Principal) -> Response:
    f = await read_filters(request, page=True)
    items, regions = await weakest_items(f, 25)
    return await render(
        request,
        who,
        "hq/weakest.html",
        {
            "nav": "weakest",
            "items": items,
            "regions": regions,
            **await _filter_context(f),
        },
    )


async def _tally(f: Filters, scope: Scope) -> Tally:
    """Every audit of ``scope`` counted once."""
    return total((await aggregates.tallies(scope, "all", f.shared)).values())


def _year_to(f: Filters, end: date) -> Filters:
    """The filters from the first of the month a year before ``end``'s, to ``end``."""
    start = (end.replace(day=1) - timedelta(days=365)).replace(day=1)
    return replace(f, date_from=start, date_to=end, scope=f.scope.between(start, end))


def _overall(r: Row | None) -> float | None:
    return None if r is None else r.overall


async def _filter_context(f: Filters) -> dict[str, Any]:
    """The filter bar: the filters, the period they are compared with, and the choices."""
    return {
        "f": f,
        "previous": f.previous(),
        "checklists": await current_versions(f.scope.brand_ids),
        "regions": await filters.region_names(),
        "waves": await waves_of_checklist(f.slug, f.scope.brand_ids),
        "presets": _presets(),
    }


def _presets() -> list[tuple[str, str, str]]:
    end = today()
    last_month_end = end.replace(day=1) - timedelta(days=1)
    return [
        ("Last 30 days", (end - timedelta(days=29)).isoformat(), end.isoformat()),
        ("Last 90 days", (end - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), end.isoformat()),
        ("Last month", last_month_end.replace(day=1).isoformat(), last_month_end.isoformat()),
        ("Last 12 months", (end - timedelta(days=364)).isoformat(), end.isoformat()),
        ("All time", "", ""),
    ]


def _paged(request: Request, rows: list[Row]) -> tuple[list[Row], dict[str, int]]:
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    number = min(query_int(request, "page", 1, 1, 10**6), pages)
    start = (number - 1) * PAGE_SIZE
    return rows[start : start + PAGE_SIZE], {"page": number, "pages": pages, "total": len(rows)}


def _sorting(request: Request, extra: Iterable[str] = ()) -> tuple[str, bool]:
    key = request.query_params.get("sort", "rank")
    if key not in SORT_KEYS and key not in extra:
        key = "rank"
    default_desc = key not in ("rank", "code", "name", "region") and not key.startswith(
        "touchpoint:"
    )
    direction = request.query_params.get("dir")
    return key, (direction == "desc") if direction in ("asc", "desc") else default_desc
