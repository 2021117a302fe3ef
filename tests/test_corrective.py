"""The pure rules of corrective actions: which items call for one, and what a later visit found."""

from __future__ import annotations

import pytest

from audit.answers import parse_answers
from audit.corrective import (
    FAILED,
    FIXED,
    NOT_CHECKED,
    STILL_FAILING,
    WEAK_ITEM,
    Check,
    checks,
    counted_points,
    fix_rate,
    shortfall,
    verdict,
)
from audit.presentation import band_for
from audit.report.sample import SAMPLE_ANSWERS, sample_checklist
from audit.scoring import score_answers


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (None, None),
        (0.0, FAILED),
        (0.25, WEAK_ITEM),
        (0.5, WEAK_ITEM),
        (0.694, WEAK_ITEM),  # prints 69: Weak
        (0.695, None),  # prints 70: Fair, as the report shows it
        (0.75, None),
        (1.0, None),
    ],
)
def test_an_item_calls_for_an_action_below_the_weak_band(
    points: float | None, expected: str | None
) -> None:
    assert shortfall(points) == expected


def test_weak_is_exactly_what_the_report_bands_as_weak() -> None:
    for hundredths in range(1, 101):
        points = hundredths / 100
        assert (shortfall(points) is not None) == (band_for(100 * points).key == "weak"), points


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (0.0, 1.0, FIXED),
        (0.5, 0.75, FIXED),
        (0.0, 0.5, STILL_FAILING),  # better, but still weak
        (0.5, 0.0, STILL_FAILING),
        (0.0, None, NOT_CHECKED),  # N/A, skipped or gone at the later visit
        (1.0, 0.0, None),  # it called for nothing before
        (None, 0.0, None),
    ],
)
def test_the_later_visit_finds_an_item_fixed_still_failing_or_unchecked(
    before: float | None, after: float | None, expected: str | None
) -> None:
    assert verdict(before, after) == expected


def test_checks_list_the_earlier_shortfalls_in_their_order() -> None:
    before = {"a": 1.0, "b": 0.0, "c": 0.5, "d": 0.25}
    after = {"b": 1.0, "c": 0.5}
    assert checks(before, after) == [
        Check("b", 0.0, 1.0, FAILED, FIXED),
        Check("c", 0.5, 0.5, WEAK_ITEM, STILL_FAILING),
        Check("d", 0.25, None, WEAK_ITEM, NOT_CHECKED),
    ]


def test_fix_rate_is_fixed_over_verified_and_ignores_the_unchecked() -> None:
    rate = fix_rate([FIXED, STILL_FAILING, NOT_CHECKED, None, FIXED, FIXED])
    assert (rate.fixed, rate.verified, rate.rate) == (3, 4, 0.75)
    assert fix_rate([NOT_CHECKED, None]).rate is None


def test_counted_points_come_from_the_one_scorer() -> None:
    checklist = sample_checklist()
    card = score_answers(checklist, parse_answers(checklist, SAMPLE_ANSWERS))
    points = counted_points(card)
    assert points == {r.item.id: r.points for r in card.items if r.visible and r.points is not None}
    assert list(points) == [r.item.id for r in card.items if r.item.id in points]
