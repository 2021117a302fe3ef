"""Sign in and out."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import COOKIE_NAME, SESSION_SECONDS, CookieSigner, principal, verify_password
from audit.errors import Invalid, TooManyRequests, Unauthorized
from audit.routes.common import json_response, read_json, settings_of
from audit.store import accounts


def _client_key(request: Request) -> str:
    host = request.client.host if request.client else "unknown"
    return f"client:{host}"


async def sign_in(request: Request) -> Response:
    body = await read_json(request)
    problems: dict[str, str] = {}
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not email.strip() or len(email) > 254:
        problems["email"] = "is required"
    if not isinstance(password, str) or not password or len(password) > 1024:
        problems["password"] = "is required"
    if problems:
        raise Invalid("email and password are required", problems)
    assert isinstance(email, str) and isinstance(password, str)
    email_key = f"email:{email.strip().lower()}"
    client_key = _client_key(request)
    locked = await accounts.throttled_until([email_key, client_key])
    if locked is not None:
        wait = max(1, int((locked - accounts.now()).total_seconds()))
        raise TooManyRequests(
            "too many failed sign-ins; try again later", headers={"Retry-After": str(wait)}
        )
    user = await accounts.user_by_email(email)
    if not await verify_password(user.password_hash if user else None, password) or user is None:
        await accounts.record_failure(email_key, accounts.MAX_FAILURES_PER_EMAIL)
        await accounts.record_failure(client_key, accounts.MAX_FAILURES_PER_CLIENT)
        raise Unauthorized("wrong email or password")
    await accounts.clear_failures(email_key)
    token, csrf = await accounts.open_session(user)
    response = json_response(
        {"role": user.role, "csrf_token": csrf, "name": user.name, "email": user.email}
    )
    settings = settings_of(request)
    signer: CookieSigner = request.app.state.signer
    response.set_cookie(
        COOKIE_NAME,
        signer.dumps(token),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.https_only or request.url.scheme == "https",
        path="/",
    )
    return response


async def current_session(request: Request) -> Response:
    who = principal(request)
    return json_response(
        {"role": who.role, "csrf_token": who.csrf_token, "name": who.name, "email": who.email}
    )


async def sign_out(request: Request) -> Response:
    who = principal(request)
    await accounts.close_session(who.session_id)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response
