"""``/healthz``, ``/readyz`` and ``/metrics`` (docs/deploy.md, "Health and metrics")."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from audit.auth import bearer_token
from audit.errors import NotFound
from audit.metrics import CONTENT_TYPE, exposition
from audit.routes.common import error_response, resolve_principal, settings_of
from audit.workflow.health import queue_depths, readiness


async def healthz(request: Request) -> Response:
    # The process answers: nothing else is looked at, so a slow database
    # never makes a supervisor restart a healthy process.
    return JSONResponse({"ok": True})


async def readyz(request: Request) -> Response:
    problems = await readiness(settings_of(request))
    if problems:
        return JSONResponse(
            {"ok": False, "error": "not ready: " + ", ".join(sorted(problems)), "failed": problems},
            status_code=503,
            headers={"Cache-Control": "no-store"},
        )
    return JSONResponse({"ok": True}, headers={"Cache-Control": "no-store"})


async def _may_read_metrics(request: Request) -> bool:
    expected = settings_of(request).metrics_token
    given = bearer_token(request)
    if expected is not None and given is not None:
        return hmac.compare_digest(given.encode(), expected.encode())
    who = await resolve_principal(request)
    return who is not None and who.is_hq


async def metrics(request: Request) -> Response:
    """For a scraper with ``AUDIT_METRICS_TOKEN`` as its Bearer token, or HQ signed in."""
    if not await _may_read_metrics(request):
        return error_response(NotFound("not found"))
    body = exposition(await queue_depths())
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
