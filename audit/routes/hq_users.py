"""HQ's user pages: who can sign in, inviting people, and ending a user's access (a lost
phone, a leaver).

The list (filtered by role and state: invited, active, deactivated) shows each
user's live sessions; the buttons and the invitation form post through
``static/hq/users.js`` with the CSRF header, as the review buttons do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from audit.auth import Principal, require_role
from audit.errors import Invalid, NotFound
from audit.i18n import language_problem
from audit.models import ROLES
from audit.onboarding import CODE_SEPARATOR, EMAIL
from audit.routes.common import json_response, query_int, read_json, settings_of
from audit.routes.hq_templates import PAGE_SIZE, render
from audit.store.account_tokens import open_invitations
from audit.store.accounts import USER_STATES, now, user_lines
from audit.store.filters import brand_names
from audit.workflow import accounts, invitations


def _user_id(request: Request) -> int:
    raw = str(request.path_params["user_id"])
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("no such user")
    return int(raw)


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in allowed:
        raise Invalid(f"unknown {name} {value!r}", {name: f"must be one of {', '.join(allowed)}"})
    return value


async def users_page(request: Request, who: Principal) -> Response:
    page_number = query_int(request, "page", 1, 1, 10**6)
    role = _choice(request, "role", ROLES)
    state = _choice(request, "state", USER_STATES)
    total, users = await user_lines(
        PAGE_SIZE, (page_number - 1) * PAGE_SIZE, role, state, who.brand_limit
    )
    invited = await open_invitations([u.id for u in users if u.state == "invited"], now())
    return await render(
        request,
        who,
        "hq/users.html",
        {
            "nav": "users",
            "users": users,
            "invitations": invited,
            "roles": ROLES,
            "states": USER_STATES,
            # The brands this HQ user may grant: all, or their own.
            "brands": await brand_names(who.brand_limit),
            "role": role,
            "state": state,
            "mail": invitations.mail_enabled(settings_of(request)),
            "paging": {
                "page": page_number,
                "pages": max(1, -(-total // PAGE_SIZE)),
                "total": total,
            },
        },
    )


async def end_sessions(request: Request, who: Principal) -> Response:
    ended = await accounts.end_sessions(_user_id(request), who)
    return JSONResponse({"email": ended.email, "sessions_ended": ended.sessions})


async def deactivate(request: Request, who: Principal) -> Response:
    ended = await accounts.deactivate(_user_id(request), by_user_id=who.user_id, who=who)
    return JSONResponse({"email": ended.email, "active": False, "sessions_ended": ended.sessions})


async def reactivate(request: Request, who: Principal) -> Response:
    email = await accounts.reactivate(_user_id(request), who)
    return JSONResponse({"email": email, "active": True})


def _invited_json(request: Request, invited: invitations.Invited) -> Response:
    request.app.state.account_mailer.wake()
    return json_response(
        {
            "email": invited.email,
            "role": invited.role,
            "created": invited.created,
            "expires_at": invited.expires_at.isoformat(),
            # Only without a mail server: HQ hands the link over itself.
            "link": invited.link,
        },
        status=201 if invited.created else 200,
    )


async def resend_invitation(request: Request, who: Principal) -> Response:
    invited = await invitations.resend_invitation(settings_of(request), _user_id(request), who)
    return _invited_json(request, invited)


def _brand_names(raw: Any, problems: dict[str, str]) -> list[str]:
    """``brands``: names in a list, or one text separated by semicolons."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [n.strip() for n in raw.split(";") if n.strip()]
    if isinstance(raw, list) and all(isinstance(n, str) for n in raw):
        return [n.strip() for n in raw if n.strip()]
    problems["brands"] = "must be brand names (a list, or separated by semicolons)"
    return []


def _invitation_fields(body: Any) -> tuple[str, str, str, list[str], list[str], str | None]:
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    problems: dict[str, str] = {}
    email = body.get("email")
    if not isinstance(email, str) or not EMAIL.match(email.strip()) or len(email) > 254:
        problems["email"] = "must be an e-mail address"
    role = body.get("role")
    if role not in ROLES:
        problems["role"] = f"must be one of {', '.join(ROLES)}"
    name = body.get("name", "")
    if not isinstance(name, str) or len(name) > 200:
        problems["name"] = "must be text of at most 200 characters"
    raw = body.get("locations", "")
    codes: list[str] = []
    if isinstance(raw, str):
        codes = [c for c in CODE_SEPARATOR.split(raw.strip()) if c]
    elif isinstance(raw, list) and all(isinstance(c, str) for c in raw):
        codes = [c.strip() for c in raw if c.strip()]
    else:
        problems["locations"] = "must be location codes"
    if codes and role != "owner" and "role" not in problems:
        problems["locations"] = "only owners own locations"
    brands = _brand_names(body.get("brands"), problems)
    # Their e-mail's and reports' language; left out or empty: not chosen.
    language = body.get("language") or None
    if language is not None and language_problem(language) is not None:
        problems["language"] = str(language_problem(language))
    if problems:
        raise Invalid("the invitation has invalid fields", problems)
    assert isinstance(email, str) and isinstance(role, str) and isinstance(name, str)
    return email.strip(), role, name.strip(), codes, brands, language


async def invite(request: Request) -> Response:
    """``POST /hq/users/invite``
    ``{"email", "role", "name"?, "locations"?, "brands"?, "language"?}``: JSON errors."""
    who = require_role(request, "hq")
    email, role, name, codes, brands, language = _invitation_fields(await read_json(request))
    invited = await invitations.invite(
        settings_of(request), email, role, name, codes, brands, who=who, language=language
    )
    return _invited_json(request, invited)


async def set_brands(request: Request, who: Principal) -> Response:
    """``POST /hq/users/{user_id}/brands`` ``{"brands": [...]}``: the brands an HQ user
    or auditor is limited to (none: the agency's own)."""
    body = await read_json(request)
    problems: dict[str, str] = {}
    if not isinstance(body, Mapping) or "brands" not in body:
        raise Invalid("the body must name the brands", {"brands": "is required ([]: none)"})
    names = _brand_names(body["brands"], problems)
    for key in body:
        if key != "brands":
            problems[str(key)] = "unknown field"
    if problems:
        raise Invalid("the brands are invalid", problems)
    brands = await accounts.set_brands(who, _user_id(request), names)
    return json_response({"brands": brands})
