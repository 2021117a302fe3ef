"""The demo's assignments fill what each shipped scenario leaves to "your assignment"."""

from __future__ import annotations

from audit.demo import ASSIGNMENT_NOTES
from audit.store.checklists import read_checklist_dir
from tests.helpers import ROOT


def test_every_shipped_scenario_that_defers_to_the_assignment_gets_notes_in_the_demo() -> None:
    found, problems = read_checklist_dir(ROOT / "checklists")
    assert not problems
    deferring = {c.id for _, c in found if "assignment" in (c.scenario or "")}
    assert deferring == {"sporting-goods", "electronics-store", "home-improvement"}
    assert deferring <= ASSIGNMENT_NOTES.keys()


def test_the_sporting_goods_notes_name_the_team() -> None:
    assert "Team: the Riverside Rovers" in ASSIGNMENT_NOTES["sporting-goods"]
