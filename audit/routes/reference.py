"""Locations and checklists (assignments: :mod:`audit.routes.assignments`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import principal
from audit.errors import NotFound
from audit.routes.common import json_response, request_language
from audit.store import checklists as checklist_store
from audit.store.locations import visible_locations


async def list_locations(request: Request) -> Response:
    return json_response(await visible_locations(principal(request)))


async def list_checklists(request: Request) -> Response:
    principal(request)
    language = request_language(request)
    rows = await checklist_store.current_versions()
    return json_response(
        [
            {
                "id": r.slug,
                "title": checklist_store.parsed(r).localized(language).title,
                "version": r.version,
                "hash": r.content_hash,
            }
            for r in rows
        ]
    )


async def get_checklist(request: Request) -> Response:
    principal(request)
    language = request_language(request)
    slug = request.path_params["checklist_id"]
    digest = request.query_params.get("hash")
    if digest:
        row = await checklist_store.version_by_hash(slug, digest)
    else:
        row = await checklist_store.current_version(slug)
    if row is None:
        raise NotFound(f"no checklist {slug!r}")
    checklist = checklist_store.parsed(row)
    if checklist.translated:
        shown = checklist.localized(language)
        data = shown.to_dict()
    else:
        # Plain strings: served exactly as stored, as before languages.
        shown = checklist
        data = dict(row.definition)
    data["hash"] = row.content_hash
    data["current"] = row.is_current
    data["language"] = shown.language
    data["languages"] = list(checklist.languages)
    return json_response(data, headers={"Cache-Control": "private, no-cache"})
