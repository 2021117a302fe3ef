"""Rollups (audit.store.rollups): kept by approval and rebuilds, equal to the raw rows.

The reference is the same comparison over the audits' own rows
(``tallies(..., rollups=False)``, ``USE_ROLLUPS = False``).  Sums of floats
added in another order may differ in the last bits, so totals are compared
to 1e-9; every count is compared exactly.
"""

from __future__ import annotations

import asyncio
import importlib
import random
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

from audit.auth import Principal
from audit.backup import backup, restore
from audit.compare import Tally, edge_days, month_end, whole_months
from audit.db import tortoise_config
from audit.models import (
    Audit,
    Brand,
    ChecklistVersion,
    Location,
    MonthRollup,
    Region,
    SectionScore,
    TotalRollup,
    TouchpointRollup,
    TouchpointTotalRollup,
    User,
)
from audit.settings import Settings
from audit.store import aggregates
from audit.store.accounts import add_user
from audit.store.filters import shares_touchpoints
from audit.store.locations import add_location
from audit.store.rollups import add_approved, rebuild_rollups
from audit.store.scope import Group, Scope
from audit.workflow.review import Decision, review
from tests.conftest import make_client
from tests.helpers import PASSWORD, sign_in
from tests.test_hq_api import import_yaml

SHOP_V1 = """\
id: shop
title: Shop visit
version: 1
scenario: Visit.
sections:
  - {id: phone, title: Phone, touchpoint: phone, weight: 2,
     items: [{id: answered, text: Answered, type: yes_no}]}
  - {id: desk, title: Desk, touchpoint: service,
     items: [{id: greeted, text: Greeted, type: yes_no, kind: service}]}
  - {id: till, title: Till, touchpoint: checkout, weight: 3,
     items: [{id: quick, text: Quick, type: yes_no}]}
"""
# Version 2: the desk and the fitting room share the service touchpoint.
SHOP_V2 = """\
id: shop
title: Shop visit
version: 2
scenario: Visit.
sections:
  - {id: phone, title: Phone, touchpoint: phone, weight: 2,
     items: [{id: answered, text: Answered, type: yes_no}]}
  - {id: desk, title: Desk, touchpoint: service,
     items: [{id: greeted, text: Greeted, type: yes_no, kind: service}]}
  - {id: fitting, title: Fitting room, touchpoint: service, weight: 3,
     items: [{id: helped, text: Helped, type: yes_no, kind: service}]}
  - {id: till, title: Till, touchpoint: checkout, weight: 0.5,
     items: [{id: quick, text: Quick, type: yes_no}]}
"""
OTHER = """\
id: other
title: Other visit
version: 1
scenario: Visit.
sections:
  - {id: arrival, title: Arrival, touchpoint: arrival,
     items: [{id: signs, text: Signs, type: yes_no}]}
  - {id: desk, title: Desk, touchpoint: service, weight: 2,
     items: [{id: greeted, text: Greeted, type: yes_no, kind: service}]}
"""
# (code, region, brand)
LOCATIONS = (("L1", "North", "First"), ("L2", "North", "Second"), ("L3", "South", "First"))
VERSIONS = (("shop", 1), ("shop", 2), ("other", 1))
GROUPS: tuple[Group, ...] = ("location", "month", "all")


# ---- Seeding


@dataclass(frozen=True)
class World:
    """Ids of what every audit refers to."""

    versions: list[ChecklistVersion]  # in VERSIONS order
    locations: list[int]  # in LOCATIONS order
    regions: dict[str, int]
    brands: dict[str, int]
    auditor: int
    hq: Principal


async def seed_world(tmp_path: Path) -> None:
    for name, text in (("shop", SHOP_V1), ("shop", SHOP_V2), ("other", OTHER)):
        await import_yaml(tmp_path, name, text)
    for code, region, brand in LOCATIONS:
        location, _ = await add_location(code, f"Shop {code}", region)
        row, _ = await Brand.get_or_create(name=brand)
        await Location.filter(id=location.id).update(brand_id=row.id)
    await add_user("auditor@x.test", "auditor", PASSWORD, "Ann Auditor")
    await add_user("hq@x.test", "hq", PASSWORD, "Hal HQ")


async def load_world() -> World:
    versions = []
    for slug, number in VERSIONS:
        found = await ChecklistVersion.get(slug=slug, version=number)
        versions.append(found)
    locations = await Location.filter(code__in=[c for c, _, _ in LOCATIONS]).order_by("code")
    hq = await User.get(email="hq@x.test")
    regions = {r.name: r.id for r in await Region.all()}
    return World(
        versions=versions,
        locations=[loc.id for loc in locations],
        regions=regions,
        brands={b.name: b.id for b in await Brand.all()},
        auditor=(await User.get(email="auditor@x.test")).id,
        hq=Principal(hq.id, hq.email, hq.name, "hq", "", 0),
    )


@dataclass(frozen=True)
class Spec:
    """One audit to write: where, when, how it became what it is, and its scores."""

    location: int
    version: int
    day: date | None
    status: str  # approved | submitted | returned
    by_review: bool  # else written as it is, bypassing review()
    late: bool  # written after the rebuild
    overall: float | None
    service: float | None
    experience: float | None
    nps: int | None
    scores: tuple[float | None, ...]  # per section, in checklist order


async def write(world: World, spec: Spec) -> None:
    version = world.versions[spec.version]
    sections = version.definition["sections"]
    assert isinstance(sections, list)
    status = "submitted" if spec.by_review else spec.status
    visited = None
    if spec.day is not None:
        visited = datetime(spec.day.year, spec.day.month, spec.day.day, 11, tzinfo=UTC)
    audit = await Audit.create(
        uuid=str(uuid.uuid4()),
        auditor_id=world.auditor,
        location_id=world.locations[spec.location],
        checklist_id=version.id,
        checklist_slug=version.slug,
        status=status,
        visited_at=visited,
        visit_date=spec.day,
        submitted_at=datetime.now(UTC),
        overall=spec.overall,
        service=spec.service,
        experience=spec.experience,
        nps=spec.nps,
    )
    await SectionScore.bulk_create(
        [
            SectionScore(
                audit_id=audit.id,
                section_id=s["id"],
                touchpoint=s["touchpoint"],
                weight=float(s.get("weight", 1)),
                score=score,
            )
            for s, score in zip(sections, spec.scores, strict=False)
        ]
    )
    if spec.by_review:
        decision = "approve" if spec.status == "approved" else "return"
        await review(world.hq, audit.uuid, Decision(decision, note="Add the receipt"))


async def write_all(world: World, specs: list[Spec], rebuild: bool) -> None:
    for spec in specs:
        if not spec.late:
            await write(world, spec)
    if rebuild:
        await rebuild_rollups()
    for spec in specs:
        if spec.late:
            await write(world, spec)


async def clear_audits() -> None:
    conn = connections.get("default")
    for table in (
        "touchpoint_total_rollup",
        "total_rollup",
        "touchpoint_rollup",
        "month_rollup",
        "review_event",
        "section_score",
        "item_score",
        "audit",
    ):
        await conn.execute_script(f'DELETE FROM "{table}"')


# ---- Comparing


def assert_same_tallies(rolled: dict[Any, Tally], raw: dict[Any, Tally], context: object) -> None:
    assert rolled.keys() == raw.keys(), context
    for key, want in raw.items():
        got = rolled[key]
        where = (context, key)
        assert got.audits == want.audits, where
        assert got.nps == want.nps, where
        for name in ("overall", "service", "experience"):
            g, w = getattr(got, name), getattr(want, name)
            assert g.count == w.count, (where, name)
            assert g.total == pytest.approx(w.total, rel=1e-12, abs=1e-9), (where, name)
        assert got.touchpoints.keys() == want.touchpoints.keys(), where
        for tp, w in want.touchpoints.items():
            g = got.touchpoints[tp]
            assert g.count == w.count, (where, tp)
            assert g.total == pytest.approx(w.total, rel=1e-12, abs=1e-9), (where, tp)


def _close(got: Any, want: Any, path: str = "") -> None:
    """Equal, but for floats that may differ in the last bits (sums in another order)."""
    if isinstance(want, float) and isinstance(got, float):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-9), path
    elif isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), path
        for key, value in want.items():
            _close(got[key], value, f"{path}.{key}")
    elif isinstance(want, list | tuple):
        assert type(got) is type(want) and len(got) == len(want), path
        for n, (g, w) in enumerate(zip(got, want, strict=True)):
            _close(g, w, f"{path}[{n}]")
    else:
        assert got == want, path


FILTERS = ("shop", "shop v1", "shop v2", "North", "brand Second", "L2", "other")


def scope_for(world: World, name: str, start: date | None, end: date | None) -> tuple:
    """(scope, shared) of a named filter, as the HQ filters would make them."""
    shop = [world.versions[0], world.versions[1]]
    versions = shop
    fields: dict[str, Any] = {"checklist": "shop"}
    if name == "shop v1":
        versions = [world.versions[0]]
        fields["version_ids"] = (world.versions[0].id,)
    elif name == "shop v2":
        versions = [world.versions[1]]
        fields["version_ids"] = (world.versions[1].id,)
    elif name == "North":
        fields["region_id"] = world.regions["North"]
    elif name == "brand Second":
        fields["brand_id"] = world.brands["Second"]
    elif name == "L2":
        fields["location_id"] = world.locations[1]
    elif name == "other":
        versions = [world.versions[2]]
        fields["checklist"] = "other"
    scope = Scope(date_from=start, date_to=end, **fields)
    return scope, shares_touchpoints(versions)


async def assert_rollups_equal_raw(
    world: World, periods: list[tuple[date | None, date | None]], filters: list[str]
) -> None:
    for start, end in periods:
        for name in filters:
            scope, shared = scope_for(world, name, start, end)
            for group in GROUPS:
                context = (name, start, end, group)
                rolled = await aggregates.tallies(scope, group, shared, rollups=True)
                raw = await aggregates.tallies(scope, group, shared, rollups=False)
                assert_same_tallies(rolled, raw, context)
            rolled_overall = await aggregates.overall_by_location(scope, rollups=True)
            raw_overall = await aggregates.overall_by_location(scope, rollups=False)
            assert rolled_overall.keys() == raw_overall.keys()
            for key, mean in raw_overall.items():
                assert rolled_overall[key].count == mean.count
                assert rolled_overall[key].total == pytest.approx(mean.total, rel=1e-12)


# ---- Strategies

FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2025, 4, 30)
# The first two and last two days of each month: where a period's whole
# months begin and end.
MONTH_EDGES = [
    day
    for month in (12, 1, 2, 3, 4, 5)
    for first in [date(2024 if month == 12 else 2025, month, 1)]
    for last in [month_end(first)]
    for day in (first, first + timedelta(days=1), last - timedelta(days=1), last)
]
DAYS = st.one_of(st.dates(FIRST_DAY, LAST_DAY), st.sampled_from(MONTH_EDGES))
# One audit in ten has no visit date (written by hand: it has no month).
VISIT_DAYS = st.tuples(st.integers(0, 9), DAYS).map(lambda t: None if t[0] == 0 else t[1])
# Round scores add up exactly; the others (33.3333...) may not, in any order.
SCORES = st.one_of(
    st.none(),
    st.sampled_from([0.0, 50.0, 62.5, 100.0]),
    st.integers(0, 1_000_000).map(lambda n: n / 10_000),
)
BOUNDS = st.one_of(
    st.none(), st.sampled_from(MONTH_EDGES), st.dates(date(2024, 12, 20), date(2025, 5, 10))
)


def _ordered(pair: tuple[date | None, date | None]) -> tuple[date | None, date | None]:
    start, end = pair
    if start is not None and end is not None and end < start:
        return end, start
    return start, end


PERIODS = st.one_of(
    st.tuples(BOUNDS, BOUNDS).map(_ordered),
    DAYS.map(lambda d: (d, d)),  # a single day
)
SPECS = st.builds(
    Spec,
    location=st.integers(0, len(LOCATIONS) - 1),
    version=st.integers(0, len(VERSIONS) - 1),
    day=VISIT_DAYS,
    status=st.sampled_from(["approved", "approved", "approved", "submitted", "returned"]),
    by_review=st.booleans(),
    late=st.booleans(),
    overall=SCORES,
    service=SCORES,
    experience=SCORES,
    nps=st.one_of(st.none(), st.integers(0, 10)),
    scores=st.tuples(SCORES, SCORES, SCORES, SCORES),
)


def _open(database_url: str) -> Any:
    EXECUTOR_CACHE.clear()
    return Tortoise.init(config=tortoise_config(database_url))


def test_rollups_give_the_raw_rows_figures_for_any_audits_periods_and_filters(
    database_url: str, tmp_path: Path
) -> None:
    async def prepare() -> None:
        await _open(database_url)
        try:
            await seed_world(tmp_path)
        finally:
            await connections.close_all()

    asyncio.run(prepare())

    @settings(
        max_examples=80,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        specs=st.lists(SPECS, min_size=3, max_size=25),
        rebuild=st.booleans(),
        periods=st.lists(PERIODS, min_size=1, max_size=4),
        filters=st.lists(st.sampled_from(FILTERS), min_size=1, max_size=3, unique=True),
    )
    def check(
        specs: list[Spec],
        rebuild: bool,
        periods: list[tuple[date | None, date | None]],
        filters: list[str],
    ) -> None:
        async def run() -> None:
            await _open(database_url)
            try:
                await clear_audits()
                world = await load_world()
                await write_all(world, specs, rebuild)
                # Every period also without bounds: all from the rollups.
                await assert_rollups_equal_raw(world, [(None, None), *periods], filters)
            finally:
                await connections.close_all()

        asyncio.run(run())

    check()


async def test_rollups_give_the_raw_rows_figures_for_every_period_between_month_edges(
    world: World,
):
    rng = random.Random(7)
    specs = [
        spec(
            location=rng.randrange(3),
            version=rng.randrange(2),
            day=rng.choice([*MONTH_EDGES[4:20], FIRST_DAY + timedelta(days=rng.randrange(120))]),
            by_review=rng.random() < 0.5,
            late=rng.random() < 0.3,
            overall=rng.choice([None, rng.uniform(0, 100)]),
            nps=rng.choice([None, rng.randrange(11)]),
            scores=tuple(rng.choice([None, rng.uniform(0, 100)]) for _ in range(4)),
        )
        for _ in range(60)
    ]
    await write_all(world, specs, rebuild=True)
    days = ("01-01", "01-02", "01-31", "02-01", "02-02", "02-28", "03-01", "03-02", "03-15")
    days += ("03-30", "03-31", "04-30")
    bounds: list[date | None] = [None, *(date.fromisoformat(f"2025-{d}") for d in days)]
    periods = [
        (start, end)
        for start in bounds
        for end in bounds
        if start is None or end is None or start <= end
    ]
    await assert_rollups_equal_raw(world, periods, ["shop"])


# ---- Periods (pure)


@given(start=st.one_of(st.none(), DAYS), end=st.one_of(st.none(), DAYS))
def test_whole_months_and_edge_days_cover_a_period_once(
    start: date | None, end: date | None
) -> None:
    start, end = _ordered((start, end))
    low, high = date(2024, 11, 1), date(2025, 6, 30)  # wider than any bound drawn
    wanted = {
        day
        for day in _days(low, high)
        if (start is None or day >= start) and (end is None or day <= end)
    }
    covered: list[date] = []
    months = whole_months(start, end)
    if months is not None:
        first, last = months
        assert first is None or first.day == 1
        assert last is None or last.day == 1
        covered += _days(first or low, month_end(last) if last else high)
    for a, b in edge_days(start, end):
        covered += _days(a or low, b or high)
    assert sorted(covered) == sorted(wanted)  # every day once, none outside


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_whole_months_of_typical_periods():
    assert whole_months(date(2025, 1, 17), date(2025, 7, 9)) == (date(2025, 2, 1), date(2025, 6, 1))
    assert whole_months(date(2025, 3, 1), date(2025, 3, 31)) == (date(2025, 3, 1), date(2025, 3, 1))
    assert whole_months(date(2025, 3, 2), date(2025, 3, 31)) is None
    assert whole_months(None, date(2025, 3, 30)) == (None, date(2025, 2, 1))
    assert whole_months(date(2025, 2, 28), None) == (date(2025, 3, 1), None)
    assert whole_months(None, None) == (None, None)
    assert edge_days(date(2025, 1, 17), date(2025, 7, 9)) == [
        (date(2025, 1, 17), date(2025, 1, 31)),
        (date(2025, 7, 1), date(2025, 7, 9)),
    ]
    assert edge_days(date(2025, 3, 5), date(2025, 3, 5)) == [(date(2025, 3, 5), date(2025, 3, 5))]
    assert edge_days(None, None) == []


# ---- Keeping the rollups


@pytest.fixture
async def world(db: Settings, tmp_path: Path) -> World:
    await seed_world(tmp_path)
    return await load_world()


def spec(**fields: Any) -> Spec:
    base: dict[str, Any] = {
        "location": 0,
        "version": 1,
        "day": date(2025, 3, 14),
        "status": "approved",
        "by_review": True,
        "late": False,
        "overall": 80.0,
        "service": 70.0,
        "experience": 90.0,
        "nps": 10,
        "scores": (50.0, 100.0, 0.0, None),
    }
    return Spec(**{**base, **fields})


async def test_approving_an_audit_adds_it_to_its_month_and_touchpoint_rows(world: World):
    await write(world, spec())
    await write(world, spec(overall=None, service=40.0, nps=6, scores=(70.0, None, 80.0, 10.0)))
    await write(world, spec(status="returned"))  # returned, not approved: not counted

    (month,) = await MonthRollup.all().values()
    assert month["location_id"] == world.locations[0]
    assert month["checklist_id"] == world.versions[1].id
    assert month["checklist_slug"] == "shop"
    assert month["month"] == date(2025, 3, 1)
    assert (month["audits"], month["overall_sum"], month["overall_count"]) == (2, 80.0, 1)
    assert (month["service_sum"], month["service_count"]) == (110.0, 2)
    assert (month["nps_promoters"], month["nps_detractors"], month["nps_answers"]) == (1, 1, 2)
    points = {
        r["touchpoint"]: (r["score_sum"], r["score_count"])
        for r in await TouchpointRollup.all().values("touchpoint", "score_sum", "score_count")
    }
    # Service is each audit's weighted mean of desk (1) and fitting room (3):
    # (100 + 0) / 4 = 25 and 80 (the desk has no score) -> one per audit.
    assert points == {"phone": (120.0, 2), "service": (105.0, 2), "checkout": (10.0, 1)}
    (total,) = await TotalRollup.all().values()
    # The totals: the same sums, without the month.
    assert {k: v for k, v in total.items() if k != "id"} == {
        k: v for k, v in month.items() if k not in ("id", "month")
    }
    totals = {
        r["touchpoint"]: (r["score_sum"], r["score_count"])
        for r in await TouchpointTotalRollup.all().values("touchpoint", "score_sum", "score_count")
    }
    assert totals == points
    assert await Audit.filter(rolled_up=True).count() == 2


async def test_an_audit_approved_twice_or_by_other_means_is_counted_once(world: World):
    await write(world, spec())
    audit = await Audit.get(status="approved")
    assert await add_approved(audit.id) is False  # already counted
    await write(world, spec(by_review=False))  # approved by hand: read from its rows
    assert (await MonthRollup.get()).audits == 1
    await rebuild_rollups()
    assert (await MonthRollup.get()).audits == 2
    await rebuild_rollups()
    assert (await MonthRollup.get()).audits == 2
    assert await Audit.filter(rolled_up=False, status="approved").count() == 0


async def test_approvals_at_the_same_moment_in_one_month_all_count(world: World):
    # On PostgreSQL each review runs in a transaction on its own connection.
    for n in range(8):
        await write(world, spec(by_review=False, status="submitted", overall=float(n * 10)))
    uuids = await Audit.filter(status="submitted").values_list("uuid", flat=True)
    await asyncio.gather(*(review(world.hq, str(u), Decision("approve")) for u in uuids))
    month = await MonthRollup.get()
    assert (month.audits, month.overall_sum, month.overall_count) == (8, 280.0, 8)
    assert await TouchpointRollup.filter(touchpoint="service").values_list(
        "score_count", flat=True
    ) == [8]


async def test_whole_months_come_from_the_rollups_and_edge_days_from_the_audits(world: World):
    await write(world, spec(day=date(2025, 2, 10), overall=60.0))
    await write(world, spec(day=date(2025, 3, 10), overall=80.0))
    # Changed behind the rollups' back (nothing in the service does this):
    # the whole month still shows what was approved, an edge day the row.
    await Audit.all().update(overall=0.0)
    scope = Scope(checklist="shop")

    async def overall(start: date | None, end: date | None, rollups: bool | None) -> float | None:
        found = await aggregates.tallies(scope.between(start, end), "all", True, rollups=rollups)
        return found[None].overall.value

    assert await overall(None, None, True) == 70.0
    assert await overall(date(2025, 2, 1), date(2025, 3, 31), True) == 70.0
    assert await overall(date(2025, 2, 10), date(2025, 3, 31), True) == 40.0
    assert await overall(date(2025, 2, 1), date(2025, 3, 10), True) == 30.0
    assert await overall(None, None, False) == 0.0
    # By default, the rollups only for three whole months or more.
    assert await overall(None, None, None) == 70.0
    assert await overall(date(2025, 1, 1), date(2025, 3, 31), None) == 70.0
    assert await overall(date(2025, 2, 1), date(2025, 3, 31), None) == 0.0
    await rebuild_rollups()
    assert await overall(None, None, True) == 0.0


async def test_the_migration_backfill_counts_what_a_rebuild_counts(world: World):
    rng = random.Random(4)
    for n in range(30):
        await write(
            world,
            spec(
                location=n % 3,
                version=n % 3,
                day=date(2025, 1, 1) + timedelta(days=rng.randrange(120)),
                by_review=n % 2 == 0,
                overall=rng.choice([None, rng.uniform(0, 100)]),
                scores=tuple(rng.choice([None, rng.uniform(0, 100)]) for _ in range(4)),
            ),
        )
    await rebuild_rollups()
    rebuilt = await _rollup_rows()
    conn = connections.get("default")
    for model in (TouchpointTotalRollup, TotalRollup, TouchpointRollup, MonthRollup):
        await model.all().delete()
    await Audit.all().update(rolled_up=False)
    editor = SimpleNamespace(client=conn)
    for name in ("0004_rollups", "0005_rollup_totals"):
        await importlib.import_module(f"audit.migrations.{name}").backfill(None, editor)
    _close(await _rollup_rows(), rebuilt)  # PostgreSQL may add in another order
    assert all(rebuilt) and len(rebuilt[0]) > 10


async def _rollup_rows() -> list[list[tuple[Any, ...]]]:
    key = ("location_id", "checklist_id", "checklist_slug")
    sums = ("audits", "overall_sum", "service_count", "nps_answers")
    points = ("touchpoint", "score_sum", "score_count")
    found = [
        await MonthRollup.all().values_list(*key, "month", *sums),
        await TouchpointRollup.all().values_list(*key, "month", *points),
        await TotalRollup.all().values_list(*key, *sums),
        await TouchpointTotalRollup.all().values_list(*key, *points),
    ]
    return [sorted(rows) for rows in found]


async def test_restore_recounts_the_rollups(world: World, db: Settings, tmp_path: Path):
    if not db.database_url.startswith("sqlite://"):
        pytest.skip("restore is for SQLite backups")
    await write(world, spec(by_review=False))  # approved by hand: not in the rollups
    await connections.close_all()
    result = backup(db, tmp_path / "backup")
    target = Settings(
        database_url=f"sqlite://{tmp_path / 'restored.sqlite3'}",
        media_dir=tmp_path / "restored-media",
        var_dir=tmp_path,
        secret_key="x",
    )
    restore(target, result.path)
    restored = sqlite3.connect(tmp_path / "restored.sqlite3")
    try:
        assert restored.execute("SELECT audits FROM month_rollup").fetchall() == [(1,)]
        assert restored.execute("SELECT audits FROM total_rollup").fetchall() == [(1,)]
        assert restored.execute("SELECT rolled_up FROM audit").fetchall() == [(1,)]
    finally:
        restored.close()


async def test_restore_leaves_an_older_schema_to_its_migrations(
    world: World, db: Settings, tmp_path: Path
):
    if not db.database_url.startswith("sqlite://"):
        pytest.skip("restore is for SQLite backups")
    await write(world, spec(by_review=False))
    await connections.close_all()
    result = backup(db, tmp_path / "backup")
    copy = sqlite3.connect(result.path / "audit.sqlite3")
    with copy:  # as if taken before the latest migration
        copy.execute("DELETE FROM tortoise_migrations WHERE name = '0005_rollup_totals'")
        copy.execute("DROP TABLE touchpoint_total_rollup")
    copy.close()
    target = Settings(
        database_url=f"sqlite://{tmp_path / 'restored.sqlite3'}",
        media_dir=tmp_path / "restored-media",
        var_dir=tmp_path,
        secret_key="x",
    )
    restore(target, result.path)  # no rebuild against a schema it does not know
    restored = sqlite3.connect(tmp_path / "restored.sqlite3")
    try:
        assert restored.execute("SELECT rolled_up FROM audit").fetchall() == [(0,)]
    finally:
        restored.close()


# ---- The HQ API, rollups against raw rows


API_PERIODS = [
    ("", ""),
    ("2025-02-01", "2025-03-31"),
    ("2025-01-15", "2025-04-10"),
    ("2025-01-01", "2025-04-30"),
    ("2024-12-31", "2025-04-29"),
    ("2025-02-14", "2025-02-14"),
    ("2025-01-31", "2025-02-01"),
    ("", "2025-03-15"),
    ("2025-03-02", ""),
    ("2025-03-01", ""),
]
API_QUERIES = [
    ("/api/compare", {}),
    ("/api/compare", {"version": "1"}),
    ("/api/compare", {"region": "North"}),
    ("/api/heatmap", {"group": "region"}),
    ("/api/heatmap", {"group": "location", "version": "2"}),
    ("/api/trends", {}),
    ("/api/trends", {"location": "L2"}),
    ("/api/trends", {"brand": "First"}),
    ("/api/compare", {"checklist": "other"}),
]


async def test_compare_heatmap_and_trends_match_raw_rows(
    world: World, app: Any, monkeypatch: pytest.MonkeyPatch
):
    rng = random.Random(2025)
    specs = [
        spec(
            location=rng.randrange(3),
            version=rng.randrange(3),
            day=date(2025, 1, 1) + timedelta(days=rng.randrange(120)),
            status=rng.choice(["approved", "approved", "approved", "returned"]),
            by_review=rng.random() < 0.5,
            late=rng.random() < 0.3,
            overall=rng.choice([None, rng.uniform(0, 100)]),
            service=rng.choice([None, rng.uniform(0, 100)]),
            experience=rng.uniform(0, 100),
            nps=rng.choice([None, rng.randrange(11)]),
            scores=tuple(rng.choice([None, rng.uniform(0, 100)]) for _ in range(4)),
        )
        for _ in range(90)
    ]
    await write_all(world, specs, rebuild=True)
    assert await Audit.filter(rolled_up=False, status="approved").exists()  # the late ones
    async with make_client(app) as client:
        hq = await sign_in(client, "hq@x.test")
        for path, extra in API_QUERIES:
            for start, end in API_PERIODS:
                params = {"checklist": "shop", "from": start, "to": end, **extra}
                monkeypatch.setattr(aggregates, "USE_ROLLUPS", True)
                rolled = await hq.get(path, params=params)
                monkeypatch.setattr(aggregates, "USE_ROLLUPS", False)
                raw = await hq.get(path, params=params)
                assert rolled.status_code == raw.status_code == 200, rolled.text
                _close(rolled.json(), raw.json(), f"{path} {params}")
