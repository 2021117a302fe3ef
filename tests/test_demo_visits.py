"""The demo's proof of visit: pinned locations, honest check-ins for most visits, a few
suspicious ones, some of them waiting in HQ's review queue, scored by the one assessment."""

from __future__ import annotations

from datetime import UTC

from audit.demo import DemoSize, fill_demo
from audit.models import Audit, Location, VisitCheck
from audit.settings import Settings
from audit.store.checklists import parsed
from audit.trust import Place, Reading, Rules, assess


def _reading(row: VisitCheck | None) -> Reading | None:
    if row is None:
        return None
    return Reading(
        row.device_time.astimezone(UTC),
        row.received_at.astimezone(UTC),
        row.latitude,
        row.longitude,
        row.accuracy,
        row.permission,
    )


async def test_the_demo_pins_its_locations_and_checks_in_most_visits_honestly(db: Settings):
    db.media_dir.mkdir(parents=True, exist_ok=True)
    await fill_demo(db, DemoSize(locations=10, audits=150), seed=3)

    locations = await Location.all()
    assert all(loc.latitude is not None and loc.opening_hours for loc in locations)
    audits = await Audit.exclude(status="draft").prefetch_related("location", "checklist")
    scores = [a.trust_score for a in audits]
    assert None not in scores
    trusted = sum(score >= 80 for score in scores) / len(scores)
    assert 0.85 <= trusted < 1.0, trusted
    queue = [a for a in audits if a.status == "submitted"]
    assert sum(a.trust_score < 50 for a in queue) >= 2
    assert sum(a.trust_score >= 80 for a in queue) >= 2

    # Each stored score is what the assessment makes of the stored checks.
    checks = {(c.audit_id, c.kind): c for c in await VisitCheck.all()}  # type: ignore[attr-defined]
    for audit in audits:
        loc = audit.location
        rules = Rules(db.visit_radius_m, parsed(audit.checklist).min_visit_minutes or 10)
        place = Place(loc.latitude, loc.longitude, loc.opening_hours, loc.timezone or "UTC")
        again = assess(
            place,
            _reading(checks.get((audit.id, "check_in"))),
            _reading(checks.get((audit.id, "check_out"))),
            [],
            rules,
        )
        assert (again.score, again.to_dict()) == (audit.trust_score, audit.trust), audit.uuid
