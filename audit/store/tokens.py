"""HQ's personal API tokens: made, looked up, counted and revoked.

Only a token's SHA-256 is stored (like a session's); the token itself is
shown once, when it is made. Every use is counted in one statement that also
keeps the throttle's fixed window (``window_start``, ``window_requests``)
and returns the count including this request, so a burst sent at once meets
the same limit as one sent in a row, on every worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from audit.auth import API_TOKEN_SHOWN, new_api_token, token_hash
from audit.models import ApiToken, User
from audit.store import sql
from audit.store.accounts import brand_ids_of

SCOPES = ("read", "write")


def now() -> datetime:
    return datetime.now(UTC)


async def create_token(
    user_id: int, name: str, scope: str, expires_at: datetime | None
) -> tuple[ApiToken, str]:
    """A new token of the user's; returns its row and the token (never stored)."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    token = new_api_token()
    row = await ApiToken.create(
        user_id=user_id,
        name=name,
        token_hash=token_hash(token),
        prefix=token[:API_TOKEN_SHOWN],
        scope=scope,
        expires_at=expires_at,
    )
    return row, token


@dataclass(frozen=True)
class TokenRow:
    """A token found by its hash, with its user, before any check."""

    id: int
    scope: str
    expires_at: datetime | None
    revoked_at: datetime | None
    user_id: int
    email: str
    name: str
    role: str
    active: bool
    brand_ids: tuple[int, ...] = ()  # the user's brands: the token carries their limits


# One row per brand of the user (one with a null brand_id when they have none).
_LOOKUP_SQL = (
    "SELECT t.id, t.scope, t.expires_at, t.revoked_at,"
    " u.id AS user_id, u.email, u.name, u.role, u.active, b.brand_id"
    ' FROM "api_token" t JOIN "user" u ON u.id = t.user_id'
    ' LEFT JOIN "user_brand" b ON b.user_id = u.id WHERE t.token_hash = ?'
)
_FIELDS = ApiToken._meta.fields_map
_ACTIVE = User._meta.fields_map["active"]


async def find_token(token: str) -> TokenRow | None:
    rows = await sql.fetch(ApiToken, _LOOKUP_SQL, [token_hash(token)])
    if not rows:
        return None
    row = rows[0]
    return TokenRow(
        id=int(row["id"]),
        scope=str(row["scope"]),
        expires_at=_FIELDS["expires_at"].to_python_value(row["expires_at"]),
        revoked_at=_FIELDS["revoked_at"].to_python_value(row["revoked_at"]),
        user_id=int(row["user_id"]),
        email=str(row["email"]),
        name=str(row["name"]),
        role=str(row["role"]),
        active=bool(_ACTIVE.to_python_value(row["active"])),
        brand_ids=brand_ids_of(rows),
    )


# A window still open keeps its start and counts one more; one that has
# passed (or never began) starts again at this request.  SQLite (3.35+) and
# PostgreSQL both take RETURNING; both compare the timestamps as written by
# the ORM (SQLite as ISO text of one format, so in order).
_COUNT_USE_SQL = (
    'UPDATE "api_token" SET "uses" = "uses" + 1, "last_used_at" = ?, "last_used_from" = ?,'
    ' "window_requests" = CASE WHEN "window_start" IS NOT NULL AND "window_start" > ?'
    ' THEN "window_requests" + 1 ELSE 1 END,'
    ' "window_start" = CASE WHEN "window_start" IS NOT NULL AND "window_start" > ?'
    ' THEN "window_start" ELSE ? END'
    ' WHERE "id" = ? RETURNING "window_requests", "window_start"'
)


async def count_use(
    token_id: int, address: str, stamp: datetime, window: timedelta
) -> tuple[int, datetime]:
    """Count one request with the token; (requests in its window so far, the window's start)."""
    values = sql.db_values(
        ApiToken,
        {
            "last_used_at": stamp,
            "last_used_from": address[:64],
            "window_start": stamp - window,
        },
    )
    opened = values[2]
    rows = await sql.fetch(
        ApiToken, _COUNT_USE_SQL, [values[0], values[1], opened, opened, values[0], token_id]
    )
    if not rows:
        return 0, stamp  # revoked and deleted meanwhile: the lookup said it was good
    started = _FIELDS["window_start"].to_python_value(rows[0]["window_start"])
    return int(rows[0]["window_requests"]), started


async def tokens_of(user_id: int) -> list[ApiToken]:
    """The user's tokens, the unrevoked ones first, each group newest first."""
    rows = await ApiToken.filter(user_id=user_id).order_by("-created_at", "-id")
    return sorted(rows, key=lambda row: row.revoked_at is not None)


async def live_token_count(user_id: int, stamp: datetime) -> int:
    return (
        await ApiToken.filter(user_id=user_id, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=stamp))
        .count()
    )


async def revoke(user_id: int, token_id: int, stamp: datetime) -> ApiToken | None:
    """Revoke one of the user's tokens (again is a no-op); None when it is not theirs."""
    row = await ApiToken.get_or_none(id=token_id, user_id=user_id)
    if row is None:
        return None
    await ApiToken.filter(id=token_id, revoked_at__isnull=True).update(revoked_at=stamp)
    return await ApiToken.get(id=token_id)
