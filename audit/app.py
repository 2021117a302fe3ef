"""create_app(): the routes table, middleware and lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from audit.auth import CookieSigner
from audit.db import database
from audit.housekeeping import housekeeping
from audit.observability import RequestObservability, configure_logging
from audit.openapi import openapi_schema
from audit.pwa import pwa_routes
from audit.report.pool import configure_pool, shutdown_pool
from audit.routes import (
    actions,
    appeals,
    assignments,
    audits,
    health,
    owner_text,
    password,
    reference,
    reports,
    session,
    visits,
    waves,
)
from audit.routes.common import api
from audit.routes.hq import hq_routes
from audit.settings import Settings
from audit.workflow.account_mail import AccountMailer
from audit.workflow.delivery import ReportMailer
from audit.workflow.webhooks import WebhookSender

log = logging.getLogger("audit")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    # Geolocation for this origin only: the PWA asks for it at check-in, nowhere else.
    (b"permissions-policy", b"camera=(self), geolocation=(self), microphone=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


# A year, the lifetime browsers and the HSTS preload list expect; sent only
# when AUDIT_HTTPS=1 says the public address is https (over plain http a
# browser ignores it, and a test server on http must stay reachable).
HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    """Adds the CSP and friends to every response (pure ASGI: streams stay streams)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = [*SECURITY_HEADERS, HSTS] if hsts else SECURITY_HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                if scope["path"].startswith("/api/") and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_schema())


async def not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "not found", "fields": {}}, status_code=404)


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "method not allowed", "fields": {}}, status_code=405)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"error": "internal error", "fields": {}}, status_code=500)


def api_routes() -> list[BaseRoute]:
    return [
        # A session or a password is a person's at a browser: no API token here.
        Route("/api/session", api(session.sign_in, csrf=False, tokens=False), methods=["POST"]),
        Route("/api/session", api(session.current_session, tokens=False), methods=["GET"]),
        Route("/api/session", api(session.update_session, tokens=False), methods=["PATCH"]),
        Route("/api/session", api(session.sign_out, tokens=False), methods=["DELETE"]),
        # Signed out by nature: no CSRF token to send (the Origin is still checked).
        Route(
            "/api/password-reset",
            api(password.request_reset, csrf=False, tokens=False),
            methods=["POST"],
        ),
        Route(
            "/api/password-link",
            api(password.describe_link, csrf=False, tokens=False),
            methods=["POST"],
        ),
        Route(
            "/api/password", api(password.set_password, csrf=False, tokens=False), methods=["POST"]
        ),
        Route("/api/locations", api(reference.list_locations), methods=["GET"]),
        Route("/api/checklists", api(reference.list_checklists), methods=["GET"]),
        Route("/api/checklists/{checklist_id}", api(reference.get_checklist), methods=["GET"]),
        Route("/api/assignments", api(assignments.list_assignments), methods=["GET"]),
        Route("/api/assignments", api(assignments.create_assignment), methods=["POST"]),
        Route(
            "/api/assignments/{assignment_id}/claim",
            api(assignments.claim_assignment),
            methods=["POST"],
        ),
        Route(
            "/api/assignments/{assignment_id}/release",
            api(assignments.release_assignment),
            methods=["POST"],
        ),
        Route(
            "/api/assignments/{assignment_id}/assign",
            api(assignments.assign_assignment),
            methods=["POST"],
        ),
        Route("/api/waves", api(waves.list_waves), methods=["GET"]),
        Route("/api/waves", api(waves.create_wave), methods=["POST"]),
        Route("/api/waves/{wave_id}", api(waves.get_wave), methods=["GET"]),
        Route("/api/audits", api(audits.list_audits), methods=["GET"]),
        Route("/api/audits/{uuid}", api(audits.get_audit), methods=["GET"]),
        Route("/api/audits/{uuid}", api(audits.put_audit), methods=["PUT"]),
        Route("/api/audits/{uuid}", api(audits.discard_audit), methods=["DELETE"]),
        Route("/api/audits/{uuid}/submit", api(audits.submit_audit), methods=["POST"]),
        Route("/api/audits/{uuid}/review", api(audits.review_audit), methods=["POST"]),
        Route("/api/audits/{uuid}/check-in", api(visits.check_in), methods=["POST"]),
        Route("/api/audits/{uuid}/check-out", api(visits.check_out), methods=["POST"]),
        Route("/api/locations/{code}/place", api(visits.get_place), methods=["GET"]),
        Route("/api/locations/{code}/place", api(visits.put_place), methods=["PUT"]),
        Route(
            "/api/audits/{uuid}/owner-text/{item}",
            api(owner_text.put_owner_text),
            methods=["PUT"],
        ),
        Route("/api/audits/{uuid}/photos/{photo_uuid}", api(audits.put_photo), methods=["PUT"]),
        Route("/api/audits/{uuid}/photos/{photo_uuid}", api(audits.get_photo), methods=["GET"]),
        Route(
            "/api/audits/{uuid}/photos/{photo_uuid}",
            api(audits.delete_photo),
            methods=["DELETE"],
        ),
        Route("/api/actions", api(actions.list_actions), methods=["GET"]),
        Route("/api/audits/{uuid}/actions", api(actions.audit_actions), methods=["GET"]),
        Route("/api/audits/{uuid}/actions/{item}", api(actions.put_action), methods=["PUT"]),
        Route("/api/audits/{uuid}/appeals", api(appeals.audit_appeals), methods=["GET"]),
        Route("/api/audits/{uuid}/appeals", api(appeals.open_appeal), methods=["POST"]),
        Route("/api/appeals", api(appeals.list_appeals), methods=["GET"]),
        Route("/api/appeals/{uuid}", api(appeals.get_appeal), methods=["GET"]),
        Route("/api/appeals/{uuid}/photo", api(appeals.put_photo), methods=["PUT"]),
        Route("/api/appeals/{uuid}/photo", api(appeals.get_photo), methods=["GET"]),
        Route("/api/appeals/{uuid}/decision", api(appeals.decide), methods=["POST"]),
        *hq_routes(),
        Route("/api/audits/{uuid}/report.pdf", api(reports.report_pdf), methods=["GET"]),
        Route("/api/audits/{uuid}/report.json", api(reports.report_json), methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/readyz", health.readyz, methods=["GET"]),
        Route("/metrics", health.metrics, methods=["GET"]),
    ]


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Starlette:
    settings = settings or Settings.from_env()

    mailer = ReportMailer(settings)
    account_mailer = AccountMailer(settings)
    webhooks = WebhookSender(settings)
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        settings.media_dir.mkdir(parents=True, exist_ok=True)
        async with AsyncExitStack() as stack:
            if manage_database:
                await stack.enter_async_context(database(settings))
            # In the background: left-over upload files, expired sessions.
            await stack.enter_async_context(housekeeping(settings))
            configure_pool(settings.report_workers, settings.report_timeout)
            stack.callback(shutdown_pool)
            mailer.start()
            stack.push_async_callback(mailer.stop)
            account_mailer.start()
            stack.push_async_callback(account_mailer.stop)
            webhooks.start()
            stack.push_async_callback(webhooks.stop)
            yield {}

    routes = api_routes()
    routes += extra_routes(settings)
    app = Starlette(
        routes=routes,
        middleware=[
            # Outermost: every request is counted and logged, refused ones too.
            Middleware(RequestObservability),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)),
            Middleware(SecurityHeaders, hsts=settings.https_only),
            Middleware(GZipMiddleware, minimum_size=1024, compresslevel=5),
        ],
        exception_handlers={404: not_found, 405: method_not_allowed, 500: server_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.signer = CookieSigner(settings.secret_key)
    # HQ's approval freezes the report's benchmarks and queues the owner's e-mail.
    app.state.on_approved = mailer.on_approved
    # HQ's giving a visit to an auditor queues the auditor's e-mail.
    app.state.on_assigned = mailer.on_assigned
    # Invitations and reset links queued by a request are sent at once.
    app.state.account_mailer = account_mailer
    # Woken by a request that recorded webhook events, so they go at once.
    app.state.webhooks = webhooks
    return app


def extra_routes(settings: Settings) -> list[BaseRoute]:
    """The auditors' PWA shell and the other non-API pages."""
    routes: list[BaseRoute] = []
    routes += pwa_routes(settings.static_dir)
    return routes
