"""Assignments and the job board: HQ's list and one-off assignments, claims and releases."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import require_role
from audit.errors import Invalid, NotFound
from audit.models import Assignment, Location, User
from audit.routes.common import json_response, read_json
from audit.store import checklists as checklist_store
from audit.store.assignments import auditor_board, states_of
from audit.store.locations import fits_brand, other_brand_problem
from audit.wave_plan import release_by
from audit.workflow import assignments as workflow


def _today() -> date:
    return datetime.now(UTC).date()


def assignment_json(
    row: Assignment, titles: Mapping[str, str], state: str, today: date, *, hq: bool
) -> dict[str, Any]:
    """One assignment as the API gives it (``hq``: with who has it)."""
    opens = row.opens_on or row.created_at.date()
    wave = row.wave if row.wave_id is not None else None  # type: ignore[attr-defined]
    sent = state in ("submitted", "approved")
    out: dict[str, Any] = {
        "id": row.id,
        "location": row.location.code,
        "location_name": row.location.name,
        "address": row.location.address,
        "assigned": opens.isoformat(),
        "checklist": row.checklist_slug,
        "checklist_title": titles.get(row.checklist_slug, row.checklist_slug),
        "due": row.due.isoformat() if row.due else None,
        "notes": row.notes,
        "audit": row.audit_uuid,
        "state": state,
        "wave": wave.name if wave is not None else None,
        "coverage": row.coverage,
        "claimed": row.claimed_at is not None,
        "overdue": row.due is not None and row.due < today and not sent,
        "release_by": row.release_by.isoformat() if row.release_by else None,
    }
    if hq:
        auditor = row.auditor if row.auditor_id is not None else None  # type: ignore[attr-defined]
        out["auditor"] = auditor.email if auditor is not None else None
        out["auditor_name"] = auditor.name if auditor is not None else None
    else:
        out["can_release"] = (
            row.claimed_at is not None
            and row.audit_uuid is None
            and (row.release_by is None or today <= row.release_by)
        )
    return out


async def _titles() -> dict[str, str]:
    return {r.slug: r.title for r in await checklist_store.current_versions()}


def _wave_param(request: Request) -> int | None:
    raw = request.query_params.get("wave", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Invalid("unknown wave", {"wave": "must be the id of a wave"})
    return int(raw)


async def list_assignments(request: Request) -> Response:
    who = require_role(request, "auditor", "hq")
    titles = await _titles()
    today = _today()
    if who.is_hq:
        # HQ sees every assignment with its state, which follows its audit.
        found, states = await workflow.hq_assignments(
            who, request.query_params.get("state"), _wave_param(request), today
        )
        return json_response(
            [assignment_json(r, titles, states[r.id], today, hq=True) for r in found]
        )
    # An auditor: their own visits not started yet, then the job board's open ones.
    mine, board = await auditor_board(who.user_id, who.brand_limit)
    return json_response(
        [{**assignment_json(r, titles, "open", today, hq=False), "mine": True} for r in mine]
        + [{**assignment_json(r, titles, "open", today, hq=False), "mine": False} for r in board]
    )


def _assignment_id(request: Request) -> int:
    raw = str(request.path_params["assignment_id"])
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("no such assignment")
    return int(raw)


async def _one(row: Assignment, *, hq: bool) -> dict[str, Any]:
    await row.fetch_related("location", "wave", "auditor")
    state = (await states_of([row]))[row.id]
    return assignment_json(row, await _titles(), state, _today(), hq=hq)


async def claim_assignment(request: Request) -> Response:
    who = require_role(request, "auditor")
    row = await workflow.claim(who, _assignment_id(request))
    return json_response({**await _one(row, hq=False), "mine": True})


async def release_assignment(request: Request) -> Response:
    who = require_role(request, "auditor")
    row = await workflow.release(who, _assignment_id(request))
    return json_response({**await _one(row, hq=False), "mine": False})


async def _auditor(value: Any, problems: dict[str, str]) -> User | None:
    if value is None:
        return None
    found = None
    if isinstance(value, str):
        found = await User.get_or_none(email=value.strip().lower(), role="auditor", active=True)
    if found is None:
        problems["auditor"] = "must be the e-mail of an active auditor"
    return found


async def assign_assignment(request: Request) -> Response:
    """HQ gives the visit to an auditor (``{"auditor": email}``) or back to the board (null)."""
    who = require_role(request, "hq")
    body = await read_json(request)
    if not isinstance(body, Mapping) or "auditor" not in body:
        raise Invalid("the body must name the auditor", {"auditor": "is required (null: nobody)"})
    problems: dict[str, str] = {}
    for key in body:
        if key != "auditor":
            problems[str(key)] = "unknown field"
    auditor = await _auditor(body["auditor"], problems)
    if problems:
        raise Invalid("the assignment has invalid fields", problems)
    row, changed = await workflow.give(
        _assignment_id(request), auditor.id if auditor is not None else None, who
    )
    if changed and auditor is not None:
        await request.app.state.on_assigned(row.id, auditor.email)
    return json_response(await _one(row, hq=True))


async def create_assignment(request: Request) -> Response:
    who = require_role(request, "hq")
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
    if location is None or not who.sees_location(location.brand_id):  # type: ignore[attr-defined]
        problems["location"] = "must be a known location code"
        location = None
    checklist = body.get("checklist")
    version = (
        await checklist_store.current_version(checklist) if isinstance(checklist, str) else None
    )
    if version is None or not who.sees_checklist(version.brand_id):  # type: ignore[attr-defined]
        problems["checklist"] = "must be a current checklist id"
    elif location is not None and not fits_brand(version.brand_id, location.brand_id):  # type: ignore[attr-defined]
        problems["checklist"] = other_brand_problem([location.code])
    auditor = await _auditor(body.get("auditor"), problems)
    if (
        auditor is not None
        and location is not None
        and not await workflow.auditor_fits(auditor.id, location.brand_id)  # type: ignore[attr-defined]
    ):
        problems["auditor"] = workflow.OTHER_BRAND
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
        location=location,
        checklist_slug=checklist,
        auditor=auditor,
        due=due,
        notes=notes,
        release_by=release_by(due),
    )
    if auditor is not None:
        await request.app.state.on_assigned(row.id, auditor.email)
    return json_response(await _one(row, hq=True), status=201)
