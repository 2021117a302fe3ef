"""Checklists without facts or rules are scored, validated and reported exactly as before.

``fixtures/golden/golden.json`` was written by the code before consistency
rules existed (``fixtures/golden/make_golden.py``, commit a6af346), from every
fixture checklist and the shipped checklists of that day: eight answer sets
each, of every shape.  Today's code must give the same text, byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from audit.answers import parse_answers
from audit.checklist import ChecklistError, load_checklist
from audit.presentation import answer_words, scorecard_display
from audit.report.render import render_report_html
from audit.report.sample import sample_report_data
from audit.report.twin import report_document
from audit.scoring import score_answers

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN: dict[str, Any] = json.loads(
    (FIXTURES / "golden" / "golden.json").read_text(encoding="utf-8")
)
CHECKLISTS = sorted(GOLDEN["checklists"])


def test_the_golden_file_covers_every_fixture_checklist() -> None:
    fixtures = {
        str(p.relative_to(FIXTURES))
        for p in [
            *(FIXTURES / "checklists" / "valid").glob("*.yaml"),
            FIXTURES / "api" / "shop.yaml",
            FIXTURES / "evidence" / "evidence.yaml",
            *(FIXTURES / "golden" / "checklists").glob("*.yaml"),
        ]
        if "consistency" not in p.name
    }
    assert fixtures == set(CHECKLISTS)
    assert len(GOLDEN["invalid"]) >= 10


@pytest.mark.parametrize("name", CHECKLISTS)
def test_definition_and_content_hash_are_unchanged(name: str) -> None:
    checklist = load_checklist(FIXTURES / name)
    assert checklist.consistency == ()
    assert json.dumps(checklist.to_dict()) == GOLDEN["checklists"][name]["definition"]
    assert checklist.content_hash == GOLDEN["checklists"][name]["content_hash"]


@pytest.mark.parametrize("name", CHECKLISTS)
def test_every_scorecard_display_and_answer_is_unchanged(name: str) -> None:
    checklist = load_checklist(FIXTURES / name)
    for case in GOLDEN["checklists"][name]["cases"]:
        answers = parse_answers(checklist, case["answers"])
        card = score_answers(checklist, answers)
        assert json.dumps(card.to_dict()) == case["scorecard"]
        assert card.consistency is None
        assert scorecard_display(card.to_dict(), checklist) == case["display"]
        words = {i.id: answer_words(i, answers.get(i.id)) for i in checklist.items()}
        assert words == case["words"]


@pytest.mark.parametrize("name", CHECKLISTS)
def test_the_report_twin_keeps_every_key_and_value_and_gains_no_consistency(
    name: str, tmp_path: Path
) -> None:
    checklist = load_checklist(FIXTURES / name)
    answers = GOLDEN["checklists"][name]["cases"][0]["answers"]
    data = sample_report_data(tmp_path, answers, checklist)
    twin = report_document(data)
    before = GOLDEN["checklists"][name]["report_json"]
    # Other features may add keys; none of the old ones changes, and none is ours.
    assert {key: twin[key] for key in before} == before
    assert "consistency" not in twin
    html = render_report_html(data)
    assert "consistency" not in html.lower()


# The one message that changes: the list of item types names the two new ones.
OLD_TYPES = "yes_no, scale, choice, number, nps, text, photo, not"
NEW_TYPES = "yes_no, scale, choice, number, nps, text, photo, time_range, money, not"


@pytest.mark.parametrize("name", sorted(GOLDEN["invalid"]))
def test_invalid_fixtures_get_the_same_messages(name: str) -> None:
    with pytest.raises(ChecklistError) as caught:
        load_checklist(FIXTURES / "checklists" / "invalid" / name)
    expected = [m.replace(OLD_TYPES, NEW_TYPES) for m in GOLDEN["invalid"][name]]
    assert [f"{p.line}: {p.message}" for p in caught.value.problems] == expected
