"""The leased-row queue protocol every e-mail queue of the service shares.

A node takes a row for one attempt by moving it to "sending" with a lease
(``next_at`` then says when the lease runs out) and counting the attempt at
once; the attempt number is the fencing token of every later update, so a
node whose lease ran out and whose row another node took can no longer
change it.  ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, IMMEDIATE
transactions on SQLite.

The report deliveries (:mod:`audit.store.deliveries`), the auditors' visit
notices (:mod:`audit.store.notices`) and the invitation and reset links
(:mod:`audit.store.account_tokens`) are each a :class:`LeasedQueue` over
their own table and column names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

UNFINISHED = ("pending", "failed", "sending")
MAX_ERROR_CHARS = 2000

RowT = TypeVar("RowT", bound=Model)


@dataclass(frozen=True)
class LeasedQueue(Generic[RowT]):
    model: type[RowT]
    status: str = "status"
    attempts: str = "attempts"
    next_at: str = "next_attempt_at"
    error: str = "last_error"
    sent_at: str = "sent_at"

    def _unfinished(self, max_attempts: int) -> QuerySet[RowT]:
        return self.model.filter(
            **{f"{self.status}__in": UNFINISHED, f"{self.attempts}__lt": max_attempts}
        )

    async def claim(
        self, now: datetime, lease_until: datetime, max_attempts: int
    ) -> tuple[RowT, int] | None:
        """The first due row, taken for one attempt, with the attempt's number;
        None when none is due (a new one, a retry whose time came, a lease that
        ran out) or another node took it between the read and the update."""
        new: dict[str, Any] = {f"{self.next_at}__isnull": True}
        came: dict[str, Any] = {f"{self.next_at}__lte": now}
        due = self._unfinished(max_attempts).filter(Q(**new) | Q(**came))
        async with in_transaction():
            # Model rows: Tortoise leaves FOR UPDATE out of .values() queries.
            rows = await due.order_by("id").select_for_update(skip_locked=True).limit(1)
            if not rows:
                return None
            found = rows[0]
            before: int = getattr(found, self.attempts)
            taken = await self.model.filter(
                id=found.pk, **{self.status: getattr(found, self.status), self.attempts: before}
            ).update(
                **{self.status: "sending", self.attempts: before + 1, self.next_at: lease_until}
            )
        return (found, before + 1) if taken else None

    def _held(self, row_id: int, attempt: int) -> QuerySet[RowT]:
        return self.model.filter(id=row_id, **{self.status: "sending", self.attempts: attempt})

    async def _finish(self, row_id: int, attempt: int, **values: Any) -> bool:
        return bool(await self._held(row_id, attempt).update(**values))

    async def renew(self, row_id: int, attempt: int, lease_until: datetime) -> bool:
        """Extend the lease; False when the row is no longer this attempt's."""
        return await self._finish(row_id, attempt, **{self.next_at: lease_until})

    async def mark_sent(self, row_id: int, attempt: int, now: datetime) -> bool:
        return await self._finish(
            row_id,
            attempt,
            **{self.status: "sent", self.sent_at: now, self.error: "", self.next_at: None},
        )

    async def mark_done_unsent(
        self, row_id: int, attempt: int, status: str, reason: str | None = None
    ) -> bool:
        """Finished without sending (``skipped``, ``dropped``): nothing to send any more."""
        values: dict[str, Any] = {self.status: status, self.next_at: None}
        if reason is not None:
            values[self.error] = reason[:MAX_ERROR_CHARS]
        return await self._finish(row_id, attempt, **values)

    async def mark_failed(
        self, row_id: int, attempt: int, error: str, next_attempt_at: datetime | None
    ) -> bool:
        """A failed attempt; ``next_attempt_at`` None means no more tries."""
        return await self._finish(
            row_id,
            attempt,
            **{
                self.status: "failed" if next_attempt_at is not None else "abandoned",
                self.error: error[:MAX_ERROR_CHARS],
                self.next_at: next_attempt_at,
            },
        )

    async def next_due_at(self, now: datetime, max_attempts: int) -> datetime | None:
        """When the next unfinished row falls due (``now`` for a new one; else a
        retry, or a lease running out); None when nothing is left to send."""
        unfinished = self._unfinished(max_attempts)
        if await unfinished.filter(**{f"{self.next_at}__isnull": True}).exists():
            return now
        rows = await unfinished.order_by(self.next_at).limit(1).values_list(self.next_at, flat=True)
        first = rows[0] if rows else None
        return first if isinstance(first, datetime) else None
