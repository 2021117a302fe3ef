"""Audits: drafts, submit, photos, review, the owner-safe view.

Each handler parses, authorises and calls one function of
:mod:`audit.workflow`; revisions travel as ``ETag`` / ``If-Match``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from audit.auth import Principal, principal, require_role
from audit.errors import BadRequest, Invalid, NotFound
from audit.metrics import submission
from audit.models import GRADES, Audit
from audit.photos import MAX_PHOTO_BYTES
from audit.routes.common import (
    PRIVATE_NO_STORE,
    json_response,
    query_int,
    read_body,
    read_json,
    settings_of,
    visit_rules,
    wake_webhooks,
)
from audit.store.audits import PhotoRow
from audit.submission import check_new_uuid, check_uuid, parse_payload
from audit.workflow import audits as workflow
from audit.workflow import photos as photo_workflow
from audit.workflow import review as review_workflow
from audit.workflow.audits import Precondition
from audit.workflow.review import DECISIONS, Decision
from audit.workflow.views import audit_etag, audit_view

MAX_NOTE = 4_000

# One entity tag of an If-Match list: strong or weak, any visible characters.
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e]*)"\s*')
_REVISION_TAG = re.compile(r"r([0-9]{1,9})")


def _uuid(request: Request, name: str = "uuid") -> str:
    return check_uuid(str(request.path_params[name]), name)


def _new_uuid(request: Request, name: str = "uuid") -> str:
    """An id the client makes for something it may be creating (see check_new_uuid)."""
    return check_new_uuid(str(request.path_params[name]), name)


def if_match(request: Request) -> Precondition | None:
    """The request's If-Match (RFC 9110 13.1.1) as the revisions it names."""
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    if raw.strip() == "*":
        return Precondition(None)
    revisions: set[int] = set()
    for part in raw.split(","):
        tag = _ENTITY_TAG.fullmatch(part)
        if tag is None:
            raise BadRequest(
                "If-Match must list entity tags as the ETag header gives them",
                {"If-Match": 'must be entity tags like "r7" (with the quotes), or *'},
            )
        revision = _REVISION_TAG.fullmatch(tag.group(2))
        # Weak tags never match (If-Match compares strongly); a tag that is
        # not one of ours matches no revision: both make the write stale.
        if tag.group(1) is None and revision is not None:
            revisions.add(int(revision.group(1)))
    return Precondition(frozenset(revisions))


def _audit_response(
    who: Principal, view: dict[str, Any], audit: Audit, status: int = 200
) -> Response:
    # Owners never write, and how many times the auditor saved is not theirs.
    headers = {} if who.is_owner else {"ETag": audit_etag(audit)}
    return json_response(view, status=status, headers=headers)


async def list_audits(request: Request) -> Response:
    who = principal(request)
    status = workflow.valid_status(request.query_params.get("status"))
    limit = query_int(request, "limit", 100, 1, workflow.MAX_LIST_LIMIT)
    offset = query_int(request, "offset", 0, 0, 10**9)
    return json_response(await workflow.list_audits(who, status, limit, offset))


async def get_audit(request: Request) -> Response:
    who = principal(request)
    audit = await workflow.get_audit(who, _uuid(request))
    if not who.is_owner and audit_etag(audit) in _none_match(request):
        return Response(status_code=304, headers={"ETag": audit_etag(audit)})
    return _audit_response(who, await audit_view(who, audit), audit)


def _none_match(request: Request) -> list[str]:
    raw = request.headers.get("if-none-match", "")
    return [part.strip().removeprefix("W/") for part in raw.split(",") if part.strip()]


async def put_audit(request: Request) -> Response:
    who = require_role(request, "auditor")
    uuid = _new_uuid(request)
    expected = if_match(request)
    payload = parse_payload(await read_json(request))
    audit, created = await workflow.save_draft(who, uuid, payload, expected)
    # A new audit has no photos yet (they are uploaded to an existing one).
    photos: list[PhotoRow] | None = [] if created else None
    return _audit_response(
        who,
        await audit_view(who, audit, photos, visit=False),
        audit,
        status=201 if created else 200,
    )


async def submit_audit(request: Request) -> Response:
    who = require_role(request, "auditor")
    uuid = _new_uuid(request)
    expected = if_match(request)
    body = await read_json(request, optional=True)
    payload = parse_payload(body) if body is not None else None
    with submission():  # counted by outcome for /metrics
        audit, photos = await workflow.submit(
            who, uuid, payload, expected, visit_rules(settings_of(request))
        )
    wake_webhooks(request)
    return _audit_response(who, await audit_view(who, audit, photos, visit=False), audit)


REVIEW_KEYS = ("decision", "note", "grade", "grade_note", "item_notes")
# A checklist has a few dozen items; a note on every one of them is plenty.
MAX_ITEM_NOTES = 200


def parse_review(body: Any) -> Decision:
    """The review body, every bad field named (docs/api.md, "Review")."""
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    problems = {str(key): "unknown field" for key in body if key not in REVIEW_KEYS}
    decision = body.get("decision")
    if decision not in DECISIONS:
        problems["decision"] = f"must be one of {', '.join(DECISIONS)}"
    note = _text(body, "note", problems)
    grade_note = _text(body, "grade_note", problems)
    grade = body.get("grade")
    if grade is not None and (type(grade) is not int or grade not in GRADES):
        problems["grade"] = "must be a whole number from 1 to 5, or null"
    raw_notes = body.get("item_notes") or {}
    item_notes: dict[str, str] = {}
    if not isinstance(raw_notes, Mapping) or len(raw_notes) > MAX_ITEM_NOTES:
        problems["item_notes"] = f"must be an object of item id → note (at most {MAX_ITEM_NOTES})"
    else:
        for item_id, text in raw_notes.items():
            if not isinstance(text, str) or len(text) > MAX_NOTE:
                problems[f"item_notes.{item_id}"] = (
                    f"must be text of at most {MAX_NOTE:,} characters"
                )
            elif text.strip():
                item_notes[str(item_id)] = text.strip()
    if problems:
        raise Invalid("the review has invalid fields", problems)
    assert isinstance(decision, str)
    return Decision(decision, note, grade, grade_note, item_notes)


def _text(body: Mapping[str, Any], name: str, problems: dict[str, str]) -> str:
    value = body.get(name) or ""
    if not isinstance(value, str) or len(value) > MAX_NOTE:
        problems[name] = f"must be text of at most {MAX_NOTE:,} characters"
        return ""
    return value.strip()


async def review_audit(request: Request) -> Response:
    who = require_role(request, "hq")
    uuid = _uuid(request)
    decision = parse_review(await read_json(request))
    audit = await review_workflow.review(who, uuid, decision)
    wake_webhooks(request)
    hooks = getattr(request.app.state, "on_approved", None)
    if decision.decision == "approve" and hooks is not None:
        await hooks(audit)
    return _audit_response(who, await audit_view(who, audit), audit)


async def put_photo(request: Request) -> Response:
    who = require_role(request, "auditor")
    uuid = _uuid(request)
    photo_uuid = _new_uuid(request, "photo_uuid")
    item = request.query_params.get("item")
    if not item:
        raise Invalid("which item is this photo for?", {"item": "is required"})
    data = await read_body(request, MAX_PHOTO_BYTES)
    photo, created = await photo_workflow.attach_photo(
        who, uuid, photo_uuid, item, data, settings_of(request).media_dir
    )
    return json_response(
        {"uuid": photo.uuid, "item": photo.item_id, "width": photo.width, "height": photo.height},
        status=201 if created else 200,
    )


async def get_photo(request: Request) -> Response:
    who = principal(request)
    audit = await workflow.get_audit(who, _uuid(request))
    photo = await photo_workflow.photo_of(audit, _uuid(request, "photo_uuid"))
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
        headers={"Cache-Control": PRIVATE_NO_STORE},
    )


async def delete_photo(request: Request) -> Response:
    who = require_role(request, "auditor")
    expected = if_match(request)
    await photo_workflow.delete_photo(
        who,
        _uuid(request),
        _uuid(request, "photo_uuid"),
        settings_of(request).media_dir,
        expected,
    )
    return Response(status_code=204)


async def discard_audit(request: Request) -> Response:
    who = require_role(request, "auditor")
    expected = if_match(request)
    await workflow.discard_draft(who, _uuid(request), settings_of(request).media_dir, expected)
    return Response(status_code=204)
