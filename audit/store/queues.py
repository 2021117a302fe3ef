"""How much work waits in the durable queues (read by /metrics at scrape time)."""

from __future__ import annotations

from tortoise.functions import Count

from audit.models import Delivery

# Every delivery status but "sent": what is still to do, being done, or given up.
WAITING_DELIVERY_STATUSES = ("pending", "sending", "failed", "abandoned")


async def delivery_queue_depth() -> dict[str, int]:
    """Report e-mails by status, each waiting status present (0 when none)."""
    rows = (
        await Delivery.filter(status__in=WAITING_DELIVERY_STATUSES)
        .annotate(n=Count("id"))
        .group_by("status")
        .values_list("status", "n")
    )
    found = {str(status): int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in WAITING_DELIVERY_STATUSES}
