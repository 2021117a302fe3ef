"""PUT /api/audits/{uuid}/owner-text/{item}: HQ's owner-facing copy of one free text.

Everyone but HQ gets 404 (audit.workflow.owner_text).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from audit.answers import MAX_TEXT_ANSWER
from audit.auth import principal
from audit.errors import Invalid
from audit.redaction import FIELDS
from audit.routes.common import json_response, read_json
from audit.submission import check_uuid
from audit.workflow.owner_text import edit_owner_text

BODY_KEYS = ("text", "cleared", "field")


async def put_owner_text(request: Request) -> Response:
    who = principal(request)
    uuid = check_uuid(str(request.path_params["uuid"]), "uuid")
    item_id = str(request.path_params["item"])
    body = await read_json(request)
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    problems = {str(key): "unknown field" for key in body if key not in BODY_KEYS}
    text = body.get("text")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT_ANSWER):
        problems["text"] = f"must be text of at most {MAX_TEXT_ANSWER:,} characters, or null"
    cleared = body.get("cleared", False)
    if not isinstance(cleared, bool):
        problems["cleared"] = "must be true or false"
    field = body.get("field")
    if field is not None and field not in FIELDS:
        problems["field"] = f"must be one of {', '.join(FIELDS)}"
    if problems:
        raise Invalid("the owner's text has invalid fields", problems)
    edited = await edit_owner_text(who, uuid, item_id, field, text, cleared)
    return json_response(edited.to_dict())
