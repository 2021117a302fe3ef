"""Worker processes that end when the process that started them dies.

A ``ProcessPoolExecutor`` worker waits on a pipe it holds open itself, so a
server killed with SIGKILL (no shutdown handler runs) leaves its workers
waiting for ever. The forkserver lives while any worker holds its "alive"
pipe, and the resource tracker while any of them holds its pipe: a killed
server used to leave all of them behind (about 150 MB per report pool).

So every worker, as its pool's initializer, watches the server process:

- a thread blocked on a pidfd of the server (Linux 5.3 and later), or
  polling the server's pid once a second elsewhere, ends the worker the
  moment the server is gone;
- on Linux, ``PR_SET_PDEATHSIG`` as well: the kernel sends SIGKILL when the
  worker's direct parent dies (the forkserver, or the server itself when
  workers are spawned).

Once the workers are gone, the forkserver and the resource tracker read end
of file on their pipes and exit by themselves.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from multiprocessing.context import BaseContext

# Every pool shares the one forkserver, started with the first pool: it
# imports what any of them runs, so a new worker of either pool starts in
# milliseconds. Names only (nothing is imported here).
FORKSERVER_PRELOAD = ["audit.report.render", "audit.photos"]

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_POLL_SECONDS = 1.0  # without a pidfd: how late a worker may notice its server is gone


def worker_context() -> BaseContext:
    """The start method of every pool: forkserver where there is one, else spawn.

    Neither forks the server itself, which runs an event loop and threads.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(FORKSERVER_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def guard_worker(server_pid: int) -> None:
    """A pool initializer: end this process when ``server_pid`` (or its own parent) dies."""
    if sys.platform == "linux":
        _die_with_parent()
    _watch(server_pid)


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    # Best effort: the watcher below covers a libc without prctl.
    libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def _watch(server_pid: int) -> None:
    try:
        pidfd = os.pidfd_open(server_pid) if hasattr(os, "pidfd_open") else None
    except ProcessLookupError:
        os._exit(1)  # the server died before this worker started
    except OSError:
        pidfd = None  # a kernel older than 5.3
    target = _wait_on_pidfd if pidfd is not None else _poll_pid
    argument = pidfd if pidfd is not None else server_pid
    threading.Thread(target=target, args=(argument,), name="lifeline", daemon=True).start()


def _wait_on_pidfd(pidfd: int) -> None:
    # A pidfd becomes readable when its process exits.
    select.select([pidfd], [], [])
    os._exit(1)


def _poll_pid(server_pid: int) -> None:
    while True:
        time.sleep(_POLL_SECONDS)
        try:
            os.kill(server_pid, 0)
        except (ProcessLookupError, PermissionError):
            # Gone, or the pid now belongs to another user's process: ours is gone.
            os._exit(1)
