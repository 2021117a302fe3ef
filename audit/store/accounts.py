"""Users, ownership, sessions and the sign-in throttle."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from audit.auth import Principal, hash_password, new_token, token_hash
from audit.models import ROLES, Location, LocationOwner, LoginThrottle, Session, User
from audit.store import sql

# Ten wrong passwords for one account within the window lock it for the window;
# a client address gets more, as offices and proxies share one.
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 10
MAX_FAILURES_PER_CLIENT = 200


def now() -> datetime:
    return datetime.now(UTC)


async def add_user(
    email: str,
    role: str,
    password: str,
    name: str = "",
    location_codes: list[str] | None = None,
) -> tuple[User, bool]:
    """Create the user, or update role/name/password of an existing one."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    email = email.strip().lower()
    codes = list(dict.fromkeys(location_codes or []))
    locations = await Location.filter(code__in=codes) if codes else []
    unknown = sorted(set(codes) - {loc.code for loc in locations})
    if unknown:
        raise LookupError(f"unknown location {unknown[0]!r}")
    if codes and role != "owner":
        raise ValueError("only owners own locations (--location needs --role owner)")
    pw_hash = hash_password(password)
    async with in_transaction():
        user = await User.get_or_none(email=email)
        created = user is None
        if user is None:
            user = await User.create(email=email, role=role, name=name, password_hash=pw_hash)
        else:
            user.role = role
            user.name = name or user.name
            user.password_hash = pw_hash
            await user.save()
        for location in locations:
            with contextlib.suppress(IntegrityError):
                await LocationOwner.get_or_create(user=user, location=location)
    return user, created


async def user_by_email(email: str) -> User | None:
    return await User.get_or_none(email=email.strip().lower(), active=True)


async def open_session(user: User) -> tuple[str, str]:
    """Start a session; return (token for the cookie, csrf token)."""
    token = new_token()
    csrf = new_token()
    await Session.create(
        token_hash=token_hash(token),
        user=user,
        csrf_token=csrf,
        expires_at=now() + timedelta(days=14),
    )
    return token, csrf


# Every request of a signed-in user runs this: hand-written (see audit.store.sql).
_SESSION_SQL = (
    "SELECT s.id, s.csrf_token, s.expires_at, u.id AS user_id, u.email, u.name, u.role, u.active"
    ' FROM "session" s JOIN "user" u ON u.id = s.user_id WHERE s.token_hash = ?'
)
_EXPIRES_AT = Session._meta.fields_map["expires_at"]
_ACTIVE = User._meta.fields_map["active"]


async def session_principal(token: str) -> Principal | None:
    rows = await sql.fetch(Session, _SESSION_SQL, [token_hash(token)])
    if not rows:
        return None
    row = rows[0]
    # Compared here, not in SQL: SQLite keeps times as text.
    expires_at = _EXPIRES_AT.to_python_value(row["expires_at"])
    if expires_at <= now() or not _ACTIVE.to_python_value(row["active"]):
        return None
    return Principal(
        row["user_id"], row["email"], row["name"], row["role"], row["csrf_token"], row["id"]
    )


async def close_session(session_id: int) -> None:
    await Session.filter(id=session_id).delete()


async def throttled_until(keys: list[str]) -> datetime | None:
    rows = await LoginThrottle.filter(key__in=keys, locked_until__gt=now())
    return max((r.locked_until for r in rows if r.locked_until), default=None)


async def record_failure(key: str, limit: int) -> None:
    # Each step is one atomic statement: a burst of concurrent wrong passwords
    # must count every attempt (read-modify-write would lose most of them).
    stamp = now()
    await LoginThrottle.filter(key=key, window_start__lt=stamp - THROTTLE_WINDOW).update(
        failures=0, window_start=stamp, locked_until=None
    )
    if not await LoginThrottle.filter(key=key).update(failures=F("failures") + 1):
        try:
            await LoginThrottle.create(key=key, failures=1, window_start=stamp)
        except IntegrityError:
            # Another request recorded the first failure at the same moment.
            await LoginThrottle.filter(key=key).update(failures=F("failures") + 1)
    await LoginThrottle.filter(key=key, failures__gte=limit).update(
        locked_until=stamp + THROTTLE_WINDOW
    )


async def clear_failures(key: str) -> None:
    await LoginThrottle.filter(key=key).delete()


async def delete_expired_sessions() -> int:
    """Delete the sessions past their expiry (they sign nobody in any more)."""
    return await Session.filter(expires_at__lte=now()).delete()


async def delete_spent_throttles() -> int:
    """Delete the throttle rows whose window has passed and that lock nothing.

    Such a row counts for nothing: the next failure would start it afresh.
    """
    stamp = now()
    return (
        await LoginThrottle.filter(window_start__lt=stamp - THROTTLE_WINDOW)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=stamp))
        .delete()
    )


async def owned_location_ids(user_id: int) -> list[int]:
    rows = await LocationOwner.filter(user_id=user_id).values("location_id")
    return [int(row["location_id"]) for row in rows]


async def owner_emails(location_id: int) -> list[str]:
    rows = await User.filter(ownerships__location_id=location_id, active=True, role="owner").values(
        "email"
    )
    return [str(r["email"]) for r in rows]
