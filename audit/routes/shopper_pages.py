"""HQ's shoppers: every auditor's record (grades, returns, rejections), one auditor's
visits, and the filters of the review queue that use them (docs/programme.md,
"Editor QA").  HQ only: everyone else gets 404.
"""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import Principal, require_role
from audit.errors import Invalid
from audit.models import GRADES
from audit.presentation import LOW_TRUST_BELOW
from audit.routes.charts import line_chart
from audit.routes.common import json_response
from audit.routes.hq_templates import render
from audit.workflow import shoppers as workflow
from audit.workflow.shoppers import QueueFilter


def queue_filter(request: Request) -> QueueFilter:
    """``shopper``, ``grade_below``, ``return_rate`` of the review queue; 422 naming a bad one."""
    params = request.query_params
    problems: dict[str, str] = {}
    shopper: int | None = None
    grade_below: float | None = None
    return_rate: int | None = None
    raw = params.get("shopper", "").strip()
    if raw:
        if raw.isdigit() and len(raw) < 10:
            shopper = int(raw)
        else:
            problems["shopper"] = "must be a shopper's id"
    raw = params.get("grade_below", "").strip()
    if raw:
        try:
            grade_below = float(raw)
        except ValueError:
            grade_below = None
        if grade_below is None or not min(GRADES) < grade_below <= max(GRADES):
            problems["grade_below"] = "must be a grade above 1 and at most 5"
    raw = params.get("return_rate", "").strip()
    if raw:
        if raw.isdigit() and int(raw) <= 100:
            return_rate = int(raw)
        else:
            problems["return_rate"] = "must be a whole percentage from 0 to 100"
    if problems:
        raise Invalid("some filters are invalid", problems)
    return QueueFilter(shopper, grade_below, return_rate)


# The latest grades a shopper's page lists with their notes (the visits table has them all).
GRADES_SHOWN = 10


def _day(iso: str | None) -> str:
    """A visit's day as a chart tick: "23 Jun"."""
    return date.fromisoformat(iso).strftime("%d %b").lstrip("0") if iso else ""


def _user_id(request: Request) -> int:
    raw = str(request.path_params["user_id"])
    if not raw.isdigit() or len(raw) > 9:
        raise Invalid("no such shopper", {"user_id": "must be a shopper's id"})
    return int(raw)


async def shoppers_json(request: Request) -> Response:
    who = require_role(request, "hq")
    return json_response([workflow.record_json(r) for r in await workflow.shopper_records(who)])


async def shopper_json(request: Request) -> Response:
    who = require_role(request, "hq")
    record, audits = await workflow.shopper(who, _user_id(request))
    return json_response({**workflow.record_json(record), "audits": audits})


async def shoppers_page(request: Request, who: Principal) -> Response:
    records = await workflow.shopper_records(who)
    return await render(request, who, "hq/shoppers.html", {"nav": "shoppers", "records": records})


async def shopper_page(request: Request, who: Principal) -> Response:
    record, audits = await workflow.shopper(who, _user_id(request))
    # Visit trust over the shopper's visits since proof of visit, oldest first.
    trusted = [a for a in reversed(audits) if a["trust_score"] is not None]
    chart = line_chart(
        [_day(a["visit_date"]) for a in trusted],
        [("trust", "Visit trust", [float(a["trust_score"]) for a in trusted])],
        lo=0.0,
        height=200,
    )
    return await render(
        request,
        who,
        "hq/shopper.html",
        {
            "nav": "shoppers",
            "record": record,
            "audits": audits,
            "graded": [a for a in audits if a["grade"]][:GRADES_SHOWN],
            "trust_chart": chart if trusted else None,
            "low_trust": LOW_TRUST_BELOW,
        },
    )
