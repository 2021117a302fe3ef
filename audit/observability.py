"""Per-request observability: a request id, one log line, and the HTTP metrics.

:class:`RequestObservability` wraps the whole app (pure ASGI, so streamed
responses stay streamed).  Each request gets an id: the caller's
``X-Request-ID`` when it is a sane token (a proxy's id then follows the
request through), a new one otherwise; the response echoes it.  When the
response is done it counts the request under its *route template*
(``/api/audits/{uuid}``, never the raw path: one series per route, not one
per audit) and logs one line, as JSON when ``AUDIT_LOG_FORMAT=json``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from audit.metrics import REQUEST_SECONDS, REQUESTS
from audit.settings import Settings

access_log = logging.getLogger("audit.access")
request_id_var: ContextVar[str | None] = ContextVar("audit_request_id", default=None)

# What a caller's X-Request-ID may be to be kept: an id, not a log-injection vector.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# The label of a request no route matched: a 404 scan of random paths must
# not make one series per path.
UNMATCHED = "(unmatched)"


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    if isinstance(route, Mount):
        return f"{path}/{{path}}"
    return path


class RequestObservability:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        status = 500  # unless a response starts: an exception escaped the app
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            REQUESTS.labels(route, method, str(status)).inc()
            REQUEST_SECONDS.labels(route, method).observe(seconds)
            fields: dict[str, Any] = {
                "method": method,
                "route": route,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
            }
            # Made with a personal API token: which one (its id, never the token).
            api_token = scope.get("audit.token")
            if api_token is not None:
                fields["api_token"] = api_token
            access_log.info(
                "%s %s %s %.1f ms%s",
                method,
                scope["path"],
                status,
                seconds * 1000,
                f" token {api_token}" if api_token is not None else "",
                extra=fields,
            )
            request_id_var.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = str(value.decode("latin-1"))
            if REQUEST_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


# The request's fields a JSON line carries when the record has them.
_REQUEST_FIELDS = ("method", "route", "path", "status", "duration_ms", "api_token")


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for name in _REQUEST_FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"), default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.request_id = request_id_var.get() or "-"
        return str(super().format(record))


_OURS = "_audit_observability"
VERBOSE_LEVELS = ("trace", "debug", "info")


def configure_logging(settings: Settings) -> None:
    """Send the service's log lines to stderr in the configured format (idempotent).

    ``json``: every record of the ``audit`` loggers, one JSON object a line,
    the request lines included.  ``text``: the request lines only when
    ``AUDIT_LOG_LEVEL`` is ``info`` or ``debug``; the rest as before.
    """
    for name in ("audit", "audit.access"):
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if getattr(h, _OURS, False)]:
            logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _OURS, True)
    if settings.log_format == "json":
        handler.setFormatter(JSONFormatter())
        logger = logging.getLogger("audit")
        logger.addHandler(handler)
        # Only our handler writes these lines: a root handler would print them again as text.
        logger.propagate = False
        access_log.setLevel(logging.INFO)
        return
    logging.getLogger("audit").propagate = True
    if settings.log_level.lower() in VERBOSE_LEVELS:
        handler.setFormatter(TextFormatter("%(asctime)s %(request_id)s %(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
    else:
        access_log.setLevel(logging.WARNING)
