"""HQ figures: the computations that feed a page and its JSON twin alike.

:func:`league` serves ``/api/compare``, its CSV and XLSX, and the league page;
:func:`heatmap`, :func:`trend` and :func:`weakest_items` likewise.  Every
figure comes from SQL aggregates (:mod:`audit.store.aggregates`) turned into
means by the pure :mod:`audit.compare`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from starlette.requests import Request

from audit.auth import principal
from audit.checklist import humanize
from audit.compare import (
    ItemTally,
    Mean,
    Place,
    Row,
    Tally,
    months_between,
    ranked,
    row,
    total,
    weakest_order,
)
from audit.errors import Invalid
from audit.models import Wave

# The API names touchpoints beside these figures, by presentation's one table.
from audit.presentation import touchpoint_label as touchpoint_label
from audit.routes.hq_filters import Filters, find_location
from audit.store import aggregates, filters
from audit.store.checklists import parsed
from audit.store.scope import Scope
from audit.store.waves import waves_of_checklist

CHAIN = Place("all", "All locations")


@dataclass(frozen=True)
class League:
    rows: list[Row]  # ranked
    tallies: dict[int, Tally]
    previous: dict[int, Mean]
    touchpoints: list[str]

    min_visits: int = 1

    def chain(self) -> Row:
        """Every audit of the filters, counted once (the page's summary)."""
        before = sum(self.previous.values(), Mean()) if self.previous else None
        found = row(CHAIN, total(self.tallies.values()), self.touchpoints, before)
        found.critical_failures = sum(r.critical_failures for r in self.rows)
        return found

    @property
    def ranked_count(self) -> int:
        return sum(1 for r in self.rows if r.ranked)


async def league(f: Filters, min_visits: int = 1) -> League:
    """One row per location with approved audits in the filters, ranked by overall.

    A location with fewer than ``min_visits`` audits is listed after the
    ranked ones, without a rank (``AUDIT_MIN_VISITS``).
    """
    tallies = await aggregates.tallies(f.scope, "location", f.shared)
    places = await filters.places(tallies)
    previous: dict[int, Mean] = {}
    period = f.previous()
    if period is not None:
        previous = await aggregates.overall_by_location(f.scope.between(*period))
    critical = await aggregates.critical_failures(f.scope) if tallies else {}
    rows = []
    for k, t in tallies.items():
        found = row(places[k], t, f.touchpoints, previous.get(k))
        found.critical_failures = critical.get(k, 0)
        rows.append(found)
    return League(ranked(rows, min_visits), tallies, previous, f.touchpoints, min_visits)


def matching(rows: list[Row], search: str) -> list[Row]:
    """The rows whose location name or code contains ``search`` (any case)."""
    needle = search.strip().casefold()
    if not needle:
        return rows
    return [
        r for r in rows if needle in r.place.name.casefold() or needle in r.place.key.casefold()
    ]


async def heatmap(f: Filters, group: str) -> tuple[list[Row], Row]:
    """Rows (locations or regions) by touchpoints (and consistency), and the chain's row."""
    tallies = await aggregates.tallies(f.scope, "location", f.shared, consistency=f.consistency)
    places = await filters.places(tallies)
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


async def trend_scope(request: Request, f: Filters) -> tuple[TrendScope, Scope]:
    q = request.query_params
    location = q.get("location", "").strip()
    brand = q.get("brand", "").strip()
    if location:
        location_id, place, _, _ = await find_location(principal(request), location)
        return TrendScope("location", place.key, place.name), replace(
            f.scope, location_id=location_id
        )
    if brand:
        brand_row = await filters.brand_by_name(brand)
        if brand_row is None or not principal(request).sees_location(brand_row.id):
            raise Invalid("unknown brand", {"brand": f"no brand named {brand!r}"})
        return TrendScope("brand", brand, brand), replace(f.scope, brand_id=brand_row.id)
    if f.region:
        return TrendScope("region", f.region, f.region), f.scope
    return TrendScope("chain", None, "All locations"), f.scope


async def trend(f: Filters, scope: Scope, touchpoints: bool = True) -> list[tuple[str, Row]]:
    """Month by month, every month from the first to the last (empty months stay)."""
    tallies = await aggregates.tallies(scope, "month", f.shared, touchpoints)
    tallies.pop(None, None)  # an audit without a visit date has no month
    if not tallies:
        return []
    first = f.date_from or date.fromisoformat(f"{min(tallies)}-01")
    last = f.date_to or date.fromisoformat(f"{max(tallies)}-01")
    return [
        (month, row(Place(month, month), tallies.get(month, Tally()), f.touchpoints))
        for month in months_between(first, last)
    ]


async def trend_by_wave(f: Filters, scope: Scope) -> list[tuple[Wave, Row]]:
    """Wave by wave (in window order), the audits of each wave's visits in ``scope``.

    The checklist's waves are its rounds of visits: where it has them, a trend
    reads best one point a wave.  The period filter does not cut a wave.
    """
    out = []
    for wave in await waves_of_checklist(f.slug, scope.brand_ids):
        tallies = await aggregates.tallies(
            replace(scope, wave_id=wave.id, date_from=None, date_to=None), "all", f.shared
        )
        out.append(
            (wave, row(Place(str(wave.id), wave.name), total(tallies.values()), f.touchpoints))
        )
    return out


@dataclass(frozen=True)
class WeakItem:
    item: str
    text: str
    touchpoint: str
    tally: ItemTally
    regions: dict[str, ItemTally]


async def weakest_items(f: Filters, limit: int) -> tuple[list[WeakItem], list[str]]:
    by_key = await aggregates.item_tallies(f.scope)
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
