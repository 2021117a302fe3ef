"""Errors that carry their HTTP status.

HTTPError
├── BadRequest        400  malformed body (not JSON, wrong shape)
├── Unauthorized      401  not signed in / bad credentials
├── Forbidden         403  CSRF or cross-origin write
├── NotFound          404  missing, or not the caller's to see
├── Conflict          409  a different payload for a submitted audit
├── PreconditionFailed 412 If-Match names a revision the audit is no longer at
├── PayloadTooLarge   413
├── UnsupportedMedia  415
├── Invalid           422  payload validation: names every bad field
├── TooManyRequests   429  sign-in throttled
└── ServiceUnavailable 503 a report render failed or timed out (try again)
"""

from __future__ import annotations

from typing import Any


class HTTPError(Exception):
    status = 400

    def __init__(
        self,
        message: str,
        fields: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "fields": self.fields, **self.extra}


class BadRequest(HTTPError):
    status = 400


class Unauthorized(HTTPError):
    status = 401


class Forbidden(HTTPError):
    status = 403


class NotFound(HTTPError):
    status = 404


class Conflict(HTTPError):
    status = 409


class PreconditionFailed(HTTPError):
    status = 412


class PayloadTooLarge(HTTPError):
    status = 413


class UnsupportedMedia(HTTPError):
    status = 415


class Invalid(HTTPError):
    status = 422


class TooManyRequests(HTTPError):
    status = 429


class ServiceUnavailable(HTTPError):
    status = 503
