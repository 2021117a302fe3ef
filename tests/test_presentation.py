"""audit.presentation: one rounding, one set of labels, one wording of answers."""

from __future__ import annotations

import math

import pytest

from audit.answers import Answer, parse_answers
from audit.checklist import parse_checklist
from audit.compare import Nps
from audit.presentation import (
    DASH,
    FAIR,
    STRONG,
    UNRATED,
    WEAK,
    answer_words,
    band_for,
    describe_answer,
    format_change,
    format_number,
    format_percent,
    format_score,
    heat_band,
    nps_group,
    round_score,
    score_change,
    scorecard_display,
    touchpoint_label,
)
from audit.scoring import score_answers

CHECKLIST = parse_checklist("""\
id: t
title: T
critical_fail_score: 40
sections:
  - id: advice
    title: Advice at the counter
    touchpoint: service
    weight: 3
    items:
      - {id: greeted, text: You were greeted, type: yes_no, kind: service}
      - {id: friendly, text: How friendly, type: scale, min: 1, max: 5, kind: service}
  - id: after
    title: After the visit
    touchpoint: follow_up
    weight: 2
    items:
      - {id: called, text: They called back, type: yes_no, critical: true}
      - {id: rating, text: Rating, type: scale, min: 1, max: 5}
      - id: wait
        text: Minutes waited
        type: number
        unit: minutes
        bands: [{max: 5, points: 1}, {points: 0}]
      - id: restroom
        text: Restroom
        type: choice
        na: true
        options:
          - {value: offered, label: Offered without hesitation, points: 1}
          - {value: refused, label: Refused, points: 0}
      - {id: recommend, text: Recommend, type: nps}
      - {id: notes, text: Notes, type: text}
      - {id: receipt, text: Receipt, type: photo}
""")


def item(item_id: str):
    return next(i for i in CHECKLIST.items() if i.id == item_id)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (72.5, 73),
        (72.49, 72),
        (72.49999999, 72),  # a real 72.49999999 is below the half
        (100 * 2.9 / 4, 73),  # 72.49999999999999 in floating point: a half all the same
        (0.5, 1),
        (84.5, 85),
        (100.0, 100),
        (0.0, 0),
        (-16.5, -17),  # halves go away from zero, as Excel displays them
        (-0.4, 0),
        (-33.3, -33),
    ],
)
def test_round_score_rounds_halves_away_from_zero_after_cleaning_float_error(value, shown):
    assert round_score(value) == shown


def test_round_score_has_no_figure_for_none_or_a_non_number():
    assert round_score(None) is None
    assert round_score(math.nan) is None
    assert round_score(math.inf) is None


def test_python_round_would_have_printed_72_for_72_5():
    # Why the module exists: the two roundings disagreed on every half.
    assert round(72.5) == 72 and f"{72.5:.0f}" == "72"
    assert format_score(72.5) == "73"


def test_format_score_prints_whole_numbers_a_real_minus_and_a_dash_for_none():
    assert format_score(72.5) == "73"
    assert format_score(81.25) == "81"
    assert format_score(None) == DASH == "\u2013"
    assert format_score(None, empty="") == ""
    assert format_score(-16.5) == "\u221217"
    assert format_score(-0.2) == "0"


def test_percentages_and_changes_use_the_same_rule():
    assert format_percent(0.725) == "73%"
    assert format_percent(None) == DASH
    # 72.5 vs 72.4 prints 73 vs 72: the change shown is +1, not the raw 0.1.
    assert score_change(72.5, 72.4) == 1
    assert score_change(72.4, 72.5) == -1
    assert score_change(None, 70.0) is None
    assert format_change(1) == "+1"
    assert format_change(-2) == "\u22122"
    assert format_change(0) == "\u00b10"
    assert format_change(None) == DASH


def test_measured_numbers_read_as_a_person_writes_them():
    assert format_number(4) == "4"
    assert format_number(4.0) == "4"
    assert format_number(2.5) == "2.5"
    assert format_number(1200) == "1,200"
    assert format_number(1.005) == "1.01"  # half up even where the float is 1.00499...
    assert format_number(0.125) == "0.13"


def test_every_contract_touchpoint_has_one_label_and_other_slugs_are_humanised():
    labels = {
        "website": "Website",
        "phone": "Phone",
        "arrival": "Arrival",
        "facilities": "Facilities",
        "service": "Consultation",
        "checkout": "Checkout",
        "follow_up": "Follow-up",
        "site_visit": "Site visit",
        "click_collect": "Click collect",
        "fitting-room": "Fitting room",
    }
    assert {slug: touchpoint_label(slug) for slug in labels} == labels


def test_bands_follow_the_printed_whole_number():
    assert band_for(None) is UNRATED
    assert band_for(100.0) is STRONG
    assert band_for(84.5) is STRONG  # printed 85
    assert band_for(84.49) is FAIR  # printed 84
    assert band_for(69.5) is FAIR  # printed 70
    assert band_for(69.49) is WEAK
    assert band_for(0.0) is WEAK
    assert [b.label for b in (STRONG, FAIR, WEAK, UNRATED)] == [
        "Strong",
        "Fair",
        "Weak",
        "Not rated",
    ]


def test_heat_bands_follow_the_printed_whole_number():
    assert heat_band(None).key == "none"
    assert heat_band(89.5).key == "5"  # printed 90
    assert heat_band(89.49).key == "4"
    assert heat_band(79.5).key == "4"  # printed 80
    assert heat_band(70.5).key == "3"
    assert heat_band(59.5).key == "2"
    assert heat_band(59.49).key == "1"


def test_nps_groups_are_promoters_9_to_10_passives_7_to_8_detractors_0_to_6():
    groups = [nps_group(n) for n in range(11)]
    assert groups == ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2
    # The comparison maths counts with the same thresholds.
    tally = Nps.of(range(11))
    assert tally.promoters == groups.count("promoter")
    assert tally.detractors == groups.count("detractor")


@pytest.mark.parametrize(
    ("item_id", "answer", "words", "state"),
    [
        ("greeted", Answer(value=True), "Yes", "answered"),
        ("greeted", Answer(value=False), "No", "answered"),
        ("friendly", Answer(value=4), "4 on a scale of 1 to 5", "answered"),
        ("wait", Answer(value=2.5), "2.5 minutes", "answered"),
        ("wait", Answer(value=1200), "1,200 minutes", "answered"),
        ("restroom", Answer(value="offered"), "Offered without hesitation", "answered"),
        ("restroom", Answer(na=True), "Not applicable", "na"),
        ("recommend", Answer(value=9), "9 out of 10", "answered"),
        ("notes", Answer(value="Lovely shop"), "Lovely shop", "text"),
        ("notes", Answer(value="   "), "Not answered", "unanswered"),
        ("greeted", None, "Not answered", "unanswered"),
        ("greeted", Answer(comment="only a comment"), "Not answered", "unanswered"),
        ("receipt", None, "No photo", "unanswered"),
        ("receipt", Answer(photos=("a",)), "1 photo", "photo"),
    ],
)
def test_an_answer_reads_in_words(item_id, answer, words, state):
    found = describe_answer(item(item_id), answer)
    assert (found.text, found.state) == (words, state)
    assert answer_words(item(item_id), answer) == words


def test_stored_photos_count_and_a_skipped_item_says_so():
    assert answer_words(item("receipt"), None, photos=3) == "3 photos"
    hidden = describe_answer(item("greeted"), Answer(value=True), visible=False)
    assert (hidden.text, hidden.state) == ("Not shown (skipped by an earlier answer)", "hidden")


def scored(values: dict) -> dict:
    raw = {k: ({"na": True} if v == "na" else {"value": v}) for k, v in values.items()}
    return score_answers(CHECKLIST, parse_answers(CHECKLIST, raw)).to_dict()


HALF_CARD = {
    "greeted": True,
    "friendly": 2,  # advice: (1 + 0.25) / 2 = 62.5
    "called": True,
    "rating": 4,  # 0.75
    "wait": 3,  # 1
    "restroom": "offered",  # 1
    "recommend": 6,
    "notes": "",
}


def test_scorecard_display_prints_every_figure_and_label_as_the_report_does():
    card = scored(HALF_CARD)
    # after: (1 + 0.75 + 1 + 1) / 4 = 93.75; overall (3 x 62.5 + 2 x 93.75) / 5 = 75
    assert card["touchpoints"]["service"] == 62.5

    shown = scorecard_display(card, CHECKLIST)

    assert shown["overall"] == "75" and shown["band"] == "Fair" and shown["band_key"] == "fair"
    assert shown["service"] == format_score(card["service"])
    assert shown["experience"] == format_score(card["experience"])
    assert shown["nps"] == "6" and shown["nps_group"] == "detractor"
    assert shown["touchpoints"] == [
        {
            "id": "service",
            "label": "Consultation",
            "score": "63",
            "band": "Weak",
            "band_key": "weak",
        },
        {
            "id": "follow_up",
            "label": "Follow-up",
            "score": "94",
            "band": "Strong",
            "band_key": "strong",
        },
    ]
    assert shown["sections"]["advice"] == {
        "label": "Advice at the counter",
        "touchpoint": "Consultation",
        "score": "63",
        "band": "Weak",
        "band_key": "weak",
    }
    assert shown["critical_failures"] == []


def test_scorecard_display_names_critical_failures_and_dashes_what_has_no_score():
    card = scored({**HALF_CARD, "called": False, "recommend": None})
    shown = scorecard_display(card, CHECKLIST)
    assert shown["critical_failures"] == [{"id": "called", "text": "They called back"}]
    assert shown["overall"] == "40"  # capped by critical_fail_score
    assert shown["nps"] == DASH and shown["nps_group"] is None

    empty = scorecard_display(None, CHECKLIST)
    assert empty["overall"] == DASH and empty["band"] == "Not rated"
    assert [tp["score"] for tp in empty["touchpoints"]] == [DASH, DASH]


def test_a_card_stored_without_touchpoints_gets_them_from_its_sections():
    card = scored(HALF_CARD)
    del card["touchpoints"]
    shown = scorecard_display(card, CHECKLIST)
    assert [(tp["label"], tp["score"]) for tp in shown["touchpoints"]] == [
        ("Consultation", "63"),
        ("Follow-up", "94"),
    ]
