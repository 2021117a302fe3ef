"""E-mailing the report to the location's owners when HQ approves an audit.

An approval never waits for, or fails because of, the mail server: approving
records one ``Delivery`` row per owner (:meth:`ReportMailer.queue`), and a
background task sends what is due (:meth:`ReportMailer.run`). A failed attempt
is recorded with its error and tried again later with capped exponential
backoff; after ``MAX_ATTEMPTS`` the delivery is marked abandoned, still
visible to HQ. Without ``AUDIT_SMTP_URL`` nothing is queued.

Every node of the service sends from the same queue (:mod:`audit.store.deliveries`).
An attempt holds a lease of ``SEND_LEASE``, renewed every ``LEASE_RENEWAL``
while it renders and sends, and checked once more just before the message is
handed to the mail server: a node that dies mid-send (or stalls past its
lease) leaves the delivery to the first node that finds the lease run out,
and never sends it after that. Each node sleeps until the next retry or lease
falls due, so that takeover comes within seconds. The one window left is a
node dying after the mail server accepted the message and before the row
says so: the next node sends it again, under the same ``Message-ID``, which
mail clients use to show it once.

``AUDIT_SMTP_URL``: ``smtp://[user:password@]host[:port]`` (plain, port 25),
``smtp+starttls://…`` (STARTTLS, port 587) or ``smtps://…`` (TLS, port 465).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import smtplib
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from audit.answers import Answer
from audit.checklist import Item
from audit.models import Appeal, Assignment, Audit, Delivery
from audit.presentation import appeal_status_label, describe_answer, touchpoint_label
from audit.report.data import ReportData, report_filename
from audit.report.pool import RenderPool, cached_report_pdf, report_cache
from audit.report.view import date_text, report_context
from audit.settings import Settings
from audit.store import accounts as account_store
from audit.store import actions as action_store
from audit.store import appeals as appeal_store
from audit.store import deliveries as queue_store
from audit.store import notices as notice_store
from audit.store import reports as store
from audit.store.accounts import owner_emails
from audit.store.checklists import current_version, parsed
from audit.store.deliveries import Claim
from audit.store.locks import single_node
from audit.store.notices import NoticeClaim
from audit.workflow.reports import freeze_benchmarks, report_data_for_audit

log = logging.getLogger("audit.workflow.delivery")

MAX_ATTEMPTS = 10  # with the backoff below: about two days of trying
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
# A live node renews its lease three times a lease, so only a node dead (or
# frozen) for SEND_LEASE loses its delivery to another.
SEND_LEASE = timedelta(seconds=15)
LEASE_RENEWAL = 5.0  # seconds
SMTP_TIMEOUT = 30.0  # seconds per SMTP operation
# The longest a node sleeps between looks at the queue: how soon it notices
# deliveries another node queued (its own wake it at once) or left behind.
POLL_SECONDS = 5.0
BATCH = 100  # deliveries one pass attempts at most, so a backlog does not hold a pass for ever


# Overdue actions are looked for this often; a reminder is queued once per
# action, owner and day (Delivery.purpose), so an hourly look sends each
# owner at most one reminder of an action a day, whichever node looks.
REMINDER_SECONDS = 3600.0
REMINDER_PREFIX = "action:"


def reminder_purpose(action_id: int, day: date) -> str:
    """The Delivery.purpose of the reminder of one action on one day."""
    return f"{REMINDER_PREFIX}{action_id}:{day.isoformat()}"


def reminder_action_id(purpose: str) -> int | None:
    if not purpose.startswith(REMINDER_PREFIX):
        return None
    return int(purpose.removeprefix(REMINDER_PREFIX).split(":", 1)[0])


# HQ's decision on an owner's appeal: once per appeal and owner.
APPEAL_PREFIX = "appeal:"


def appeal_purpose(appeal_uuid: str) -> str:
    """The Delivery.purpose of the e-mail that tells the owners HQ's decision on one appeal."""
    return f"{APPEAL_PREFIX}{appeal_uuid}"


class DeliveryError(Exception):
    """The report could not be handed to the mail server."""


class LeaseLost(Exception):
    """Another node has taken this delivery over: this one must not send it."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    security: str  # "plain" | "starttls" | "tls"
    username: str | None = None
    password: str | None = None


_SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise ValueError(
            "AUDIT_SMTP_URL must look like smtp://host:port, smtp+starttls://… or smtps://…"
        )
    security, default_port = _SCHEMES[parts.scheme]
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def send_email(target: SmtpTarget, message: EmailMessage) -> None:
    """Blocking: hand one message to the server (run it in a thread)."""
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if target.security == "tls":
            smtp = smtplib.SMTP_SSL(target.host, target.port, timeout=SMTP_TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(target.host, target.port, timeout=SMTP_TIMEOUT)
        with smtp:
            if target.security == "starttls":
                smtp.starttls(context=context)
            if target.username:
                smtp.login(target.username, target.password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def message_id(delivery_id: int, audit_uuid: str, recipient: str, sender: str) -> str:
    """The same for every attempt at one delivery, so a resent copy is known as the same."""
    digest = hashlib.sha256(f"{audit_uuid}/{recipient}".encode()).hexdigest()[:20]
    return f"<report.{delivery_id}.{digest}@{sender.rpartition('@')[2] or 'localhost'}>"


def compose_email(
    data: ReportData, pdf: bytes, recipient: str, sender: str, msgid: str | None = None
) -> EmailMessage:
    """The owner's e-mail: the summary of page 2 as text, the report attached."""
    c = report_context(data)
    lines = [
        f"The customer experience report of {data.location_name} for the visit of"
        f" {c['visit_date']} is attached.",
        "",
        f"Overall score: {c['overall']} out of 100 ({c['overall_band'].label})",
        f"Service, your staff's exchanges with the customer: {c['service']}",
        f"Experience, everything the customer met without staff: {c['experience']}",
    ]
    if c["nps"] is not None:
        lines.append(f"Would recommend: {c['nps'].value} out of 10")
    for critical in c["criticals"]:
        lines += ["", f"Critical failure at {critical.touchpoint}: {critical.text}"]
        lines.append(f"  Shopper's answer: {critical.answer}")
    if c["criticals"]:
        capped = f"A failed critical item caps the overall score at {c['critical_cap']}."
        if c["uncapped"]:
            capped += f" Without it, this visit would have scored {c['uncapped']}."
        lines.append(capped)
    if c["since"] is not None:
        lines += ["", f"Since the last visit: {c['since'].summary}"]
    for title, items in (("What went well", c["strongest"]), ("What to fix first", c["weakest"])):
        if items:
            lines += ["", f"{title}:"]
            lines += [f"  - {h.text} ({h.touchpoint}: {h.answer})" for h in items]
    lines += [
        "",
        "The report compares this visit with your region and the brand, and lists every",
        "observation of the shopper in the order of the customer's journey.",
    ]
    message = EmailMessage()
    message["Subject"] = (
        f"Customer experience report: {data.location_name}, {c['visit_date']} ({c['overall']}/100)"
    )
    message["From"] = sender
    message["To"] = recipient
    message["Message-ID"] = msgid or make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content("\n".join(lines) + "\n")
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=report_filename(data)
    )
    return message


def compose_reminder(
    reminder: action_store.Reminder, day: date, recipient: str, sender: str, msgid: str
) -> EmailMessage:
    """The owner's reminder of one overdue corrective action (no report attached)."""
    action = reminder.action
    checklist = parsed(reminder.version)
    item_text = next((i.text for i in checklist.items() if i.id == action.item_id), action.item_id)
    due = action.due if isinstance(action.due, date) else date.fromisoformat(str(action.due))
    late = (day - due).days
    visit = f" of {date_text(reminder.visit_date)}" if reminder.visit_date else ""
    lines = [
        f"A corrective action at {reminder.location_name} was due on {date_text(due)}"
        f" ({late} day{'s' if late != 1 else ''} ago) and is still open.",
        "",
        f"What the visit{visit} found: {item_text} ({touchpoint_label(action.touchpoint)})",
        f"What will be done: {action.what}",
        f"Who: {action.who}",
        "",
        "When it is done, mark it done in the app with a note of what was done;",
        "if it needs longer, change its due date. This reminder comes once a day",
        "while the action is overdue.",
    ]
    message = EmailMessage()
    message["Subject"] = f"Overdue action at {reminder.location_name}: {item_text}"
    message["From"] = sender
    message["To"] = recipient
    message["Message-ID"] = msgid
    message.set_content("\n".join(lines) + "\n")
    return message


def compose_decision(
    appeal: Appeal,
    item: Item,
    location_name: str,
    report: tuple[ReportData, bytes] | None,
    recipient: str,
    sender: str,
    msgid: str,
) -> EmailMessage:
    """The owners' e-mail of HQ's decision on an appeal; the amended report attached.

    Nothing says who at head office decided, nor anything about the shopper.
    """
    label = appeal_status_label(appeal.status)
    before = _answer_text(item, appeal.original)
    lines = [
        f"Head office has decided the appeal about {location_name}: {label.lower()}.",
        "",
        f"The item: {item.text}",
        f"Your reason: {appeal.reason}",
    ]
    if appeal.decided_answer is not None and appeal.status != "rejected":
        lines.append(
            f"The item now reads: {_answer_text(item, appeal.decided_answer)}"
            f" (first reported: {before})"
        )
    else:
        lines.append(f"The item stays as reported: {before}")
    lines += ["", "Head office's note:", appeal.decision_note]
    if report is not None:
        data, _ = report
        lines += [
            "",
            f"Every score was worked out again: the report is attached as version {data.version},"
            f" amended on {date_text(data.amended_on) if data.amended_on else ''}.",
        ]
    message = EmailMessage()
    message["Subject"] = f"Appeal {label.lower()}: {location_name}, {item.text}"
    message["From"] = sender
    message["To"] = recipient
    message["Message-ID"] = msgid
    message.set_content("\n".join(lines) + "\n")
    if report is not None:
        data, pdf = report
        message.add_attachment(
            pdf, maintype="application", subtype="pdf", filename=report_filename(data)
        )
    return message


def _answer_text(item: Item, raw: Mapping[str, Any] | None) -> str:
    if raw is None:
        return "as reported"
    answer = Answer(value=raw.get("value"), na=bool(raw.get("na", False)))
    return describe_answer(item, answer).text


def compose_assignment_email(
    row: Assignment, checklist_title: str, recipient: str, sender: str, msgid: str
) -> EmailMessage:
    """The auditor's e-mail: head office gave them a visit; where, what, by when."""
    place = row.location.name
    lines = [
        f"Head office has given you a visit to {place} ({row.location.code}).",
        "",
        f"Checklist: {checklist_title}",
    ]
    if row.location.address:
        lines.append(f"Address: {row.location.address}")
    if row.wave is not None:
        lines.append(f"Wave: {row.wave.name}")
    if row.opens_on:
        lines.append(f"Visit from: {date_text(row.opens_on)}")
    if row.due:
        lines.append(f"Due: {date_text(row.due)}")
    if row.coverage:
        lines.append(f"When: {row.coverage}")
    if row.notes:
        lines += ["", "Your instructions:", row.notes]
    lines += [
        "",
        'Open the app to see it under "Assigned visits" and begin the visit there.',
        "Do not tell anyone at the location that you are a mystery shopper.",
    ]
    message = EmailMessage()
    due = f", due {date_text(row.due)}" if row.due else ""
    message["Subject"] = f"New visit for you: {place}{due}"
    message["From"] = sender
    message["To"] = recipient
    message["Message-ID"] = msgid
    message.set_content("\n".join(lines) + "\n")
    return message


def _next_attempt(attempts: int, now: datetime) -> datetime | None:
    """After the ``attempts``-th failure: 1, 2, 4 … minutes, at most 6 hours; None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    delay: timedelta = min(LONGEST_RETRY, FIRST_RETRY * 2 ** (attempts - 1))
    return now + delay


@contextlib.asynccontextmanager
async def _renewing(claim: Claim) -> AsyncIterator[None]:
    """Keep the claim's lease from running out while its attempt renders and sends."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(LEASE_RENEWAL)
            try:
                await queue_store.renew(claim, datetime.now(UTC) + SEND_LEASE)
            except Exception:  # a database blip: the next renewal, or the check before sending
                log.warning("renewing the lease of report e-mail %s failed", claim.id)

    task = asyncio.create_task(renew(), name=f"lease-{claim.id}")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class ReportMailer:
    """Queues and sends report e-mails; one per app, started in its lifespan."""

    def __init__(
        self,
        settings: Settings,
        pool: RenderPool | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.poll_seconds = poll_seconds
        self.target = parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return self.target is not None

    async def queue(self, audit_uuid: str) -> list[Delivery]:
        """Record a delivery to each owner of the audit's location; call after approving."""
        if not self.enabled:
            return []
        found = await store.approved_audit_location(audit_uuid)
        if found is None:
            return []
        audit_id, location_id = found
        recorded = await queue_store.record_deliveries(audit_id, await owner_emails(location_id))
        if self._wake is not None:
            self._wake.set()
        return recorded

    async def queue_reminders(self, day: date | None = None) -> int:
        """Queue today's reminder of every overdue action to each owner of its location.

        One node at a time (and the unique purpose besides): an action gets
        one reminder per owner and day whichever node looks, however often.
        Returns how many deliveries exist for today's reminders.
        """
        if not self.enabled:
            return 0
        day = day or datetime.now(UTC).date()
        queued = 0
        async with single_node("action-reminders") as ours:
            if not ours:
                return 0
            for action_id, audit_id, location_id in await action_store.overdue_actions(day):
                recipients = await owner_emails(location_id)
                purpose = reminder_purpose(action_id, day)
                queued += len(await queue_store.record_deliveries(audit_id, recipients, purpose))
        if queued and self._wake is not None:
            self._wake.set()
        return queued

    async def on_assigned(self, assignment_id: int, recipient: str) -> bool:
        """The routes' ``app.state.on_assigned`` hook: queue the auditor's e-mail of a visit
        HQ just gave them (nothing without ``AUDIT_SMTP_URL``)."""
        if not self.enabled:
            return False
        await notice_store.record_notice(assignment_id, recipient)
        if self._wake is not None:
            self._wake.set()
        return True

    async def on_approved(self, audit: Audit) -> None:
        """The review route's ``app.state.on_approved`` hook: freeze benchmarks, queue mail."""
        await freeze_benchmarks(audit.uuid, self.settings.benchmark_days)
        await self.queue(audit.uuid)

    async def send_due(self, now: datetime | None = None) -> int:
        """One pass over due deliveries; returns how many were sent."""
        if self.target is None:
            return 0
        sent = 0
        now = now or datetime.now(UTC)
        for _ in range(BATCH):
            claim = await queue_store.claim_next(now, now + SEND_LEASE, MAX_ATTEMPTS)
            if claim is None:
                break
            sent += await self._attempt(claim, now)
        for _ in range(BATCH):
            notice = await notice_store.claim_next(now, now + SEND_LEASE, MAX_ATTEMPTS)
            if notice is None:
                break
            sent += await self._attempt_notice(notice, now)
        return sent

    async def _attempt_notice(self, claim: NoticeClaim, now: datetime) -> bool:
        try:
            sent = await self._send_notice(claim)
        except LeaseLost:
            log.warning("assignment e-mail %s was taken over by another node", claim.id)
            return False
        except Exception as exc:  # recorded and retried, never lost
            retry = _next_attempt(claim.attempt, now)
            await notice_store.mark_failed(claim, str(exc) or type(exc).__name__, retry)
            log.warning("assignment e-mail %s failed (%s); retry at %s", claim.id, exc, retry)
            return False
        if not sent:
            await notice_store.mark_skipped(claim, "the visit is no longer theirs, or started")
            return False
        return await notice_store.mark_sent(claim, datetime.now(UTC))

    async def _send_notice(self, claim: NoticeClaim) -> bool:
        assert self.target is not None
        row = await notice_store.notice_assignment(claim.assignment_id)
        if (
            row is None
            or row.auditor is None
            or row.auditor.email != claim.recipient
            or row.audit_uuid is not None
        ):
            return False
        version = await current_version(row.checklist_slug)
        title = version.title if version is not None else row.checklist_slug
        msgid = message_id(
            claim.id, f"assignment/{row.id}", claim.recipient, self.settings.smtp_from
        )
        message = compose_assignment_email(
            row, title, claim.recipient, self.settings.smtp_from, msgid
        )
        if not await notice_store.renew(claim, datetime.now(UTC) + SEND_LEASE):
            raise LeaseLost()
        await asyncio.to_thread(send_email, self.target, message)
        return True

    async def _attempt(self, claim: Claim, now: datetime) -> bool:
        try:
            async with _renewing(claim):
                sent = await self._send(claim)
        except LeaseLost:
            log.warning("report e-mail %s was taken over by another node", claim.id)
            return False
        except Exception as exc:  # any failure is recorded and retried, never lost
            retry = _next_attempt(claim.attempt, now)
            await queue_store.mark_failed(claim, str(exc) or type(exc).__name__, retry)
            log.warning("report e-mail %s failed (%s); retry at %s", claim.id, exc, retry)
            return False
        if not sent:
            await queue_store.mark_skipped(claim, "the action was done before its reminder went")
            return False
        return await queue_store.mark_sent(claim, datetime.now(UTC))

    async def _send(self, claim: Claim) -> bool:
        """Hand the claim's e-mail to the mail server; False when there is nothing to send."""
        assert self.target is not None
        action_id = reminder_action_id(claim.purpose)
        if action_id is not None:
            return await self._send_reminder(claim, action_id)
        if claim.purpose.startswith(APPEAL_PREFIX):
            return await self._send_decision(claim, claim.purpose.removeprefix(APPEAL_PREFIX))
        audit = await store.audit_by_id(claim.audit_id)
        if audit is None:
            raise DeliveryError("the audit of this delivery is gone")
        # In the recipient's language when they chose one (docs/deploy.md, "Languages").
        language = await account_store.language_of(claim.recipient)
        data = await report_data_for_audit(audit, self.settings, language)
        pdf, _ = await cached_report_pdf(data, report_cache(self.settings), self.pool)
        msgid = message_id(claim.id, audit.uuid, claim.recipient, self.settings.smtp_from)
        message = compose_email(data, pdf, claim.recipient, self.settings.smtp_from, msgid)
        # The last moment to find out that another node took over: after this
        # the message is the mail server's.
        if not await queue_store.renew(claim, datetime.now(UTC) + SEND_LEASE):
            raise LeaseLost()
        await asyncio.to_thread(send_email, self.target, message)
        return True

    async def _send_reminder(self, claim: Claim, action_id: int) -> bool:
        assert self.target is not None
        reminder = await action_store.reminder_of(action_id)
        if reminder is None or reminder.action.status != "open":
            return False  # done (or gone) since it was queued: no reminder
        day = date.fromisoformat(claim.purpose.rsplit(":", 1)[1])
        msgid = message_id(
            claim.id,
            f"{reminder.audit_uuid}/{claim.purpose}",
            claim.recipient,
            self.settings.smtp_from,
        )
        message = compose_reminder(reminder, day, claim.recipient, self.settings.smtp_from, msgid)
        if not await queue_store.renew(claim, datetime.now(UTC) + SEND_LEASE):
            raise LeaseLost()
        await asyncio.to_thread(send_email, self.target, message)
        return True

    async def _send_decision(self, claim: Claim, appeal_uuid: str) -> bool:
        assert self.target is not None
        appeal = await appeal_store.appeal_by_uuid(appeal_uuid)
        audit = await store.audit_by_id(claim.audit_id)
        if appeal is None or audit is None or appeal.status == appeal_store.OPEN:
            return False
        item = parsed(audit.checklist).item_map().get(appeal.item_id)
        if item is None:
            return False
        report: tuple[ReportData, bytes] | None = None
        if appeal.report_version is not None:
            # The report as it stands now (a later decision may have amended it again).
            language = await account_store.language_of(claim.recipient)
            data = await report_data_for_audit(audit, self.settings, language)
            pdf, _ = await cached_report_pdf(data, report_cache(self.settings), self.pool)
            report = (data, pdf)
        msgid = message_id(
            claim.id, f"{audit.uuid}/{claim.purpose}", claim.recipient, self.settings.smtp_from
        )
        message = compose_decision(
            appeal,
            item,
            audit.location.name,
            report,
            claim.recipient,
            self.settings.smtp_from,
            msgid,
        )
        if not await queue_store.renew(claim, datetime.now(UTC) + SEND_LEASE):
            raise LeaseLost()
        await asyncio.to_thread(send_email, self.target, message)
        return True

    async def _pause(self) -> float:
        """Seconds until the next retry or lease falls due (at most ``poll_seconds``)."""
        now = datetime.now(UTC)
        found = [
            d
            for d in (
                await queue_store.next_due_at(now, MAX_ATTEMPTS),
                await notice_store.next_due_at(now, MAX_ATTEMPTS),
            )
            if d is not None
        ]
        if not found:
            return self.poll_seconds
        due = min(found)
        # A moment past the due time, so the row is due when this node looks.
        wait = (due - now).total_seconds() + 0.2
        return min(self.poll_seconds, max(0.2, wait))

    async def run(self) -> None:
        """Send due deliveries now, when woken by :meth:`queue`, and when the next falls due;
        queue the reminders of overdue actions at start and every REMINDER_SECONDS."""
        self._wake = asyncio.Event()
        loop = asyncio.get_running_loop()
        next_reminders = loop.time()
        while True:
            pause = self.poll_seconds
            try:
                if loop.time() >= next_reminders:
                    next_reminders = loop.time() + REMINDER_SECONDS
                    await self.queue_reminders()
                await self.send_due()
                pause = await self._pause()
            except Exception:  # the database may be briefly away; try again next round
                log.exception("report e-mail pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)
            self._wake.clear()

    def start(self) -> None:
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self.run(), name="report-mailer")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
