"""Personal API tokens: HQ makes and revokes its own; the JSON API accepts them as Bearer.

A token stands for its HQ user on the JSON API only (never a page, never the
PWA, never the token pages themselves: a leaked token cannot make another).
Its scope is ``read`` (GET and HEAD only; a write is 403 naming the scope) or
``write``. Unknown tokens are counted per client address under the sign-in
throttle's windows; a good token is throttled to ``MAX_TOKEN_REQUESTS`` a
minute, counted on its row, and each use leaves its time and address there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from audit.auth import Principal
from audit.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized
from audit.models import ApiToken
from audit.store import accounts
from audit.store import tokens as store
from audit.store.tokens import SCOPES

log = logging.getLogger("audit.tokens")

# A BI tool polling the comparisons, or a ticketing system fetching each
# approved audit a webhook told it of, needs a few requests a second at most;
# ten a second sustained for a minute is a runaway script.
TOKEN_WINDOW = timedelta(minutes=1)
MAX_TOKEN_REQUESTS = 600
# Guessing a 256-bit token is hopeless; this keeps a misconfigured client
# (an old token in a loop) from costing a lookup per request for ever.
MAX_UNKNOWN_TOKENS = 20
MAX_NAME = 100
# A person keeps a handful (one per integration); hundreds means a script
# making one per run.
MAX_LIVE_TOKENS = 50
# Far enough for a yearly integration, near enough to be an expiry at all.
LONGEST_EXPIRY = timedelta(days=3 * 366)


def now() -> datetime:
    return datetime.now(UTC)


def _unknown_key(address: str) -> str:
    return f"api-token:{address}"


def _retry_after(until: datetime) -> dict[str, str]:
    return {"Retry-After": str(max(1, int((until - now()).total_seconds()) + 1))}


async def authenticate(token: str, address: str) -> Principal:
    """The HQ user a Bearer token stands for; 401 when it does not (now), 429 when throttled."""
    key = _unknown_key(address)
    unknown, ends = await accounts.attempts(key)
    if unknown >= MAX_UNKNOWN_TOKENS:
        raise TooManyRequests(
            "too many unknown API tokens from this address; try again later",
            headers=_retry_after(ends),
        )
    found = await store.find_token(token)
    problem = "Authorization"
    if found is None:
        await accounts.count_attempt(key)
        raise Unauthorized("unknown API token", {problem: "no such token"})
    stamp = now()
    if found.revoked_at is not None:
        raise Unauthorized("this API token was revoked", {problem: "revoked"})
    if found.expires_at is not None and found.expires_at <= stamp:
        raise Unauthorized(
            f"this API token expired on {found.expires_at:%Y-%m-%d %H:%M} UTC",
            {problem: "expired"},
        )
    if not found.active or found.role != "hq":
        raise Unauthorized(
            "the user of this API token can no longer use it", {problem: "user not active in HQ"}
        )
    used, started = await store.count_use(found.id, address, stamp, TOKEN_WINDOW)
    if used > MAX_TOKEN_REQUESTS:
        raise TooManyRequests(
            f"this API token made more than {MAX_TOKEN_REQUESTS} requests in a minute; slow down",
            headers=_retry_after(started + TOKEN_WINDOW),
        )
    return Principal(
        found.user_id,
        found.email,
        found.name,
        found.role,
        csrf_token="",
        session_id=0,
        token_id=found.id,
        read_only=found.scope != "write",
        brand_ids=found.brand_ids,
    )


@dataclass(frozen=True)
class NewToken:
    row: ApiToken
    token: str  # shown once


def _expiry(raw: Any, today: date) -> tuple[datetime | None, str | None]:
    """A token given ``YYYY-MM-DD`` works through that day (UTC)."""
    if raw in (None, ""):
        return None, None
    if not isinstance(raw, str):
        return None, "must be a date YYYY-MM-DD, or empty for none"
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None, "must be a date YYYY-MM-DD, or empty for none"
    if day < today:
        return None, "must be today or later"
    ends = datetime.combine(day + timedelta(days=1), time(), UTC)
    if ends - datetime.combine(today, time(), UTC) > LONGEST_EXPIRY:
        return None, "must be within three years"
    return ends, None


async def create(who: Principal, body: Any) -> NewToken:
    """Make a token for the signed-in HQ user from ``{"name", "scope", "expires"?}``."""
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    problems: dict[str, str] = {}
    for field in body:
        if field not in ("name", "scope", "expires"):
            problems[str(field)] = "unknown field"
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        problems["name"] = "is required: say what the token is for"
    elif len(name.strip()) > MAX_NAME:
        problems["name"] = f"must be at most {MAX_NAME} characters"
    scope = body.get("scope")
    if scope not in SCOPES:
        problems["scope"] = "must be read or write"
    stamp = now()
    expires_at, expiry_problem = _expiry(body.get("expires"), stamp.date())
    if expiry_problem:
        problems["expires"] = expiry_problem
    if problems:
        raise Invalid("the token has invalid fields", problems)
    assert isinstance(name, str) and isinstance(scope, str)
    if await store.live_token_count(who.user_id, stamp) >= MAX_LIVE_TOKENS:
        raise Conflict(f"you have {MAX_LIVE_TOKENS} live tokens already; revoke some first")
    row, token = await store.create_token(who.user_id, name.strip(), scope, expires_at)
    log.info("API token %s (%s, %s) made by %s", row.prefix, row.name, scope, who.email)
    return NewToken(row, token)


async def revoke(who: Principal, token_id: int) -> ApiToken:
    """Revoke one of the caller's own tokens: from its next request on it is 401."""
    row = await store.revoke(who.user_id, token_id, now())
    if row is None:
        raise NotFound("no such token")
    log.info("API token %s (%s) revoked by %s", row.prefix, row.name, who.email)
    return row


async def tokens_of(who: Principal) -> list[ApiToken]:
    return await store.tokens_of(who.user_id)
