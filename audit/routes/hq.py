"""HQ: comparisons, exports, the review queue, and the dashboard pages.

One computation feeds a page and its JSON twin: :func:`league` serves
``/api/compare``, its CSV and XLSX, and the league page; :func:`heatmap`,
:func:`trend` and :func:`weakest_items` likewise.  Every figure comes from
SQL aggregates (:mod:`audit.store.compare`) turned into means by the pure
:mod:`audit.compare`.

Pages share the PWA's session cookie and CSP: no inline script or style, so
charts are inline SVG coloured by classes from ``static/hq/hq.css``, and the
review buttons post through ``static/hq/review.js`` with the CSRF header.
Someone not signed in is sent to ``/`` to sign in; anyone but HQ gets 404.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from audit.auth import Principal, require_role
from audit.checklist import Item, Section, humanize
from audit.compare import (
    HEAT_BANDS,
    SORT_KEYS,
    ItemTally,
    Mean,
    Place,
    Row,
    Tally,
    heat_band,
    months_between,
    previous_period,
    ranked,
    row,
    sort_rows,
    total,
    touchpoint_scores,
    weakest_order,
)
from audit.errors import HTTPError, Invalid, NotFound
from audit.models import STATUSES, ChecklistVersion
from audit.routes.common import api, json_response, query_int
from audit.scoring import score_answers
from audit.store import audits as audit_store
from audit.store import compare as store
from audit.store.checklists import parsed

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)

# Rows per page of the league table and heat map: a region of a 2,000-location
# chain fits in a few pages, and a tablet renders 100 rows without stutter.
PAGE_SIZE = 100
# The dashboard opens on the last 90 days: three monthly waves, compared with
# the three before.
DEFAULT_DAYS = 90
# Keyset pages of the per-audit export: big enough that round trips do not
# dominate, small enough that memory stays flat at any size.
EXPORT_CHUNK = 2_000
XLSX_CHUNK = 64 * 1024
MAX_QUEUE_LIMIT = 500
TOUCHPOINT_LABELS = {"follow_up": "Follow-up", "site_visit": "Site visit"}


def touchpoint_label(slug: str) -> str:
    return TOUCHPOINT_LABELS.get(slug) or humanize(slug)


def today() -> date:
    return datetime.now(UTC).date()


# ---- Filters: the query string, checked once, resolved against the database


@dataclass(frozen=True)
class Filters:
    scope: store.Scope
    versions: list[ChecklistVersion]  # in scope, the current (or newest) first
    all_versions: list[ChecklistVersion]  # of the checklist, for the version picker
    touchpoints: list[str]
    shared: bool  # two sections of one version share a touchpoint
    region: str | None = None
    version: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def checklist(self) -> ChecklistVersion:
        return self.versions[0]

    @property
    def slug(self) -> str:
        return self.checklist.slug

    def params(self) -> dict[str, str]:
        """The filters as query parameters (for links, exports and the JSON twins)."""
        out = {"checklist": self.slug}
        if self.version is not None:
            out["version"] = str(self.version)
        if self.region:
            out["region"] = self.region
        out["from"] = self.date_from.isoformat() if self.date_from else ""
        out["to"] = self.date_to.isoformat() if self.date_to else ""
        return out


def _date_param(request: Request, name: str, problems: dict[str, str]) -> date | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        problems[name] = "must be a date written YYYY-MM-DD"
        return None


async def read_filters(request: Request, *, page: bool = False) -> Filters:
    """Checklist (required), version, region and from/to; 422 names every bad field.

    A page fills in what is missing: the first checklist, and the last
    ``DEFAULT_DAYS`` days unless the form sent an empty ``from`` (all time).
    """
    q = request.query_params
    problems: dict[str, str] = {}
    slug = q.get("checklist", "").strip()
    if not slug and page:
        current = await store.current_checklists()
        if not current:
            raise NotFound("no checklists have been imported yet")
        slug = current[0].slug
    if not slug:
        problems["checklist"] = "is required: the id of the checklist to compare"
    version: int | None = None
    raw_version = q.get("version", "").strip()
    if raw_version:
        try:
            version = int(raw_version)
        except ValueError:
            problems["version"] = "must be a whole number"
    date_from = _date_param(request, "from", problems)
    date_to = _date_param(request, "to", problems)
    if page and "from" not in q and "to" not in q:
        date_to = today()
        date_from = date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_from and date_to and date_to < date_from:
        problems["to"] = "must not be before from"
    region = q.get("region", "").strip() or None
    if problems:
        raise Invalid("some filters are invalid", problems)
    all_versions = await store.checklist_versions(slug)
    if not all_versions:
        raise NotFound(f"no checklist {slug!r}")
    versions = all_versions
    if version is not None:
        versions = [v for v in all_versions if v.version == version]
        if not versions:
            raise NotFound(f"checklist {slug!r} has no version {version}")
    region_id: int | None = None
    if region is not None:
        found = await store.region_by_name(region)
        if found is None:
            raise Invalid("unknown region", {"region": f"no region named {region!r}"})
        region_id = found.id
    scope = store.Scope(
        checklist=slug,
        version_ids=tuple(v.id for v in versions) if version is not None else (),
        region_id=region_id,
        date_from=date_from,
        date_to=date_to,
    )
    return Filters(
        scope=scope,
        versions=versions,
        all_versions=all_versions,
        touchpoints=store.journey(versions),
        shared=store.shares_touchpoints(versions),
        region=region,
        version=version,
        date_from=date_from,
        date_to=date_to,
    )


# ---- The computations shared by pages and API


@dataclass(frozen=True)
class League:
    rows: list[Row]  # ranked
    tallies: dict[int, Tally]
    previous: dict[int, Mean]
    touchpoints: list[str]

    def chain(self) -> Row:
        """Every audit of the filters, counted once (the page's summary)."""
        before = sum(self.previous.values(), Mean()) if self.previous else None
        return row(CHAIN, total(self.tallies.values()), self.touchpoints, before)


CHAIN = Place("all", "All locations")


async def league(f: Filters) -> League:
    """One row per location with approved audits in the filters, ranked by overall."""
    tallies = await store.tallies(f.scope, "location", f.shared)
    places = await store.places(tallies)
    previous: dict[int, Mean] = {}
    if f.date_from is not None:
        start, end = previous_period(f.date_from, f.date_to or today())
        previous = await store.overall_by_location(f.scope.between(start, end))
    rows = [row(places[k], t, f.touchpoints, previous.get(k)) for k, t in tallies.items()]
    return League(ranked(rows), tallies, previous, f.touchpoints)


async def heatmap(f: Filters, group: str) -> tuple[list[Row], Row]:
    """Rows (locations or regions) by touchpoints, and the chain's row."""
    tallies = await store.tallies(f.scope, "location", f.shared)
    places = await store.places(tallies)
    chain = row(CHAIN, total(tallies.values()), f.touchpoints)
    if group == "region":
        by_region: dict[str, list[Tally]] = {}
        for key, tally in tallies.items():
            by_region.setdefault(places[key].region or "No region", []).append(tally)
        rows = [
            row(Place(n, n, n), total(ts), f.touchpoints) for n, ts in sorted(by_region.items())
        ]
    else:
        rows = ranked(row(places[k], t, f.touchpoints) for k, t in tallies.items())
    return rows, chain


@dataclass(frozen=True)
class TrendScope:
    kind: str  # chain | brand | region | location
    key: str | None
    name: str


async def trend_scope(request: Request, f: Filters) -> tuple[TrendScope, store.Scope]:
    q = request.query_params
    location = q.get("location", "").strip()
    brand = q.get("brand", "").strip()
    if location:
        found = await store.location_place(location)
        if found is None:
            raise NotFound(f"no location {location!r}")
        location_id, place, _, _ = found
        return TrendScope("location", place.key, place.name), _replace_scope(
            f.scope, location_id=location_id
        )
    if brand:
        brand_row = await store.brand_by_name(brand)
        if brand_row is None:
            raise Invalid("unknown brand", {"brand": f"no brand named {brand!r}"})
        return TrendScope("brand", brand, brand), _replace_scope(f.scope, brand_id=brand_row.id)
    if f.region:
        return TrendScope("region", f.region, f.region), f.scope
    return TrendScope("chain", None, "All locations"), f.scope


def _replace_scope(scope: store.Scope, **changes: Any) -> store.Scope:
    return replace(scope, **changes)


async def trend(f: Filters, scope: store.Scope, touchpoints: bool = True) -> list[tuple[str, Row]]:
    """Month by month, every month from the first to the last (empty months stay)."""
    tallies = await store.tallies(scope, "month", f.shared, touchpoints)
    tallies.pop(None, None)  # an audit without a visit date has no month
    if not tallies:
        return []
    first = f.date_from or date.fromisoformat(f"{min(tallies)}-01")
    last = f.date_to or date.fromisoformat(f"{max(tallies)}-01")
    return [
        (month, row(Place(month, month), tallies.get(month, Tally()), f.touchpoints))
        for month in months_between(first, last)
    ]


@dataclass(frozen=True)
class WeakItem:
    item: str
    text: str
    touchpoint: str
    tally: ItemTally
    regions: dict[str, ItemTally]


async def weakest_items(f: Filters, limit: int) -> tuple[list[WeakItem], list[str]]:
    by_key = await store.item_tallies(f.scope)
    items: dict[str, ItemTally] = {}
    touchpoint: dict[str, str] = {}
    regions: dict[str, dict[str, ItemTally]] = {}
    for (item, tp, region), tally in by_key.items():
        items[item] = items.get(item, ItemTally()) + tally
        touchpoint.setdefault(item, tp)
        per = regions.setdefault(item, {})
        name = region or "No region"
        per[name] = per.get(name, ItemTally()) + tally
    texts: dict[str, str] = {}
    for version in reversed(f.versions):  # the newest wording wins
        texts.update({i.id: i.text for i in parsed(version).items()})
    region_names = sorted({r for per in regions.values() for r in per})
    out = [
        WeakItem(
            item, texts.get(item, humanize(item)), touchpoint[item], items[item], regions[item]
        )
        for item in weakest_order(items)[:limit]
    ]
    return out, region_names


# ---- JSON API


def _hq(request: Request) -> Principal:
    return require_role(request, "hq")


async def compare_json(request: Request) -> Response:
    _hq(request)
    found = await league(await read_filters(request))
    return json_response([r.to_json() for r in found.rows])


async def heatmap_json(request: Request) -> Response:
    _hq(request)
    f = await read_filters(request)
    group = request.query_params.get("group", "location")
    if group not in ("location", "region"):
        raise Invalid("unknown grouping", {"group": "must be location or region"})
    rows, chain = await heatmap(f, group)

    def cells(r: Row) -> dict[str, Any]:
        return {
            "key": r.place.key,
            "name": r.place.name,
            "region": r.place.region,
            "audits": r.audits,
            "overall": r.overall,
            "touchpoints": r.touchpoints,
            "weakest": r.weakest,
        }

    return json_response(
        {
            "checklist": f.slug,
            "group": group,
            "touchpoints": [{"id": tp, "label": touchpoint_label(tp)} for tp in f.touchpoints],
            "chain": cells(chain),
            "rows": [cells(r) for r in rows],
        }
    )


async def trends_json(request: Request) -> Response:
    _hq(request)
    f = await read_filters(request)
    who, scope = await trend_scope(request, f)
    months = await trend(f, scope)
    return json_response(
        {
            "checklist": f.slug,
            "scope": {"kind": who.kind, "key": who.key, "name": who.name},
            "touchpoints": f.touchpoints,
            "months": [
                {
                    "month": month,
                    "audits": r.audits,
                    "overall": r.overall,
                    "service": r.service,
                    "experience": r.experience,
                    "nps": r.nps,
                    "touchpoints": r.touchpoints,
                }
                for month, r in months
            ],
        }
    )


async def weakest_json(request: Request) -> Response:
    _hq(request)
    f = await read_filters(request)
    limit = query_int(request, "limit", 20, 1, 1000)
    items, _ = await weakest_items(f, limit)
    return json_response(
        [
            {
                "item": w.item,
                "text": w.text,
                "touchpoint": w.touchpoint,
                "answered": w.tally.answered,
                "failed": w.tally.failed,
                "fail_rate": w.tally.fail_rate,
                "mean_points": w.tally.mean_points,
                "regions": {
                    name: {"answered": t.answered, "failed": t.failed, "fail_rate": t.fail_rate}
                    for name, t in sorted(w.regions.items())
                },
            }
            for w in items
        ]
    )


async def review_queue_json(request: Request) -> Response:
    _hq(request)
    limit = query_int(request, "limit", 100, 1, MAX_QUEUE_LIMIT)
    offset = query_int(request, "offset", 0, 0, 10**9)
    count, rows = await store.review_queue(limit, offset)
    return json_response({"total": count, "audits": rows})


# ---- Exports: CSV and XLSX, streamed


# A spreadsheet runs a CSV cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str | None) -> str | None:
    """Text as a CSV cell: a leading quote keeps ``=HYPERLINK(...)`` a name."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def same_text(value: str | None) -> str | None:
    return value  # XLSX cells are typed as text, never formulas


Text = Callable[[str | None], str | None]


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


async def audit_lines(scope: store.Scope, text: Text) -> AsyncIterator[list[list[Any]]]:
    """The per-audit export: its header, then its lines a chunk at a time.

    Hot loop: 100,000 audits, so the lookups are made (and their text made
    safe) once, and a touchpoint cell is filled by index.
    """
    versions = await store.scoped_versions(scope)
    touchpoints = store.journey(versions)
    shared = store.shares_touchpoints(versions)
    column = {tp: n for n, tp in enumerate(touchpoints)}
    places = {
        k: (text(p.key), text(p.name), text(p.region)) for k, p in (await store.places()).items()
    }
    users = {k: text(name) for k, name in (await store.user_names()).items()}
    numbers = await store.version_numbers()
    unknown = (None, None, None)
    yield [[*AUDIT_HEAD, *(f"touchpoints.{tp}" for tp in touchpoints)]]
    async for rows, sections in store.audit_chunks(scope, EXPORT_CHUNK):
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


async def _csv_stream(chunks: AsyncIterator[list[list[Any]]]) -> AsyncIterator[bytes]:
    # csv writes None as an empty cell and floats unrounded (repr).
    async for lines in chunks:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(lines)
        yield out.getvalue().encode()


async def _one_chunk(lines: list[list[Any]]) -> AsyncIterator[list[list[Any]]]:
    yield lines


def _filename(stem: str, f: Filters | None, suffix: str) -> str:
    parts = [stem]
    if f is not None:
        parts.append(f.slug)
        if f.region:
            parts.append(f.region)
        if f.date_from:
            parts.append(f.date_from.isoformat())
        if f.date_to:
            parts.append(f.date_to.isoformat())
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in "_".join(parts))
    return f"{safe}.{suffix}"


def _download(body: AsyncIterator[bytes], media_type: str, filename: str) -> Response:
    return StreamingResponse(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def _league_lines(f: Filters, text: Text) -> list[list[Any]]:
    found = await league(f)
    return [
        league_header(f.touchpoints),
        *(league_line(r, f.touchpoints, text) for r in found.rows),
    ]


async def compare_csv(request: Request) -> Response:
    _hq(request)
    f = await read_filters(request)
    lines = await _league_lines(f, csv_text)
    return _download(
        _csv_stream(_one_chunk(lines)), "text/csv; charset=utf-8", _filename("league", f, "csv")
    )


async def compare_xlsx(request: Request) -> Response:
    _hq(request)
    f = await read_filters(request)
    lines = await _league_lines(f, same_text)
    return _download(
        _xlsx_stream(_one_chunk(lines), "League"), XLSX_TYPE, _filename("league", f, "xlsx")
    )


async def _export_scope(request: Request) -> tuple[store.Scope, Filters | None]:
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
        start = _date_param(request, "from", problems)
        end = _date_param(request, "to", problems)
        if problems:
            raise Invalid("some filters are invalid", problems)
        region_id = None
        region = request.query_params.get("region", "").strip()
        if region:
            found = await store.region_by_name(region)
            if found is None:
                raise Invalid("unknown region", {"region": f"no region named {region!r}"})
            region_id = found.id
        scope = store.Scope(checklist=None, region_id=region_id, date_from=start, date_to=end)
    code = request.query_params.get("location", "").strip()
    if code:
        found_place = await store.location_place(code)
        if found_place is None:
            raise NotFound(f"no location {code!r}")
        scope = _replace_scope(scope, location_id=found_place[0])
    return _replace_scope(scope, status=None if status == "all" else status), f


async def audits_csv(request: Request) -> Response:
    _hq(request)
    scope, f = await _export_scope(request)
    return _download(
        _csv_stream(audit_lines(scope, csv_text)),
        "text/csv; charset=utf-8",
        _filename("audits", f, "csv"),
    )


async def audits_xlsx(request: Request) -> Response:
    _hq(request)
    scope, f = await _export_scope(request)
    return _download(
        _xlsx_stream(audit_lines(scope, same_text), "Audits"),
        XLSX_TYPE,
        _filename("audits", f, "xlsx"),
    )


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _xlsx_stream(chunks: AsyncIterator[list[list[Any]]], title: str) -> AsyncIterator[bytes]:
    """A write-only workbook (rows go to disk as they come), then the file in pieces.

    openpyxl is synchronous and CPU-bound, so each chunk is appended in a
    worker thread while the event loop keeps serving.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    bold = Font(bold=True)
    first = True

    def cells(line: list[Any], header: bool) -> list[Any]:
        out = []
        for value in line:
            if isinstance(value, bool):
                value = "true" if value else "false"
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            if header:
                cell.font = bold
            out.append(cell)
        return out

    def append(lines: list[list[Any]], with_header: bool) -> None:
        for n, line in enumerate(lines):
            sheet.append(cells(line, with_header and n == 0))

    fd, name = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        async for lines in chunks:
            if first:
                sheet.freeze_panes = "A2"
            await anyio.to_thread.run_sync(append, lines, first)
            first = False
        await anyio.to_thread.run_sync(book.save, name)
        async with await anyio.open_file(name, "rb") as fh:
            while piece := await fh.read(XLSX_CHUNK):
                yield piece
    finally:
        # Synchronous on purpose: a cancelled download must still remove the file.
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)


# ---- Pages


Page = Callable[[Request, Principal], Awaitable[Response]]


def page(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """An HQ page: same session as the API, HTML errors, sign-in at ``/`` when signed out."""

    async def guarded(request: Request) -> Response:
        who: Principal | None = request.scope.get("audit.principal")
        if who is None:
            return RedirectResponse("/", status_code=303)
        if not who.is_hq:
            return await _error_page(request, who, 404, "There is no such page.")
        try:
            return await handler(request, who)
        except HTTPError as exc:
            return await _error_page(request, who, exc.status, exc.message, exc.fields)

    guarded.__name__ = handler.__name__
    return api(guarded)


async def _render(
    request: Request,
    who: Principal,
    name: str,
    context: dict[str, Any],
    status: int = 200,
) -> Response:
    count, _ = await store.review_queue(1, 0)
    base = {
        "who": who,
        "queue_count": count,
        "qs": lambda **changes: _qs(request, changes),
        "score": score_text,
        "signed": signed_text,
        "band": lambda v: heat_band(v).key,
        "tp_label": touchpoint_label,
        "pct": pct_text,
        "bands": HEAT_BANDS,
    }
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


async def _error_page(
    request: Request,
    who: Principal,
    status: int,
    message: str,
    fields: Mapping[str, str] | None = None,
) -> Response:
    return await _render(
        request,
        who,
        "hq/error.html",
        {"nav": "", "status": status, "message": message, "fields": dict(fields or {})},
        status=status,
    )


def _qs(request: Request, changes: Mapping[str, Any]) -> str:
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    if "page" not in changes:
        params.pop("page", None)  # a new filter or sort starts again at page 1
    return "?" + urlencode(params) if params else "?"


def score_text(value: float | None, places: int = 0) -> str:
    if value is None:
        return "\u2013"
    return f"{value:.{places}f}"


def signed_text(value: float | None) -> str:
    if value is None:
        return "\u2013"
    if round(value, 1) == 0:
        return "\u00b10.0"
    return f"+{value:.1f}" if value > 0 else f"\u2212{abs(value):.1f}"


def pct_text(value: float | None) -> str:
    return "\u2013" if value is None else f"{100 * value:.0f}%"


def _filter_context(f: Filters) -> dict[str, Any]:
    previous = None
    if f.date_from is not None:
        previous = previous_period(f.date_from, f.date_to or today())
    return {"f": f, "previous": previous}


async def _filter_choices() -> dict[str, Any]:
    return {
        "checklists": await store.current_checklists(),
        "regions": await store.region_names(),
        "presets": _presets(),
    }


def _presets() -> list[tuple[str, str, str]]:
    end = today()
    last_month_end = end.replace(day=1) - timedelta(days=1)
    return [
        ("Last 30 days", (end - timedelta(days=29)).isoformat(), end.isoformat()),
        ("Last 90 days", (end - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), end.isoformat()),
        ("Last month", last_month_end.replace(day=1).isoformat(), last_month_end.isoformat()),
        ("Last 12 months", (end - timedelta(days=364)).isoformat(), end.isoformat()),
        ("All time", "", ""),
    ]


def _paged(request: Request, rows: list[Row]) -> tuple[list[Row], dict[str, int]]:
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    number = min(query_int(request, "page", 1, 1, 10**6), pages)
    start = (number - 1) * PAGE_SIZE
    return rows[start : start + PAGE_SIZE], {"page": number, "pages": pages, "total": len(rows)}


def _sorting(request: Request, extra: Iterable[str] = ()) -> tuple[str, bool]:
    key = request.query_params.get("sort", "rank")
    if key not in SORT_KEYS and key not in extra:
        key = "rank"
    default_desc = key not in ("rank", "code", "name", "region") and not key.startswith(
        "touchpoint:"
    )
    direction = request.query_params.get("dir")
    return key, (direction == "desc") if direction in ("asc", "desc") else default_desc


async def league_page(request: Request, who: Principal) -> Response:
    f = await read_filters(request, page=True)
    found = await league(f)
    key, descending = _sorting(request)
    shown, paging = _paged(request, sort_rows(found.rows, key, descending))
    return await _render(
        request,
        who,
        "hq/league.html",
        {
            "nav": "league",
            "rows": shown,
            "paging": paging,
            "sort": key,
            "descending": descending,
            "chain": found.chain(),
            "export": urlencode(f.params()),
            **_filter_context(f),
            **await _filter_choices(),
        },
    )


async def _chain_tally(f: Filters) -> list[Tally]:
    found = await store.tallies(f.scope, "all", f.shared)
    return list(found.values())


async def heatmap_page(request: Request, who: Principal) -> Response:
    f = await read_filters(request, page=True)
    group = "location" if f.region else request.query_params.get("group", "region")
    if group not in ("location", "region"):
        group = "region"
    rows, chain = await heatmap(f, group)
    tp_keys = [f"touchpoint:{tp}" for tp in f.touchpoints]
    key, descending = _sorting(request, tp_keys)
    if group == "region" and key == "rank":
        key = "name"
    shown, paging = _paged(request, sort_rows(rows, key, descending))
    return await _render(
        request,
        who,
        "hq/heatmap.html",
        {
            "nav": "heatmap",
            "rows": shown,
            "paging": paging,
            "chain": chain,
            "group": group,
            "sort": key,
            "descending": descending,
            **_filter_context(f),
            **await _filter_choices(),
        },
    )


async def trends_page(request: Request, who: Principal) -> Response:
    f = await read_filters(request, page=True)
    if "from" not in request.query_params and "to" not in request.query_params:
        # A trend needs a longer view than the league's default window.
        end = today()
        start = (end.replace(day=1) - timedelta(days=365)).replace(day=1)
        f = _with_period(f, start, end)
    scope_of, scope = await trend_scope(request, f)
    months = await trend(f, scope)
    series = [("overall", "Overall", [r.overall for _, r in months])]
    series += [
        ("service", "Service", [r.service for _, r in months]),
        ("experience", "Experience", [r.experience for _, r in months]),
    ]
    labels = [m for m, _ in months]
    return await _render(
        request,
        who,
        "hq/trends.html",
        {
            "nav": "trends",
            "months": months,
            "scope_of": scope_of,
            "chart": line_chart(labels, series, width=WIDE_W),
            "nps_chart": line_chart(
                labels,
                [("nps", "Shopper NPS", [r.nps for _, r in months])],
                lo=-100.0,
                height=200,
                width=WIDE_W,
            ),
            "brands": await store.brand_names(),
            "location_code": request.query_params.get("location", ""),
            **_filter_context(f),
            **await _filter_choices(),
        },
    )


def _with_period(f: Filters, start: date, end: date) -> Filters:
    return _replace_filters(f, date_from=start, date_to=end, scope=f.scope.between(start, end))


def _replace_filters(f: Filters, **changes: Any) -> Filters:
    return replace(f, **changes)


async def location_page(request: Request, who: Principal) -> Response:
    code = str(request.path_params["code"])
    found = await store.location_place(code)
    if found is None:
        raise NotFound(f"no location {code!r}")
    location_id, place, region_id, _ = found
    f = await read_filters(request, page=True)
    # The location fixes the region: a region filter carried over from the heat map is moot.
    f = _replace_filters(f, region=None, scope=_replace_scope(f.scope, region_id=None))
    here = _replace_scope(f.scope, location_id=location_id)
    period = await store.tallies(here, "all", f.shared)
    tally = total(period.values())
    previous = None
    if f.date_from is not None:
        start, end = previous_period(f.date_from, f.date_to or today())
        before = await store.tallies(here.between(start, end), "all", f.shared)
        previous = total(before.values()).overall
    loc_row = row(place, tally, f.touchpoints, previous)
    region_scope = _replace_scope(f.scope, region_id=region_id) if region_id else None
    region_row = None
    if region_scope is not None:
        region_row = row(
            Place("region", place.region or ""),
            total((await store.tallies(region_scope, "all", f.shared)).values()),
            f.touchpoints,
        )
    chain_row = row(CHAIN, total(await _chain_tally(f)), f.touchpoints)
    # The trend looks back a year from the end of the period, whatever the period.
    end = f.date_to or today()
    start = (end.replace(day=1) - timedelta(days=365)).replace(day=1)
    span = _with_period(f, start, end)
    months_here = await trend(span, _replace_scope(span.scope, location_id=location_id))
    labels = [m for m, _ in months_here]
    series = [("location", place.name, [r.overall for _, r in months_here])]
    if region_id:
        months_region = dict(
            await trend(span, _replace_scope(span.scope, region_id=region_id), touchpoints=False)
        )
        series.append(
            ("region", f"{place.region} region", [_overall(months_region.get(m)) for m in labels])
        )
    months_chain = dict(await trend(span, span.scope, touchpoints=False))
    series.append(("chain", "All locations", [_overall(months_chain.get(m)) for m in labels]))
    audits = await store.recent_audits(location_id, f.slug, 50)
    return await _render(
        request,
        who,
        "hq/location.html",
        {
            "nav": "league",
            "place": place,
            "row": loc_row,
            "region_row": region_row,
            "chain_row": chain_row,
            "chart": line_chart(labels, series),
            "audits": audits,
            **_filter_context(f),
            **await _filter_choices(),
        },
    )


def _overall(r: Row | None) -> float | None:
    return None if r is None else r.overall


async def weakest_page(request: Request, who: Principal) -> Response:
    f = await read_filters(request, page=True)
    items, regions = await weakest_items(f, 25)
    return await _render(
        request,
        who,
        "hq/weakest.html",
        {
            "nav": "weakest",
            "items": items,
            "regions": regions,
            **_filter_context(f),
            **await _filter_choices(),
        },
    )


async def review_page(request: Request, who: Principal) -> Response:
    page_number = query_int(request, "page", 1, 1, 10**6)
    count, rows = await store.review_queue(PAGE_SIZE, (page_number - 1) * PAGE_SIZE)
    now = datetime.now(UTC)
    for r in rows:
        submitted = datetime.fromisoformat(r["submitted_at"]) if r["submitted_at"] else None
        r["waiting"] = _age(now - submitted) if submitted else ""
        r["visit_day"] = r["visited_at"][:10] if r["visited_at"] else ""
    pages = max(1, -(-count // PAGE_SIZE))
    return await _render(
        request,
        who,
        "hq/review.html",
        {
            "nav": "review",
            "rows": rows,
            "paging": {"page": page_number, "pages": pages, "total": count},
        },
    )


def _age(delta: timedelta) -> str:
    if delta.days >= 1:
        return f"{delta.days} day{'s' if delta.days != 1 else ''}"
    hours = delta.seconds // 3600
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "under an hour"


@dataclass(frozen=True)
class AnswerLine:
    item: Item
    answer: str
    state: str  # answered | na | unanswered | hidden | text
    points: float | None
    comment: str | None
    photos: list[str]


@dataclass(frozen=True)
class SectionView:
    section: Section
    lines: list[AnswerLine]
    score: float | None  # as stored at submission


async def audit_page(request: Request, who: Principal) -> Response:
    uuid = str(request.path_params["uuid"])
    audit = await audit_store.get_audit(who, uuid)
    view = await audit_store.audit_view(who, audit)
    checklist = parsed(audit.checklist)
    photos: dict[str, list[str]] = {}
    for p in view["photos"]:
        photos.setdefault(p["item"], []).append(p["uuid"])
    card = score_answers(
        checklist, audit_store.stored_answers(audit), {k: len(v) for k, v in photos.items()}
    )
    results = {r.item.id: r for r in card.items}
    stored = view["scorecard"] or {}
    sections = [
        SectionView(
            section,
            [_answer_line(i, results[i.id], photos.get(i.id, [])) for i in section.items],
            stored.get("sections", {}).get(section.id, {}).get("score"),
        )
        for section in checklist.sections
    ]
    failed = set(stored.get("critical_failures", ()))
    critical = [line for s in sections for line in s.lines if line.item.id in failed]
    next_uuid = await store.next_in_queue(uuid) if audit.status == "submitted" else None
    return await _render(
        request,
        who,
        "hq/audit.html",
        {
            "nav": "review" if audit.status == "submitted" else "",
            "audit": view,
            "checklist": checklist,
            "sections": sections,
            "critical": critical,
            "region": await _region_of(view["location"]),
            "next_url": f"/hq/audits/{next_uuid}" if next_uuid else "/hq/review",
        },
    )


async def _region_of(code: str) -> str | None:
    found = await store.location_place(code)
    return found[1].region if found else None


def _answer_line(item: Item, result: Any, photos: list[str]) -> AnswerLine:
    answer = result.answer
    comment = answer.comment if answer is not None else None
    if not result.visible:
        return AnswerLine(
            item, "Not shown (skipped by an earlier answer)", "hidden", None, None, []
        )
    if answer is not None and answer.na:
        return AnswerLine(item, "Not applicable", "na", None, comment, photos)
    if item.type == "photo":
        text = f"{len(photos)} photo{'s' if len(photos) != 1 else ''}" if photos else "No photo"
        return AnswerLine(item, text, "answered" if photos else "unanswered", None, comment, photos)
    if answer is None or answer.value is None:
        return AnswerLine(item, "Not answered", "unanswered", None, comment, photos)
    return AnswerLine(
        item,
        _value_text(item, answer.value),
        "text" if item.type == "text" else "answered",
        result.points,
        comment,
        photos,
    )


def _number(value: Any) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


def _value_text(item: Item, value: Any) -> str:
    if item.type == "yes_no":
        return "Yes" if value is True else "No"
    if item.type == "scale":
        return (
            f"{_number(value)} on a scale of {_number(item.min or 0)}\u2013{_number(item.max or 0)}"
        )
    if item.type == "choice":
        option = item.option(value)
        return option.label if option is not None else str(value)
    if item.type == "number":
        return f"{_number(value)} {item.unit or ''}".strip()
    if item.type == "nps":
        return f"{value} out of 10"
    return str(value)


# ---- Charts: inline SVG geometry (the template draws it; CSS colours it)


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    grid: list[tuple[float, str]]  # (y, label)
    ticks: list[tuple[float, str]]  # (x, label)
    lines: list[dict[str, Any]]  # key, label, paths: list of "x,y x,y", dots: (x, y, text)
    empty: bool
    left: int = 40
    right: int = 704


# viewBox sizes: the SVG scales to its panel, so these fix the text size
# relative to the chart (a half-width panel is ~720 px wide on a laptop).
CHART_W, CHART_H = 720, 260
WIDE_W = 1000
PAD_L, PAD_R, PAD_T, PAD_B = 40, 16, 12, 28


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    lo: float | None = None,
    height: int = CHART_H,
    width: int = CHART_W,
) -> Chart:
    """Scores by month on a 0-100 axis cut just below the lowest value (NPS: -100 to 100).

    A month without audits breaks the line instead of inventing a value.
    """
    hi = 100.0
    values = [v for _, _, vs in series for v in vs if v is not None]
    if lo is None:
        lowest = min(values, default=50.0)
        lo = max(0.0, min(60.0, (lowest // 10) * 10 - 10))
    step = 50.0 if hi - lo > 100 else (20.0 if hi - lo > 60 else 10.0)
    lo = hi - step * -(-(hi - lo) // step)  # the axis starts on a grid line
    plot_w = width - PAD_L - PAD_R
    plot_h = height - PAD_T - PAD_B
    n = len(labels)

    def x(i: int) -> float:
        return PAD_L + (plot_w * (i + 0.5) / n if n else 0)

    def y(v: float) -> float:
        return PAD_T + plot_h * (hi - v) / (hi - lo)

    grid = []
    level = lo
    while level <= hi + 1e-9:
        grid.append((round(y(level), 1), f"{level:.0f}"))
        level += step
    every = max(1, -(-n // 12))
    ticks = [(round(x(i), 1), _month_label(m)) for i, m in enumerate(labels) if i % every == 0]
    lines = []
    for key, label, vs in series:
        paths: list[str] = []
        current: list[str] = []
        dots = []
        for i, v in enumerate(vs):
            if v is None:
                if current:
                    paths.append(" ".join(current))
                current = []
                continue
            px, py = round(x(i), 1), round(y(v), 1)
            current.append(f"{px},{py}")
            dots.append((px, py, f"{label}, {_month_label(labels[i])}: {v:.1f}"))
        if current:
            paths.append(" ".join(current))
        lines.append({"key": key, "label": label, "paths": paths, "dots": dots})
    return Chart(
        width, height, grid, ticks, lines, empty=not values, left=PAD_L, right=width - PAD_R
    )


def _month_label(month: str) -> str:
    try:
        return datetime.strptime(month, "%Y-%m").strftime("%b %Y")
    except ValueError:
        return month


# ---- Routes


def hq_routes() -> list[BaseRoute]:
    return [
        Route("/api/compare", api(compare_json), methods=["GET"]),
        Route("/api/compare.csv", api(compare_csv), methods=["GET"]),
        Route("/api/compare.xlsx", api(compare_xlsx), methods=["GET"]),
        Route("/api/heatmap", api(heatmap_json), methods=["GET"]),
        Route("/api/trends", api(trends_json), methods=["GET"]),
        Route("/api/weakest-items", api(weakest_json), methods=["GET"]),
        Route("/api/review-queue", api(review_queue_json), methods=["GET"]),
        Route("/api/audits.csv", api(audits_csv), methods=["GET"]),
        Route("/api/audits.xlsx", api(audits_xlsx), methods=["GET"]),
        Route("/hq", page(league_page), methods=["GET"]),
        Route("/hq/heatmap", page(heatmap_page), methods=["GET"]),
        Route("/hq/trends", page(trends_page), methods=["GET"]),
        Route("/hq/weakest", page(weakest_page), methods=["GET"]),
        Route("/hq/review", page(review_page), methods=["GET"]),
        Route("/hq/locations/{code}", page(location_page), methods=["GET"]),
        Route("/hq/audits/{uuid}", page(audit_page), methods=["GET"]),
    ]
