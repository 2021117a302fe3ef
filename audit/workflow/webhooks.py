"""Webhooks: telling HQ's other systems (BI, ticketing) that an audit moved on.

An event is written to the outbox (:mod:`audit.store.webhooks`) in the same
transaction as the change it tells of (:func:`emit`, called by
:mod:`audit.workflow.audits`), so a change is never stored without its event
nor an event without its change. :class:`WebhookSender` (one per app,
started in its lifespan, on every node) POSTs each delivery as JSON::

    {"id": "<event id>", "type": "audit.approved", "created_at": "…Z",
     "data": {"audit": {"uuid", "status", "location", "checklist", …, "overall", …}}}

with ``X-Audit-Event-Id`` (the same on every attempt: the receiver's
de-duplication key), ``X-Audit-Timestamp`` (seconds since the epoch, at the
attempt) and ``X-Audit-Signature: sha256=<hex>``, the HMAC-SHA256 with the
endpoint's secret of ``"<timestamp>." + body``. Any 2xx is delivered;
anything else, a timeout or a refused connection is tried again after
``first_retry``, doubling to at most ``LONGEST_RETRY``, each wait shortened
by a random quarter at most (jitter: receivers coming back are not hit by
every node at the same second), until ``MAX_ATTEMPTS``; then the delivery is
marked abandoned, and HQ can send it again from its delivery log.

What a payload carries (docs/integrations.md): ids, status, dates and
scores, never who audited: a consumer that needs more fetches the audit with
an API token, and sees what HQ sees there.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from audit import __version__
from audit.auth import Principal
from audit.errors import Conflict, Invalid, NotFound
from audit.models import Audit, WebhookEndpoint
from audit.settings import Settings
from audit.store import webhooks as store
from audit.store.webhooks import Claim

log = logging.getLogger("audit.webhooks")

# The events HQ can subscribe an endpoint to, and what each means.
EVENT_TYPES: dict[str, str] = {
    "audit.submitted": "an auditor submitted an audit (again, after a return)",
    "audit.approved": "HQ approved an audit: its report went to the owner",
    "audit.returned": "HQ returned an audit to its auditor for corrections",
    "audit.rejected": "HQ rejected a visit: it counts nowhere, its assignment is open again",
    "appeal.opened": "an owner disputed an item of an approved report",
    "appeal.decided": "HQ decided an appeal (an upheld one re-scores the audit: a new report)",
}
# Sent only when HQ asks for it, to check an endpoint and its signature check.
PING = "ping"

MAX_ATTEMPTS = 12  # with the waits below: 11 to 15 hours of trying
LONGEST_RETRY = timedelta(hours=6)
JITTER = 0.25  # each wait is shortened by up to this share, at random
# A claim outlives the attempt's own time limit by this much, so only a node
# dead (or frozen) past it loses its delivery to another.
LEASE_MARGIN = timedelta(seconds=5)
# The longest a node sleeps between looks at the queue: how soon it notices
# deliveries another node queued (its own wake it at once) or left behind.
POLL_SECONDS = 5.0
CONCURRENT = 8  # attempts in flight at once per node: one slow receiver does not hold the rest
BATCH = 200  # attempts one pass makes at most
MAX_URL = 2000
MAX_DESCRIPTION = 200
RESPONSE_KEPT = 500  # characters of a failed response's body kept for the log
SIGNATURE_HEADER = "X-Audit-Signature"
TIMESTAMP_HEADER = "X-Audit-Timestamp"
EVENT_ID_HEADER = "X-Audit-Event-Id"
EVENT_HEADER = "X-Audit-Event"
ATTEMPT_HEADER = "X-Audit-Attempt"


def now() -> datetime:
    return datetime.now(UTC)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 of ``"<timestamp>." + body``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value.isoformat())


def audit_data(audit: Audit, changes: dict[str, Any], revision: int) -> dict[str, Any]:
    """The audit as an event tells of it, after ``changes``: ids, dates, scores; nobody's name."""

    def value(name: str) -> Any:
        return changes.get(name, getattr(audit, name))

    return {
        "uuid": audit.uuid,
        "status": value("status"),
        "revision": revision,
        "location": audit.location.code,
        "checklist": audit.checklist_slug,
        "checklist_version": audit.checklist.version,
        "visit_date": _iso(value("visit_date")),
        "submitted_at": _iso(value("submitted_at")),
        "approved_at": _iso(value("approved_at")),
        "overall": value("overall"),
        "service": value("service"),
        "experience": value("experience"),
        "nps": value("nps"),
        "critical_failed": bool(value("critical_failed")),
        # Up by one each time an upheld appeal re-scores it: fetch the report again.
        "report_version": value("report_version"),
    }


def event_body(event_id: str, type_: str, created_at: datetime, data: dict[str, Any]) -> str:
    # Sorted and compact: the bytes every attempt sends (and signs) are fixed once.
    return json.dumps(
        {"id": event_id, "type": type_, "created_at": _iso(created_at), "data": data},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


async def emit(type_: str, audit: Audit, changes: dict[str, Any], revision: int) -> int:
    """Record an audit event for its subscribers; call inside the change's transaction."""
    assert type_ in EVENT_TYPES, type_
    event_id, stamp = str(uuid.uuid4()), now()
    body = event_body(event_id, type_, stamp, {"audit": audit_data(audit, changes, revision)})
    return await store.record_event(
        event_id,
        type_,
        audit.uuid,
        body,
        stamp,
        location_id=audit.location_id,  # type: ignore[attr-defined]
    )


async def emit_appeal(
    type_: str, appeal: Any, changes: dict[str, Any], audit: Audit, revision: int
) -> int:
    """Record an appeal event (the appeal after ``changes``, and its audit as stored now).

    Like an audit event: ids, the item, the status and dates, the audit's
    scores; never the owner's reason, HQ's note nor who decided.
    """
    assert type_ in EVENT_TYPES, type_

    def value(name: str) -> Any:
        return changes.get(name, getattr(appeal, name))

    event_id, stamp = str(uuid.uuid4()), now()
    data = {
        "appeal": {
            "uuid": appeal.uuid,
            "item": appeal.item_id,
            "status": value("status"),
            "opened_at": _iso(value("opened_at")),
            "due_at": _iso(value("due_at")),
            "decided_at": _iso(value("decided_at")),
            "report_version": value("report_version"),
        },
        "audit": audit_data(audit, {}, revision),
    }
    body = event_body(event_id, type_, stamp, data)
    return await store.record_event(
        event_id,
        type_,
        audit.uuid,
        body,
        stamp,
        location_id=audit.location_id,  # type: ignore[attr-defined]
    )


async def ping(who: Principal, endpoint_id: int) -> str:
    """Queue a test event to one endpoint; its event id."""
    found = await endpoint_of(who, endpoint_id)
    if not found.active:
        raise Conflict("this webhook is switched off; switch it on to test it")
    event_id, stamp = str(uuid.uuid4()), now()
    body = event_body(event_id, PING, stamp, {"webhook": found.id})
    await store.record_event(event_id, PING, "", body, stamp, endpoint_ids=[found.id])
    return event_id


# Registering endpoints (HQ's webhook pages) ----------------------------------


def _url_problem(url: Any) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return "is required"
    url = url.strip()
    if len(url) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// address"
    if parts.fragment:
        return "must not have a #fragment"
    if any(c.isspace() for c in url):
        return "must not contain spaces"
    return None


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


async def create_endpoint(who: Principal, body: Any) -> NewEndpoint:
    """Register an endpoint from ``{"url", "events": [...], "description"?}``."""
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    problems: dict[str, str] = {}
    for field in body:
        if field not in ("url", "events", "description"):
            problems[str(field)] = "unknown field"
    url_problem = _url_problem(body.get("url"))
    if url_problem:
        problems["url"] = url_problem
    events = body.get("events")
    if not isinstance(events, list) or not events:
        problems["events"] = "choose at least one event"
    elif unknown := [e for e in events if e not in EVENT_TYPES]:
        problems["events"] = f"unknown event {unknown[0]!r}; one of {', '.join(EVENT_TYPES)}"
    description = body.get("description") or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        problems["description"] = f"must be text of at most {MAX_DESCRIPTION} characters"
    if problems:
        raise Invalid("the webhook has invalid fields", problems)
    assert isinstance(events, list) and isinstance(description, str)
    url = str(body["url"]).strip()
    secret = "whsec_" + secrets.token_urlsafe(32)
    ordered = [e for e in EVENT_TYPES if e in events]
    found = await store.create_endpoint(url, description.strip(), ordered, secret, who.user_id)
    log.info("webhook %s (%s) registered by %s for %s", found.id, url, who.email, ordered)
    return NewEndpoint(found, secret)


async def endpoint_of(who: Principal, endpoint_id: int) -> WebhookEndpoint:
    """The endpoint; 404 when there is none, or (for a brand-limited HQ user) when it
    was not made by a user of their brands."""
    found = await store.endpoint(endpoint_id, who.brand_limit)
    if found is None:
        raise NotFound("no such webhook")
    return found


async def switch(who: Principal, endpoint_id: int, active: bool) -> WebhookEndpoint:
    """Switch an endpoint off (its deliveries wait) or on again (they go)."""
    found = await endpoint_of(who, endpoint_id)
    await store.set_active(found.id, active)
    log.info("webhook %s switched %s by %s", found.id, "on" if active else "off", who.email)
    found.active = active
    return found


async def delete(who: Principal, endpoint_id: int) -> None:
    found = await endpoint_of(who, endpoint_id)
    await store.delete_endpoint(found.id)
    log.info("webhook %s (%s) deleted by %s", found.id, found.url, who.email)


async def resend(who: Principal, endpoint_id: int, delivery_id: int) -> None:
    """Send a delivery again from its first attempt, under the same event id."""
    await endpoint_of(who, endpoint_id)
    before = await store.resend(endpoint_id, delivery_id)
    if before is None:
        raise NotFound("no such delivery")
    if before == "sending":
        raise Conflict("this delivery is being attempted right now; look again in a moment")
    log.info("webhook delivery %s queued again by %s (was %s)", delivery_id, who.email, before)


# Delivering -------------------------------------------------------------------


def retry_at(attempts: int, at: datetime, first_retry: float, max_attempts: int) -> datetime | None:
    """After the ``attempts``-th failure: first_retry, doubling, at most LONGEST_RETRY,
    each less up to a random quarter; None to give up."""
    if attempts >= max_attempts:
        return None
    step = min(LONGEST_RETRY.total_seconds(), first_retry * 2 ** (attempts - 1))
    return at + timedelta(seconds=step * (1 - JITTER * random.random()))


class AttemptFailed(Exception):
    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class WebhookSender:
    """Sends due webhook deliveries; one per app, started in its lifespan."""

    def __init__(
        self,
        settings: Settings,
        poll_seconds: float = POLL_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = settings.webhook_timeout
        self.first_retry = settings.webhook_first_retry
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.transport = transport
        self._wake: asyncio.Event | None = None
        self._seen = store.queued_here()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout) + LEASE_MARGIN

    def wake(self, force: bool = False) -> None:
        """Look at the queue now, if this process queued a delivery since the last wake
        (or ``force``: HQ re-sent one or switched an endpoint on).

        Every submission and review calls it; most queue nothing (no endpoint takes
        the event), and those cost no look at the queue.
        """
        queued = store.queued_here()
        if not force and queued == self._seen:
            return
        self._seen = queued
        if self._wake is not None:
            self._wake.set()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self.transport,
                follow_redirects=False,
                timeout=self.timeout,
                headers={"User-Agent": f"audit-webhooks/{__version__}"},
                trust_env=False,  # a proxy of the environment is not the receiver's
            )
        return self._client

    async def send_due(self, at: datetime | None = None) -> int:
        """Attempt what is due, several at once; returns how many were delivered."""
        delivered = 0
        for _ in range(0, BATCH, CONCURRENT):
            stamp = at or now()
            claims = []
            for _ in range(CONCURRENT):
                claim = await store.claim_next(stamp, stamp + self.lease, self.max_attempts)
                if claim is None:
                    break
                claims.append(claim)
            if not claims:
                break
            done = await asyncio.gather(*(self._attempt(c, at) for c in claims))
            delivered += sum(done)
            if len(claims) < CONCURRENT:
                break
        return delivered

    async def _attempt(self, claim: Claim, at: datetime | None) -> bool:
        try:
            status = await self._post(claim)
        except AttemptFailed as exc:
            stamp = at or now()
            retry = retry_at(claim.attempt, stamp, self.first_retry, self.max_attempts)
            await store.mark_failed(claim, exc.status_code, str(exc), stamp, retry)
            log.warning(
                "webhook delivery %s (%s to %s), attempt %s: %s; %s",
                claim.id,
                claim.type,
                claim.url,
                claim.attempt,
                exc,
                f"next at {retry:%H:%M:%S}" if retry else "given up",
            )
            return False
        return await store.mark_delivered(claim, status, at or now())

    async def _post(self, claim: Claim) -> int:
        body = claim.body.encode()
        timestamp = int(now().timestamp())
        headers = {
            "Content-Type": "application/json",
            EVENT_ID_HEADER: claim.event_id,
            EVENT_HEADER: claim.type,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(claim.secret, timestamp, body),
            ATTEMPT_HEADER: str(claim.attempt),
        }
        try:
            # One limit for the whole exchange: a receiver trickling its
            # answer byte by byte still ends within the claim's lease.
            async with asyncio.timeout(self.timeout):
                async with self._http().stream(
                    "POST", claim.url, content=body, headers=headers
                ) as response:
                    kept = await _head_of(response)
        except TimeoutError:
            raise AttemptFailed(f"no answer within {self.timeout:g} s") from None
        except Exception as exc:  # refused, reset, bad TLS, a URL httpx will not take: retried
            raise AttemptFailed(
                f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            ) from None
        if 200 <= response.status_code < 300:
            return response.status_code
        if 300 <= response.status_code < 400:
            where = response.headers.get("location", "")
            raise AttemptFailed(
                f"HTTP {response.status_code} redirect to {where[:200]!r}: webhooks follow no"
                " redirects; register the final address",
                response.status_code,
            )
        raise AttemptFailed(
            f"HTTP {response.status_code}: {kept}".rstrip(": "), response.status_code
        )

    async def _pause(self) -> float:
        """Seconds until the next retry or lease falls due (at most ``poll_seconds``)."""
        stamp = now()
        due = await store.next_due_at(stamp, self.max_attempts)
        if due is None:
            return self.poll_seconds
        wait = (due - stamp).total_seconds() + 0.05
        return min(self.poll_seconds, max(0.05, wait))

    async def run(self) -> None:
        """Send what is due now, when woken, and when the next retry falls due."""
        self._wake = asyncio.Event()
        while True:
            pause = self.poll_seconds
            try:
                await self.send_due()
                pause = await self._pause()
            except Exception:  # the database may be briefly away; try again next round
                log.exception("webhook pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)
            self._wake.clear()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="webhook-sender")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


async def _head_of(response: httpx.Response) -> str:
    """The first characters of a response's body, read no further than needed."""
    kept = b""
    async for chunk in response.aiter_bytes():
        kept += chunk
        if len(kept) >= RESPONSE_KEPT:
            break
    return " ".join(kept[:RESPONSE_KEPT].decode("utf-8", "replace").split())
