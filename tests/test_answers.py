"""The one answers validator, and show_if evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.answers import (
    MAX_TEXT_ANSWER,
    Answer,
    AnswersError,
    parse_answers,
    parse_answers_document,
    visible_items,
)
from audit.checklist import Checklist, load_checklist, parse_checklist

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def cafe() -> Checklist:
    return load_checklist(FIXTURES / "checklists" / "valid" / "every-feature.yaml")


def problems(checklist: Checklist, raw: object) -> dict[str, str]:
    with pytest.raises(AnswersError) as info:
        parse_answers(checklist, raw)
    return info.value.fields


def test_valid_answers_become_typed_answers(cafe: Checklist) -> None:
    doc = json.loads((FIXTURES / "answers" / "every-feature.json").read_text(encoding="utf-8"))
    answers = parse_answers_document(cafe, doc)
    assert answers["clean_entrance"] == Answer(value=True)
    assert answers["queue_minutes"] == Answer(value=4, comment="two people ahead")
    assert answers["greeted"] == Answer(na=True)
    assert answers["restroom"] == Answer(value="after_asking")
    assert answers["receipt_photo"] == Answer(photos=("3f1c2a",))
    assert answers["receipt_photo"].given
    assert len(answers) == 11


def test_every_problem_is_reported_together_keyed_by_item(cafe: Checklist) -> None:
    assert problems(
        cafe,
        {
            "clean_entrance": {"value": "yes"},
            "queue_minutes": {"value": True},
            "friendliness": {"value": 3.5},
            "recommend": {"value": 11},
            "restroom": {"value": "maybe"},
            "card_accepted": {"na": True},
            "greeted": {"value": True, "na": True},
            "remarks": {"value": "x" * (MAX_TEXT_ANSWER + 1)},
            "asked_restroom": {"value": True, "colour": "red"},
            "no_such_item": {"value": 1},
        },
    ) == {
        "answers.clean_entrance": "must be true or false",
        "answers.queue_minutes": "must be a number",
        "answers.friendliness": "must be a whole number",
        "answers.recommend": "must be between 0 and 10",
        "answers.restroom": "must be one of 'offered', 'after_asking', 'refused'",
        "answers.card_accepted": "cannot be answered 'not applicable'",
        "answers.greeted": "give either a value or na, not both",
        "answers.remarks": "is longer than 10,000 characters",
        "answers.asked_restroom": ("unknown key 'colour' (allowed: value, na, comment, photos)"),
        "answers.no_such_item": "no item 'no_such_item' in checklist 'cafe-visit'",
    }


@pytest.mark.parametrize("value", [1, 0, "true", "yes", "false"])
def test_yes_no_takes_only_true_or_false(cafe: Checklist, value: object) -> None:
    assert problems(cafe, {"clean_entrance": {"value": value}}) == {
        "answers.clean_entrance": "must be true or false"
    }


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_not_a_number_although_python_says_true_equals_1(
    cafe: Checklist, value: bool
) -> None:
    assert problems(cafe, {"queue_minutes": {"value": value}, "recommend": {"value": value}}) == {
        "answers.queue_minutes": "must be a number",
        "answers.recommend": "must be a number",
    }


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_refused(cafe: Checklist, value: float) -> None:
    assert problems(cafe, {"queue_minutes": {"value": value}}) == {
        "answers.queue_minutes": "must be a finite number"
    }


def test_json_1e309_overflows_to_infinity_and_is_refused(cafe: Checklist) -> None:
    raw = json.loads('{"queue_minutes": {"value": 1e309}, "friendliness": {"value": -1e309}}')
    assert problems(cafe, raw) == {
        "answers.queue_minutes": "must be a finite number",
        "answers.friendliness": "must be a finite number",
    }


def test_an_integer_too_big_for_a_float_is_refused_not_a_crash(cafe: Checklist) -> None:
    assert problems(cafe, {"queue_minutes": {"value": 10**400}}) == {
        "answers.queue_minutes": "must be a finite number"
    }


def test_a_whole_float_counts_as_its_integer(cafe: Checklist) -> None:
    answers = parse_answers(cafe, {"friendliness": {"value": 3.0}, "recommend": {"value": 10.0}})
    assert answers["friendliness"].value == 3
    assert type(answers["friendliness"].value) is int
    assert type(answers["recommend"].value) is int


@pytest.mark.parametrize(("value", "message"), [(0, "between 1 and 5"), (6, "between 1 and 5")])
def test_scale_values_stay_within_min_and_max(cafe: Checklist, value: int, message: str) -> None:
    assert problems(cafe, {"friendliness": {"value": value}}) == {
        "answers.friendliness": f"must be {message}"
    }


@pytest.mark.parametrize("value", [-1, 11, 9.5])
def test_nps_is_a_whole_number_from_0_to_10(cafe: Checklist, value: float) -> None:
    assert "answers.recommend" in problems(cafe, {"recommend": {"value": value}})


def test_number_values_respect_the_item_min(cafe: Checklist) -> None:
    assert problems(cafe, {"queue_minutes": {"value": -0.5}}) == {
        "answers.queue_minutes": "must be at least 0"
    }


def test_a_number_may_be_fractional(cafe: Checklist) -> None:
    assert parse_answers(cafe, {"queue_minutes": {"value": 2.5}})["queue_minutes"].value == 2.5


def test_choice_values_keep_booleans_and_numbers_apart() -> None:
    checklist = parse_checklist(
        "id: c\ntitle: C\nsections:\n  - id: s\n    items:\n"
        "      - id: pick\n        type: choice\n        options:\n"
        "          - {value: 1, points: 1}\n          - {value: true, points: 0}\n"
    )
    assert parse_answers(checklist, {"pick": {"value": 1.0}})["pick"].value == 1
    assert parse_answers(checklist, {"pick": {"value": True}})["pick"].value is True
    assert problems(checklist, {"pick": {"value": "1"}}) == {
        "answers.pick": "must be one of 1, True"
    }


def test_na_is_accepted_where_the_item_allows_it(cafe: Checklist) -> None:
    assert parse_answers(cafe, {"greeted": {"na": True}})["greeted"] == Answer(na=True)


def test_a_photo_item_takes_photos_not_a_value(cafe: Checklist) -> None:
    assert problems(cafe, {"receipt_photo": {"value": "receipt.jpg"}}) == {
        "answers.receipt_photo": "photo items take photos, not a value"
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"value": True, "na": "yes"}, "na must be true or false"),
        ({"value": True, "comment": 5}, "comment must be text"),
        ({"value": True, "comment": "x" * 4001}, "comment is longer than 4,000 characters"),
        ({"photos": "a.jpg"}, "photos must be a list of photo ids"),
        ({"photos": [""]}, "photos must be a list of photo ids"),
        ({"photos": ["x" * 65]}, "photo ids are at most 64 characters"),
        ({"photos": [str(n) for n in range(13)]}, "at most 12 photos per item"),
        (True, 'must be an object such as {"value": ...} or {"na": true}'),
    ],
)
def test_answer_envelopes_are_checked(cafe: Checklist, raw: object, message: str) -> None:
    assert problems(cafe, {"clean_entrance": raw}) == {"answers.clean_entrance": message}


def test_a_null_value_is_the_same_as_no_answer(cafe: Checklist) -> None:
    answer = parse_answers(cafe, {"clean_entrance": {"value": None, "comment": "later"}})
    assert answer["clean_entrance"] == Answer(comment="later")
    assert not answer["clean_entrance"].given


def test_answers_must_be_an_object(cafe: Checklist) -> None:
    assert problems(cafe, [1, 2]) == {"answers": "must be an object keyed by item id"}


def test_the_document_names_its_checklist_and_nothing_else(cafe: Checklist) -> None:
    with pytest.raises(AnswersError) as info:
        parse_answers_document(cafe, {"checklist": "retail-store", "extra": 1})
    assert info.value.fields == {
        "extra": "unknown key (allowed: checklist, answers)",
        "checklist": "names 'retail-store', but the checklist is 'cafe-visit'",
        "answers": "is missing",
    }


def test_document_and_answer_problems_are_reported_together(cafe: Checklist) -> None:
    with pytest.raises(AnswersError) as info:
        parse_answers_document(
            cafe, {"checklist": "cafe-visit", "answers": {"ghost": {"value": 1}}, "x": 1}
        )
    assert info.value.fields == {
        "x": "unknown key (allowed: checklist, answers)",
        "answers.ghost": "no item 'ghost' in checklist 'cafe-visit'",
    }


def test_the_contract_example_answers_n_a_an_item_that_does_not_allow_it() -> None:
    checklist = load_checklist(FIXTURES / "checklists" / "valid" / "contract-example.yaml")
    doc = json.loads((FIXTURES / "answers" / "contract-example.json").read_text(encoding="utf-8"))
    with pytest.raises(AnswersError) as info:
        parse_answers_document(checklist, doc)
    assert info.value.fields == {"answers.restroom": "cannot be answered 'not applicable'"}


# --------------------------------------------------------------------------
# show_if

CONDITIONS = """\
id: conditions
title: Conditions
sections:
  - id: s
    items:
      - id: mood
        type: choice
        na: true
        options:
          - {value: calm, points: 1}
          - {value: busy, points: 0.5}
          - {value: chaos, points: 0}
      - id: if_equals
        type: yes_no
        show_if: {item: mood, equals: calm}
      - id: if_not_equals
        type: yes_no
        show_if: {item: mood, not_equals: calm}
      - id: if_in
        type: yes_no
        show_if: {item: mood, in: [busy, chaos]}
      - id: if_all
        type: yes_no
        show_if: {all: [{item: mood, not_equals: chaos}, {item: if_not_equals, equals: true}]}
      - id: if_any
        type: yes_no
        show_if: {any: [{item: mood, equals: chaos}, {item: if_equals, equals: true}]}
"""


def shown(checklist: Checklist, raw: dict[str, object]) -> list[str]:
    return [item.id for item in visible_items(checklist, parse_answers(checklist, raw))]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"mood": "calm"}, ["mood", "if_equals"]),
        ({"mood": "calm", "if_equals": True}, ["mood", "if_equals", "if_any"]),
        ({"mood": "busy"}, ["mood", "if_not_equals", "if_in"]),
        (
            {"mood": "busy", "if_not_equals": True},
            ["mood", "if_not_equals", "if_in", "if_all"],
        ),
        (
            {"mood": "chaos", "if_not_equals": True},
            ["mood", "if_not_equals", "if_in", "if_any"],
        ),
    ],
)
def test_show_if_operators(answers: dict[str, str], expected: list[str]) -> None:
    checklist = parse_checklist(CONDITIONS)
    assert shown(checklist, {k: {"value": v} for k, v in answers.items()}) == expected


@pytest.mark.parametrize("mood", [None, {"na": True}, {"value": None}])
def test_a_condition_on_an_item_without_a_value_is_false_even_not_equals(
    mood: object,
) -> None:
    checklist = parse_checklist(CONDITIONS)
    raw = {} if mood is None else {"mood": mood}
    assert shown(checklist, raw) == ["mood"]


CHAIN = """\
id: chain
title: Chain
sections:
  - id: s
    items:
      - id: a
        type: yes_no
      - id: b
        type: yes_no
        show_if: {item: a, equals: true}
      - id: c
        type: yes_no
        show_if: {item: b, not_equals: true}
"""


def test_a_chain_hides_the_item_whose_condition_reads_a_hidden_item() -> None:
    checklist = parse_checklist(CHAIN)
    # a=true shows b; b=false shows c.
    assert shown(checklist, {"a": {"value": True}, "b": {"value": False}}) == ["a", "b", "c"]
    # a=false hides b; b's kept answer is ignored, so c's condition has no value to read.
    assert shown(checklist, {"a": {"value": False}, "b": {"value": False}}) == ["a"]


def test_a_hidden_items_answer_is_kept(cafe: Checklist) -> None:
    answers = parse_answers(
        cafe, {"asked_restroom": {"value": False}, "restroom": {"value": "refused"}}
    )
    assert answers["restroom"] == Answer(value="refused")
    assert "restroom" not in [item.id for item in visible_items(cafe, answers)]
