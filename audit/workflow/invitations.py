"""Invitations and password resets: single-use links to choose a password.

HQ invites someone (the users page, ``audit user invite``, an import); anyone
may ask for a reset link on the sign-in screen.  Either way the user gets an
e-mail (:mod:`audit.workflow.account_mail`) with a link that works once and
expires (``AUDIT_INVITE_DAYS``, ``AUDIT_RESET_MINUTES``); opening it lets
them choose a password under the usual rules, signs them in, and ends every
other session of theirs.

The token is an HMAC of a random nonce under the secret key; the database
holds the nonce and the token's SHA-256, never the token, so neither a copy
of the database nor its queue of unsent e-mails opens an account.

Asking for a reset never says whether the address has an account: the
answer (and the throttle in front of it) is the same for every address, and
the account is looked up only after the answer has gone
(:func:`request_reset` returns that work for the route to run afterwards).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from audit.auth import hash_password, password_problem, token_hash
from audit.errors import Conflict, Invalid, NotFound, TooManyRequests
from audit.i18n import language_problem
from audit.settings import Settings
from audit.store import account_tokens as tokens
from audit.store import accounts
from audit.store.account_tokens import LiveToken, NewToken
from audit.workflow.accounts import SignedIn

# Reset e-mails one address can be sent in a throttle window (15 minutes):
# enough for a slow mailbox, too few to flood it.
MAX_RESETS_PER_EMAIL = 5
# One client address asking for many accounts' resets.
MAX_RESETS_PER_CLIENT = 30
# Links that do not open, per client address: tokens are 256-bit random, so
# this only stops a client hammering the endpoint.
MAX_BAD_LINKS_PER_CLIENT = 50


def reset_message(settings: Settings) -> str:
    """What the sign-in screen says after a reset request, whoever asked."""
    minutes = settings.reset_minutes
    within = "the hour" if minutes == 60 else f"{minutes} minute{'s' if minutes != 1 else ''}"
    return (
        "If an account uses that address, we have sent it a link to choose a new password."
        f" It works once, within {within}. Check your spam folder if nothing arrives."
    )


DEAD_LINK = "this link has expired or has already been used; ask for a new one"


def token_for(secret_key: str, nonce: str) -> str:
    """The link's token: only a holder of the secret key can make it from the nonce."""
    mac = hmac.new(secret_key.encode(), f"account-token:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def link_for(settings: Settings, token: str) -> str:
    # In the fragment: the browser never sends it to a server, a proxy or a log.
    return f"{settings.public_url}/#/password/{token}"


def mail_enabled(settings: Settings) -> bool:
    return settings.smtp_url is not None


def _new(
    settings: Settings, user_id: int, purpose: str, now: datetime, mailed: bool
) -> tuple[NewToken, str]:
    nonce = secrets.token_urlsafe(32)
    token = token_for(settings.secret_key, nonce)
    lifetime = (
        timedelta(days=settings.invite_days)
        if purpose == "invite"
        else timedelta(minutes=settings.reset_minutes)
    )
    return NewToken(user_id, purpose, token_hash(token), nonce, now + lifetime, mailed), token


@dataclass(frozen=True)
class Invited:
    email: str
    role: str
    created: bool
    expires_at: datetime
    # The link itself, only when there is no mail server to send it: whoever
    # invited hands it over.
    link: str | None


async def invite(
    settings: Settings,
    email: str,
    role: str,
    name: str = "",
    location_codes: list[str] | None = None,
    language: str | None = None,
) -> Invited:
    """Create (or update) the user without a password and queue their invitation.

    ``language`` (audit.i18n, None: not chosen) is theirs from the start.
    """
    email = email.strip().lower()
    existing = await accounts.user_by_address(email)
    if existing is not None and existing.active and existing.password_hash:
        raise Conflict(
            f"{email} already has an account; they can choose a new password"
            " with 'Forgot your password?' on the sign-in screen",
            {"email": "already has an account"},
        )
    problem = None if language is None else language_problem(language)
    if problem is not None:
        raise Invalid(f"language {problem}", {"language": problem})
    try:
        user, created = await accounts.invite_user(email, role, name, location_codes, language)
    except ValueError as exc:
        raise Invalid(str(exc), {"role": str(exc)}) from None
    except LookupError as exc:
        raise Invalid(str(exc), {"locations": str(exc)}) from None
    return await _send_invitation(settings, user.id, user.email, user.role, created)


async def _send_invitation(
    settings: Settings, user_id: int, email: str, role: str, created: bool
) -> Invited:
    now = accounts.now()
    mailed = mail_enabled(settings)
    new, token = _new(settings, user_id, "invite", now, mailed)
    await tokens.create_tokens([new], now)
    return Invited(
        email, role, created, new.expires_at, None if mailed else link_for(settings, token)
    )


async def resend_invitation(settings: Settings, user_id: int) -> Invited:
    """A new invitation for a user who has not chosen a password yet (the old link dies)."""
    user = await accounts.user_by_id(user_id)
    if user is None:
        raise NotFound("no such user")
    if not user.active or user.password_hash:
        raise Conflict(
            f"{user.email} is not waiting for an invitation"
            + (" (deactivated)" if not user.active else " (they have a password)")
        )
    return await _send_invitation(settings, user.id, user.email, user.role, False)


async def invite_added(settings: Settings, user_ids: list[int]) -> int:
    """Invitations for users an import added; none without a mail server.  How many."""
    if not mail_enabled(settings) or not user_ids:
        return 0
    now = accounts.now()
    await tokens.create_tokens([_new(settings, i, "invite", now, True)[0] for i in user_ids], now)
    return len(user_ids)


def _throttled(until: datetime, what: str) -> TooManyRequests:
    wait = max(1, int((until - accounts.now()).total_seconds()))
    return TooManyRequests(f"too many {what}; try again later", headers={"Retry-After": str(wait)})


async def request_reset(
    settings: Settings, email: str, address: str
) -> Callable[[], Awaitable[None]]:
    """Count the request under the throttle (429 past it, for every address alike) and
    return the work to do once the answer has gone: look the account up, queue its link."""
    folded = email.strip().lower()
    count, ends = await accounts.count_attempt(f"reset:{folded}")
    if count > MAX_RESETS_PER_EMAIL:
        raise _throttled(ends, "password reset requests")
    count, ends = await accounts.count_attempt(f"reset-client:{address}")
    if count > MAX_RESETS_PER_CLIENT:
        raise _throttled(ends, "password reset requests")

    async def send_link() -> None:
        user = await accounts.user_by_email(folded)  # active users only
        if user is None or not mail_enabled(settings):
            return
        now = accounts.now()
        new, _ = _new(settings, user.id, "reset", now, True)
        await tokens.create_tokens([new], now)

    return send_link


async def open_link(token: str, address: str) -> LiveToken:
    """The live link of ``token``, or 404 (and a counted failure for this client)."""
    key = f"link:{address}"
    count, ends = await accounts.count_attempt(key)
    if count > MAX_BAD_LINKS_PER_CLIENT:
        raise _throttled(ends, "links that do not work")
    found = await tokens.live_token(token_hash(token), accounts.now()) if token else None
    if found is None:
        raise NotFound(DEAD_LINK, {"token": "expired or used"})
    await accounts.uncount_attempt(key)
    return found


async def use_link(token: str, password: str, address: str) -> SignedIn:
    """Set the password chosen from a link, end every other session, sign in here."""
    found = await open_link(token, address)
    problem = password_problem(password, found.email, found.name)
    if problem is not None:
        raise Invalid(problem, {"password": problem})
    # argon2 is slow on purpose: off the event loop.
    password_hash = await asyncio.to_thread(hash_password, password)
    if not await tokens.spend(found, password_hash, accounts.now()):
        raise NotFound(DEAD_LINK, {"token": "expired or used"})
    user = await accounts.user_by_id(found.user_id)
    if user is None:  # deleted in between
        raise NotFound(DEAD_LINK, {"token": "expired or used"})
    token_value, csrf = await accounts.open_session(user)
    return SignedIn(user, token_value, csrf)
