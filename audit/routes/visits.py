"""Proof of visit: the phone's check-in and check-out, HQ's locations' places."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import require_role
from audit.routes.common import json_response, read_json
from audit.submission import check_uuid
from audit.workflow import places
from audit.workflow import visits as workflow


async def _check(request: Request, kind: str) -> Response:
    who = require_role(request, "auditor")
    uuid = check_uuid(str(request.path_params["uuid"]), "uuid")
    body = await read_json(request)
    check, created = await workflow.record_check(who, uuid, kind, body)
    return json_response({"kind": kind, **check}, status=201 if created else 200)


async def check_in(request: Request) -> Response:
    return await _check(request, "check_in")


async def check_out(request: Request) -> Response:
    return await _check(request, "check_out")


async def get_place(request: Request) -> Response:
    who = require_role(request, "hq")
    return json_response(await places.place_json(who, str(request.path_params["code"])))


async def put_place(request: Request) -> Response:
    who = require_role(request, "hq")
    body = await read_json(request)
    return json_response(
        await places.set_place_from_json(who, str(request.path_params["code"]), body)
    )
