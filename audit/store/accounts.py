"""Users, ownership, sessions and the sign-in throttle."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from audit.auth import Principal, hash_password, new_token, token_hash
from audit.models import ROLES, AccountToken, Location, LocationOwner, LoginThrottle, Session, User
from audit.store import sql

# Sign-in attempts are counted per key in fixed windows (see docs/reliability.md,
# "Sign-in throttle").  Each attempt is counted before its password is checked,
# so a burst sent at once is cut off at the limit like one sent in a row.
THROTTLE_WINDOW = timedelta(minutes=15)
# One address guessing one account: ten tries a quarter of an hour, plenty for
# a person who mistypes and slow for a guesser.  The real user elsewhere is not
# affected.
MAX_ATTEMPTS_PER_PAIR = 10
# One address across every account (credential stuffing); offices and proxies
# share an address, so more.
MAX_ATTEMPTS_PER_CLIENT = 200
# One account from every address (many addresses guessing): past this many
# failures the account refuses addresses that have failed on it, while an
# address that has not failed still signs in, and its success lifts the lock.
ACCOUNT_LOCK_FAILURES = 100


@dataclass(frozen=True)
class ThrottleKeys:
    pair: str  # the account from this address
    client: str  # this address, any account
    account: str  # the account, any address


def throttle_keys(email: str, address: str) -> ThrottleKeys:
    account = email.strip().lower()
    return ThrottleKeys(f"pair:{account}|{address}", f"client:{address}", f"account:{account}")


def now() -> datetime:
    return datetime.now(UTC)


async def add_user(
    email: str,
    role: str,
    password: str,
    name: str = "",
    location_codes: list[str] | None = None,
    language: str | None = None,
) -> tuple[User, bool]:
    """Create the user, or update role/name/password of an existing one (ending its sessions).

    ``language`` (audit.i18n) is set when given; None keeps an existing user's.
    """
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
            user = await User.create(
                email=email, role=role, name=name, password_hash=pw_hash, language=language
            )
        else:
            user.role = role
            user.name = name or user.name
            user.language = language or user.language
            user.password_hash = pw_hash
            # Adding a user again restores a deactivated one.
            user.active = True
            await user.save()
            # A new password ends every session signed in with the old one,
            # and every invitation or reset link still open.
            await Session.filter(user_id=user.id).delete()
            await AccountToken.filter(user_id=user.id, spent_at__isnull=True).update(spent_at=now())
        for location in locations:
            with contextlib.suppress(IntegrityError):
                await LocationOwner.get_or_create(user=user, location=location)
    return user, created


async def invite_user(
    email: str,
    role: str,
    name: str = "",
    location_codes: list[str] | None = None,
    language: str | None = None,
) -> tuple[User, bool]:
    """Create a user without a password (they choose one from their invitation), or
    update one: role, name, the owner's locations; a deactivated one is restored
    without its old password.  (user, whether it was created)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    email = email.strip().lower()
    codes = list(dict.fromkeys(location_codes or []))
    if codes and role != "owner":
        raise ValueError("only owners own locations")
    async with in_transaction():
        locations = await Location.filter(code__in=codes) if codes else []
        unknown = sorted(set(codes) - {loc.code for loc in locations})
        if unknown:
            raise LookupError(f"unknown location {unknown[0]!r}")
        user = await User.get_or_none(email=email)
        created = user is None
        if user is None:
            user = await User.create(
                email=email, role=role, name=name, password_hash="", language=language
            )
        else:
            if not user.active:
                user.password_hash = ""
            user.role = role
            user.name = name or user.name
            user.language = language or user.language
            user.active = True
            await user.save()
        for location in locations:
            with contextlib.suppress(IntegrityError):
                await LocationOwner.get_or_create(user=user, location=location)
    return user, created


async def reactivate(user_id: int) -> bool:
    """Let a deactivated user sign in again (with the password they had); False if none."""
    return bool(await User.filter(id=user_id).update(active=True))


async def set_language(user_id: int, language: str | None) -> None:
    """Record the user's language (None: not chosen)."""
    await User.filter(id=user_id).update(language=language)


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
    "SELECT s.id, s.csrf_token, s.expires_at, u.id AS user_id, u.email, u.name, u.role, u.active,"
    " u.language"
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
        row["user_id"],
        row["email"],
        row["name"],
        row["role"],
        row["csrf_token"],
        row["id"],
        language=row["language"],
    )


async def close_session(session_id: int) -> None:
    await Session.filter(id=session_id).delete()


async def user_by_address(email: str) -> User | None:
    """The user of ``email``, active or not."""
    return await User.get_or_none(email=email.strip().lower())


async def user_by_id(user_id: int) -> User | None:
    return await User.get_or_none(id=user_id)


async def end_sessions(user_id: int) -> int:
    """Delete every session of the user (each of their devices is signed out); how many."""
    return await Session.filter(user_id=user_id).delete()


async def deactivate(user_id: int) -> int:
    """Mark the user inactive and end their sessions, in one transaction; sessions ended."""
    async with in_transaction():
        await User.filter(id=user_id).update(active=False)
        return await Session.filter(user_id=user_id).delete()


@dataclass(frozen=True)
class UserLine:
    id: int
    email: str
    name: str
    role: str
    active: bool
    sessions: int  # live ones
    has_password: bool = True

    @property
    def state(self) -> str:
        if not self.active:
            return "deactivated"
        return "active" if self.has_password else "invited"


USER_STATES = ("invited", "active", "deactivated")


async def user_lines(
    limit: int, offset: int, role: str | None = None, state: str | None = None
) -> tuple[int, list[UserLine]]:
    """(how many users match, one page of them by role and e-mail, with their live
    sessions); ``role`` and ``state`` (invited, active, deactivated) filter."""
    query = User.all()
    if role is not None:
        query = query.filter(role=role)
    if state == "deactivated":
        query = query.filter(active=False)
    elif state == "invited":
        query = query.filter(active=True, password_hash="")
    elif state == "active":
        query = query.filter(active=True).exclude(password_hash="")
    total = await query.count()
    users = await query.order_by("role", "email").offset(offset).limit(limit)
    counts: dict[int, int] = {}
    if users:
        rows = (
            await Session.filter(user_id__in=[u.id for u in users], expires_at__gt=now())
            .group_by("user_id")
            .annotate(n=Count("id"))
            .values("user_id", "n")
        )
        counts = {int(r["user_id"]): int(r["n"]) for r in rows}
    return total, [
        UserLine(
            u.id, u.email, u.name, u.role, u.active, counts.get(u.id, 0), bool(u.password_hash)
        )
        for u in users
    ]


# One statement counts the attempt and reads the count back: concurrent
# attempts each see a different number (a read before the write would let a
# burst all see the same one).  SQLite (3.35+) and PostgreSQL both take it.
_COUNT_SQL = (
    'INSERT INTO "login_throttle" ("key", "failures", "window_start") VALUES (?, 1, ?)'
    ' ON CONFLICT ("key") DO UPDATE SET "failures" = "login_throttle"."failures" + 1'
    ' RETURNING "failures", "window_start"'
)
_WINDOW_START = LoginThrottle._meta.fields_map["window_start"]


async def count_attempt(key: str) -> tuple[int, datetime]:
    """Count one attempt on ``key``; the count including it and when its window ends."""
    stamp = now()
    # A window that has passed starts again (a race here only restarts it twice).
    await LoginThrottle.filter(key=key, window_start__lt=stamp - THROTTLE_WINDOW).delete()
    rows = await sql.fetch(
        LoginThrottle,
        _COUNT_SQL,
        sql.db_values(LoginThrottle, {"key": key, "window_start": stamp}),
    )
    started = _WINDOW_START.to_python_value(rows[0]["window_start"])
    return int(rows[0]["failures"]), started + THROTTLE_WINDOW


async def uncount_attempt(key: str) -> None:
    """Take back an attempt that was not a failure (the password was right)."""
    await LoginThrottle.filter(key=key, failures__gt=0).update(failures=F("failures") - 1)


async def attempts(key: str) -> tuple[int, datetime]:
    """Attempts counted on ``key`` in its current window (0 once it has passed), and its end."""
    stamp = now()
    row = await LoginThrottle.get_or_none(key=key, window_start__gte=stamp - THROTTLE_WINDOW)
    if row is None:
        return 0, stamp
    return row.failures, row.window_start + THROTTLE_WINDOW


async def clear_throttle(key: str) -> None:
    await LoginThrottle.filter(key=key).delete()


async def forgive_attempts(key: str, counted: int) -> None:
    """After a right password that was attempt number ``counted``: forget the failures
    before it, but not attempts counted since (a burst still in flight stays limited)."""
    if not await LoginThrottle.filter(key=key, failures=counted).delete():
        await uncount_attempt(key)


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


async def owner_language(location_id: int) -> str | None:
    """The language of the location's first owner (by ownership) who chose one."""
    row = (
        await LocationOwner.filter(
            location_id=location_id,
            user__active=True,
            user__role="owner",
            user__language__isnull=False,
        )
        .order_by("id")
        .first()
        .values("user__language")
    )
    return None if row is None else str(row["user__language"])


async def language_of(email: str) -> str | None:
    """The language the user of ``email`` chose, if any (and if there is such a user)."""
    user = await user_by_address(email)
    return None if user is None else user.language


async def owner_emails(location_id: int) -> list[str]:
    rows = await User.filter(ownerships__location_id=location_id, active=True, role="owner").values(
        "email"
    )
    return [str(r["email"]) for r in rows]
