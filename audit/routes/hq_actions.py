"""HQ's corrective actions page: every owner's actions, overdue first, and the fix rate
by region; the same computation as ``GET /api/actions`` (audit.workflow.actions)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import Principal
from audit.routes.common import query_int
from audit.routes.hq_templates import PAGE_SIZE, render
from audit.store import filters
from audit.workflow import actions

STATUS_CHOICES = (
    ("", "All"),
    ("overdue", "Overdue"),
    ("open", "Open"),
    ("done", "Done"),
)


async def actions_page(request: Request, who: Principal) -> Response:
    q = request.query_params
    number = query_int(request, "page", 1, 1, 10**6)
    query = actions.ListQuery(
        location=q.get("location", "").strip() or None,
        region=q.get("region") or None,
        status=q.get("status") or None,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    found = await actions.list_actions(who, query)
    pages = max(1, -(-found["total"] // PAGE_SIZE))
    return await render(
        request,
        who,
        "hq/actions.html",
        {
            "nav": "actions",
            "found": found,
            "query": query,
            "paging": {"page": number, "pages": pages, "total": found["total"]},
            "regions": await filters.region_names(),
            "statuses": STATUS_CHOICES,
        },
    )
