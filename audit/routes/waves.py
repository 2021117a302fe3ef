"""HQ's waves API: create one (its assignments with it), list them, one wave's progress."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import require_role
from audit.models import Wave
from audit.routes.common import json_response, read_json
from audit.store import waves as store
from audit.workflow import waves as workflow


def _today() -> date:
    return datetime.now(UTC).date()


def progress_json(p: store.Progress) -> dict[str, int]:
    return {
        "planned": p.planned,
        "claimed": p.claimed,
        "started": p.started,
        "submitted": p.submitted,
        "approved": p.approved,
        "overdue": p.overdue,
    }


def wave_json(wave: Wave, totals: store.Progress | None) -> dict[str, Any]:
    coverage = wave.coverage or {}
    return {
        "id": wave.id,
        "name": wave.name,
        "checklist": wave.checklist_slug,
        "checklist_title": wave.checklist.title,
        "version": wave.checklist.version,
        "from": wave.starts_on.isoformat(),
        "to": wave.ends_on.isoformat(),
        "visits": wave.visits_per_location,
        "coverage": {
            "days": list(coverage.get("days", [])),  # type: ignore[call-overload]
            "dayparts": list(coverage.get("dayparts", [])),  # type: ignore[call-overload]
        },
        "allow_repeat": wave.allow_repeat,
        "release_days": wave.release_days,
        "created_at": wave.created_at.isoformat(),
        "progress": progress_json(totals or store.Progress("", 0, 0, 0, 0, 0, 0)),
    }


async def list_waves(request: Request) -> Response:
    who = require_role(request, "hq")
    totals = await store.wave_totals(_today())
    waves = await store.all_waves(who.brand_limit)
    return json_response([wave_json(w, totals.get(w.id)) for w in waves])


async def wave_detail(wave: Wave) -> dict[str, Any]:
    regions = await store.progress(wave.id, _today())
    return {
        **wave_json(wave, store.total(regions)),
        "regions": [{"region": r.region or None, **progress_json(r)} for r in regions],
    }


async def get_wave(request: Request) -> Response:
    who = require_role(request, "hq")
    wave = await workflow.find_wave(str(request.path_params["wave_id"]), who)
    return json_response(await wave_detail(wave))


async def create_wave(request: Request) -> Response:
    who = require_role(request, "hq")
    wave = await workflow.create_wave(await read_json(request), who.user_id, who=who)
    found = await store.wave_by_id(wave.id)
    assert found is not None
    return json_response(await wave_detail(found), status=201)
