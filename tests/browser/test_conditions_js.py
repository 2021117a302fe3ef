"""static/js/conditions.js agrees with the server's show_if and completeness rules."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from playwright.sync_api import Page

from audit.answers import parse_answers, visible_items
from audit.scoring import score_answers
from tests.browser.scoring import CHECKLIST

pytestmark = pytest.mark.browser

RUN_IN_PAGE = """async ([checklist, cases]) => {
    const { progress } = await import('/static/js/conditions.js');
    return cases.map(([answers, photos]) => {
        const state = progress(checklist, answers, new Map(Object.entries(photos)));
        return [[...state.shown], state.missing];
    });
}"""

UNANSWERED = object()
CHOICES: dict[str, list[Any]] = {
    "call_answered": [UNANSWERED, True, False, "na"],
    "needed_restroom": [UNANSWERED, True, False],
    "restroom": [UNANSWERED, "offered", "after_asking", "refused"],
    "charged_right": [UNANSWERED, True, False],
}
PHOTOS = [{}, {"storefront": 1, "charged_right": 2}]


def answers_for(combo: tuple[Any, ...]) -> dict[str, Any]:
    answers: dict[str, Any] = {"web_hours": {"value": True}}
    for item_id, value in zip(CHOICES, combo, strict=True):
        if value is UNANSWERED:
            continue
        answers[item_id] = {"na": True} if value == "na" else {"value": value}
    return answers


def test_show_if_and_missing_items_match_the_server_for_every_combination(page: Page) -> None:
    cases = [
        (answers_for(combo), photos)
        for combo in itertools.product(*CHOICES.values())
        for photos in PHOTOS
    ]
    page.goto("/")
    results = page.evaluate(RUN_IN_PAGE, [CHECKLIST.to_dict(), cases])
    assert len(results) == len(cases) == 288
    for (answers, photos), (shown, missing) in zip(cases, results, strict=True):
        parsed = parse_answers(CHECKLIST, answers)
        assert shown == [i.id for i in visible_items(CHECKLIST, parsed)], answers
        expected = score_answers(CHECKLIST, parsed, photos).missing
        assert missing == list(expected), (answers, photos)


def test_conditions_compare_strictly(page: Page) -> None:
    # A yes_no answered 1 (not true) does not satisfy `equals: true`.
    page.goto("/")
    shown = page.evaluate(
        """async (checklist) => {
            const { visibleItems } = await import('/static/js/conditions.js');
            return [...visibleItems(checklist, {call_answered: {value: 1}})];
        }""",
        CHECKLIST.to_dict(),
    )
    assert "rings" not in shown
