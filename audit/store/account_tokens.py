"""Invitation and password-reset links, and the queue of their e-mails.

A link is spent by one conditional UPDATE (``spent_at IS NULL``), so of two
uses at once exactly one wins.  Its e-mail is claimed for an attempt the way
a report delivery is (:mod:`audit.store.deliveries`): the row moves to
"sending" with a lease in ``mail_next_at`` and its attempt counted, and that
attempt number fences every later update, so a node whose lease ran out can
no longer record anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from audit.models import AccountToken, Session, User
from audit.store.leases import LeasedQueue

PURPOSES = ("invite", "reset")


@dataclass(frozen=True)
class NewToken:
    user_id: int
    purpose: str
    token_hash: str
    nonce: str
    expires_at: datetime
    mailed: bool  # False: no mail server, the link is handed over by hand


async def create_tokens(tokens: Sequence[NewToken], now: datetime) -> None:
    """Store new links; each replaces the unspent links of its user and purpose."""
    for purpose in PURPOSES:
        users = [t.user_id for t in tokens if t.purpose == purpose]
        for start in range(0, len(users), 500):
            await AccountToken.filter(
                user_id__in=users[start : start + 500], purpose=purpose, spent_at__isnull=True
            ).update(spent_at=now)
    await AccountToken.bulk_create(
        [
            AccountToken(
                user_id=t.user_id,
                purpose=t.purpose,
                token_hash=t.token_hash,
                nonce=t.nonce,
                expires_at=t.expires_at,
                mail_status="pending" if t.mailed else "none",
            )
            for t in tokens
        ],
        batch_size=500,
    )


@dataclass(frozen=True)
class LiveToken:
    id: int
    user_id: int
    purpose: str
    email: str
    name: str
    role: str
    expires_at: datetime


async def live_token(token_hash: str, now: datetime) -> LiveToken | None:
    """The link of this hash if it still opens: unspent, unexpired, its user active."""
    row = (
        await AccountToken.filter(
            token_hash=token_hash, spent_at__isnull=True, expires_at__gt=now, user__active=True
        )
        .prefetch_related("user")
        .first()
    )
    if row is None:
        return None
    user: User = row.user
    return LiveToken(row.id, user.id, row.purpose, user.email, user.name, user.role, row.expires_at)


async def spend(token: LiveToken, password_hash: str, now: datetime) -> bool:
    """Use the link: the new password, every other link of the user spent, every
    session ended; False (nothing changed) when it was spent or expired meanwhile."""
    async with in_transaction():
        won = await AccountToken.filter(
            id=token.id, spent_at__isnull=True, expires_at__gt=now
        ).update(spent_at=now)
        if not won:
            return False
        await User.filter(id=token.user_id).update(password_hash=password_hash)
        await AccountToken.filter(user_id=token.user_id, spent_at__isnull=True).update(spent_at=now)
        await Session.filter(user_id=token.user_id).delete()
    return True


@dataclass(frozen=True)
class Invitation:
    expires_at: datetime
    mail_status: str


async def open_invitations(user_ids: Sequence[int], now: datetime) -> dict[int, Invitation]:
    """The newest live invitation of each of these users."""
    rows = (
        await AccountToken.filter(
            user_id__in=list(user_ids), purpose="invite", spent_at__isnull=True, expires_at__gt=now
        )
        .order_by("id")
        .values("user_id", "expires_at", "mail_status")
    )
    return {int(r["user_id"]): Invitation(r["expires_at"], r["mail_status"]) for r in rows}


# ---- the e-mail queue


@dataclass(frozen=True)
class MailClaim:
    id: int
    attempt: int  # the fencing token of every update below


QUEUE = LeasedQueue(
    AccountToken,
    status="mail_status",
    attempts="mail_attempts",
    next_at="mail_next_at",
    error="mail_error",
    sent_at="mail_sent_at",
)


async def claim_next(now: datetime, lease_until: datetime, max_attempts: int) -> MailClaim | None:
    taken = await QUEUE.claim(now, lease_until, max_attempts)
    return MailClaim(taken[0].id, taken[1]) if taken else None


@dataclass(frozen=True)
class MailContent:
    purpose: str
    nonce: str
    expires_at: datetime
    spent: bool
    email: str
    name: str
    role: str
    active: bool
    language: str | None = None  # the user's (audit.i18n), None when not chosen


async def mail_content(claim: MailClaim) -> MailContent | None:
    row = await AccountToken.filter(id=claim.id).prefetch_related("user").first()
    if row is None:
        return None
    user: User = row.user
    return MailContent(
        row.purpose,
        row.nonce,
        row.expires_at,
        row.spent_at is not None,
        user.email,
        user.name,
        user.role,
        user.active,
        user.language,
    )


async def renew(claim: MailClaim, lease_until: datetime) -> bool:
    return await QUEUE.renew(claim.id, claim.attempt, lease_until)


async def mark_sent(claim: MailClaim, now: datetime) -> bool:
    return await QUEUE.mark_sent(claim.id, claim.attempt, now)


async def mark_dropped(claim: MailClaim) -> bool:
    """The link died (used, replaced, expired, user deactivated) before it was sent."""
    return await QUEUE.mark_done_unsent(claim.id, claim.attempt, "dropped")


async def mark_failed(claim: MailClaim, error: str, next_attempt_at: datetime | None) -> bool:
    return await QUEUE.mark_failed(claim.id, claim.attempt, error, next_attempt_at)


async def next_due_at(now: datetime, max_attempts: int) -> datetime | None:
    return await QUEUE.next_due_at(now, max_attempts)


async def delete_dead_links(expired_before: datetime) -> int:
    """Delete the links that expired before ``expired_before`` (used or not)."""
    return await AccountToken.filter(expires_at__lt=expired_before).delete()
