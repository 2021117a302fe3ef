"""Report benchmarks: other locations' approved audits of the checklist, visited on or before
the visit (within AUDIT_BENCHMARK_DAYS when set), whatever the order of approvals, frozen at
approval until a late approval of an earlier visit (docs/scoring.md, "Benchmarks").

Every test runs on SQLite and, when configured, PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from statistics import mean
from typing import Any

import pytest

from audit.auth import Principal
from audit.models import Audit, ReportBenchmarks, SectionScore
from audit.settings import Settings
from audit.store.checklists import import_checklists, read_checklist_dir
from audit.store.locations import add_location
from audit.submission import parse_payload
from audit.workflow import audits as workflow
from audit.workflow.reports import freeze_benchmarks, report_data_for
from audit.workflow.review import Decision, review
from tests.helpers import ROOT, new_uuid
from tests.test_store_reports import person

VISIT = date(2026, 3, 1)


class World:
    """Locations A1 and A2 (North), B1 (South), C1 (no region); an auditor and HQ."""

    def __init__(self, settings: Settings, auditor: Principal, hq: Principal) -> None:
        self.settings = settings
        self.auditor = auditor
        self.hq = hq

    async def visit(
        self,
        code: str,
        day: date,
        *,
        clean: int = 4,
        answered: bool = True,
        approve: bool = True,
    ) -> str:
        """A submitted audit of the ``shop`` checklist, approved (without the hook) if asked."""
        uid = new_uuid()
        answers: dict[str, Any] = {
            "answered": {"value": answered},
            "rings": {"value": 2},
            "needed_restroom": {"value": False},
            "clean": {"value": clean},
            "recommend": {"value": 9},
        }
        payload = parse_payload(
            {
                "checklist": "shop",
                "location": code,
                "visited_at": f"{day.isoformat()}T10:00:00Z",
                "answers": answers,
            }
        )
        await workflow.save_draft(self.auditor, uid, payload)
        await workflow.submit(self.auditor, uid, None)
        if approve:
            await self.approve(uid)
        return uid

    async def approve(self, uid: str) -> None:
        await review(self.hq, uid, Decision("approve"))

    async def benchmarks(self, uid: str) -> Any:
        data = await report_data_for(uid, self.settings)
        return data.benchmarks, data.generated_at


@pytest.fixture
async def world(db: Settings) -> World:
    found, problems = read_checklist_dir(ROOT / "tests" / "fixtures" / "api")
    assert not problems
    await import_checklists(found)
    await add_location("A1", "Riverside Mall", "North")
    await add_location("A2", "Northgate", "North")
    await add_location("B1", "Hillcrest Plaza", "South")
    await add_location("C1", "Airport Kiosk")
    auditor = await person("auditor@x.test", "Ann Auditor", "auditor")
    hq = await person("hq@x.test", "Hal HQ", "hq")
    return World(db, auditor, hq)


async def overall(uid: str) -> float:
    audit = await Audit.get(uuid=uid)
    assert audit.overall is not None
    return audit.overall


async def section_score(uid: str, touchpoint: str) -> float:
    row = await SectionScore.get(audit__uuid=uid, touchpoint=touchpoint)
    assert row.score is not None
    return row.score


def today() -> date:
    return datetime.now(UTC).date()


async def test_benchmarks_average_other_locations_visited_on_or_before_the_visit(
    world: World,
) -> None:
    region_early = await world.visit("A2", VISIT - timedelta(days=50), clean=5)
    region_same_day = await world.visit("A2", VISIT, clean=2, answered=False)
    await world.visit("A2", VISIT + timedelta(days=1), clean=1)  # after the visit
    south = await world.visit("B1", VISIT - timedelta(days=28), clean=1)
    await world.visit("A1", VISIT - timedelta(days=14), clean=5)  # its own location
    await world.visit("A1", VISIT - timedelta(days=7), approve=False)  # not approved
    target = await world.visit("A1", VISIT, clean=3)

    bench, as_of = await world.benchmarks(target)

    region = [region_early, region_same_day]
    assert bench.region_count == 2
    assert bench.region_avg == pytest.approx(mean([await overall(u) for u in region]))
    assert bench.brand_count == 3
    assert bench.brand_avg == pytest.approx(mean([await overall(u) for u in [*region, south]]))
    # Touchpoints by the same rule: the same audits' section scores.
    assert bench.region_touchpoints["facilities"] == pytest.approx(
        mean([await section_score(u, "facilities") for u in region])
    )
    assert bench.brand_touchpoints["phone"] == pytest.approx(
        mean([await section_score(u, "phone") for u in [*region, south]])
    )
    assert "checkout" not in bench.brand_touchpoints  # no scored item: no section score
    assert as_of == today()  # approved today


async def test_every_earlier_visit_counts_unless_a_window_is_set(world: World) -> None:
    inside = await world.visit("A2", VISIT - timedelta(days=364), clean=5)
    old = await world.visit("A2", VISIT - timedelta(days=365), clean=1)
    ancient = await world.visit("B1", VISIT - timedelta(days=3000), clean=2)
    target = await world.visit("A1", VISIT, approve=False)

    bench, _ = await world.benchmarks(target)
    assert (bench.region_count, bench.brand_count) == (2, 3)
    everyone = [inside, old, ancient]
    assert bench.brand_avg == pytest.approx(mean([await overall(u) for u in everyone]))

    # AUDIT_BENCHMARK_DAYS=365: the 365 days that end with the visit day.
    world.settings = dataclasses.replace(world.settings, benchmark_days=365)
    bench, _ = await world.benchmarks(target)

    assert (bench.region_count, bench.brand_count) == (1, 1)
    assert bench.region_avg == pytest.approx(await overall(inside))


async def test_a_benchmark_with_no_audits_is_empty(world: World) -> None:
    await world.visit("A1", VISIT - timedelta(days=30))  # only its own location's audits
    alone = await world.visit("A1", VISIT)

    bench, _ = await world.benchmarks(alone)
    assert (bench.brand_avg, bench.brand_count) == (None, 0)
    assert (bench.region_avg, bench.region_count) == (None, 0)
    assert dict(bench.brand_touchpoints) == {} and dict(bench.region_touchpoints) == {}

    no_region = await world.visit("C1", VISIT - timedelta(days=2))

    # A location without a region has a brand benchmark only.
    bench, _ = await world.benchmarks(no_region)
    assert (bench.region_avg, bench.region_count) == (None, 0)
    assert bench.brand_count == 1  # A1's audit visited before C1's, not the one after


async def test_which_audits_count_never_depends_on_the_order_of_approvals(
    world: World,
) -> None:
    first = await world.visit("A2", VISIT - timedelta(days=30), clean=5)
    later_peer = await world.visit("A2", VISIT - timedelta(days=15), clean=2, approve=False)
    south = await world.visit("B1", VISIT - timedelta(days=40), clean=3, approve=False)
    target = await world.visit("A1", VISIT, approve=False)

    await world.approve(target)
    await freeze_benchmarks(target)  # the approval's hook
    bench, _ = await world.benchmarks(target)
    assert (bench.region_count, bench.brand_count) == (1, 1)
    # Approved after the target, though visited before it: they belong in its
    # figures, and their approval makes the next render freeze them again.
    await world.approve(south)
    await world.approve(later_peer)

    bench, as_of = await world.benchmarks(target)
    assert (bench.region_count, bench.brand_count) == (2, 3)
    peers = [first, later_peer, south]
    assert bench.brand_avg == pytest.approx(mean([await overall(u) for u in peers]))
    assert as_of == today()  # the latest approval counted
    assert await ReportBenchmarks.filter(audit__uuid=target).count() == 1

    # The peer approved last counts B1's earlier visit, not the target's later one.
    bench, _ = await world.benchmarks(later_peer)
    assert bench.region_count == 0
    assert bench.brand_count == 1
    assert bench.brand_avg == pytest.approx(await overall(south))


async def test_approvals_in_every_order_give_the_same_figures(world: World) -> None:
    import itertools

    days = {"A2": 20, "B1": 10, "C1": 5}
    seen = []
    for order in itertools.permutations(["A1", *days]):
        made = {
            code: await world.visit(code, VISIT - timedelta(days=days.get(code, 0)), approve=False)
            for code in ["A1", *days]
        }
        for code in order:
            await world.approve(made[code])
            await freeze_benchmarks(made[code])
        bench, _ = await world.benchmarks(made["A1"])
        seen.append((bench.region_count, bench.brand_count))
        await Audit.filter(uuid__in=list(made.values())).update(status="returned")
    # Each round's A1 visit counts that round's three earlier visits elsewhere
    # (A2 in its region) and nothing of the rounds before (returned).
    assert set(seen) == {(1, 3)}


async def test_benchmarks_frozen_late_are_dated_with_the_latest_approval_they_count(
    world: World,
) -> None:
    peer = await world.visit("A2", VISIT - timedelta(days=20), clean=5)
    target = await world.visit("A1", VISIT)  # approved, but its hook never ran
    approved_on = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    await Audit.filter(uuid=target).update(approved_at=approved_on)
    await Audit.filter(uuid=peer).update(approved_at=approved_on - timedelta(days=1))
    await world.visit("B1", VISIT + timedelta(days=5), clean=1)  # visited after it

    bench, as_of = await world.benchmarks(target)  # the first render freezes them

    assert as_of == date(2026, 3, 3)  # the approval date, not the day of the first render
    assert (bench.region_count, bench.brand_count) == (1, 1)
    assert bench.brand_avg == pytest.approx(await overall(peer))
    [row] = await ReportBenchmarks.filter(audit__uuid=target)
    assert row.as_of == date(2026, 3, 3) and row.snapshot["brand_count"] == 1
    assert await world.benchmarks(target) == (bench, as_of)


async def test_a_submitted_audit_is_benchmarked_afresh_and_dated_today(world: World) -> None:
    await world.visit("A2", VISIT - timedelta(days=20))
    preview = await world.visit("A1", VISIT, approve=False)

    bench, as_of = await world.benchmarks(preview)
    assert (bench.brand_count, as_of) == (1, today())

    await world.visit("B1", VISIT - timedelta(days=10))
    bench, _ = await world.benchmarks(preview)
    assert bench.brand_count == 2
    assert await ReportBenchmarks.all().count() == 0  # nothing frozen before approval
