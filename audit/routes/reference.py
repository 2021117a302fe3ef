"""Locations, checklists and assignments."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from tortoise.expressions import Q

from audit.auth import principal, require_role
from audit.errors import Invalid, NotFound
from audit.models import Assignment, Audit, Location, User
from audit.routes.common import json_response, read_json
from audit.store import checklists as checklist_store
from audit.store.locations import visible_locations
from audit.workflow.assignments import hq_assignments


async def list_locations(request: Request) -> Response:
    return json_response(await visible_locations(principal(request)))


async def list_checklists(request: Request) -> Response:
    principal(request)
    rows = await checklist_store.current_versions()
    return json_response(
        [
            {"id": r.slug, "title": r.title, "version": r.version, "hash": r.content_hash}
            for r in rows
        ]
    )


async def get_checklist(request: Request) -> Response:
    principal(request)
    slug = request.path_params["checklist_id"]
    digest = request.query_params.get("hash")
    if digest:
        row = await checklist_store.version_by_hash(slug, digest)
    else:
        row = await checklist_store.current_version(slug)
    if row is None:
        raise NotFound(f"no checklist {slug!r}")
    data = dict(row.definition)
    data["hash"] = row.content_hash
    data["current"] = row.is_current
    return json_response(data, headers={"Cache-Control": "private, no-cache"})


def _assignment_json(row: Assignment, titles: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "location": row.location.code,
        "location_name": row.location.name,
        "address": row.location.address,
        "assigned": row.created_at.date().isoformat(),
        "checklist": row.checklist_slug,
        "checklist_title": titles.get(row.checklist_slug, row.checklist_slug),
        "due": row.due.isoformat() if row.due else None,
        "notes": row.notes,
        "audit": row.audit_uuid,
    }


async def list_assignments(request: Request) -> Response:
    who = require_role(request, "auditor", "hq")
    titles = {r.slug: r.title for r in await checklist_store.current_versions()}
    if who.is_hq:
        # HQ sees every assignment with its state, which follows its audit.
        found, states = await hq_assignments(request.query_params.get("state"))
        return json_response(
            [{**_assignment_json(r, titles), "state": states[r.id]} for r in found]
        )
    query = Assignment.filter(audit_uuid=None)
    query = query.filter(Q(auditor_id=who.user_id) | Q(auditor_id=None))
    rows = await query.select_related("location").order_by("due", "id").limit(500)
    # Hide assignments already being worked on by this auditor.
    started = set(
        await Audit.filter(
            auditor_id=who.user_id,
            location_id__in=[r.location_id for r in rows],  # type: ignore[attr-defined]
        ).values_list("location_id", "checklist_slug")
    )
    return json_response(
        [
            {**_assignment_json(r, titles), "state": "open"}
            for r in rows
            if (r.location_id, r.checklist_slug) not in started  # type: ignore[attr-defined]
        ]
    )


async def create_assignment(request: Request) -> Response:
    require_role(request, "hq")
    body = await read_json(request)
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    problems: dict[str, str] = {}
    allowed = {"location", "checklist", "auditor", "due", "notes"}
    for key in body:
        if key not in allowed:
            problems[str(key)] = "unknown field"
    location = None
    if isinstance(body.get("location"), str):
        location = await Location.get_or_none(code=body["location"])
    if location is None:
        problems["location"] = "must be a known location code"
    checklist = body.get("checklist")
    if not isinstance(checklist, str) or await checklist_store.current_version(checklist) is None:
        problems["checklist"] = "must be a current checklist id"
    auditor = None
    if body.get("auditor") is not None:
        if isinstance(body["auditor"], str):
            auditor = await User.get_or_none(email=body["auditor"].lower(), role="auditor")
        if auditor is None:
            problems["auditor"] = "must be the e-mail of an auditor"
    due = None
    if body.get("due") is not None:
        try:
            due = date.fromisoformat(str(body["due"]))
        except ValueError:
            problems["due"] = "must be a date (YYYY-MM-DD)"
    notes = body.get("notes", "")
    if not isinstance(notes, str) or len(notes) > 2000:
        problems["notes"] = "must be text of at most 2,000 characters"
    if problems:
        raise Invalid("the assignment has invalid fields", problems)
    assert location is not None and isinstance(checklist, str)
    row = await Assignment.create(
        location=location, checklist_slug=checklist, auditor=auditor, due=due, notes=notes
    )
    await row.fetch_related("location")
    return json_response(_assignment_json(row, {}), status=201)
