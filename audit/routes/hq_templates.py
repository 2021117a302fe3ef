"""What every HQ page shares: the guard, the templates, and their base context.

Pages share the PWA's session cookie and CSP: no inline script or style, so
charts are inline SVG coloured by classes from ``static/hq/hq.css``, and the
review buttons post through ``static/hq/review.js`` with the CSRF header.
Someone not signed in is sent to ``/`` to sign in; anyone but HQ gets 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from audit.auth import Principal, require_role
from audit.errors import HTTPError
from audit.presentation import (
    HEAT_BANDS,
    format_change,
    format_grade,
    format_percent,
    format_score,
    heat_band,
    score_change,
    touchpoint_label,
)
from audit.routes.common import api
from audit.store import appeals as appeal_store
from audit.store import audit_lists

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)

# Rows per page of the league table, heat map and review queue: a region of a
# 2,000-location chain fits in a few pages, and a tablet renders 100 rows
# without stutter.
PAGE_SIZE = 100

Page = Callable[[Request, Principal], Awaitable[Response]]


def page(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """An HQ page: same session as the API, HTML errors, sign-in at ``/`` when signed out."""

    async def guarded(request: Request) -> Response:
        who: Principal | None = request.scope.get("audit.principal")
        if who is None:
            return RedirectResponse("/", status_code=303)
        if not who.is_hq:
            return await _error_page(request, who, 404, "There is no such page.")
        try:
            return await handler(request, who)
        except HTTPError as exc:
            return await _error_page(request, who, exc.status, exc.message, exc.fields)

    guarded.__name__ = handler.__name__
    # Pages are for people signed in: an API token never opens one.
    return api(guarded, tokens=False)


def action(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """A button or form of an HQ page, posted by its script: JSON in and out, errors as JSON.

    Same session and CSRF header as the pages, and like them never an API token.
    """

    async def guarded(request: Request) -> Response:
        return await handler(request, require_role(request, "hq"))

    guarded.__name__ = handler.__name__
    return api(guarded, tokens=False)


async def render(
    request: Request,
    who: Principal,
    name: str,
    context: dict[str, Any],
    status: int = 200,
) -> Response:
    # The queue's size is HQ's: an owner could time submissions by it.
    brands = who.brand_limit
    count = (await audit_lists.review_queue(1, 0, brand_ids=brands))[0] if who.is_hq else 0
    base = {
        "who": who,
        "queue_count": count,
        "appeals_count": await appeal_store.open_count(brands) if who.is_hq else 0,
        "qs": lambda **changes: _qs(request, changes),
        # Every figure a page prints goes through audit.presentation.
        "score": format_score,
        "change_of": score_change,
        "signed": format_change,
        "band": lambda v: heat_band(v).key,
        "tp_label": touchpoint_label,
        "pct": format_percent,
        "grade": format_grade,
        "bands": HEAT_BANDS,
    }
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


async def _error_page(
    request: Request,
    who: Principal,
    status: int,
    message: str,
    fields: Mapping[str, str] | None = None,
) -> Response:
    return await render(
        request,
        who,
        "hq/error.html",
        {"nav": "", "status": status, "message": message, "fields": dict(fields or {})},
        status=status,
    )


def _qs(request: Request, changes: Mapping[str, Any]) -> str:
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    if "page" not in changes:
        params.pop("page", None)  # a new filter or sort starts again at page 1
    return "?" + urlencode(params) if params else "?"
