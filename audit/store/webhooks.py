"""Webhook endpoints, the event outbox and its deliveries: one queue every node shares.

An event is recorded by :func:`record_event` inside the transaction of the
change it tells of, with one delivery per active endpoint subscribed to its
type at that moment: the change and its deliveries are stored together or
not at all. Delivering follows the report e-mail queue
(:mod:`audit.store.deliveries`): a delivery is claimed for one attempt by
moving it to "sending" with a lease (``next_attempt_at``) and counting the
attempt at once, which is the claim's fencing token; only the holder of the
current attempt can record its outcome. A node that dies mid-attempt leaves
the delivery to whichever node finds its lease run out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from audit.models import Location, UserBrand, WebhookDelivery, WebhookEndpoint, WebhookEvent
from audit.store import sql
from audit.store.leases import UNFINISHED

# Every status but "delivered": what is still to do, being done, or given up.
WAITING_STATUSES = ("pending", "sending", "failed", "abandoned")


async def create_endpoint(
    url: str, description: str, events: Sequence[str], secret: str, created_by: int
) -> WebhookEndpoint:
    return await WebhookEndpoint.create(
        url=url,
        description=description,
        events=list(events),
        secret=secret,
        created_by_id=created_by,
    )


def _of_brands(brand_ids: Sequence[int]) -> QuerySet[WebhookEndpoint]:
    """Every endpoint, or (``brand_ids``) those made by a user of one of these brands."""
    if not brand_ids:
        return WebhookEndpoint.all()
    makers = UserBrand.filter(brand_id__in=list(brand_ids)).values("user_id")
    return WebhookEndpoint.filter(created_by_id__in=Subquery(makers))


async def endpoints(brand_ids: Sequence[int] = ()) -> list[WebhookEndpoint]:
    return await _of_brands(brand_ids).order_by("id")


async def endpoint(endpoint_id: int, brand_ids: Sequence[int] = ()) -> WebhookEndpoint | None:
    return await _of_brands(brand_ids).get_or_none(id=endpoint_id)


async def set_active(endpoint_id: int, active: bool) -> bool:
    return bool(await WebhookEndpoint.filter(id=endpoint_id).update(active=active))


async def delete_endpoint(endpoint_id: int) -> bool:
    """Delete an endpoint with its deliveries (its events stay for the other endpoints)."""
    async with in_transaction():
        await WebhookDelivery.filter(endpoint_id=endpoint_id).delete()
        return bool(await WebhookEndpoint.filter(id=endpoint_id).delete())


# One row per brand its maker is limited to (one with a null brand_id when none).
_ACTIVE_SQL = (
    'SELECT e."id", e."events", b."brand_id" FROM "webhook_endpoint" e'
    ' LEFT JOIN "user_brand" b ON b."user_id" = e."created_by_id" WHERE e."active" = ?'
)
_ON = {"active": True}
_EVENTS = WebhookEndpoint._meta.fields_map["events"]


class _Queued:
    """Deliveries this process has queued (rolled-back ones too): a sender woken after a
    request looks at the queue only when the request queued something."""

    count = 0


def queued_here() -> int:
    return _Queued.count


async def record_event(
    event_id: str,
    type_: str,
    audit_uuid: str,
    body: str,
    created_at: datetime,
    endpoint_ids: Sequence[int] | None = None,
    location_id: int | None = None,
) -> int:
    """Store an event and a delivery to each active endpoint that takes its type.

    Call it inside the transaction of the change the event tells of.
    ``endpoint_ids`` limits it to those endpoints (a test event). An endpoint
    made by a brand-limited HQ user hears only of the audits at ``location_id``
    when it is of their brands (docs/brands.md). Returns how many deliveries
    were queued; with none, nothing is stored.
    """
    # Every submission and review asks, and most find none: hand-written (see
    # audit.store.sql).  Few rows (the endpoints HQ made): the JSON list is read here.
    rows = await sql.fetch(WebhookEndpoint, _ACTIVE_SQL, sql.db_values(WebhookEndpoint, _ON))
    limits: dict[int, set[int]] = {}
    for row in rows:
        brands = limits.setdefault(int(row["id"]), set())
        if row["brand_id"] is not None:
            brands.add(int(row["brand_id"]))
    if endpoint_ids is not None:
        targets = [i for i in limits if i in endpoint_ids]
    else:
        subscribed = {
            int(row["id"])
            for row in rows
            if type_ in (_EVENTS.to_python_value(row["events"]) or ())
        }
        brand_id = None
        if location_id is not None and any(limits[i] for i in subscribed):
            found = await Location.filter(id=location_id).values("brand_id")
            brand_id = found[0]["brand_id"] if found else None
        targets = [
            i for i in limits if i in subscribed and (not limits[i] or brand_id in limits[i])
        ]
    if not targets:
        return 0
    event = await WebhookEvent.create(
        event_id=event_id, type=type_, audit_uuid=audit_uuid, body=body, created_at=created_at
    )
    await WebhookDelivery.bulk_create(
        [WebhookDelivery(event_id=event.id, endpoint_id=target) for target in targets]
    )
    _Queued.count += len(targets)
    return len(targets)


@dataclass(frozen=True)
class Claim:
    """One attempt at one delivery, held by this node until its lease runs out."""

    id: int
    attempt: int  # 1 for the first; the fencing token of every update below
    url: str
    secret: str
    event_id: str
    type: str
    body: str


async def _active_ids() -> list[int]:
    # A handful of rows; read apart so the claim's FOR UPDATE locks one table.
    ids: list[Any] = await WebhookEndpoint.filter(active=True).values_list("id", flat=True)
    return [int(i) for i in ids]


def _unfinished(max_attempts: int, active: list[int]) -> QuerySet[WebhookDelivery]:
    # Not delivered, tries left, and to an endpoint that is switched on.
    return WebhookDelivery.filter(
        status__in=UNFINISHED, attempts__lt=max_attempts, endpoint_id__in=active
    )


def _due(now: datetime, max_attempts: int, active: list[int]) -> QuerySet[WebhookDelivery]:
    # Due: new, a retry whose time came, or a claim whose lease ran out.
    return _unfinished(max_attempts, active).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


async def claim_next(now: datetime, lease_until: datetime, max_attempts: int) -> Claim | None:
    """Take the first due delivery for one attempt, or None when none is due (or free)."""
    active = await _active_ids()
    if not active:
        return None
    async with in_transaction():
        # Model rows: Tortoise leaves FOR UPDATE out of .values() queries.
        rows = (
            await _due(now, max_attempts, active)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .limit(1)
        )
        if not rows:
            return None
        found = rows[0]
        attempt = found.attempts + 1
        taken = await WebhookDelivery.filter(
            id=found.id, status=found.status, attempts=found.attempts
        ).update(status="sending", attempts=attempt, next_attempt_at=lease_until)
    if not taken:
        return None  # another process took it between the read and the update
    event = await WebhookEvent.get(id=found.event_id)  # type: ignore[attr-defined]
    target = await WebhookEndpoint.get(id=found.endpoint_id)  # type: ignore[attr-defined]
    return Claim(
        found.id, attempt, target.url, target.secret, event.event_id, event.type, event.body
    )


def _held(claim: Claim) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.filter(id=claim.id, status="sending", attempts=claim.attempt)


async def mark_delivered(claim: Claim, status_code: int, now: datetime) -> bool:
    return bool(
        await _held(claim).update(
            status="delivered",
            delivered_at=now,
            last_attempt_at=now,
            last_status_code=status_code,
            last_error="",
            next_attempt_at=None,
        )
    )


async def mark_failed(
    claim: Claim,
    status_code: int | None,
    error: str,
    now: datetime,
    next_attempt_at: datetime | None,
) -> bool:
    """A failed attempt; ``next_attempt_at`` None means no more tries."""
    return bool(
        await _held(claim).update(
            status="failed" if next_attempt_at is not None else "abandoned",
            last_attempt_at=now,
            last_status_code=status_code,
            last_error=error[:2000],
            next_attempt_at=next_attempt_at,
        )
    )


async def next_due_at(now: datetime, max_attempts: int) -> datetime | None:
    """When the next unfinished delivery falls due (``now`` for a new one); None when none."""
    unfinished = _unfinished(max_attempts, await _active_ids())
    if await unfinished.filter(next_attempt_at__isnull=True).exists():
        return now
    rows = (
        await unfinished.order_by("next_attempt_at")
        .limit(1)
        .values_list("next_attempt_at", flat=True)
    )
    first = rows[0] if rows else None
    return first if isinstance(first, datetime) else None


async def resend(endpoint_id: int, delivery_id: int) -> str | None:
    """Queue a delivery again from its first attempt, with the same event id.

    Returns its status before (None when there is no such delivery of the
    endpoint); one being attempted right now is left alone ("sending").
    """
    async with in_transaction():
        row = await WebhookDelivery.get_or_none(id=delivery_id, endpoint_id=endpoint_id)
        if row is None:
            return None
        if row.status != "sending":
            await WebhookDelivery.filter(id=delivery_id, status=row.status).update(
                status="pending", attempts=0, next_attempt_at=None
            )
        return row.status


@dataclass(frozen=True)
class DeliveryLine:
    id: int
    event_id: str
    type: str
    audit_uuid: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


async def recent_deliveries(
    endpoint_id: int, limit: int, offset: int
) -> tuple[int, list[DeliveryLine]]:
    """(how many deliveries the endpoint has, one page of them, newest first)."""
    total = await WebhookDelivery.filter(endpoint_id=endpoint_id).count()
    rows = (
        await WebhookDelivery.filter(endpoint_id=endpoint_id)
        .order_by("-id")
        .offset(offset)
        .limit(limit)
        .select_related("event")
    )
    return total, [
        DeliveryLine(
            id=r.id,
            event_id=r.event.event_id,
            type=r.event.type,
            audit_uuid=r.event.audit_uuid,
            status=r.status,
            attempts=r.attempts,
            last_status_code=r.last_status_code,
            last_error=r.last_error,
            last_attempt_at=r.last_attempt_at,
            next_attempt_at=r.next_attempt_at,
            delivered_at=r.delivered_at,
            created_at=r.created_at,
        )
        for r in rows
    ]


async def counts_by_endpoint() -> dict[int, dict[str, int]]:
    """Deliveries of each endpoint by status."""
    rows = (
        await WebhookDelivery.all()
        .annotate(n=Count("id"))
        .group_by("endpoint_id", "status")
        .values_list("endpoint_id", "status", "n")
    )
    out: dict[int, dict[str, int]] = {}
    for endpoint_id, status, n in rows:
        out.setdefault(int(endpoint_id), {})[str(status)] = int(n)
    return out


async def queue_depth() -> dict[str, int]:
    """Webhook deliveries by waiting status, each present (0 when none)."""
    rows = (
        await WebhookDelivery.filter(status__in=WAITING_STATUSES)
        .annotate(n=Count("id"))
        .group_by("status")
        .values_list("status", "n")
    )
    found = {str(status): int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in WAITING_STATUSES}


# Old events done with (delivered or given up everywhere) go with their
# deliveries; one still to be delivered somewhere stays, however old.
_DELETE_DONE_DELIVERIES = (
    'DELETE FROM "webhook_delivery" WHERE "event_id" IN ('
    'SELECT e."id" FROM "webhook_event" e WHERE e."created_at" < ? AND NOT EXISTS ('
    'SELECT 1 FROM "webhook_delivery" d WHERE d."event_id" = e."id"'
    " AND d.\"status\" IN ('pending', 'sending', 'failed')))"
)
_DELETE_LONE_EVENTS = (
    'DELETE FROM "webhook_event" WHERE "created_at" < ? AND NOT EXISTS ('
    'SELECT 1 FROM "webhook_delivery" d WHERE d."event_id" = "webhook_event"."id")'
)


async def delete_old_events(before: datetime) -> int:
    """Delete the events made before ``before`` that nothing waits to deliver; how many."""
    [stamp] = sql.db_values(WebhookEvent, {"created_at": before})
    async with in_transaction():
        await sql.execute(WebhookDelivery, _DELETE_DONE_DELIVERIES, [stamp])
        return await sql.execute(WebhookEvent, _DELETE_LONE_EVENTS, [stamp])
