"""HQ's appeal pages: the queue (open appeals by due time, overdue first) and one appeal.

The decision form posts through ``static/hq/appeals.js`` to
``POST /api/appeals/{uuid}/decision`` with the audit's revision in
``If-Match``, so a decision made on a page that another decision has since
overtaken is refused (412) rather than applied to scores HQ did not see.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import Principal
from audit.routes.common import query_int
from audit.routes.hq_templates import PAGE_SIZE, render
from audit.store.checklists import parsed
from audit.store.reports import audit_by_uuid
from audit.workflow import appeals as workflow

STATUS_FILTERS = ("open", "decided", "all")


async def appeals_page(request: Request, who: Principal) -> Response:
    shown = request.query_params.get("status") or "open"
    if shown not in STATUS_FILTERS:
        shown = "open"
    page_number = query_int(request, "page", 1, 1, 10**6)
    total, rows = await workflow.list_appeals(
        who,
        "open" if shown == "open" else None,
        PAGE_SIZE,
        (page_number - 1) * PAGE_SIZE,
        decided=shown == "decided",
    )
    return await render(
        request,
        who,
        "hq/appeals.html",
        {
            "nav": "appeals",
            "rows": rows,
            "shown": shown,
            "paging": {
                "page": page_number,
                "pages": max(1, -(-total // PAGE_SIZE)),
                "total": total,
            },
        },
    )


async def appeal_page(request: Request, who: Principal) -> Response:
    appeal = await workflow.get_appeal(who, str(request.path_params["uuid"]))
    audit = await audit_by_uuid(appeal["audit"])
    assert audit is not None
    item = parsed(audit.checklist).item_map()[appeal["item"]]
    return await render(
        request,
        who,
        "hq/appeal.html",
        {
            "nav": "appeals",
            "appeal": appeal,
            "input": workflow.answer_input(item),
            "item_na": item.na,
        },
    )
