"""The demo's waves, with the progress a programme has on an ordinary day.

Three waves of the main checklist: last quarter's, nearly done (its visits are
the demo's audits of that quarter, a few never made and now overdue); the one
running now, two visits a location, its first half past (sent, or overdue),
its second half partly claimed; and next month's, just published on the job
board, a few visits already claimed by the demo auditor.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from audit.models import Assignment, Audit, ChecklistVersion, Location, User, Wave
from audit.store import sql
from audit.store import waves as store
from audit.wave_plan import Coverage, plan_visits

_LINK_SQL = "UPDATE assignment SET auditor_id = ?, claimed_at = ?, audit_uuid = ? WHERE id = ?"


def _quarter_before(today: date) -> tuple[date, date, str]:
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = first - timedelta(days=1)
    start = date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
    return start, end, f"Q{(start.month - 1) // 3 + 1} {start.year}"


def _next_month(today: date) -> tuple[date, date]:
    start = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start, end


async def _make(
    name: str,
    version: ChecklistVersion,
    location_ids: Sequence[int],
    start: date,
    end: date,
    visits: int,
    coverage: Coverage,
    notes: str,
    by: User,
) -> tuple[Wave, list[Assignment]]:
    new = store.NewWave(
        name=name,
        checklist=version,
        starts_on=start,
        ends_on=end,
        visits_per_location=visits,
        coverage=coverage,
        allow_repeat=False,
        release_days=2,
        created_by_id=by.id,
        notes=notes,
    )
    planned = plan_visits(len(location_ids), start, end, visits, coverage)
    created = datetime.combine(start - timedelta(days=10), datetime.min.time(), UTC)
    wave = await store.create_wave(new, location_ids, planned, created)
    return wave, await Assignment.filter(wave_id=wave.id).order_by("id")


async def _link_audits(rows: Sequence[Assignment], slug: str) -> list[tuple[Any, ...]]:
    """Each visit gets an audit of its location made within its part of the window."""
    if not rows:
        return []
    first = min(r.opens_on for r in rows if r.opens_on)
    last = max(r.due for r in rows if r.due)
    # A rejected visit gave its assignment back (docs/programme.md, "Editor QA").
    audits = (
        await Audit.filter(checklist_slug=slug, visit_date__gte=first, visit_date__lte=last)
        .exclude(status="rejected")
        .values("uuid", "location_id", "auditor_id", "visit_date", "submitted_at")
    )
    by_location: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in sorted(audits, key=lambda a: a["visit_date"]):
        by_location[a["location_id"]].append(a)
    taken: set[str] = set()
    visitors: dict[int, set[int]] = defaultdict(set)
    updates: list[tuple[Any, ...]] = []
    for row in rows:
        loc = row.location_id  # type: ignore[attr-defined]
        for a in by_location.get(loc, []):
            if a["uuid"] in taken or a["auditor_id"] in visitors[loc]:
                continue
            if (
                row.opens_on is not None
                and row.due is not None
                and not row.opens_on <= a["visit_date"] <= row.due
            ):
                continue
            taken.add(a["uuid"])
            visitors[loc].add(a["auditor_id"])
            claimed = datetime.combine(a["visit_date"], datetime.min.time(), UTC) - timedelta(
                days=3
            )
            updates.append((a["auditor_id"], claimed, a["uuid"], row.id))
            break
    return updates


def _claims(
    rows: Sequence[Assignment],
    skip: set[int],
    auditors: Sequence[User],
    share: float,
    now: datetime,
    rng: random.Random,
    visitors: dict[int, set[int]] | None = None,
) -> list[tuple[Any, ...]]:
    """Claims of about ``share`` of the rows not in ``skip``; one auditor a place at most."""
    visitors = visitors if visitors is not None else defaultdict(set)
    updates = []
    for row in rows:
        if row.id in skip or rng.random() >= share:
            continue
        loc = row.location_id  # type: ignore[attr-defined]
        free = [a for a in auditors if a.id not in visitors[loc]]
        if not free:
            continue
        who = rng.choice(free)
        visitors[loc].add(who.id)
        updates.append((who.id, now - timedelta(days=rng.randrange(1, 6)), None, row.id))
    return updates


async def _busiest(
    versions: Sequence[ChecklistVersion], start: date, end: date
) -> ChecklistVersion:
    """The checklist with the most demo audits in the window (its wave shows progress)."""
    counts = {
        v.id: await Audit.filter(
            checklist_slug=v.slug, visit_date__gte=start, visit_date__lte=end
        ).count()
        for v in versions
    }
    return max(versions, key=lambda v: (counts[v.id], -v.id))


async def demo_waves(
    versions: Sequence[ChecklistVersion],
    locations: Sequence[Location],
    auditors: Sequence[User],
    hq: User,
    notes: dict[str, str],
    rng: random.Random,
) -> int:
    """Make the three waves (once); how many visits they plan."""
    if not versions or not locations or await Wave.exists():
        return 0
    today = datetime.now(UTC).date()
    now = datetime.now(UTC)
    version = versions[0]
    note = notes.get(version.slug, "")
    all_ids = [loc.id for loc in locations]
    planned = 0

    # Last quarter's: the locations visited then, and two that were not (overdue).
    start, end, name = _quarter_before(today)
    version = await _busiest(versions, start, end)
    note = notes.get(version.slug, "")
    rows_visited = await Audit.filter(
        checklist_slug=version.slug, visit_date__gte=start, visit_date__lte=end
    ).values("location_id")
    visited: set[int] = {r["location_id"] for r in rows_visited}
    missed = [i for i in all_ids if i not in visited][:2]
    ids = [i for i in all_ids if i in visited] + missed
    _, rows = await _make(name, version, ids, start, end, 1, Coverage(), note, hq)
    updates = await _link_audits(rows, version.slug)
    planned += len(rows)

    # The one running now: its first half is over.
    start, end = today - timedelta(days=21), today + timedelta(days=20)
    coverage = Coverage(("weekday", "weekend"), ("lunch", "evening"))
    running = today.strftime("%B %Y")
    version = await _busiest(versions, start, end)
    note = notes.get(version.slug, "")
    _, rows = await _make(running, version, all_ids, start, end, 2, coverage, note, hq)
    linked = await _link_audits(rows, version.slug)
    done = {u[3] for u in linked}
    location_of = {r.id: r.location_id for r in rows}  # type: ignore[attr-defined]
    seen: dict[int, set[int]] = defaultdict(set)
    for auditor_id, _, _, row_id in linked:
        seen[location_of[row_id]].add(auditor_id)
    updates += linked
    updates += _claims(rows, done, auditors, 0.35, now, rng, seen)
    planned += len(rows)

    # Next month's: on the job board; the demo auditor has claimed a few already.
    start, end = _next_month(today)
    other = versions[1 % len(versions)]
    coverage = Coverage((), ("morning", "afternoon"))
    _, rows = await _make(
        start.strftime("%B %Y"),
        other,
        all_ids,
        start,
        end,
        1,
        coverage,
        notes.get(other.slug, ""),
        hq,
    )
    updates += [(auditors[0].id, now, None, r.id) for r in rows[:2]]
    updates += _claims(rows[2:], set(), auditors[1:], 0.1, now, rng)
    planned += len(rows)

    await sql.execute_many(Assignment, _LINK_SQL, [list(u) for u in updates])
    return planned
