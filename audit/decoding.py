"""Photo decoding for the service: in worker processes, a few at a time per user and in all.

Decoding is CPU and memory work: a 50 MP PNG takes over a second and 200 MB.
In a thread of the server, under the lock that Pillow's process-wide state
needs (:mod:`audit.photos`), eight large uploads made another auditor's small
one wait nine seconds, and the server grew by hundreds of megabytes. So:

- photos are decoded in a pool of worker processes (one per core, and one
  more for small photos), each decoding one at a time; the server process
  only waits, and a decode's memory is the worker's, given back when it is
  replaced;
- :class:`DecodeSlots` lets at most ``per_user`` decodes of one auditor and
  ``total`` decodes in all run at once (one auditor never holds every slot:
  on two cores that means one at a time); a freed slot goes to the waiting
  auditor with the fewest decodes running, then with the fewest bytes
  decoded lately; and a small photo of an auditor with nothing decoding may
  take the express slot, so it never queues behind large decodes;
- an upload over its auditor's cap waits briefly (``over_cap_wait``) for one
  of its auditor's decodes to end, then is refused with 429; one under the
  cap keeps its place in the queue longer (``wait``: a newcomer is served
  within one decode, so only a server flooded from every side makes it wait
  that long), then 503; both with ``Retry-After``: the PWA keeps the photo in
  its outbox and sends it again;
- bombs are refused on their header, before a pixel is decoded
  (:func:`audit.photos.process_photo`).

Slots are per server process (each ``audit serve`` worker has its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import threading
import weakref
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from audit.errors import ServiceUnavailable, TooManyRequests
from audit.lifeline import guard_worker, worker_context
from audit.photos import ProcessedPhoto, process_photo

PER_USER = 2  # a phone sends its outbox one or two photos at a time
# A decode takes up to ~1.5 s (a 50 MP PNG on one core). An upload under its
# auditor's cap waits out a few rounds of every worker busy; one over it only
# one decode of its own (it would lose nothing by being sent again later).
WAIT_SECONDS = 30.0
OVER_CAP_WAIT_SECONDS = 2.0
# The next free slot goes to the waiting auditor with fewest decodes running,
# then with fewest bytes decoded lately (halved every SPENT_HALF_LIFE seconds):
# one who sends a photo now and then goes before one sending a batch.
SPENT_HALF_LIFE = 60.0
_SPENT_KEPT = 1000  # users remembered before those with next to nothing are forgotten
# One more worker, only for a small upload of an auditor with nothing
# decoding, so it never waits behind large decodes. The PWA sends 1600 px
# JPEGs of about 300 KB; what fits under the bomb rule in 1 MB costs at most
# one more decode running beside the others.
EXPRESS_SLOTS = 1
EXPRESS_BYTES = 1024 * 1024
RETRY_AFTER = "2"  # seconds, for the refused upload's Retry-After
# A worker is replaced after this many photos, so memory a large decode made
# Pillow or the allocator keep is given back.
TASKS_PER_WORKER = 100


@dataclass(frozen=True)
class Slot:
    """One decode's place: release it with :meth:`DecodeSlots.release`."""

    user: int
    express: bool


@dataclass
class _Waiter:
    user: int
    size: int
    order: int
    granted: asyncio.Future[Slot] = field(repr=False)


class DecodeSlots:
    """At most ``total`` decodes at once (plus ``express`` for small photos), at most
    ``per_user`` of one user, the next slot to whom has had least of them lately.

    Asyncio objects: one instance per event loop (:class:`PhotoDecoder` keeps one each).
    """

    def __init__(self, total: int, per_user: int = PER_USER, express: int = EXPRESS_SLOTS) -> None:
        self.total = max(1, total)
        # Leave a slot for everyone else, so another auditor's photo can start at once.
        self.per_user = max(1, min(per_user, self.total - 1))
        self.express = max(0, express)
        self._running: dict[int, int] = {}
        self._busy = 0
        self._express_busy = 0
        self._spent: dict[int, tuple[float, float]] = {}  # user -> (bytes, when)
        self._waiting: list[_Waiter] = []
        self._order = itertools.count()

    def running(self, user: int) -> int:
        return self._running.get(user, 0)

    async def acquire(
        self,
        user: int,
        size: int = 0,
        wait: float = WAIT_SECONDS,
        over_cap_wait: float = OVER_CAP_WAIT_SECONDS,
    ) -> Slot:
        """A slot for ``user``'s upload of ``size`` bytes: TooManyRequests after
        ``over_cap_wait`` seconds when ``user`` is at the cap, else ServiceUnavailable
        after ``wait`` seconds."""
        if self.running(user) >= self.per_user:
            wait = over_cap_wait
        loop = asyncio.get_running_loop()
        waiter = _Waiter(user, size, next(self._order), loop.create_future())
        self._waiting.append(waiter)
        self._dispatch()
        try:
            await asyncio.wait({waiter.granted}, timeout=wait)
        except asyncio.CancelledError:
            self._abandon(waiter)
            raise
        if not waiter.granted.done():
            self._abandon(waiter)
            raise self._refusal(user)
        return waiter.granted.result()

    def release(self, slot: Slot) -> None:
        if slot.express:
            self._express_busy -= 1
        else:
            self._busy -= 1
        left = self._running[slot.user] - 1
        if left:
            self._running[slot.user] = left
        else:
            del self._running[slot.user]
        self._dispatch()

    def _abandon(self, waiter: _Waiter) -> None:
        # The caller gave up: a slot granted meanwhile goes to the next in line.
        if waiter.granted.done():
            self.release(waiter.granted.result())
        else:
            waiter.granted.cancel()
            self._waiting.remove(waiter)

    def _spent_lately(self, user: int, now: float) -> float:
        spent, when = self._spent.get(user, (0.0, now))
        decay: float = 0.5 ** ((now - when) / SPENT_HALF_LIFE)
        return spent * decay

    def _dispatch(self) -> None:
        now = asyncio.get_running_loop().time()
        while True:
            ready = [w for w in self._waiting if self.running(w.user) < self.per_user]
            express = self._busy >= self.total
            if express:
                if self._express_busy >= self.express:
                    return
                # The express slot: a small photo of someone with nothing decoding.
                ready = [w for w in ready if w.size <= EXPRESS_BYTES and not self.running(w.user)]
            if not ready:
                return
            chosen = min(
                ready,
                key=lambda w: (self.running(w.user), self._spent_lately(w.user, now), w.order),
            )
            self._waiting.remove(chosen)
            if express:
                self._express_busy += 1
            else:
                self._busy += 1
            self._running[chosen.user] = self.running(chosen.user) + 1
            self._spent[chosen.user] = (self._spent_lately(chosen.user, now) + chosen.size, now)
            if len(self._spent) > _SPENT_KEPT:
                self._forget_spent(now)
            chosen.granted.set_result(Slot(chosen.user, express))

    def _forget_spent(self, now: float) -> None:
        for user in [u for u in self._spent if self._spent_lately(u, now) < 1024]:
            del self._spent[user]

    def _refusal(self, user: int) -> TooManyRequests | ServiceUnavailable:
        headers = {"Retry-After": RETRY_AFTER}
        if self.running(user) >= self.per_user:
            message = (
                "your previous photos are still being processed; this one was not stored,"
                " send it again in a moment"
            )
            return TooManyRequests(message, {"body": message}, headers=headers)
        message = "the server is busy processing photos; this one was not stored, send it again"
        return ServiceUnavailable(message, {"body": message}, headers=headers)


class PhotoDecoder:
    """:func:`process_photo` in worker processes, behind :class:`DecodeSlots`."""

    def __init__(
        self,
        workers: int,
        per_user: int = PER_USER,
        wait: float = WAIT_SECONDS,
        over_cap_wait: float = OVER_CAP_WAIT_SECONDS,
    ) -> None:
        self.workers = max(1, workers)
        self.per_user = per_user
        self.wait = wait
        self.over_cap_wait = over_cap_wait
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, DecodeSlots] = (
            weakref.WeakKeyDictionary()
        )

    def slots(self) -> DecodeSlots:
        """The slots of the running event loop."""
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = DecodeSlots(self.workers, self.per_user, EXPRESS_SLOTS)
        return slots

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers + EXPRESS_SLOTS,
                    mp_context=worker_context(),
                    max_tasks_per_child=TASKS_PER_WORKER,
                    initializer=guard_worker,
                    initargs=(os.getpid(),),
                )
            return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    async def process(self, user: int, data: bytes) -> ProcessedPhoto:
        """The processed photo; PhotoError for a bad upload, 429/503 when no slot is free."""
        slots = self.slots()
        slot = await slots.acquire(user, len(data), self.wait, self.over_cap_wait)
        executor = self._current()
        try:
            future = executor.submit(process_photo, data)
        except BaseException:
            slots.release(slot)
            raise
        try:
            processed = await asyncio.shield(asyncio.wrap_future(future))
        except asyncio.CancelledError:
            # The caller went away, the worker goes on: its slot stays taken until it is done.
            loop = asyncio.get_running_loop()
            future.add_done_callback(lambda _: _release_soon(loop, slots, slot))
            raise
        except BrokenProcessPool:
            # A worker died (killed, or out of memory): a fresh pool for the next photo.
            slots.release(slot)
            self._replace(executor)
            message = "the photo could not be processed; send it again"
            raise ServiceUnavailable(
                message, {"body": message}, headers={"Retry-After": RETRY_AFTER}
            ) from None
        except BaseException:
            slots.release(slot)
            raise
        slots.release(slot)
        return processed

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _release_soon(loop: asyncio.AbstractEventLoop, slots: DecodeSlots, slot: Slot) -> None:
    # Called in the executor's thread; a loop that has closed meanwhile has no slots to free.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(slots.release, slot)


_default: PhotoDecoder | None = None
_default_lock = threading.Lock()


def default_decoder() -> PhotoDecoder:
    """The process-wide decoder: a worker per core and the express one, started with the
    first photo."""
    global _default
    with _default_lock:
        if _default is None:
            _default = PhotoDecoder(os.cpu_count() or 1)
        return _default


def shutdown_decoder() -> None:
    global _default
    with _default_lock:
        old, _default = _default, None
    if old is not None:
        old.close()
