"""What every API handler shares: the signed-in user, CSRF, JSON in and out, errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

import orjson
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from audit.auth import COOKIE_NAME, CookieSigner, Principal, bearer_token, check_csrf
from audit.errors import BadRequest, Forbidden, HTTPError, Invalid, PayloadTooLarge, Unauthorized
from audit.i18n import language_problem, negotiate
from audit.settings import Settings
from audit.store.accounts import session_principal
from audit.trust import Rules
from audit.workflow import tokens

log = logging.getLogger("audit")

# The biggest honest audit JSON (60 answers, long comments) is ~300 KB.
MAX_JSON_BYTES = 2 * 1024 * 1024
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Evidence photos and experience reports: kept by no cache, shared or the
# browser's own, so nothing of them stays on a shared computer once its user
# signed out (docs/deploy.md, "What browsers may keep").
PRIVATE_NO_STORE = "private, no-store"

Handler = Callable[[Request], Awaitable[Response]]


def settings_of(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


def explicit_language(request: Request) -> str | None:
    """The request's ``?lang=``, if any; one the service does not speak is 422 naming it."""
    explicit = request.query_params.get("lang") or None
    if explicit is not None:
        problem = language_problem(explicit)
        if problem is not None:
            raise Invalid(f"lang {problem}", {"lang": problem})
    return explicit


def request_language(request: Request) -> str:
    """The language to answer in: ``?lang=``, the user's, ``Accept-Language``, AUDIT_LANGUAGE.

    A ``lang`` the service does not speak is 422 naming it.
    """
    explicit = explicit_language(request)
    who: Principal | None = request.scope.get("audit.principal")
    return negotiate(
        explicit,
        who.language if who is not None else None,
        request.headers.get("accept-language"),
        settings_of(request).language,
    )


def visit_rules(settings: Settings) -> Rules:
    """The proof-of-visit thresholds of the settings (audit.trust)."""
    return Rules(
        radius_m=float(settings.visit_radius_m),
        min_minutes=settings.min_visit_minutes,
        timezone=settings.timezone,
    )


async def resolve_principal(request: Request) -> Principal | None:
    cookie = request.cookies.get(COOKIE_NAME)
    if not cookie:
        return None
    signer: CookieSigner = request.app.state.signer
    token = signer.loads(cookie)
    if token is None:
        return None
    return await session_principal(token)


def client_address(request: Request) -> str:
    # Behind a proxy uvicorn puts the X-Forwarded-For address here (from
    # AUDIT_FORWARDED_ALLOW_IPS only, see docs/deploy.md), so each user has their own.
    return request.client.host if request.client else "unknown"


async def _token_principal(request: Request, token: str) -> Principal:
    """The HQ user of a Bearer token, allowed this request; its writes need no CSRF header.

    A page cannot be made to send an ``Authorization`` header across sites
    (that takes a CORS preflight, which this service never grants), so the
    header itself is the proof a cookie lacks; a foreign ``Origin`` is still
    refused.
    """
    who = await tokens.authenticate(token, client_address(request))
    request.scope["audit.token"] = who.token_id  # the request's log line names it
    if request.method in UNSAFE_METHODS:
        check_csrf(request, None, settings_of(request).https_only)
        if who.read_only:
            raise Forbidden(
                "this API token's scope is read: it cannot change anything;"
                " make a read-write token for writes",
                {"Authorization": "token scope is read"},
            )
    return who


def wake_webhooks(request: Request, force: bool = False) -> None:
    """After a change that may have recorded webhook events: this node sends them now.

    ``force`` for a change that queued deliveries without recording an event
    (a re-send, an endpoint switched on).
    """
    sender = getattr(request.app.state, "webhooks", None)
    if sender is not None:
        sender.wake(force)


def error_response(exc: HTTPError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


def api(handler: Handler, csrf: bool = True, tokens: bool = True) -> Handler:
    """Wrap a handler: resolve the session, refuse cross-site writes, render errors as JSON.

    ``tokens``: whether an API token (``Authorization: Bearer``) may stand
    for the user here; where it may not (pages, sessions, the token and
    webhook pages) sending one is 401, whatever the cookie says.
    """

    @wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            if not _storable_text(request.scope["path"]) or not all(
                _storable_text(k) and _storable_text(v)
                for k, v in request.query_params.multi_items()
            ):
                raise BadRequest("the URL holds a NUL character", {"url": "NUL is not allowed"})
            bearer = bearer_token(request)
            who: Principal | None
            if bearer is not None:
                if not tokens:
                    raise Unauthorized(
                        "an API token works on the JSON API only; sign in for this",
                        {"Authorization": "not accepted here"},
                    )
                who = await _token_principal(request, bearer)
                request.scope["audit.principal"] = who
            else:
                who = await resolve_principal(request)
                request.scope["audit.principal"] = who
                if request.method in UNSAFE_METHODS:
                    check_csrf(request, who if csrf else None, settings_of(request).https_only)
            return await handler(request)
        except HTTPError as exc:
            return error_response(exc)

    return wrapped


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise PayloadTooLarge(f"the body is larger than {limit:,} bytes")
        except ValueError:
            raise BadRequest("bad Content-Length header") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is larger than {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, *, optional: bool = False) -> Any:
    body = await read_body(request, MAX_JSON_BYTES)
    if not body.strip():
        if optional:
            return None
        raise BadRequest("the body must be JSON", {"body": "is empty"})
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}", {"body": "invalid JSON"}) from None
    except RecursionError:
        # 2 MB of "[" nests far deeper than Python's stack allows.
        raise BadRequest("the body is nested too deeply", {"body": "nested too deeply"}) from None
    if not _storable(value):
        raise BadRequest(
            "the body holds a NUL character or an unpaired surrogate",
            {"body": "text must be valid Unicode without NUL characters"},
        )
    return value


def _storable_text(text: str) -> bool:
    # PostgreSQL refuses NUL in text and JSON; no database takes lone surrogates.
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable(value: Any) -> bool:
    """Every string in a parsed JSON value (keys too) can be stored and sent back."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not _storable_text(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def query_int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(f"{name} must be a whole number", {name: "must be a whole number"}) from None
    if not lo <= value <= hi:
        raise Invalid(f"{name} is out of range", {name: f"must be between {lo} and {hi}"})
    return value


# orjson writes an audit's JSON (sixty answers, its scorecard and display)
# several times faster than the standard library, on every save and submit.
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def json_response(
    data: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    background: BackgroundTask | None = None,
) -> Response:
    return Response(
        orjson.dumps(data, option=_ORJSON_OPTIONS),
        status_code=status,
        headers=headers,
        media_type="application/json",
        background=background,
    )
