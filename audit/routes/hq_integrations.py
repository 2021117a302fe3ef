"""HQ's integration pages: personal API tokens, webhooks and their delivery log.

The pages are server-rendered; their buttons and forms post JSON through
``static/hq/integrations.js`` with the CSRF header (:func:`action`), and a
token or a webhook secret is shown once, in the answer to the post that made
it. None of this accepts an API token: a leaked token cannot make another,
nor point events somewhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import Principal
from audit.errors import Invalid, NotFound
from audit.routes.common import json_response, query_int, read_json, wake_webhooks
from audit.routes.hq_templates import PAGE_SIZE, render
from audit.store import webhooks as webhook_store
from audit.workflow import tokens, webhooks


def _id(request: Request, name: str) -> int:
    raw = str(request.path_params[name])
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("not found")
    return int(raw)


NOTHING = "\N{EN DASH}"  # what the other HQ pages print for no value


def _when(value: datetime | None) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if value is not None else NOTHING


# Tokens ------------------------------------------------------------------------


def _token_state(row: Any, stamp: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= stamp:
        return "expired"
    return "active"


async def tokens_page(request: Request, who: Principal) -> Response:
    stamp = datetime.now(UTC)
    rows = await tokens.tokens_of(who)
    lines = [
        {
            "id": row.id,
            "name": row.name,
            "prefix": row.prefix,
            "scope": row.scope,
            "state": _token_state(row, stamp),
            "created": _when(row.created_at),
            "expires": _when(row.expires_at) if row.expires_at else "never",
            "last_used": _when(row.last_used_at),
            "last_used_from": row.last_used_from,
            "uses": row.uses,
        }
        for row in rows
    ]
    return await render(
        request,
        who,
        "hq/tokens.html",
        {
            "nav": "integrations",
            "tab": "tokens",
            "tokens": lines,
            "max_requests": tokens.MAX_TOKEN_REQUESTS,
            "today": stamp.date().isoformat(),
        },
    )


async def create_token(request: Request, who: Principal) -> Response:
    made = await tokens.create(who, await read_json(request))
    return json_response(
        {
            "id": made.row.id,
            "name": made.row.name,
            "scope": made.row.scope,
            "expires_at": made.row.expires_at.isoformat() if made.row.expires_at else None,
            "token": made.token,
        },
        status=201,
    )


async def revoke_token(request: Request, who: Principal) -> Response:
    row = await tokens.revoke(who, _id(request, "token_id"))
    return json_response({"id": row.id, "name": row.name, "revoked": True})


# Webhooks ----------------------------------------------------------------------


async def webhooks_page(request: Request, who: Principal) -> Response:
    counts = await webhook_store.counts_by_endpoint()
    rows = [
        {
            "id": e.id,
            "url": e.url,
            "description": e.description,
            "events": list(e.events),
            "active": e.active,
            "created": _when(e.created_at),
            "counts": counts.get(e.id, {}),
        }
        for e in await webhook_store.endpoints(who.brand_limit)
    ]
    return await render(
        request,
        who,
        "hq/webhooks.html",
        {
            "nav": "integrations",
            "tab": "webhooks",
            "endpoints": rows,
            "event_types": webhooks.EVENT_TYPES,
            "max_attempts": webhooks.MAX_ATTEMPTS,
        },
    )


async def webhook_page(request: Request, who: Principal) -> Response:
    found = await webhooks.endpoint_of(who, _id(request, "endpoint_id"))
    page_number = query_int(request, "page", 1, 1, 10**6)
    total, lines = await webhook_store.recent_deliveries(
        found.id, PAGE_SIZE, (page_number - 1) * PAGE_SIZE
    )
    deliveries = [
        {
            "id": d.id,
            "event_id": d.event_id,
            "type": d.type,
            "audit_uuid": d.audit_uuid,
            "status": d.status,
            "attempts": d.attempts,
            "code": d.last_status_code,
            "error": d.last_error,
            "created": _when(d.created_at),
            "last_attempt": _when(d.last_attempt_at),
            "next_attempt": _when(d.next_attempt_at) if d.status == "failed" else "",
            "delivered": _when(d.delivered_at) if d.delivered_at else "",
        }
        for d in lines
    ]
    return await render(
        request,
        who,
        "hq/webhook.html",
        {
            "nav": "integrations",
            "tab": "webhooks",
            "endpoint": found,
            "deliveries": deliveries,
            "max_attempts": webhooks.MAX_ATTEMPTS,
            "paging": {
                "page": page_number,
                "pages": max(1, -(-total // PAGE_SIZE)),
                "total": total,
            },
        },
    )


async def create_webhook(request: Request, who: Principal) -> Response:
    made = await webhooks.create_endpoint(who, await read_json(request))
    return json_response(
        {
            "id": made.endpoint.id,
            "url": made.endpoint.url,
            "events": made.endpoint.events,
            "secret": made.secret,
        },
        status=201,
    )


async def switch_webhook(request: Request, who: Principal) -> Response:
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("active"), bool):
        raise Invalid("say whether the webhook is on", {"active": "must be true or false"})
    found = await webhooks.switch(who, _id(request, "endpoint_id"), body["active"])
    if found.active:
        wake_webhooks(request, force=True)  # what waited while it was off goes now
    return json_response({"id": found.id, "active": found.active})


async def delete_webhook(request: Request, who: Principal) -> Response:
    await webhooks.delete(who, _id(request, "endpoint_id"))
    return Response(status_code=204)


async def ping_webhook(request: Request, who: Principal) -> Response:
    event_id = await webhooks.ping(who, _id(request, "endpoint_id"))
    wake_webhooks(request)
    return json_response({"event_id": event_id}, status=202)


async def resend_delivery(request: Request, who: Principal) -> Response:
    await webhooks.resend(who, _id(request, "endpoint_id"), _id(request, "delivery_id"))
    wake_webhooks(request, force=True)
    return json_response({"queued": True}, status=202)
