"""The demo's editor QA: graded reports, returns with notes on items, rejected visits
that count nowhere, and shoppers whose records differ."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from audit import demo_reviews
from audit.demo import DemoSize, fill_demo
from audit.models import Assignment, Audit, ReviewEvent, TotalRollup, User
from audit.settings import Settings
from audit.store import aggregates
from audit.store.checklists import current_versions, parsed
from audit.store.scope import Scope
from audit.workflow.shoppers import shopper_records


async def test_the_demo_grades_returns_and_rejects_like_an_editor(
    db: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rejections ten times as common as in the demo: some fall in the waves' windows.
    monkeypatch.setattr(demo_reviews, "REJECTED_SHARE", 10 * demo_reviews.REJECTED_SHARE)
    await fill_demo(db, DemoSize(locations=20, audits=400), seed=5)
    audits = await Audit.all()
    approved = [a for a in audits if a.status == "approved"]
    graded = [a for a in approved if a.grade is not None]
    assert 0.7 < len(graded) / len(approved) < 0.95
    assert all(1 <= a.grade <= 5 and a.grade_note for a in graded)  # type: ignore[operator]

    rejected = [a for a in audits if a.status == "rejected"]
    assert rejected and all(a.review_note and not a.rolled_up for a in rejected)
    assert sum(r.audits for r in await TotalRollup.all()) == len(approved)
    for slug in {a.checklist_slug for a in audits}:
        scope = Scope(checklist=slug)
        # The same audits either way (sums may differ in the last bit: their order does).
        rolled = await aggregates.tallies(scope, "location", False, rollups=True)
        raw = await aggregates.tallies(scope, "location", False, rollups=False)
        assert {k: (t.audits, t.overall.count) for k, t in rolled.items()} == {
            k: (t.audits, t.overall.count) for k, t in raw.items()
        }
        for key, tally in raw.items():
            assert rolled[key].overall.total == pytest.approx(tally.overall.total)

    demo_auditor = await User.get(email="auditor@demo.test")
    returned = [a for a in audits if a.status == "returned"]
    assert returned and all(a.auditor_id == demo_auditor.id for a in returned)  # type: ignore[attr-defined]
    items = {v.slug: parsed(v).item_map() for v in await current_versions()}
    for a in returned:
        assert a.review_note and a.item_notes
        assert set(a.item_notes) <= set(items[a.checklist_slug])

    # The review decisions (the demo's appeals add their own events beside them).
    events = await ReviewEvent.filter(action__in=["approve", "return", "reject"])
    assert {e.action for e in events} == {"approve", "return", "reject"}
    assert sum(e.action == "approve" for e in events) == len(approved)
    assert all(e.created_at <= datetime.now(UTC) for e in events)
    # No assignment (of a wave or not) holds a rejected visit: it was given back.
    linked = set(
        await Assignment.filter(audit_uuid__not_isnull=True).values_list("audit_uuid", flat=True)
    )
    assert linked and not linked & {a.uuid for a in rejected}
    records = [r for r in await shopper_records() if r.graded]
    grades = {round(r.grade or 0, 1) for r in records}
    assert len(records) >= 2 and len(grades) >= 2  # shoppers differ
    assert any(r.returned for r in records) and any(r.rejected for r in records)
