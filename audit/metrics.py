"""The Prometheus metrics of the service and their exposition (docs/deploy.md, "Metrics").

Counters and histograms live in the process that observes them.  With
``audit serve --workers N`` every worker writes them to files under
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, chosen
when it is imported) and a scrape of any worker sums all of them, so the
figures do not depend on which worker answered.  Queue depths are not kept
here at all: they are read from the database at scrape time and passed in.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from audit.errors import HTTPError

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter(
    "audit_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "audit_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    # From a cached read (a few ms) to a cold report render (seconds).
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
SUBMISSIONS = Counter(
    "audit_submissions",
    "Audit submissions (POST /api/audits/{uuid}/submit), by outcome.",
    ["outcome"],
)
REPORT_RENDERS = Counter(
    "audit_report_pdfs",
    "Report PDFs asked for (rendered or from the cache), by outcome.",
    ["outcome"],
)
REPORT_SECONDS = Histogram(
    "audit_report_pdf_duration_seconds",
    "Time to produce a report PDF (a cache hit takes milliseconds, a render about a second).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0),
)

# The outcome label of an HTTPError, by status: a handful of values, never free text.
_OUTCOMES = {404: "not_found", 409: "conflict", 412: "stale", 422: "invalid", 503: "unavailable"}


def fresh_metrics_dir(var_dir: Path) -> Path:
    """An empty ``VAR/metrics`` for a new server's workers.

    Emptied at every start: the files of a previous run's workers would be
    summed in (counters that never went back to zero after a restart, and
    Prometheus takes a restart's reset in its stride).
    """
    path = var_dir / "metrics"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def multiprocess_mode() -> bool:
    """Whether prometheus_client chose its file-backed values when it was imported."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


def outcome_of(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    if isinstance(exc, HTTPError):
        return _OUTCOMES.get(exc.status, "refused")
    return "error"


@contextmanager
def counting(counter: Counter, histogram: Histogram | None = None) -> Iterator[None]:
    """Count the block by outcome (``ok``, or what its exception means) and time it."""
    started = time.perf_counter()
    error: BaseException | None = None
    try:
        yield
    except BaseException as exc:
        error = exc
        raise
    finally:
        counter.labels(outcome_of(error)).inc()
        if histogram is not None:
            histogram.observe(time.perf_counter() - started)


def submission() -> AbstractContextManager[None]:
    """Around one submit: counts it by outcome (``ok``, ``invalid``, ``conflict``, …)."""
    return counting(SUBMISSIONS)


def report_render() -> AbstractContextManager[None]:
    """Around producing one report PDF: counts it by outcome and times it."""
    return counting(REPORT_RENDERS, REPORT_SECONDS)


# The gauge of each durable queue: its name and help text.
_QUEUES = {
    "deliveries": (
        "audit_delivery_queue",
        "Report e-mails not yet sent, by status (read from the database at scrape time).",
    ),
    "webhooks": (
        "audit_webhook_queue",
        "Webhook deliveries not yet delivered, by status (read from the database at scrape time).",
    ),
}


class _QueueDepths(Collector):
    def __init__(self, queues: Mapping[str, Mapping[str, int]]) -> None:
        self.queues = queues

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for queue, (name, text) in _QUEUES.items():
            gauge = GaugeMetricFamily(name, text, labels=["status"])
            for status, n in sorted(self.queues.get(queue, {}).items()):
                gauge.add_metric([status], n)
            yield gauge


def exposition(queues: Mapping[str, Mapping[str, int]]) -> bytes:
    """The text a scrape gets: every process's metrics, then the queue depths."""
    if multiprocess_mode():
        # A fresh registry per scrape, as prometheus_client's multiprocess docs ask.
        combined = CollectorRegistry()
        MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
        head = generate_latest(combined)
    else:
        head = generate_latest(REGISTRY)
    depths = CollectorRegistry(auto_describe=False)
    depths.register(_QueueDepths(queues))
    return head + generate_latest(depths)
