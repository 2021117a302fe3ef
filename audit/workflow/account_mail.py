"""Sending invitation and password-reset e-mails from the queue every node shares.

The same protocol as report e-mails (:mod:`audit.workflow.delivery`): a node
claims one due link for an attempt under a lease, checks the lease once more
just before handing the message to the mail server, records the attempt sent
or failed (retried with the same capped backoff), and sleeps until the next
one falls due.  An e-mail is small, so the lease covers the whole send
without renewal.  A link that died before its e-mail went out (used,
replaced by a newer one, expired, its user deactivated) is dropped, never
sent.  The token is made from the row's nonce at the moment of sending
(:func:`audit.workflow.invitations.token_for`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from babel.dates import format_date

from audit.catalogue import N_, Words
from audit.settings import Settings
from audit.store import account_tokens as queue
from audit.store.account_tokens import MailClaim, MailContent
from audit.workflow.delivery import (
    MAX_ATTEMPTS,
    POLL_SECONDS,
    SMTP_TIMEOUT,
    _next_attempt,
    parse_smtp_url,
    send_email,
)
from audit.workflow.invitations import link_for, token_for

log = logging.getLogger("audit.workflow.account_mail")

# Connecting, STARTTLS, logging in and sending: each under SMTP_TIMEOUT.
SEND_LEASE = timedelta(seconds=5 * SMTP_TIMEOUT)
BATCH = 100

ROLE_PHRASES = {
    "auditor": N_("a mystery shopper, to visit locations and fill in checklists on your phone"),
    "owner": N_("a location owner, to read the experience reports of your locations"),
    "hq": N_("a member of HQ, to assign visits, review audits and compare locations"),
}


def _when(moment: datetime, _: Words) -> str:
    """ "03 December 2026, 14:05 UTC" ("03 décembre 2026, 14:05 UTC")."""
    stamp = moment.astimezone(UTC)
    day = format_date(stamp.date(), "dd MMMM y", locale=_.language)
    return _("{day}, {time} UTC", day=day, time=f"{stamp:%H:%M}")


def compose(settings: Settings, content: MailContent, link: str) -> EmailMessage:
    """The e-mail in the user's language (AUDIT_LANGUAGE when they chose none)."""
    _ = Words(content.language or settings.language)
    greeting = _("Hello {name},", name=content.name) if content.name else _("Hello,")
    brand = settings.brand_name
    until = _when(content.expires_at, _)
    if content.purpose == "invite":
        subject = _("You are invited to {brand} audits", brand=brand)
        role = ROLE_PHRASES.get(content.role)
        lines = [
            greeting,
            "",
            _(
                "You have been invited to {brand} audits as {role}.",
                brand=brand,
                role=_(role) if role else content.role,
            ),
            "",
            _("Choose your password here, then sign in with this e-mail address:"),
            "",
            link,
            "",
            _("The link works once, until {until}.", until=until),
            _("If you were not expecting this invitation, ignore this e-mail."),
        ]
    else:
        subject = _("Choose a new password for {brand} audits", brand=brand)
        lines = [
            greeting,
            "",
            _("Someone (we hope you) asked for a new password for {email}.", email=content.email),
            _("Choose one here:"),
            "",
            link,
            "",
            _(
                "The link works once, until {until}. Using it signs you out on every other device.",
                until=until,
            ),
            _("If you did not ask, ignore this e-mail: your password stays as it is."),
        ]
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from
    message["To"] = content.email
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message.set_content("\n".join(lines) + "\n")
    return message


class LeaseLost(Exception):
    pass


class AccountMailer:
    """Sends queued invitation and reset e-mails; one per app, started in its lifespan."""

    def __init__(self, settings: Settings, poll_seconds: float = POLL_SECONDS) -> None:
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.target = parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return self.target is not None

    def wake(self) -> None:
        """A link was queued here: send it now rather than at the next poll."""
        if self._wake is not None:
            self._wake.set()

    async def send_due(self, now: datetime | None = None) -> int:
        if self.target is None:
            return 0
        sent = 0
        now = now or datetime.now(UTC)
        for _ in range(BATCH):
            claim = await queue.claim_next(now, now + SEND_LEASE, MAX_ATTEMPTS)
            if claim is None:
                break
            sent += await self._attempt(claim, now)
        return sent

    async def _attempt(self, claim: MailClaim, now: datetime) -> bool:
        try:
            content = await queue.mail_content(claim)
            if (
                content is None
                or content.spent
                or not content.active
                or content.expires_at <= datetime.now(UTC)
            ):
                await queue.mark_dropped(claim)
                return False
            token = token_for(self.settings.secret_key, content.nonce)
            message = compose(self.settings, content, link_for(self.settings, token))
            if not await queue.renew(claim, datetime.now(UTC) + SEND_LEASE):
                raise LeaseLost()
            assert self.target is not None
            await asyncio.to_thread(send_email, self.target, message)
        except LeaseLost:
            log.warning("account e-mail %s was taken over by another node", claim.id)
            return False
        except Exception as exc:  # recorded and retried, never lost
            retry = _next_attempt(claim.attempt, now)
            await queue.mark_failed(claim, str(exc) or type(exc).__name__, retry)
            log.warning("account e-mail %s failed (%s); retry at %s", claim.id, exc, retry)
            return False
        return await queue.mark_sent(claim, datetime.now(UTC))

    async def _pause(self) -> float:
        now = datetime.now(UTC)
        due = await queue.next_due_at(now, MAX_ATTEMPTS)
        if due is None:
            return self.poll_seconds
        wait = (due - now).total_seconds() + 0.2
        return min(self.poll_seconds, max(0.2, wait))

    async def run(self) -> None:
        self._wake = asyncio.Event()
        while True:
            pause = self.poll_seconds
            try:
                await self.send_due()
                pause = await self._pause()
            except Exception:  # the database may be briefly away; try again next round
                log.exception("account e-mail pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)
            self._wake.clear()

    def start(self) -> None:
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self.run(), name="account-mailer")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
