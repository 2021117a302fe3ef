"""The demo's waves have the progress of an ordinary day: one nearly done, one running with
overdue and claimed visits, one just published; no shopper visits a location twice in a wave."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from audit.demo import DemoSize, fill_demo
from audit.models import Assignment, Audit, Wave
from audit.settings import Settings
from audit.store import waves as store


async def test_the_demo_makes_three_waves_with_realistic_progress(db: Settings) -> None:
    db.media_dir.mkdir(parents=True, exist_ok=True)
    await fill_demo(db, DemoSize(locations=30, audits=600), seed=3)
    today = datetime.now(UTC).date()
    waves = await Wave.all().order_by("starts_on")
    assert len(waves) == 3
    past, running, coming = waves
    assert past.ends_on < today and running.starts_on <= today <= running.ends_on
    assert coming.starts_on > today
    totals = await store.wave_totals(today)

    done = totals[past.id]
    assert done.submitted / done.planned > 0.8 and 0 < done.overdue <= 2
    now = totals[running.id]
    assert now.overdue > 0 and now.claimed > now.submitted > 0
    later = totals[coming.id]
    assert later.submitted == later.overdue == 0 and 0 < later.claimed < later.planned

    # A linked audit is of the wave's checklist, at the visit's location, within its part.
    rows = await Assignment.filter(wave_id__isnull=False).select_related("wave")
    audits = {
        a.uuid: a for a in await Audit.filter(uuid__in=[r.audit_uuid for r in rows if r.audit_uuid])
    }
    for row in rows:
        if row.audit_uuid:
            audit = audits[row.audit_uuid]
            assert audit.location_id == row.location_id  # type: ignore[attr-defined]
            assert audit.checklist_slug == row.wave.checklist_slug
            assert row.opens_on <= audit.visit_date <= row.due
            assert audit.auditor_id == row.auditor_id  # type: ignore[attr-defined]
    visits = Counter(
        (r.wave_id, r.location_id, r.auditor_id)  # type: ignore[attr-defined]
        for r in rows
        if r.auditor_id is not None  # type: ignore[attr-defined]
    )
    assert max(visits.values()) == 1
    # The demo auditor has visits of their own on next month's board.
    mine = [r for r in rows if r.wave_id == coming.id and r.auditor_id is not None]  # type: ignore[attr-defined]
    assert mine
