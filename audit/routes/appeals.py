"""Appeals: owners dispute items of their reports, HQ decides (audit.workflow.appeals).

Each handler parses, authorises and calls one workflow function.  Owners and
HQ only; anyone else gets 404, as for anything they may not see.
"""

from __future__ import annotations

from collections.abc import Mapping

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from audit.auth import require_role
from audit.errors import Invalid, NotFound
from audit.photos import MAX_PHOTO_BYTES
from audit.routes.audits import if_match
from audit.routes.common import (
    PRIVATE_NO_STORE,
    json_response,
    query_int,
    read_body,
    read_json,
    settings_of,
    wake_webhooks,
)
from audit.submission import check_uuid
from audit.workflow import appeals as workflow

READERS = ("owner", "hq")


def _uuid(request: Request, name: str = "uuid") -> str:
    return check_uuid(str(request.path_params[name]), name)


async def list_appeals(request: Request) -> Response:
    who = require_role(request, *READERS)
    status = workflow.valid_status(request.query_params.get("status") or None)
    limit = query_int(request, "limit", 100, 1, workflow.MAX_LIST_LIMIT)
    offset = query_int(request, "offset", 0, 0, 10**9)
    total, rows = await workflow.list_appeals(who, status, limit, offset)
    return json_response({"total": total, "appeals": rows})


async def get_appeal(request: Request) -> Response:
    who = require_role(request, *READERS)
    return json_response(await workflow.get_appeal(who, _uuid(request)))


async def audit_appeals(request: Request) -> Response:
    who = require_role(request, *READERS)
    return json_response(await workflow.appeals_of_audit(who, _uuid(request), settings_of(request)))


async def open_appeal(request: Request) -> Response:
    who = require_role(request, "owner")
    audit_uuid = _uuid(request)
    body = await read_json(request)
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    appeal = await workflow.open_appeal(who, audit_uuid, body, settings_of(request))
    wake_webhooks(request)
    return json_response(await workflow.get_appeal(who, appeal.uuid), status=201)


async def put_photo(request: Request) -> Response:
    who = require_role(request, "owner")
    appeal_uuid = _uuid(request)
    data = await read_body(request, MAX_PHOTO_BYTES)
    appeal = await workflow.attach_photo(who, appeal_uuid, data, settings_of(request).media_dir)
    return json_response(await workflow.get_appeal(who, appeal.uuid))


async def get_photo(request: Request) -> Response:
    who = require_role(request, *READERS)
    path = await workflow.appeal_photo_path(
        who,
        _uuid(request),
        settings_of(request).media_dir,
        thumb=request.query_params.get("size") == "thumb",
    )
    try:
        data = await anyio.to_thread.run_sync(path.read_bytes)
    except FileNotFoundError:
        raise NotFound("the photo file is missing") from None
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": PRIVATE_NO_STORE})


async def decide(request: Request) -> Response:
    who = require_role(request, "hq")
    appeal_uuid = _uuid(request)
    expected = if_match(request)
    body = await read_json(request)
    appeal = await workflow.decide(who, appeal_uuid, body, settings_of(request), expected)
    wake_webhooks(request)
    return json_response(await workflow.get_appeal(who, appeal.uuid))
