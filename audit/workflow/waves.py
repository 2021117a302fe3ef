"""Creating a wave: the request checked once (for the API, the HQ page and the CLI alike).

A wave is asked for as a JSON object::

    {"name": "June 2026", "checklist": "sporting-goods", "version": 3,
     "locations": "all" | ["S1", "S2"], "region": "North", "locations_csv": "code\\nS1\\n",
     "from": "2026-06-01", "to": "2026-06-28", "visits": 2,
     "coverage": {"days": ["weekday", "weekend"], "dayparts": ["lunch", "evening"]},
     "allow_repeat": false, "release_days": 2, "notes": "…"}

with exactly one of ``locations``, ``region`` and ``locations_csv``.  Every
bad field is named at once (422); a CSV's bad rows are listed by line under
``rows``.  Nothing is stored unless all of it is right, and then the wave and
all its assignments are stored in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from audit.auth import Principal
from audit.errors import Invalid, NotFound
from audit.models import ChecklistVersion, Wave
from audit.store import checklists as checklist_store
from audit.store import waves as store
from audit.store.locations import other_brand_codes, other_brand_problem
from audit.wave_plan import (
    DEFAULT_RELEASE_DAYS,
    Coverage,
    Problems,
    check_window,
    coverage_from_json,
    plan_visits,
    read_location_codes,
)

FIELDS = (
    "name",
    "checklist",
    "version",
    "locations",
    "region",
    "locations_csv",
    "from",
    "to",
    "visits",
    "coverage",
    "allow_repeat",
    "release_days",
    "notes",
)
MAX_RELEASE_DAYS = 60


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str


class WaveInvalid(Invalid):
    """422 naming every bad field, and a CSV's bad rows by line."""

    def __init__(self, fields: dict[str, str], rows: list[RowProblem]) -> None:
        super().__init__(
            "the wave has invalid fields",
            fields,
            {"rows": [{"line": r.line, "message": r.message} for r in rows]},
        )
        self.rows = rows


def _date(body: Mapping[str, Any], key: str, problems: Problems) -> date | None:
    raw = body.get(key)
    if raw is None or raw == "":
        problems.add(key, "is required: a date written YYYY-MM-DD")
        return None
    try:
        if not isinstance(raw, str) or len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        problems.add(key, "must be a date written YYYY-MM-DD")
        return None


def _whole(body: Mapping[str, Any], key: str, default: int, lo: int, hi: int, p: Problems) -> int:
    raw = body.get(key, default)
    if raw is None or raw == "":
        return default
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not lo <= raw <= hi:
        p.add(key, f"must be a whole number from {lo} to {hi}")
        return default
    return raw


async def _checklist(
    body: Mapping[str, Any], problems: Problems, who: Principal | None
) -> ChecklistVersion | None:
    slug = body.get("checklist")
    if not isinstance(slug, str) or not slug.strip():
        problems.add("checklist", "is required: the id of a checklist")
        return None
    versions = await checklist_store.versions_of(slug.strip())
    if versions and who is not None and not who.sees_checklist(versions[-1].brand_id):  # type: ignore[attr-defined]
        versions = []  # another brand's: as if there were none
    if not versions:
        problems.add("checklist", f"no checklist {slug!r}")
        return None
    raw = body.get("version")
    if raw is None or raw == "":
        current = [v for v in versions if v.is_current]
        return current[0] if current else versions[-1]
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    found = [v for v in versions if not isinstance(raw, bool) and v.version == raw]
    if not found:
        listed = ", ".join(str(v.version) for v in versions)
        problems.add("version", f"checklist {slug!r} has versions {listed}")
        return None
    return found[0]


async def _locations(
    body: Mapping[str, Any], problems: Problems, rows: list[RowProblem], brands: tuple[int, ...]
) -> list[int]:
    given = [k for k in ("locations", "region", "locations_csv") if body.get(k) not in (None, "")]
    if len(given) != 1:
        message = (
            'say which locations: "all", a list of codes, a region, or a CSV of codes'
            if not given
            else f"give only one of {', '.join(given)}"
        )
        problems.add("locations", message)
        return []
    key = given[0]
    value = body[key]
    if key == "region":
        if not isinstance(value, str) or not await store.region_exists(value.strip()):
            problems.add("region", f"no region named {value!r}")
            return []
        ids = await store.all_location_ids(value.strip(), brands)
    elif key == "locations" and value == "all":
        ids = await store.all_location_ids(brand_ids=brands)
    elif key == "locations":
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            problems.add("locations", 'must be "all" or a list of location codes')
            return []
        codes = list(dict.fromkeys(c.strip() for c in value if c.strip()))
        known = await store.location_ids(codes, brands)
        unknown = [c for c in codes if c not in known]
        if unknown:
            shown = ", ".join(repr(c) for c in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            problems.add("locations", f"unknown location codes: {shown}{more}")
            return []
        ids = [known[c] for c in codes]
    else:
        if not isinstance(value, str):
            problems.add("locations_csv", "must be the CSV file's text")
            return []
        listed, bad = read_location_codes(value)
        rows.extend(RowProblem(line, message) for line, message in bad)
        known = await store.location_ids([c for _, c in listed], brands)
        rows.extend(
            RowProblem(line, f"unknown location code {code!r}")
            for line, code in listed
            if code not in known
        )
        rows.sort(key=lambda r: r.line)
        if rows:
            problems.add(
                "locations_csv",
                f"{len(rows)} row{'s' if len(rows) != 1 else ''} of the CSV "
                f"{'have' if len(rows) != 1 else 'has'} problems (first: line {rows[0].line}: "
                f"{rows[0].message})",
            )
            return []
        ids = [known[c] for _, c in listed]
    if not ids:
        problems.add(key, "names no locations")
    return ids


async def create_wave(
    body: Mapping[str, Any],
    by_user_id: int | None,
    now: datetime | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    who: Principal | None = None,
) -> Wave:
    """Check the request (422 naming every problem), then store the wave and its assignments.

    ``who``: the HQ user asking (None: the command line, the agency's); a
    brand-limited one knows only their brands' checklists and locations.
    """
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    problems = Problems()
    rows: list[RowProblem] = []
    for key in body:
        if key not in FIELDS:
            problems.add(str(key), "unknown field")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
        problems.add("name", "is required: at most 200 characters")
        name = ""
    name = name.strip()
    if name and await store.wave_named(name) is not None:
        problems.add("name", f"there is already a wave named {name!r}")
    version = await _checklist(body, problems, who)
    location_key = next((k for k in ("locations", "region", "locations_csv") if body.get(k)), "")
    location_ids = await _locations(body, problems, rows, who.brand_limit if who else ())
    if version is not None and location_ids:
        others = await other_brand_codes(version.brand_id, location_ids)  # type: ignore[attr-defined]
        if others:
            problems.add(location_key, other_brand_problem(others))
    starts_on = _date(body, "from", problems)
    ends_on = _date(body, "to", problems)
    visits = _whole(body, "visits", 1, 1, 12, problems)
    coverage: Coverage = coverage_from_json(body.get("coverage"), problems)
    allow_repeat = body.get("allow_repeat", False)
    if not isinstance(allow_repeat, bool):
        problems.add("allow_repeat", "must be true or false")
        allow_repeat = False
    release_days = _whole(body, "release_days", DEFAULT_RELEASE_DAYS, 0, MAX_RELEASE_DAYS, problems)
    notes = body.get("notes", "")
    if not isinstance(notes, str) or len(notes) > 2000:
        problems.add("notes", "must be text of at most 2,000 characters")
        notes = ""
    if starts_on is not None and ends_on is not None and "visits" not in problems.fields:
        check_window(starts_on, ends_on, visits, coverage, problems)
    if problems.fields or rows:
        raise WaveInvalid(problems.fields, rows)
    assert version is not None and starts_on is not None and ends_on is not None
    planned = plan_visits(len(location_ids), starts_on, ends_on, visits, coverage, release_days)
    new = store.NewWave(
        name=name,
        checklist=version,
        starts_on=starts_on,
        ends_on=ends_on,
        visits_per_location=visits,
        coverage=coverage,
        allow_repeat=allow_repeat,
        release_days=release_days,
        created_by_id=by_user_id,
        notes=notes,
    )
    try:
        return await store.create_wave(
            new, location_ids, planned, now or datetime.now(UTC), on_progress
        )
    except IntegrityError:
        # Another request took the name between the check and the insert.
        raise WaveInvalid({"name": f"there is already a wave named {name!r}"}, []) from None


async def find_wave(key: str, who: Principal | None = None) -> Wave:
    """A wave by id (digits) or name; 404 when there is none (or it is of a brand
    ``who`` is not limited to)."""
    brands = who.brand_limit if who is not None else ()
    found = None
    if key.isdigit() and len(key) <= 18:
        found = await store.wave_by_id(int(key), brands)
    if found is None:
        found = await store.wave_named(key, brands)
    if found is None:
        raise NotFound(f"no wave {key!r}")
    return found
