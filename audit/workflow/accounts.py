"""Signing in under the throttle, and ending a user's access.

The throttle counts attempts per (account, address), per address and per
account (:mod:`audit.store.accounts`).  Every attempt is counted *before* its
password is checked, in one statement that returns the new count, so thirty
guesses sent at once meet the same limit as thirty sent in a row.  The
account-wide limit never locks the real user out: past it, only addresses
that have already failed on the account are refused, and a sign-in from an
address that has not failed lifts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit.auth import verify_password
from audit.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized
from audit.i18n import language_problem
from audit.models import User
from audit.store import accounts


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str  # for the cookie
    csrf_token: str


def _throttled(until: datetime) -> TooManyRequests:
    wait = max(1, int((until - accounts.now()).total_seconds()))
    return TooManyRequests(
        "too many failed sign-ins; try again later", headers={"Retry-After": str(wait)}
    )


async def sign_in(email: str, password: str, address: str) -> SignedIn:
    """Check the password under the throttle and open a session; 401 or 429 otherwise."""
    keys = accounts.throttle_keys(email, address)
    account_count, account_ends = await accounts.attempts(keys.account)
    if account_count >= accounts.ACCOUNT_LOCK_FAILURES:
        pair_count, pair_ends = await accounts.attempts(keys.pair)
        if pair_count > 0:
            raise _throttled(max(account_ends, pair_ends))
    pair_count, pair_ends = await accounts.count_attempt(keys.pair)
    if pair_count > accounts.MAX_ATTEMPTS_PER_PAIR:
        raise _throttled(pair_ends)
    client_count, client_ends = await accounts.count_attempt(keys.client)
    if client_count > accounts.MAX_ATTEMPTS_PER_CLIENT:
        await accounts.uncount_attempt(keys.pair)  # refused unchecked: not a guess
        raise _throttled(client_ends)
    account_count, _ = await accounts.count_attempt(keys.account)
    user = await accounts.user_by_email(email)
    # An invited user has no password yet (""): nothing signs them in.
    stored = (user.password_hash or None) if user else None
    if not await verify_password(stored, password) or user is None:
        raise Unauthorized("wrong email or password")
    # The password was right: this attempt was no failure, nor the typos before it.
    await accounts.forgive_attempts(keys.pair, pair_count)
    await accounts.uncount_attempt(keys.client)
    if account_count > accounts.ACCOUNT_LOCK_FAILURES:
        await accounts.clear_throttle(keys.account)  # the real user is back: lift the lock
    else:
        await accounts.uncount_attempt(keys.account)
    token, csrf = await accounts.open_session(user)
    return SignedIn(user, token, csrf)


@dataclass(frozen=True)
class AccessEnded:
    email: str
    sessions: int  # how many were ended


async def _user(user: str | int) -> User:
    """The user of an e-mail address (the command line) or an id (HQ's pages); 404 if none."""
    if isinstance(user, int):
        found = await accounts.user_by_id(user)
        if found is None:
            raise NotFound("no such user")
        return found
    found = await accounts.user_by_address(user)
    if found is None:
        raise NotFound(f"no user {user.strip().lower()!r}")
    return found


async def end_sessions(user: str | int) -> AccessEnded:
    """Sign the user out on every device (a lost phone); they may sign in again."""
    found = await _user(user)
    return AccessEnded(found.email, await accounts.end_sessions(found.id))


async def deactivate(user: str | int, by_user_id: int | None = None) -> AccessEnded:
    """The user can no longer sign in, and every session of theirs ends now.

    ``by_user_id`` is who asks (HQ on the web): nobody deactivates themselves,
    so the last HQ account cannot lock HQ out.
    """
    found = await _user(user)
    if found.id == by_user_id:
        raise Conflict("you cannot deactivate your own account")
    return AccessEnded(found.email, await accounts.deactivate(found.id))


async def reactivate(user: str | int) -> str:
    """A deactivated user may sign in again, with the password they had; their e-mail."""
    found = await _user(user)
    await accounts.reactivate(found.id)
    return found.email


async def choose_language(user_id: int, language: Any) -> str | None:
    """Set the user's language (``None`` clears it); 422 naming ``language`` otherwise."""
    if language is not None:
        problem = language_problem(language)
        if problem is not None:
            raise Invalid(f"language {problem}", {"language": problem})
    await accounts.set_language(user_id, language)
    chosen: str | None = language
    return chosen
