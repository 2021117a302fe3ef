"""The HQ JSON API: comparisons, heat map, trends, weakest items and the review queue.

Each handler is the JSON twin of an HQ page and shares its computation
(:mod:`audit.routes.hq_figures`); only HQ may call them, anyone else gets 404.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from audit.auth import require_role
from audit.compare import Row
from audit.errors import Invalid
from audit.routes.common import json_response, query_int, settings_of
from audit.routes.hq_figures import (
    heatmap,
    league,
    matching,
    touchpoint_label,
    trend,
    trend_by_wave,
    trend_scope,
    weakest_items,
)
from audit.routes.hq_filters import read_filters
from audit.routes.shopper_pages import queue_filter
from audit.workflow import shoppers, visits

MAX_QUEUE_LIMIT = 500


def figures_response(data: Any) -> Response:
    """The JSON of a comparison, written by orjson.

    2,000 locations by ten touchpoints is 1 MB of JSON: json.dumps takes
    ~18 ms over it, orjson ~1 ms (bench/compare.py).  The figures are plain
    str/int/float/None, which both write alike.
    """
    return Response(orjson.dumps(data), media_type="application/json")


async def compare_json(request: Request) -> Response:
    require_role(request, "hq")
    found = await league(await read_filters(request), settings_of(request).min_visits)
    rows = matching(found.rows, request.query_params.get("q", ""))
    return figures_response([r.to_json() for r in rows])


async def heatmap_json(request: Request) -> Response:
    require_role(request, "hq")
    f = await read_filters(request)
    group = request.query_params.get("group", "location")
    if group not in ("location", "region"):
        raise Invalid("unknown grouping", {"group": "must be location or region"})
    rows, chain = await heatmap(f, group)

    def cells(r: Row) -> dict[str, Any]:
        out = {
            "key": r.place.key,
            "name": r.place.name,
            "region": r.place.region,
            "audits": r.audits,
            "overall": r.overall,
            "touchpoints": r.touchpoints,
            "weakest": r.weakest,
        }
        if f.consistency:
            # Its own column, never among the touchpoints (nor their weakest).
            out["consistency"] = r.consistency
        return out

    return figures_response(
        {
            "checklist": f.slug,
            "group": group,
            "touchpoints": [{"id": tp, "label": touchpoint_label(tp)} for tp in f.touchpoints],
            "chain": cells(chain),
            "rows": [cells(r) for r in rows],
        }
    )


async def trends_json(request: Request) -> Response:
    require_role(request, "hq")
    f = await read_filters(request, trend=True)
    who, scope = await trend_scope(request, f)
    months = await trend(f, scope)
    waves = await trend_by_wave(f, scope)
    return figures_response(
        {
            "checklist": f.slug,
            "scope": {"kind": who.kind, "key": who.key, "name": who.name},
            "touchpoints": f.touchpoints,
            "waves": [
                {
                    "wave": w.id,
                    "name": w.name,
                    "from": w.starts_on.isoformat(),
                    "to": w.ends_on.isoformat(),
                    "audits": r.audits,
                    "overall": r.overall,
                    "service": r.service,
                    "experience": r.experience,
                    "nps": r.nps,
                    "touchpoints": r.touchpoints,
                }
                for w, r in waves
            ],
            "months": [
                {
                    "month": month,
                    "audits": r.audits,
                    "overall": r.overall,
                    "service": r.service,
                    "experience": r.experience,
                    "nps": r.nps,
                    "touchpoints": r.touchpoints,
                }
                for month, r in months
            ],
        }
    )


async def weakest_json(request: Request) -> Response:
    require_role(request, "hq")
    f = await read_filters(request)
    limit = query_int(request, "limit", 20, 1, 1000)
    items, _ = await weakest_items(f, limit)
    return json_response(
        [
            {
                "item": w.item,
                "text": w.text,
                "touchpoint": w.touchpoint,
                "answered": w.tally.answered,
                "failed": w.tally.failed,
                "fail_rate": w.tally.fail_rate,
                "mean_points": w.tally.mean_points,
                "regions": {
                    name: {"answered": t.answered, "failed": t.failed, "fail_rate": t.fail_rate}
                    for name, t in sorted(w.regions.items())
                },
            }
            for w in items
        ]
    )


async def review_queue_json(request: Request) -> Response:
    who = require_role(request, "hq")
    limit = query_int(request, "limit", 100, 1, MAX_QUEUE_LIMIT)
    offset = query_int(request, "offset", 0, 0, 10**9)
    trust_below = visits.trust_filter(request.query_params.get("trust"))
    count, rows, _ = await shoppers.review_queue(
        who, queue_filter(request), limit, offset, trust_below
    )
    return json_response({"total": count, "audits": visits.label_queue_rows(rows)})
