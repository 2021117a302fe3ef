"""Corrective actions: an owner's actions on their approved audits, and everyone's lists.

``GET /api/actions`` (owners: their locations; HQ: all), ``GET
/api/audits/{uuid}/actions`` (the audit's failed and weak items with their
actions) and ``PUT /api/audits/{uuid}/actions/{item}`` (the location's owner
records or changes one).  Everyone else gets 404 (audit.workflow.actions).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import require_role
from audit.routes.common import json_response, query_int, read_json
from audit.submission import check_uuid
from audit.workflow import actions

READERS = ("owner", "hq")


def _uuid(request: Request) -> str:
    return check_uuid(str(request.path_params["uuid"]), "uuid")


async def list_actions(request: Request) -> Response:
    who = require_role(request, *READERS)
    q = request.query_params
    query = actions.ListQuery(
        location=q.get("location") or None,
        region=q.get("region") or None,
        status=q.get("status") or None,
        limit=query_int(request, "limit", 100, 1, actions.MAX_LIST_LIMIT),
        offset=query_int(request, "offset", 0, 0, 10**9),
    )
    return json_response(await actions.list_actions(who, query))


async def audit_actions(request: Request) -> Response:
    who = require_role(request, *READERS)
    return json_response(await actions.audit_actions(who, _uuid(request)))


async def put_action(request: Request) -> Response:
    who = require_role(request, "owner")
    uuid = _uuid(request)
    item_id = str(request.path_params["item"])
    change = actions.parse_action_body(await read_json(request))
    stored, created = await actions.save_action(who, uuid, item_id, change)
    return json_response(stored, status=201 if created else 200)
