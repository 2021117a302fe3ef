"""The demo owner's corrective actions: on failed or weak items of their own approved
visits, done where a later visit followed, some open and overdue on the latest."""

from __future__ import annotations

from datetime import UTC, datetime

from audit.corrective import shortfall
from audit.demo import DemoSize, fill_demo
from audit.models import Appeal, Audit, CorrectiveAction, ItemScore, LocationOwner, User


async def test_the_demo_owner_has_actions_on_weak_items_some_done_some_overdue(db) -> None:
    await fill_demo(db, DemoSize(locations=8, audits=120), seed=4)

    actions = await CorrectiveAction.all()
    owner = await User.get(email="owner@demo.test")
    owned = set(await LocationOwner.filter(user=owner).values_list("location_id", flat=True))
    assert len(actions) >= 10
    today = datetime.now(UTC).date()
    for action in actions:
        assert action.location_id in owned  # type: ignore[attr-defined]
        audit = await Audit.get(id=action.audit_id)  # type: ignore[attr-defined]
        assert audit.status == "approved" and audit.location_id == action.location_id  # type: ignore[attr-defined]
        score = await ItemScore.get(audit_id=audit.id, item_id=action.item_id)
        # The demo's upheld appeals re-score items after their actions were
        # recorded: such an item may pass now, and its action stays on record.
        upheld = await Appeal.filter(
            audit_id=audit.id, item_id=action.item_id, status__in=["upheld", "partly_upheld"]
        ).exists()
        assert upheld or shortfall(score.points) is not None
        assert (action.status == "done") == (action.done_at is not None)
        assert action.due >= audit.visit_date
    assert {a.status for a in actions} == {"open", "done"}
    assert any(a.status == "open" and a.due < today for a in actions)
    # A second demo run adds none.
    await fill_demo(db, DemoSize(locations=8, audits=10), seed=5)
    assert await CorrectiveAction.all().count() == len(actions)
