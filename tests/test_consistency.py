"""Facts and consistency rules: the format, the answers, the scoring (pure, no database)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from audit.answers import AnswersError, parse_answers
from audit.checklist import (
    Checklist,
    ChecklistError,
    checklist_from_dict,
    load_checklist,
    parse_checklist,
)
from audit.facts import agree, check_money, check_time_range, parse_duration
from audit.presentation import answer_words, format_money
from audit.scoring import score_answers, scorecard_in_order

FIXTURES = Path(__file__).parent / "fixtures"
CHECKLIST = FIXTURES / "checklists" / "valid" / "consistency.yaml"
ANSWERS = FIXTURES / "answers" / "consistency.json"


def checklist() -> Checklist:
    return load_checklist(CHECKLIST)


def answers(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(ANSWERS.read_text(encoding="utf-8"))["answers"]
    for item, answer in changes.items():
        if answer is None:
            raw.pop(item, None)
        else:
            raw[item] = answer
    return raw


def card(**changes: Any) -> dict[str, Any]:
    c = checklist()
    return score_answers(c, parse_answers(c, answers(**changes))).to_dict()


def without_rules(c: Checklist) -> Checklist:
    return parse_checklist(
        re.sub(r"(?ms)^consistency:.*?(?=^sections:)", "", CHECKLIST.read_text())
    )


# ---- the format


def test_the_fixture_loads_its_rules_and_facts() -> None:
    c = checklist()
    assert [r.id for r in c.consistency] == ["hours", "phone_number", "price", "in_stock"]
    hours = c.consistency[0]
    assert (hours.label, hours.facts, hours.fact_type, hours.tolerance, hours.weight) == (
        "Opening hours",
        ("hours_website", "hours_phone", "hours_door"),
        "time_range",
        15,
        2,
    )
    assert c.consistency[1].compare == "digits"
    assert c.consistency[2].critical is True
    assert c.fact_items()["price_shelf"].id == "shelf_price"
    assert c.item_map()["shelf_price"].currency == "USD"


def test_a_stored_definition_gives_back_the_same_rules_and_hash() -> None:
    c = checklist()
    again = checklist_from_dict(json.loads(json.dumps(c.to_dict())))
    assert again == c
    assert again.content_hash == c.content_hash
    assert again.to_dict()["consistency"][0]["within"] == "15min"


def test_rules_change_the_content_hash_and_a_checklist_without_them_has_no_key() -> None:
    c = checklist()
    bare = without_rules(c)
    assert "consistency" not in bare.to_dict()
    assert bare.content_hash != c.content_hash
    looser = parse_checklist(CHECKLIST.read_text().replace("within: 15min", "within: 20min"))
    assert looser.content_hash != c.content_hash


def test_within_an_amount_of_money_is_kept_in_cents() -> None:
    text = CHECKLIST.read_text().replace(
        "facts: [price_phone, price_shelf]\n",
        "facts: [price_phone, price_shelf]\n    within: 0.5\n",
    )
    assert parse_checklist(text).consistency[2].tolerance == 50


@pytest.mark.parametrize(
    ("snippet", "replacement", "message"),
    [
        ("within: 15min", "within: 90sec", ":11: 'within' of time_range facts is a duration"),
        ("within: 15min", "within: -1", ":11: 'within' of time_range facts is a duration"),
        ("compare: digits", "compare: fuzzy", ":16: 'compare' must be one of equal, digits"),
        ("weight: 2", "weight: 0", ":12: 'weight' must be greater than 0"),
        (
            "currency: USD\n        na: true\n        fact: price_phone",
            "currency: USD\n        na: true",
            ":19: unknown fact 'price_phone'",
        ),
        (
            "label: Jersey in stock",
            "labels: Jersey in stock",
            ":22: unknown key 'labels' in a consistency rule (did you mean 'label'?)",
        ),
    ],
)
def test_each_problem_is_reported_at_its_line(snippet: str, replacement: str, message: str) -> None:
    text = CHECKLIST.read_text()
    assert snippet in text
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(text.replace(snippet, replacement, 1), "c.yaml")
    assert any(message in line for line in caught.value.lines()), caught.value.lines()


# ---- the answers


def test_time_ranges_are_normalised_and_checked() -> None:
    assert check_time_range({"from": "9:00", "to": "17:30"}) == (
        {"from": "09:00", "to": "17:30"},
        None,
    )
    assert check_time_range({"from": "18:00", "to": "02:00"})[1] is None  # past midnight
    for bad, problem in [
        ({"from": "25:00", "to": "17:00"}, "from must be a time of day"),
        ({"from": "09:00", "to": "5pm"}, "to must be a time of day"),
        ({"from": "09:00", "to": "09:00"}, "must differ"),
        ({"from": "09:00"}, 'must be an object {"from"'),
        ("09:00-17:00", 'must be an object {"from"'),
    ]:
        assert problem in (check_time_range(bad)[1] or ""), bad


def test_money_is_kept_exact_in_minor_units() -> None:
    assert check_money({"amount": 12.9}, "EUR") == ({"amount": "12.90", "currency": "EUR"}, None)
    assert check_money({"amount": "1200", "currency": "JPY"}, "JPY")[0] == {
        "amount": "1200",
        "currency": "JPY",
    }
    assert check_money({"amount": "0.1"}, "KWD")[0] == {"amount": "0.100", "currency": "KWD"}
    for bad, problem in [
        ({"amount": "12.999"}, "at most 2 decimals in EUR"),
        ({"amount": "12.5"}, None),
        ({"amount": -1}, "must not be negative"),
        ({"amount": "-1"}, 'written like "12.99"'),
        ({"amount": "1e3"}, 'written like "12.99"'),
        ({"amount": True}, "must be a number or text"),
        ({"amount": "5", "currency": "USD"}, "currency must be EUR"),
        ({"amount": "5", "tip": 1}, 'must be an object {"amount"'),
        (12.5, 'must be an object {"amount"'),
    ]:
        assert check_money(bad, "EUR")[1] == problem or problem in (
            check_money(bad, "EUR")[1] or ""
        )
    assert check_money({"amount": "12.5"}, "JPY")[1] == "amount must have whole units in JPY"


def test_bad_fact_answers_are_422_fields_naming_the_item() -> None:
    with pytest.raises(AnswersError) as caught:
        parse_answers(
            checklist(),
            answers(
                website_hours={"value": {"from": "9", "to": "17:00"}},
                shelf_price={"value": {"amount": "4.999", "currency": "USD"}},
            ),
        )
    assert caught.value.fields == {
        "answers.website_hours": "from must be a time of day such as 09:00",
        "answers.shelf_price": "amount must have at most 2 decimals in USD",
    }


def test_fact_answers_read_as_people_say_them() -> None:
    c = checklist()
    parsed = parse_answers(c, answers())
    items = c.item_map()
    assert answer_words(items["website_hours"], parsed["website_hours"]) == "09:00\u201321:00"
    assert answer_words(items["shelf_price"], parsed["shelf_price"]) == "$54.99"
    assert format_money({"amount": "1234567.50", "currency": "CHF"}) == "1,234,567.50 CHF"


# ---- agreement


@pytest.mark.parametrize(
    ("fact_type", "values", "compare", "tolerance", "expected"),
    [
        (
            "time_range",
            [{"from": "09:00", "to": "18:00"}, {"from": "09:15", "to": "17:45"}],
            "equal",
            15,
            True,
        ),
        (
            "time_range",
            [{"from": "09:00", "to": "18:00"}, {"from": "09:16", "to": "18:00"}],
            "equal",
            15,
            False,
        ),
        (
            "time_range",
            [{"from": "18:00", "to": "23:55"}, {"from": "18:00", "to": "00:05"}],
            "equal",
            10,
            True,
        ),
        (
            "time_range",
            [{"from": "09:00", "to": "18:00"}, {"from": "09:00", "to": "18:00"}],
            "equal",
            0,
            True,
        ),
        (
            "money",
            [{"amount": "0.30", "currency": "EUR"}, {"amount": "0.30", "currency": "EUR"}],
            "equal",
            0,
            True,
        ),
        (
            "money",
            [{"amount": "49.99", "currency": "EUR"}, {"amount": "50.49", "currency": "EUR"}],
            "equal",
            50,
            True,
        ),
        (
            "money",
            [{"amount": "49.99", "currency": "EUR"}, {"amount": "50.50", "currency": "EUR"}],
            "equal",
            50,
            False,
        ),
        ("number", [3, 3.0], "equal", 0, True),
        ("number", [3, 3.5, 4], "equal", 1, True),
        ("number", [3, 4.01], "equal", 1, False),
        ("text", ["Open  late", "open late"], "equal", 0, True),
        ("text", ["+1 (704) 555-0100", "704.555.0100"], "digits", 0, True),
        ("text", ["+44 20 7946 0000", "020 7946 0000"], "digits", 0, True),
        ("text", ["704 555 0100", "704 555 0199"], "digits", 0, False),
        ("text", ["5550100", "15550100"], "digits", 0, True),
        ("text", ["55 0100", "9 55 0100"], "digits", 0, False),  # too short to drop a prefix
        ("yes_no", [True, True], "equal", 0, True),
        ("yes_no", [True, False], "equal", 0, False),
        ("choice", [1, True], "equal", 0, False),
    ],
)
def test_values_agree_by_type(
    fact_type: str, values: list[Any], compare: str, tolerance: float, expected: bool
) -> None:
    assert agree(fact_type, values, compare, tolerance) is expected


def test_durations() -> None:
    assert [parse_duration(t) for t in ("15min", "1h", "1h 30min", "2 h", "90 min")] == [
        15,
        60,
        90,
        120,
        90,
    ]
    assert [parse_duration(t) for t in ("", "15", "15m", "h", 15)] == [None] * 5


# ---- scoring


def test_the_fixture_scores_each_rule_with_the_values_seen() -> None:
    consistency = card()["consistency"]
    assert {rid: r["result"] for rid, r in consistency["rules"].items()} == {
        "hours": "disagree",
        "phone_number": "agree",
        "price": "disagree",
        "in_stock": "agree",
    }
    assert consistency["rules"]["hours"]["values"] == {
        "hours_website": {"from": "09:00", "to": "21:00"},
        "hours_phone": {"from": "09:00", "to": "18:00"},
        "hours_door": {"from": "09:00", "to": "18:00"},
    }
    # hours (weight 2) and price disagree; phone_number and in_stock agree: 2 of 5
    assert (consistency["earned"], consistency["possible"], consistency["score"]) == (2, 5, 40)
    assert consistency["critical_failures"] == ["price"]


def test_a_rule_with_fewer_than_two_facts_recorded_is_not_checked() -> None:
    result = card(phone_price={"na": True})["consistency"]
    assert result["rules"]["price"] == {
        "result": "not_checked",
        "values": {"price_phone": None, "price_shelf": {"amount": "54.99", "currency": "USD"}},
    }
    assert (result["earned"], result["possible"]) == (2, 4)
    assert result["critical_failures"] == []


def test_an_unrecorded_fact_leaves_the_others_to_be_compared() -> None:
    hours = card(website_hours=None)["consistency"]["rules"]["hours"]
    assert hours["result"] == "agree"
    assert hours["values"]["hours_website"] is None


def test_no_rule_checked_gives_a_null_score() -> None:
    blank = {
        "website_hours": None,
        "phone_hours": {"na": True},
        "door_phone": None,
        "phone_stock": {"na": True},
        "phone_price": {"na": True},
        "dialled": None,
    }
    result = card(**blank)["consistency"]
    assert {r["result"] for r in result["rules"].values()} == {"not_checked"}
    assert (result["score"], result["possible"]) == (None, 0)


def test_consistency_never_moves_a_section_touchpoint_or_kind_score() -> None:
    c = checklist()
    bare = without_rules(c)
    rng = random.Random(7)
    for _ in range(40):
        raw = answers(
            website_hours={"value": {"from": rng.choice(["09:00", "10:00"]), "to": "18:00"}},
            answered={"value": rng.random() < 0.5},
            phone_price=rng.choice([{"na": True}, {"value": {"amount": "54.99"}}]),
            shelf_price={"value": {"amount": rng.choice(["54.99", "49.99"])}},
            found_store={"value": rng.randint(1, 5)},
        )
        with_rules = score_answers(c, parse_answers(c, raw))
        plain = score_answers(bare, parse_answers(bare, raw))
        assert with_rules.sections == plain.sections
        assert with_rules.touchpoints == plain.touchpoints
        assert (with_rules.service, with_rules.experience) == (plain.service, plain.experience)
        assert with_rules.critical_failures == plain.critical_failures == ()
        assert plain.consistency is None
        assert plain.critical_failed is False
        price = with_rules.consistency.rules[2]  # type: ignore[union-attr]
        if price.result == "disagree":
            assert with_rules.critical_failed is True
            assert with_rules.overall == min(plain.overall or 0, 30)
        else:
            assert with_rules.overall == plain.overall
            assert with_rules.critical_failed is False


def test_the_stored_card_comes_back_in_the_checklists_order() -> None:
    c = checklist()
    stored = card()
    shuffled = dict(reversed(list(stored.items())))
    block = shuffled["consistency"]
    shuffled["consistency"] = {
        "rules": {
            rid: {"values": dict(reversed(list(r["values"].items()))), "result": r["result"]}
            for rid, r in reversed(list(block["rules"].items()))
        },
        **{k: v for k, v in block.items() if k != "rules"},
    }
    assert json.dumps(scorecard_in_order(shuffled, c)) == json.dumps(stored)


# ---- the command line


def test_audit_score_prints_the_consistency_block(capsys: pytest.CaptureFixture[str]) -> None:
    from audit.cli import main

    code = main(["score", str(CHECKLIST), str(ANSWERS)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    printed = json.loads(out)
    assert list(printed)[-1] == "consistency"
    assert printed["consistency"] == card()["consistency"]


def test_audit_checklist_validate_reports_rule_problems_with_file_and_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from audit.cli import main

    broken = str(FIXTURES / "checklists" / "invalid" / "bad-consistency.yaml")
    code = main(["checklist", "validate", str(CHECKLIST), broken])
    _, err = capsys.readouterr()
    assert code == 1
    assert f"{broken}:8: unknown fact 'hours_phon'" in err
    assert all(line.startswith(f"{broken}:") for line in err.splitlines())
    assert len(err.splitlines()) == 17
