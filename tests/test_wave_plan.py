"""Planning a wave without a database: windows, slots dealt round the chain, CSV codes."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from itertools import pairwise

from audit.wave_plan import (
    Coverage,
    Problems,
    check_window,
    coverage_from_words,
    plan_visits,
    read_location_codes,
    windows,
)


def test_the_window_is_cut_into_one_consecutive_part_per_visit() -> None:
    assert windows(date(2026, 6, 1), date(2026, 6, 30), 3) == [
        (date(2026, 6, 1), date(2026, 6, 10)),
        (date(2026, 6, 11), date(2026, 6, 20)),
        (date(2026, 6, 21), date(2026, 6, 30)),
    ]
    parts = windows(date(2026, 6, 1), date(2026, 6, 7), 3)
    assert parts[0][0] == date(2026, 6, 1) and parts[-1][1] == date(2026, 6, 7)
    assert all(b[0] == a[1] + timedelta(days=1) for a, b in pairwise(parts))


def test_each_location_gets_different_slots_and_the_chain_covers_all_evenly() -> None:
    coverage = Coverage(("weekday", "weekend"), ("morning", "lunch", "afternoon", "evening"))
    plan = plan_visits(100, date(2026, 6, 1), date(2026, 6, 28), 2, coverage)
    assert len(plan) == 200
    for index in range(100):
        mine = [v.slot for v in plan if v.location_index == index]
        assert len(set(mine)) == 2
    assert set(Counter(v.slot for v in plan).values()) == {25}


def test_words_are_sorted_into_day_types_and_dayparts_and_unknown_ones_named() -> None:
    problems = Problems()
    found = coverage_from_words(["Evening", "weekend", "lunch", "weekend"], problems, "coverage")
    assert found == Coverage(("weekend",), ("lunch", "evening"))
    assert found.slots() == ["weekend lunch", "weekend evening"]
    coverage_from_words(["brunch"], problems, "coverage")
    assert problems.fields["coverage"].startswith("unknown slot 'brunch'")


def test_a_part_of_the_window_without_a_weekend_day_is_refused() -> None:
    problems = Problems()
    # Mon 1 to Sun 14 June 2026 in two parts: each holds a weekend.
    check_window(date(2026, 6, 1), date(2026, 6, 14), 2, Coverage(("weekend",)), problems)
    assert problems.fields == {}
    check_window(date(2026, 6, 1), date(2026, 6, 10), 2, Coverage(("weekend",)), problems)
    assert (
        "visit 2's part" in problems.fields["coverage"]
        or "visit 1's part" in problems.fields["coverage"]
    )


def test_codes_come_from_the_code_column_or_the_first_with_lines_counted() -> None:
    codes, problems = read_location_codes("S1\nS2\n\nS1\n")
    assert codes == [(1, "S1"), (2, "S2")]
    assert problems == [(4, "'S1' is already on line 1")]
    codes, problems = read_location_codes('name,Code\n"Riverside\nMall",S1\nX,\n')
    assert codes == [(3, "S1")]
    assert problems == [(4, "no location code in this row")]
