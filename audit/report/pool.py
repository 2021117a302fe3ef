"""Rendering off the event loop: a bounded process pool with a time limit, and a PDF cache.

WeasyPrint is CPU-bound and holds the GIL, so threads do not help (measured
0.67x on two cores); processes do. :class:`RenderPool` keeps ``workers``
processes, lets at most that many renders run at once per event loop, and
gives each render ``timeout`` seconds. A render that overruns cannot be
interrupted inside WeasyPrint, so its pool is killed and replaced; renders
that were running beside it in the killed pool are submitted once more.

Workers come from a forkserver that has already imported WeasyPrint, so a new
worker starts in milliseconds, and no process forks a parent that runs an
event loop or threads (the reason fork is deprecated there from Python 3.12).
Each worker ends when the process that made the pool dies, even by SIGKILL
(:mod:`audit.lifeline`), so a killed server leaves no renderer behind.

:class:`ReportCache` stores finished PDFs on disk under their
:func:`~audit.report.render.report_cache_key`; a second download of the same
report is a file read.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import threading
import weakref
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from pathlib import Path

from audit.lifeline import guard_worker, worker_context
from audit.report.data import ReportData
from audit.report.render import render_report_pdf, report_cache_key, warm_up
from audit.settings import Settings

# A worker is replaced after this many renders, so whatever WeasyPrint,
# Pango or Fontconfig keep growing in a long-lived process is given back.
TASKS_PER_WORKER = 500
DEFAULT_TIMEOUT = 60.0  # a realistic report takes ~0.5 s; a minute means something is wrong
_KEY = re.compile(r"^[0-9a-f]{64}$")


class RenderError(Exception):
    """A report could not be rendered."""


class RenderTimeout(RenderError):
    """A render took longer than its time limit; its worker was killed."""


def _warm_worker() -> int:
    # Parse the stylesheet and load the fonts now rather than in the first render.
    warm_up()
    return os.getpid()


class RenderPool:
    def __init__(self, workers: int = 2, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.workers = max(1, workers)
        self.timeout = timeout
        # Every worker forks from a server that has WeasyPrint imported.
        self._context = worker_context()
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._generation = 0
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    # -- the executor, replaced after a timeout

    def _current(self) -> tuple[ProcessPoolExecutor, int]:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=self._context,
                    max_tasks_per_child=TASKS_PER_WORKER,
                    initializer=guard_worker,
                    initargs=(os.getpid(),),
                )
            return self._executor, self._generation

    def _recycle(self, generation: int) -> None:
        """Kill the pool of ``generation`` (once, however many renders ask)."""
        with self._lock:
            if generation != self._generation or self._executor is None:
                return
            executor, self._executor = self._executor, None
            self._generation += 1
        # A running render cannot be cancelled: end its process. The executor
        # then fails whatever else was running in it with BrokenProcessPool.
        processes = getattr(executor, "_processes", None) or {}
        for process in list(processes.values()):
            with suppress(Exception):
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    def warm(self) -> None:
        """Start every worker now, so the first reports do not wait for them."""
        executor, _ = self._current()
        futures = [executor.submit(_warm_worker) for _ in range(self.workers)]
        for future in futures:
            future.result(timeout=60)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
            self._generation += 1
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    # -- rendering

    def submit(self, data: ReportData) -> Future[bytes]:
        """Start a render without a time limit (for callers outside an event loop)."""
        executor, _ = self._current()
        return executor.submit(render_report_pdf, data)

    def _slot(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        slot = self._slots.get(loop)
        if slot is None:
            slot = self._slots[loop] = asyncio.Semaphore(self.workers)
        return slot

    # A time limit rather than the caller's cancellation (ASYNC109): the limit
    # kills the worker process, which cancelling an await cannot do.
    async def render(self, data: ReportData, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        """The PDF of ``data``; :class:`RenderTimeout` after ``timeout`` seconds."""
        limit = self.timeout if timeout is None else timeout
        async with self._slot():
            for attempt in (1, 2):
                executor, generation = self._current()
                try:
                    future = executor.submit(render_report_pdf, data)
                    return await asyncio.wait_for(asyncio.wrap_future(future), limit)
                except TimeoutError:
                    self._recycle(generation)
                    raise RenderTimeout(
                        f"the report took longer than {limit:g} s to render and was stopped"
                    ) from None
                except BrokenProcessPool:
                    # Killed for another render's timeout, or a worker died: once more.
                    self._recycle(generation)
                    if attempt == 2:
                        raise RenderError("the report renderer stopped unexpectedly") from None
        raise AssertionError("unreachable")


# -- a process-wide pool for the service and the command line

_default: RenderPool | None = None
_default_lock = threading.Lock()


def default_pool() -> RenderPool:
    """The pool :func:`configure_pool` set up (the app does, from its settings), else one
    of as many workers as ``AUDIT_REPORT_WORKERS`` defaults to (audit.settings)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = RenderPool(max(1, min(4, os.cpu_count() or 1)))
        return _default


def configure_pool(workers: int, timeout: float = DEFAULT_TIMEOUT) -> RenderPool:
    """Replace the process-wide pool (call from the app's lifespan with its settings)."""
    global _default
    with _default_lock:
        old, _default = _default, RenderPool(workers, timeout)
    if old is not None:
        old.close()
    return _default


def shutdown_pool() -> None:
    global _default
    with _default_lock:
        old, _default = _default, None
    if old is not None:
        old.close()


# -- the PDF cache


class ReportCache:
    """Finished PDFs on disk, one file per cache key, written atomically."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"not a report cache key: {key!r}")
        return self.directory / key[:2] / f"{key}.pdf"

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: str, pdf: bytes) -> Path:
        target = self.path(key)
        _write_atomic(target, pdf)
        return target


def report_cache(settings: Settings) -> ReportCache:
    """The service's PDF cache (not in backups: a miss only costs a render)."""
    return ReportCache(settings.var_dir / "reports")


async def cached_report_pdf(
    data: ReportData,
    cache: ReportCache,
    pool: RenderPool | None = None,
    timeout: float | None = None,  # noqa: ASYNC109
) -> tuple[bytes, str]:
    """The PDF of ``data`` and its cache key: from the cache, or rendered and stored."""
    key = await asyncio.to_thread(report_cache_key, data)  # stats the photo files
    pdf = await asyncio.to_thread(cache.get, key)
    if pdf is None:
        pdf = await (pool or default_pool()).render(data, timeout)
        await asyncio.to_thread(cache.put, key, pdf)
    return pdf, key


Job = tuple[ReportData, Path]


async def render_batch(
    jobs: Iterable[Job] | AsyncIterable[Job],
    workers: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (per render, see RenderPool.render)
    on_done: Callable[[Path, BaseException | None], None] | None = None,
) -> list[tuple[Path, BaseException | None]]:
    """Render many reports to files with every core; ``on_done`` drives a progress bar.

    ``jobs`` may be an async generator that loads each ReportData from the
    database as it is needed: a few consumers pull from it, so 100,000 jobs
    are never all in memory. A failed report is passed to ``on_done`` (and
    returned) with its error; the others go on.
    """
    pool = RenderPool(workers or os.cpu_count() or 1, timeout)
    results: list[tuple[Path, BaseException | None]] = []
    iterator = _aiter(jobs)
    pulling = asyncio.Lock()  # an async generator takes one caller at a time

    async def consume() -> None:
        while True:
            async with pulling:
                job = await anext(iterator, None)
            if job is None:
                return
            data, target = job
            error: BaseException | None = None
            try:
                pdf = await pool.render(data)
                await asyncio.to_thread(_write_atomic, target, pdf)
            except (RenderError, OSError) as exc:
                error = exc
            results.append((target, error))
            if on_done is not None:
                on_done(target, error)

    try:
        await asyncio.to_thread(pool.warm)
        # Twice as many consumers as workers: one loads the next job while one renders.
        await asyncio.gather(*(consume() for _ in range(2 * pool.workers)))
    finally:
        await asyncio.to_thread(pool.close)
    return results


async def _aiter(jobs: Iterable[Job] | AsyncIterable[Job]) -> AsyncIterator[Job]:
    if isinstance(jobs, AsyncIterable):
        async for job in jobs:
            yield job
    else:
        for job in jobs:
            yield job


# A PDF is written under this prefix, then renamed into place (the service
# sweeps what a killed process left in its cache: audit.housekeeping).
TEMP_PREFIX = ".tmp-"


def _write_atomic(target: Path, data: bytes) -> None:
    # Write beside the target and rename: a reader sees the old file or the
    # whole new one, never half a PDF, even with two writers.
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
