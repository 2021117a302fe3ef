"""Sign in and out."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import COOKIE_NAME, SESSION_SECONDS, CookieSigner, Principal, principal
from audit.errors import Invalid
from audit.i18n import LANGUAGES
from audit.routes.common import client_address, json_response, read_json, settings_of
from audit.store.accounts import close_session
from audit.workflow import accounts


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
    signed_in = await accounts.sign_in(email, password, client_address(request))
    return signed_in_response(request, signed_in)


def signed_in_response(request: Request, signed_in: accounts.SignedIn) -> Response:
    """The sign-in answer: the session cookie and ``{"role", "csrf_token", …}``."""
    user, token, csrf = signed_in.user, signed_in.token, signed_in.csrf_token
    response = json_response(
        {
            "role": user.role,
            "csrf_token": csrf,
            "name": user.name,
            "email": user.email,
            "language": user.language,
            "languages": list(LANGUAGES),
        }
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


def _session_body(who: Principal, language: str | None) -> dict[str, object]:
    return {
        "role": who.role,
        "csrf_token": who.csrf_token,
        "name": who.name,
        "email": who.email,
        "language": language,
        "languages": list(LANGUAGES),
    }


async def current_session(request: Request) -> Response:
    who = principal(request)
    return json_response(_session_body(who, who.language))


async def update_session(request: Request) -> Response:
    """``{"language": "fr"}`` sets the user's language, ``null`` clears it."""
    who = principal(request)
    body = await read_json(request)
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    unknown = sorted(set(body) - {"language"})
    if unknown:
        raise Invalid(
            f"unknown field {unknown[0]!r}: only language may change",
            dict.fromkeys(unknown, "is not a session setting"),
        )
    if "language" not in body:
        raise Invalid("language is required", {"language": "is required"})
    chosen = await accounts.choose_language(who.user_id, body["language"])
    return json_response(_session_body(who, chosen))


async def sign_out(request: Request) -> Response:
    who = principal(request)
    await close_session(who.session_id)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response
