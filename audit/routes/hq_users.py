"""HQ's user pages: who can sign in, and ending a user's access (a lost phone, a leaver).

The list shows each user's live sessions; the buttons post through
``static/hq/users.js`` with the CSRF header, as the review buttons do.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from audit.auth import Principal
from audit.errors import NotFound
from audit.routes.common import query_int
from audit.routes.hq_templates import PAGE_SIZE, render
from audit.store.accounts import user_lines
from audit.workflow import accounts


def _user_id(request: Request) -> int:
    raw = str(request.path_params["user_id"])
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("no such user")
    return int(raw)


async def users_page(request: Request, who: Principal) -> Response:
    page_number = query_int(request, "page", 1, 1, 10**6)
    total, users = await user_lines(PAGE_SIZE, (page_number - 1) * PAGE_SIZE)
    return await render(
        request,
        who,
        "hq/users.html",
        {
            "nav": "users",
            "users": users,
            "paging": {
                "page": page_number,
                "pages": max(1, -(-total // PAGE_SIZE)),
                "total": total,
            },
        },
    )


async def end_sessions(request: Request, who: Principal) -> Response:
    ended = await accounts.end_sessions(_user_id(request))
    return JSONResponse({"email": ended.email, "sessions_ended": ended.sessions})


async def deactivate(request: Request, who: Principal) -> Response:
    ended = await accounts.deactivate(_user_id(request), by_user_id=who.user_id)
    return JSONResponse({"email": ended.email, "active": False, "sessions_ended": ended.sessions})
