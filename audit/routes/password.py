"""Forgotten passwords and the links of invitations and resets (docs/api.md, "Passwords").

- ``POST /api/password-reset`` ``{"email"}``: 202 and the same message for
  every address; the link is queued after the answer has gone.
- ``POST /api/password-link`` ``{"token"}``: whom a link is for (the page
  shows the e-mail address), or 404 when it no longer works.
- ``POST /api/password`` ``{"token", "password"}``: sets the password, ends
  every other session of the user and signs in here, like ``POST /api/session``.

The token travels in the body, never in a URL a log or a proxy would keep.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from audit.errors import Invalid
from audit.routes.common import client_address, json_response, read_json, settings_of
from audit.routes.session import signed_in_response
from audit.workflow import invitations

# A token is 43 characters; anything much longer is not one.
MAX_TOKEN = 200


def _fields(body: Any, **limits: int) -> dict[str, str]:
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name, limit in limits.items():
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            problems[name] = "is required"
        elif len(value) > limit:
            problems[name] = f"must be at most {limit} characters"
        else:
            values[name] = value
    if problems:
        raise Invalid(
            f"{', '.join(problems)} {'is' if len(problems) == 1 else 'are'} required", problems
        )
    return values


async def request_reset(request: Request) -> Response:
    email = _fields(await read_json(request), email=254)["email"]
    send_link = await invitations.request_reset(
        settings_of(request), email, client_address(request)
    )

    async def send_and_wake() -> None:
        await send_link()
        request.app.state.account_mailer.wake()

    return json_response(
        {"message": invitations.reset_message(settings_of(request))},
        status=202,
        background=BackgroundTask(send_and_wake),
    )


async def describe_link(request: Request) -> Response:
    token = _fields(await read_json(request), token=MAX_TOKEN)["token"]
    found = await invitations.open_link(token, client_address(request))
    return json_response(
        {
            "purpose": found.purpose,
            "email": found.email,
            "name": found.name,
            "expires_at": found.expires_at.isoformat(),
        }
    )


async def set_password(request: Request) -> Response:
    body = _fields(await read_json(request), token=MAX_TOKEN, password=1024)
    signed_in = await invitations.use_link(body["token"], body["password"], client_address(request))
    return signed_in_response(request, signed_in)
