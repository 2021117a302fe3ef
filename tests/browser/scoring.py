"""The expected scorecard, from the project's own scorer (the server must agree)."""

from __future__ import annotations

from typing import Any

from audit.answers import parse_answers
from audit.checklist import load_checklist
from audit.scoring import score_answers
from tests.browser.conftest import FIXTURES

CHECKLIST = load_checklist(FIXTURES / "checklists" / "browser-visit.yaml")


def expected_scorecard(answers: dict[str, Any], photo_counts: dict[str, int]) -> dict[str, Any]:
    return score_answers(CHECKLIST, parse_answers(CHECKLIST, answers), photo_counts).to_dict()
