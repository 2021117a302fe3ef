"""HQ filters: checklist, version, region and period from the query string, checked once.

Every HQ page, JSON twin and export reads its filters here, so a bad field
is the same 422 everywhere and the names resolve to ids in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from starlette.requests import Request

from audit.auth import Principal, principal
from audit.compare import Place, previous_period
from audit.errors import Invalid, NotFound
from audit.models import ChecklistVersion, Wave
from audit.store import filters
from audit.store.checklists import current_versions
from audit.store.scope import Scope
from audit.store.waves import wave_by_id

# The dashboard opens on the last 90 days: three monthly waves, compared with
# the three before.
DEFAULT_DAYS = 90


def today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Filters:
    scope: Scope
    versions: list[ChecklistVersion]  # in scope, the current (or newest) first
    all_versions: list[ChecklistVersion]  # of the checklist, for the version picker
    touchpoints: list[str]
    shared: bool  # two sections of one version share a touchpoint
    consistency: bool  # some version has consistency rules: the heat map has their column
    region: str | None = None
    version: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    wave: Wave | None = None  # only the audits of this wave's visits

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
        if self.wave is not None:
            out["wave"] = str(self.wave.id)
        return out

    def previous(self) -> tuple[date, date] | None:
        """The period just before this one (an open end is today); None without a start."""
        if self.date_from is None or self.wave is not None:
            return None  # a wave is compared with itself, not with the days before it
        return previous_period(self.date_from, self.date_to or today())


# Visits are stored only within these years (audit.submission.parse_timestamp):
# a filter outside them selects nothing, and date arithmetic on the previous
# period or a year back would leave the calendar (year 1 minus a year).
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
# A trend is one row per month: ten years is 120 rows, and an open-ended
# request for 0001..9999 would be 120,000 of them (25 MB).
MAX_TREND_MONTHS = 120


def date_param(request: Request, name: str, problems: dict[str, str]) -> date | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        found = date.fromisoformat(raw)
    except ValueError:
        problems[name] = "must be a date written YYYY-MM-DD"
        return None
    if not EARLIEST <= found <= LATEST:
        problems[name] = f"must be a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}"
        return None
    return found


def _months(start: date, end: date) -> int:
    """How many calendar months [start, end] touches."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


async def region_id(name: str | None) -> int | None:
    """The id of the region named ``name``; 422 when there is none of that name."""
    if name is None:
        return None
    found = await filters.region_by_name(name)
    if found is None:
        raise Invalid("unknown region", {"region": f"no region named {name!r}"})
    return found.id


async def find_location(who: Principal, code: str) -> tuple[int, Place, int | None, int | None]:
    """(id, place, region id, brand id) of the location ``code``; 404 when there is
    none, or when it is of a brand the caller is not limited to."""
    found = await filters.location_place(code)
    if found is None or not who.sees_location(found[3]):
        raise NotFound(f"no location {code!r}")
    return found


async def _wave(
    raw: str, slug: str, problems: dict[str, str], page: bool, brands: tuple[int, ...]
) -> Wave | None:
    """The wave ``raw`` names (its id), which must be one of the compared checklist's.

    On a page, a wave left in the address after another checklist was picked
    is dropped (the filter bar then offers that checklist's waves).
    """
    if not raw:
        return None
    found = await wave_by_id(int(raw), brands) if raw.isdigit() and len(raw) <= 18 else None
    if found is None:
        problems["wave"] = "must be the id of a wave"
    elif slug and found.checklist_slug != slug:
        if page:
            return None
        problems["wave"] = f"the wave {found.name!r} is of another checklist"
    else:
        return found
    return None


async def read_filters(request: Request, *, page: bool = False, trend: bool = False) -> Filters:
    """Checklist (required), version, region and from/to; 422 names every bad field.

    A page fills in what is missing: the first checklist, and the last
    ``DEFAULT_DAYS`` days unless the form sent an empty ``from`` (all time).
    A ``trend`` spans at most ``MAX_TREND_MONTHS`` months from ``from`` to
    ``to`` (or today); without ``from`` it starts at the first audit.
    """
    q = request.query_params
    who = principal(request)
    problems: dict[str, str] = {}
    slug = q.get("checklist", "").strip()
    if not slug and page:
        current = await current_versions(who.brand_limit)
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
    date_from = date_param(request, "from", problems)
    date_to = date_param(request, "to", problems)
    wave = await _wave(q.get("wave", "").strip(), slug, problems, page, who.brand_limit)
    # A wave is its own period: the page opens on all of it, not the last 90 days.
    if page and "from" not in q and "to" not in q and wave is None:
        date_to = today()
        date_from = date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_from and date_to and date_to < date_from:
        problems["to"] = "must not be before from"
    elif trend and date_from and _months(date_from, date_to or today()) > MAX_TREND_MONTHS:
        problems["from"] = f"a trend covers at most {MAX_TREND_MONTHS} months: move from or to"
    region = q.get("region", "").strip() or None
    if problems:
        raise Invalid("some filters are invalid", problems)
    all_versions = await filters.checklist_versions(slug)
    if not all_versions or not who.sees_checklist(all_versions[0].brand_id):  # type: ignore[attr-defined]
        raise NotFound(f"no checklist {slug!r}")
    versions = all_versions
    if version is not None:
        versions = [v for v in all_versions if v.version == version]
        if not versions:
            raise NotFound(f"checklist {slug!r} has no version {version}")
    scope = Scope(
        checklist=slug,
        version_ids=tuple(v.id for v in versions) if version is not None else (),
        region_id=await region_id(region),
        date_from=date_from,
        date_to=date_to,
        wave_id=wave.id if wave is not None else None,
        brand_ids=who.brand_limit,
    )
    return Filters(
        scope=scope,
        versions=versions,
        all_versions=all_versions,
        touchpoints=filters.journey(versions),
        shared=filters.shares_touchpoints(versions),
        consistency=filters.has_consistency_rules(versions),
        region=region,
        version=version,
        date_from=date_from,
        date_to=date_to,
        wave=wave,
    )
