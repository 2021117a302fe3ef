"""Audits: drafts, submit, photos, review, the owner-safe view."""

from __future__ import annotations

from collections.abc import Mapping

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from audit.auth import principal, require_role
from audit.errors import Invalid, NotFound, ServiceUnavailable
from audit.photos import MAX_PHOTO_BYTES
from audit.routes.common import json_response, query_int, read_body, read_json, settings_of
from audit.store import audits as store
from audit.store import photos as photo_store
from audit.submission import check_new_uuid, check_uuid, parse_payload

MAX_NOTE = 4_000


def _uuid(request: Request, name: str = "uuid") -> str:
    return check_uuid(str(request.path_params[name]), name)


def _new_uuid(request: Request, name: str = "uuid") -> str:
    """An id the client makes for something it may be creating (see check_new_uuid)."""
    return check_new_uuid(str(request.path_params[name]), name)


async def list_audits(request: Request) -> Response:
    who = principal(request)
    status = store.valid_status(request.query_params.get("status"))
    limit = query_int(request, "limit", 100, 1, store.MAX_LIST_LIMIT)
    offset = query_int(request, "offset", 0, 0, 10**9)
    return json_response(await store.list_audits(who, status, limit, offset))


async def get_audit(request: Request) -> Response:
    who = principal(request)
    audit = await store.get_audit(who, _uuid(request))
    return json_response(await store.audit_view(who, audit))


async def put_audit(request: Request) -> Response:
    who = require_role(request, "auditor")
    uuid = _new_uuid(request)
    payload = parse_payload(await read_json(request))
    audit, created = await store.save_draft(who, uuid, payload)
    # A new audit has no photos yet (they are uploaded to an existing one).
    view = await store.audit_view(who, audit, [] if created else None)
    return json_response(view, status=201 if created else 200)


async def submit_audit(request: Request) -> Response:
    who = require_role(request, "auditor")
    uuid = _new_uuid(request)
    body = await read_json(request, optional=True)
    payload = parse_payload(body) if body is not None else None
    audit, photos = await store.submit(who, uuid, payload)
    return json_response(await store.audit_view(who, audit, photos))


async def review_audit(request: Request) -> Response:
    who = require_role(request, "hq")
    uuid = _uuid(request)
    body = await read_json(request)
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    problems: dict[str, str] = {}
    for key in body:
        if key not in ("decision", "note"):
            problems[str(key)] = "unknown field"
    decision = body.get("decision")
    if decision not in ("approve", "return"):
        problems["decision"] = "must be approve or return"
    note = body.get("note") or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        problems["note"] = f"must be text of at most {MAX_NOTE:,} characters"
    elif decision == "return" and not note.strip():
        problems["note"] = "tell the auditor what to correct"
    if problems:
        raise Invalid("the review has invalid fields", problems)
    assert isinstance(decision, str) and isinstance(note, str)
    audit = await store.review(who, uuid, decision, note.strip())
    hooks = getattr(request.app.state, "on_approved", None)
    if decision == "approve" and hooks is not None:
        await hooks(audit)
    return json_response(await store.audit_view(who, audit))


async def put_photo(request: Request) -> Response:
    who = require_role(request, "auditor")
    uuid = _uuid(request)
    photo_uuid = _new_uuid(request, "photo_uuid")
    item = request.query_params.get("item")
    if not item:
        raise Invalid("which item is this photo for?", {"item": "is required"})
    data = await read_body(request, MAX_PHOTO_BYTES)
    photo, created = await photo_store.add_photo(
        who, uuid, photo_uuid, item, data, settings_of(request).media_dir
    )
    return json_response(
        {"uuid": photo.uuid, "item": photo.item_id, "width": photo.width, "height": photo.height},
        status=201 if created else 200,
    )


async def get_photo(request: Request) -> Response:
    who = principal(request)
    audit = await store.get_audit(who, _uuid(request))
    photo = await photo_store.photo_for(audit, _uuid(request, "photo_uuid"))
    name = photo.thumb_path if request.query_params.get("size") == "thumb" else photo.path
    path = settings_of(request).media_dir / name
    try:
        # Not a FileResponse: its Last-Modified header would tell owners when
        # the auditor uploaded (finer than the visit date they may know).
        data = await anyio.to_thread.run_sync(path.read_bytes)
    except FileNotFoundError:
        raise NotFound("the photo file is missing") from None
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=86400, immutable"},
    )


async def delete_photo(request: Request) -> Response:
    who = require_role(request, "auditor")
    await photo_store.delete_photo(
        who, _uuid(request), _uuid(request, "photo_uuid"), settings_of(request).media_dir
    )
    return Response(status_code=204)


async def report_pdf(request: Request) -> Response:
    """The experience report: HQ once submitted, the location's owner once approved."""
    from audit.report.delivery import report_cache, report_filename
    from audit.report.pool import RenderError, RenderTimeout, cached_report_pdf
    from audit.store.reports import report_data_for_audit

    who = require_role(request, "hq", "owner")
    audit = await store.get_audit(who, _uuid(request))
    if audit.status not in ("submitted", "approved"):
        raise NotFound("there is no report before the audit is submitted")
    settings = settings_of(request)
    data = await report_data_for_audit(audit, settings)
    etag = None
    try:
        pdf, key = await cached_report_pdf(data, report_cache(settings))
        etag = f'"{key}"'
    except RenderTimeout:
        raise ServiceUnavailable("the report took too long to render; try again") from None
    except RenderError:
        raise ServiceUnavailable("the report could not be rendered; try again") from None
    if etag is not None and request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{report_filename(data)}"',
            "ETag": etag or "",
            "Cache-Control": "private, no-cache",
        },
    )
