"""HQ exports: the league table and every audit's scores, as CSV or XLSX.

The league export is the rows of ``/api/compare``; the per-audit export
streams any number of audits in keyset pages, so memory stays flat.

Files are data (see :mod:`audit.presentation`): the JSON's keys as column
names and exact numbers, so a spreadsheet's own sums and means are exact.  The
XLSX shows score cells as whole numbers (number format ``0``, halves away from
zero, as every page prints them); the cell still holds the exact value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from audit.auth import principal, require_role
from audit.compare import Row, touchpoint_scores
from audit.errors import Invalid
from audit.models import STATUSES
from audit.presentation import SPREADSHEET_SCORE_FORMAT
from audit.routes.common import settings_of
from audit.routes.hq_figures import league
from audit.routes.hq_filters import Filters, date_param, find_location, read_filters, region_id
from audit.routes.spreadsheets import CSV, XLSX, Chunks, Format, Text, one_chunk
from audit.store import export, filters
from audit.store.scope import Scope

# Keyset pages of the per-audit export: big enough that round trips do not
# dominate, small enough that memory stays flat at any size.
EXPORT_CHUNK = 2_000

AUDIT_HEAD = [
    "uuid",
    "location",
    "location_name",
    "region",
    "checklist",
    "checklist_version",
    "status",
    "visit_date",
    "auditor",
    "overall",
    "service",
    "experience",
    "nps",
    "critical_failed",
]


# Columns holding a score or an NPS (``change`` is a difference, kept as is).
SCORE_COLUMNS = ("overall", "service", "experience", "nps", "previous_overall")


def score_format(column: str) -> str | None:
    """The XLSX number format of an export's column: scores print as whole numbers."""
    if column in SCORE_COLUMNS or column.startswith("touchpoints."):
        return SPREADSHEET_SCORE_FORMAT
    return None


def league_header(touchpoints: Sequence[str]) -> list[str]:
    head = ["code", "name", "region", "audits", "overall", "service", "experience", "nps"]
    return [
        *head,
        *(f"touchpoints.{tp}" for tp in touchpoints),
        "rank",
        "previous_overall",
        "change",
    ]


def league_line(r: Row, touchpoints: Sequence[str], text: Text) -> list[Any]:
    return [
        text(r.place.key),
        text(r.place.name),
        text(r.place.region),
        r.audits,
        r.overall,
        r.service,
        r.experience,
        r.nps,
        *(r.touchpoints.get(tp) for tp in touchpoints),
        r.rank,
        r.previous_overall,
        r.change,
    ]


async def league_lines(f: Filters, text: Text, min_visits: int = 1) -> list[list[Any]]:
    found = await league(f, min_visits)
    return [
        league_header(f.touchpoints),
        *(league_line(r, f.touchpoints, text) for r in found.rows),
    ]


async def audit_lines(scope: Scope, text: Text) -> Chunks:
    """The per-audit export: its header, then its lines a chunk at a time.

    Hot loop: 100,000 audits, so the lookups are made (and their text made
    safe) once, and a touchpoint cell is filled by index.
    """
    versions = await export.scoped_versions(scope)
    touchpoints = filters.journey(versions)
    shared = filters.shares_touchpoints(versions)
    column = {tp: n for n, tp in enumerate(touchpoints)}
    places = {
        k: (text(p.key), text(p.name), text(p.region)) for k, p in (await filters.places()).items()
    }
    users = {k: text(name) for k, name in (await export.user_names()).items()}
    numbers = await export.version_numbers()
    unknown = (None, None, None)
    yield [[*AUDIT_HEAD, *(f"touchpoints.{tp}" for tp in touchpoints)]]
    async for rows, sections in export.audit_chunks(scope, EXPORT_CHUNK):
        lines = []
        for (
            audit_id,
            uuid,
            status,
            slug,
            version_id,
            visit_date,
            location_id,
            auditor_id,
            overall,
            service,
            experience,
            nps,
            critical,
        ) in rows:
            cells: list[Any] = [None] * len(touchpoints)
            found = sections.get(audit_id, ())
            if shared:
                for tp, score in touchpoint_scores(found).items():
                    cells[column[tp]] = score
            else:
                for tp, _, score in found:
                    cells[column[tp]] = score
            lines.append(
                [
                    uuid,
                    *places.get(location_id, unknown),
                    slug,
                    numbers.get(version_id),
                    status,
                    visit_date,
                    users.get(auditor_id),
                    overall,
                    service,
                    experience,
                    nps,
                    "true" if critical else "false",
                    *cells,
                ]
            )
        yield lines


async def export_scope(request: Request) -> tuple[Scope, Filters | None]:
    """An audit export's scope: the usual filters (checklist optional), a location, a status."""
    status = request.query_params.get("status", "approved")
    if status not in ("all", *STATUSES):
        raise Invalid("unknown status", {"status": f"must be all or one of {', '.join(STATUSES)}"})
    f: Filters | None = None
    if request.query_params.get("checklist", "").strip():
        f = await read_filters(request)
        scope = f.scope
    else:
        problems: dict[str, str] = {}
        start = date_param(request, "from", problems)
        end = date_param(request, "to", problems)
        if problems:
            raise Invalid("some filters are invalid", problems)
        region = request.query_params.get("region", "").strip() or None
        scope = Scope(
            checklist=None,
            region_id=await region_id(region),
            date_from=start,
            date_to=end,
            brand_ids=principal(request).brand_limit,
        )
    code = request.query_params.get("location", "").strip()
    if code:
        location_id, _, _, _ = await find_location(principal(request), code)
        scope = replace(scope, location_id=location_id)
    return replace(scope, status=None if status == "all" else status), f


def file_stem(stem: str, f: Filters | None) -> str:
    """The download's name: what it is and its filters, safe in any file system."""
    parts = [stem]
    if f is not None:
        parts.append(f.slug)
        if f.region:
            parts.append(f.region)
        if f.date_from:
            parts.append(f.date_from.isoformat())
        if f.date_to:
            parts.append(f.date_to.isoformat())
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in "_".join(parts))


async def league_export(request: Request, fmt: Format) -> Response:
    require_role(request, "hq")
    f = await read_filters(request)
    lines = await league_lines(f, fmt.text, settings_of(request).min_visits)
    return fmt.download(one_chunk(lines), "League", file_stem("league", f), score_format)


async def audits_export(request: Request, fmt: Format) -> Response:
    require_role(request, "hq")
    scope, f = await export_scope(request)
    lines = audit_lines(scope, fmt.text)
    return fmt.download(lines, "Audits", file_stem("audits", f), score_format)


async def compare_csv(request: Request) -> Response:
    return await league_export(request, CSV)


async def compare_xlsx(request: Request) -> Response:
    return await league_export(request, XLSX)


async def audits_csv(request: Request) -> Response:
    return await audits_export(request, CSV)


async def audits_xlsx(request: Request) -> Response:
    return await audits_export(request, XLSX)
