"""Properties of scoring that hold for every valid checklist and answers (hypothesis)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from audit.answers import Answer, parse_answers
from audit.checklist import (
    Band,
    Checklist,
    Condition,
    Item,
    Option,
    Section,
    checklist_from_dict,
)
from audit.scoring import Scorecard, item_points, score_answers

# Enough examples to find the usual corner cases while the file runs in seconds.
PROPERTY = settings(max_examples=200, deadline=None)
TOLERANCE = 1e-9

ITEM_TYPES = ("yes_no", "scale", "choice", "number", "nps", "text", "photo")
OPTION_VALUES: tuple[Any, ...] = ("calm", "busy", 3, 0, True, False)
WEIGHTS = st.one_of(st.sampled_from([1, 2, 3, 0.5]), st.floats(0.01, 100))
POINTS = st.one_of(st.sampled_from([0, 0.5, 1]), st.floats(0, 1))
# Strategies built once: hypothesis validates each new one, which dominates the run time.
TYPES = st.sampled_from(ITEM_TYPES)
KINDS = st.sampled_from(["service", "experience"])
TOUCHPOINTS = st.sampled_from(["phone", "arrival", "checkout"])
OPERATORS = st.sampled_from(["equals", "not_equals", "in"])
COMBINATORS = st.sampled_from(["all", "any"])
BOOLEANS = st.booleans()
ONE_IN_FIVE = st.integers(0, 4)
ONE_IN_FOUR = st.integers(0, 3)
NPS = st.integers(0, 10)
NUMBERS = st.one_of(st.integers(-60, 60), st.floats(-60, 60, allow_nan=False, allow_infinity=False))
ANSWER_KIND = st.integers(0, 5)


@st.composite
def bands(draw: st.DrawFn) -> tuple[Band, ...]:
    tops = draw(st.lists(st.integers(-50, 50), min_size=1, max_size=4, unique=True))
    result = [Band(float(top), draw(POINTS)) for top in sorted(tops)]
    if draw(BOOLEANS):
        result.append(Band(None, draw(POINTS)))
    return tuple(result)


@st.composite
def options(draw: st.DrawFn) -> tuple[Option, ...]:
    picks = draw(
        st.lists(st.integers(0, len(OPTION_VALUES) - 1), min_size=1, max_size=4, unique=True)
    )
    return tuple(Option(OPTION_VALUES[n], f"Option {n}", draw(POINTS)) for n in picks)


@st.composite
def comparable_value(draw: st.DrawFn, target: Item) -> Any:
    """A value that show_if may compare ``target`` with."""
    if target.type == "yes_no":
        return draw(BOOLEANS)
    if target.type == "choice":
        return draw(st.sampled_from([o.value for o in target.options]))
    if target.type == "scale":
        assert target.min is not None and target.max is not None
        return draw(st.integers(int(target.min), int(target.max)))
    if target.type == "nps":
        return draw(NPS)
    if target.type == "number":
        return draw(st.integers(-60, 60))
    return draw(st.sampled_from(["x", "y"]))


@st.composite
def conditions(draw: st.DrawFn, pool: list[Item], depth: int = 0) -> Condition:
    if depth < 1 and draw(ONE_IN_FIVE) == 0:
        op = draw(COMBINATORS)
        subs = draw(st.lists(conditions(pool, depth + 1), min_size=1, max_size=3))
        return Condition(op, conditions=tuple(subs))
    target = draw(st.sampled_from(pool))
    op = draw(OPERATORS)
    if op == "in":
        values = draw(st.lists(comparable_value(target), min_size=1, max_size=3))
        return Condition("in", item=target.id, values=tuple(values))
    return Condition(op, item=target.id, value=draw(comparable_value(target)))


@st.composite
def items(draw: st.DrawFn, item_id: str, pool: list[Item]) -> Item:
    kind = draw(TYPES)
    fields: dict[str, Any] = {}
    if kind == "scale":
        lo = draw(st.integers(-5, 5))
        fields.update(min=lo, max=lo + draw(st.integers(1, 10)))
    elif kind == "choice":
        fields["options"] = draw(options())
    elif kind == "number" and draw(ONE_IN_FIVE):  # mostly with bands
        fields["bands"] = draw(bands())
    scored = kind in ("yes_no", "scale", "choice") or (kind == "number" and "bands" in fields)
    readable = [item for item in pool if item.type != "photo"]
    show_if = draw(conditions(readable)) if readable and draw(ONE_IN_FOUR) == 0 else None
    return Item(
        id=item_id,
        text=f"Item {item_id}",
        type=kind,
        kind=draw(KINDS),
        weight=draw(WEIGHTS),
        critical=scored and draw(ONE_IN_FIVE) == 0,
        na=draw(BOOLEANS),
        required=draw(BOOLEANS),
        show_if=show_if,
        **fields,
    )


@st.composite
def checklists(draw: st.DrawFn, cross_section: bool = True) -> Checklist:
    """Valid checklists; without ``cross_section``, show_if reads its own section only."""
    sections: list[Section] = []
    earlier: list[Item] = []
    n = 0
    for s in range(draw(st.integers(1, 3))):
        section_items: list[Item] = []
        for _ in range(draw(st.integers(1, 4))):
            pool = earlier + section_items if cross_section else section_items
            section_items.append(draw(items(f"i{n}", pool)))
            n += 1
        earlier.extend(section_items)
        sections.append(
            Section(
                id=f"s{s}",
                title=f"Section {s}",
                touchpoint=draw(TOUCHPOINTS),
                weight=draw(WEIGHTS),
                items=tuple(section_items),
            )
        )
    return Checklist(
        id="generated",
        title="Generated",
        version=1,
        scenario="",
        critical_fail_score=draw(st.one_of(st.sampled_from([0, 40]), st.floats(0, 100))),
        sections=tuple(sections),
    )


@st.composite
def valid_value(draw: st.DrawFn, item: Item) -> Any:
    if item.type == "yes_no":
        return draw(BOOLEANS)
    if item.type == "scale":
        assert item.min is not None and item.max is not None
        return draw(st.integers(int(item.min), int(item.max)))
    if item.type == "choice":
        return draw(st.sampled_from([o.value for o in item.options]))
    if item.type == "nps":
        return draw(NPS)
    if item.type == "number":
        return draw(NUMBERS)
    return draw(st.text(max_size=20))


@st.composite
def answers_for(draw: st.DrawFn, checklist: Checklist) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for item in checklist.items():
        choice = draw(ANSWER_KIND)
        if choice == 0:
            continue
        if choice == 1 and item.na:
            answers[item.id] = Answer(na=True)
        elif item.type == "photo":
            answers[item.id] = Answer(photos=("p1",))
        else:
            answers[item.id] = Answer(value=draw(valid_value(item)))
    return answers


@st.composite
def scored_cases(
    draw: st.DrawFn, cross_section: bool = True
) -> tuple[Checklist, dict[str, Answer]]:
    checklist = draw(checklists(cross_section))
    return checklist, draw(answers_for(checklist))


def all_scores(card: Scorecard) -> list[float | None]:
    return [
        card.overall,
        card.service,
        card.experience,
        *(s.score for s in card.sections),
        *card.touchpoints.values(),
    ]


def read_by_conditions(checklist: Checklist) -> set[str]:
    return {
        ref
        for item in checklist.items()
        if item.show_if is not None
        for ref in item.show_if.items()
    }


def section_scores(card: Scorecard) -> dict[str, float | None]:
    return {s.id: s.score for s in card.sections}


# --------------------------------------------------------------------------


@PROPERTY
@given(scored_cases())
def test_every_score_is_within_0_and_100_or_null(case: tuple[Checklist, dict[str, Answer]]) -> None:
    checklist, answers = case
    card = score_answers(checklist, answers)
    for value in all_scores(card):
        assert value is None or 0 <= value <= 100
    assert (card.overall is None) == all(s.score is None for s in card.sections)


@PROPERTY
@given(scored_cases())
def test_generated_answers_pass_the_validator_unchanged(
    case: tuple[Checklist, dict[str, Answer]],
) -> None:
    checklist, answers = case
    raw = {item_id: answer.to_dict() for item_id, answer in answers.items()}
    assert parse_answers(checklist, raw) == {k: v for k, v in answers.items() if raw[k]}


@PROPERTY
@given(checklists())
def test_generated_checklists_round_trip_through_the_validator(checklist: Checklist) -> None:
    assert checklist_from_dict(checklist.to_dict()) == checklist


@PROPERTY
@given(scored_cases(cross_section=False), st.data())
def test_na_on_an_item_never_changes_other_sections(
    case: tuple[Checklist, dict[str, Answer]], data: st.DataObject
) -> None:
    checklist, answers = case
    section = data.draw(st.sampled_from(checklist.sections))
    item = data.draw(st.sampled_from(section.items))
    before = section_scores(score_answers(checklist, answers))
    allowed = _replace_item(checklist, dataclasses.replace(item, na=True))
    after = section_scores(score_answers(allowed, {**answers, item.id: Answer(na=True)}))
    for section_id, score in before.items():
        if section_id != section.id:
            assert after[section_id] == score


@PROPERTY
@given(scored_cases(), st.data())
def test_raising_an_answers_points_never_lowers_its_section(
    case: tuple[Checklist, dict[str, Answer]], data: st.DataObject
) -> None:
    checklist, answers = case
    read = read_by_conditions(checklist)
    candidates = [
        (section.id, item)
        for section in checklist.sections
        for item in section.items
        if item.scored
        and item.id not in read
        and item.id in answers
        and answers[item.id].value is not None
        and item_points(item, answers[item.id].value) is not None
    ]
    assume(candidates)
    section_id, item = data.draw(st.sampled_from(candidates))
    old_points = item_points(item, answers[item.id].value)
    new_value = data.draw(valid_value(item))
    new_points = item_points(item, new_value)
    assert old_points is not None and new_points is not None
    assume(new_points >= old_points)
    before = section_scores(score_answers(checklist, answers))[section_id]
    raised = {**answers, item.id: Answer(value=new_value)}
    after = section_scores(score_answers(checklist, raised))[section_id]
    if before is None:
        assert after is None  # hidden: the value plays no part
    else:
        assert after is not None
        assert after >= before - TOLERANCE


@PROPERTY
@given(scored_cases(cross_section=False), st.randoms(use_true_random=False))
def test_the_overall_does_not_depend_on_section_order(
    case: tuple[Checklist, dict[str, Answer]], rng: Any
) -> None:
    checklist, answers = case
    shuffled = list(checklist.sections)
    rng.shuffle(shuffled)
    reordered = dataclasses.replace(checklist, sections=tuple(shuffled))
    first = score_answers(checklist, answers)
    second = score_answers(reordered, answers)
    for a, b in [
        (first.overall, second.overall),
        (first.service, second.service),
        (first.experience, second.experience),
    ]:
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            assert math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    assert sorted(first.critical_failures) == sorted(second.critical_failures)
    assert sorted(first.missing) == sorted(second.missing)


@PROPERTY
@given(scored_cases())
def test_a_critical_failure_caps_the_overall(case: tuple[Checklist, dict[str, Answer]]) -> None:
    checklist, answers = case
    card = score_answers(checklist, answers)
    if card.critical_failures:
        assert card.overall is not None
        assert card.overall <= checklist.critical_fail_score
    for item_id in card.critical_failures:
        [result] = [r for r in card.items if r.item.id == item_id]
        assert result.item.critical and result.points == 0


def _replace_item(checklist: Checklist, new: Item) -> Checklist:
    sections = tuple(
        dataclasses.replace(
            section, items=tuple(new if item.id == new.id else item for item in section.items)
        )
        for section in checklist.sections
    )
    return dataclasses.replace(checklist, sections=sections)
