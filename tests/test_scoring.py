"""The seven scoring rules of CONTRACT.md, each checked against a hand computation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from audit.answers import parse_answers, parse_answers_document
from audit.checklist import Checklist, load_checklist, parse_checklist
from audit.scoring import Scorecard, item_points, score_answers

FIXTURES = Path(__file__).parent / "fixtures"
NA = object()


def build(sections: str, *, critical_fail_score: float = 0) -> Checklist:
    """A checklist from the YAML of its sections (indented as under `sections:`)."""
    head = f"id: t\ntitle: T\ncritical_fail_score: {critical_fail_score}\nsections:\n"
    return parse_checklist(head + sections)


def score(
    checklist: Checklist, values: dict[str, Any], photo_counts: dict[str, int] | None = None
) -> Scorecard:
    raw = {k: ({"na": True} if v is NA else {"value": v}) for k, v in values.items()}
    return score_answers(checklist, parse_answers(checklist, raw), photo_counts)


def section(card: Scorecard, section_id: str) -> dict[str, Any]:
    result: dict[str, Any] = card.to_dict()["sections"][section_id]
    return result


ONE_SECTION = """\
  - id: s
    touchpoint: service
    items:
      - {id: light, type: yes_no, weight: 1}
      - {id: heavy, type: yes_no, weight: 3}
"""


# --------------------------------------------------------------------------
# Rule 1: points


def test_yes_no_earns_1_for_true_and_0_for_false() -> None:
    # light true: 1 * 1; heavy false: 3 * 0 → 100 * 1 / 4 = 25
    card = score(build(ONE_SECTION), {"light": True, "heavy": False})
    assert section(card, "s") == {"score": 25.0, "earned": 1.0, "possible": 4.0}
    assert card.overall == 25.0


@pytest.mark.parametrize(
    ("lo", "hi", "value", "points"),
    [
        (1, 5, 4, 0.75),  # (4 - 1) / (5 - 1) = 3/4
        (1, 5, 1, 0.0),  # the lowest value earns nothing
        (1, 5, 5, 1.0),
        (0, 10, 7, 0.7),  # (7 - 0) / 10
        (-2, 2, 0, 0.5),  # (0 + 2) / 4
    ],
)
def test_scale_earns_value_minus_min_over_max_minus_min(
    lo: int, hi: int, value: int, points: float
) -> None:
    checklist = build(
        f"  - id: s\n    items:\n      - {{id: q, type: scale, min: {lo}, max: {hi}}}\n"
    )
    [item] = checklist.items()
    assert item_points(item, value) == pytest.approx(points)
    assert score(checklist, {"q": value}).overall == pytest.approx(100 * points)


CHOICE = """\
  - id: s
    items:
      - id: restroom
        type: choice
        options:
          - {value: offered, points: 1}
          - {value: after_asking, points: 0.5}
          - {value: refused, points: 0}
"""


@pytest.mark.parametrize(
    ("value", "overall"), [("offered", 100.0), ("after_asking", 50.0), ("refused", 0.0)]
)
def test_choice_earns_its_options_points(value: str, overall: float) -> None:
    assert score(build(CHOICE), {"restroom": value}).overall == overall


BANDS = """\
  - id: s
    items:
      - id: rings
        type: number
        bands:
          - {max: 3, points: 1}
          - {max: 5, points: 0.5}
          - {points: 0.2}
      - id: wait
        type: number
        bands:
          - {max: 2, points: 1}
          - {max: 10, points: 0.25}
"""


@pytest.mark.parametrize(
    ("value", "points"),
    [
        (0, 1.0),
        (3, 1.0),  # max is inclusive: 3 <= 3
        (3.01, 0.5),
        (5, 0.5),
        (6, 0.2),  # the catch-all band without max takes the rest
        (1000, 0.2),
        (-4, 1.0),  # below the first max is still the first band
    ],
)
def test_number_earns_the_points_of_its_first_matching_band(value: float, points: float) -> None:
    checklist = build(BANDS)
    assert item_points(checklist.item_map()["rings"], value) == points
    assert score(checklist, {"rings": value}).overall == pytest.approx(100 * points)


def test_a_number_beyond_every_band_without_catch_all_earns_0() -> None:
    checklist = build(BANDS)
    # wait 11 is past max 10 and there is no catch-all: 1 * 0.
    # rings 10 falls into the catch-all band: 1 * 0.2.  100 * 0.2 / 2 = 10
    card = score(checklist, {"wait": 11, "rings": 10})
    assert section(card, "s") == {"score": 10.0, "earned": 0.2, "possible": 2.0}
    # wait 10 is still inside the last band (max inclusive): 0.25 → 25
    assert score(checklist, {"wait": 10}).overall == 25.0


def test_a_number_without_bands_is_recorded_but_not_scored() -> None:
    checklist = build(
        "  - id: s\n    items:\n      - {id: n, type: number}\n      - {id: y, type: yes_no}\n"
    )
    [item, _] = checklist.items()
    assert item_points(item, 42) is None
    card = score(checklist, {"n": 42, "y": False})
    assert section(card, "s") == {"score": 0.0, "earned": 0.0, "possible": 1.0}


def test_nps_text_and_photo_are_not_scored() -> None:
    checklist = build(
        "  - id: s\n    items:\n"
        "      - {id: r, type: nps}\n      - {id: t, type: text}\n      - {id: p, type: photo}\n"
    )
    card = score(checklist, {"r": 10, "t": "great"})
    assert section(card, "s") == {"score": None, "earned": 0.0, "possible": 0.0}
    assert card.overall is None


# --------------------------------------------------------------------------
# Rules 2 and 3: what counts in a section


EXCLUDED = """\
  - id: s
    items:
      - {id: a, type: yes_no, weight: 2}
      - {id: b, type: yes_no, weight: 3, na: true}
      - {id: c, type: yes_no, weight: 5}
      - {id: gate, type: yes_no, weight: 1, required: false}
      - {id: d, type: yes_no, weight: 7, show_if: {item: gate, equals: true}}
"""


def test_na_hidden_and_unanswered_items_count_nowhere() -> None:
    # a true: 2 * 1; b N/A; c unanswered; gate false: 1 * 0; d hidden (its
    # false answer is kept but ignored).  100 * 2 / (2 + 1) = 66.67
    card = score(build(EXCLUDED), {"a": True, "b": NA, "gate": False, "d": False})
    assert section(card, "s") == {"score": pytest.approx(200 / 3), "earned": 2.0, "possible": 3.0}
    counted = {r.item.id: r.points for r in card.items}
    assert counted == {"a": 1.0, "b": None, "c": None, "gate": 0.0, "d": None}


def test_a_hidden_items_answer_is_kept_and_counts_once_shown() -> None:
    checklist = build(EXCLUDED)
    hidden = score(checklist, {"a": True, "gate": False, "d": False})
    [d_hidden] = [r for r in hidden.items if r.item.id == "d"]
    assert (d_hidden.visible, d_hidden.answer is not None, d_hidden.points) == (False, True, None)
    # gate true shows d: (2 * 1 + 1 * 1 + 7 * 0) / (2 + 1 + 7) = 30
    shown = score(checklist, {"a": True, "gate": True, "d": False})
    assert shown.overall == 30.0


def test_an_all_na_section_is_null() -> None:
    checklist = build(
        "  - id: s\n    items:\n      - {id: b, type: yes_no, na: true}\n"
        "  - id: t\n    items:\n      - {id: c, type: yes_no}\n"
    )
    card = score(checklist, {"b": NA, "c": True})
    assert section(card, "s")["score"] is None
    assert section(card, "t")["score"] == 100.0


# --------------------------------------------------------------------------
# Rule 4: overall


TWO_SECTIONS = """\
  - id: phone
    touchpoint: phone
    weight: 1
    items:
      - {id: p1, type: yes_no}
      - {id: p2, type: yes_no}
  - id: store
    touchpoint: arrival
    weight: 3
    items:
      - {id: s1, type: yes_no}
  - id: nothing
    touchpoint: checkout
    weight: 100
    items:
      - {id: n1, type: yes_no, na: true}
"""


def test_overall_is_the_section_weighted_mean_of_non_null_sections() -> None:
    # phone 50 (w1), store 100 (w3), nothing null (w100, left out):
    # (1 * 50 + 3 * 100) / (1 + 3) = 87.5
    card = score(build(TWO_SECTIONS), {"p1": True, "p2": False, "s1": True, "n1": NA})
    assert section(card, "phone")["score"] == 50.0
    assert section(card, "nothing")["score"] is None
    assert card.overall == 87.5


def test_overall_is_null_when_nothing_counts() -> None:
    card = score(build(TWO_SECTIONS), {"n1": NA})
    assert card.overall is None
    assert (card.service, card.experience) == (None, None)
    assert all(s["score"] is None for s in card.to_dict()["sections"].values())


def test_touchpoint_scores_are_section_weighted_means_of_their_sections() -> None:
    checklist = build(
        "  - id: call\n    touchpoint: phone\n    weight: 1\n    items:\n"
        "      - {id: a, type: yes_no}\n"
        "  - id: callback\n    touchpoint: phone\n    weight: 3\n    items:\n"
        "      - {id: b, type: scale, min: 0, max: 4}\n"
        "  - id: door\n    touchpoint: arrival\n    items:\n"
        "      - {id: c, type: yes_no, na: true}\n"
    )
    # call 100 (w1), callback (1 - 0) / 4 = 25 (w3): (100 + 75) / 4 = 43.75; arrival null
    card = score(checklist, {"a": True, "b": 1, "c": NA})
    assert card.touchpoints == {"phone": 43.75, "arrival": None}
    assert card.overall == 43.75


# --------------------------------------------------------------------------
# Rule 5: critical items


CRITICAL = """\
  - id: phone
    weight: 1
    items:
      - {id: answered, type: yes_no, critical: true}
      - {id: polite, type: yes_no, weight: 3}
  - id: store
    touchpoint: arrival
    weight: 1
    items:
      - {id: clean, type: yes_no}
"""


def test_a_failed_critical_item_caps_the_overall_at_zero() -> None:
    # phone (1 * 0 + 3 * 1) / 4 = 75, store 100: overall 87.5, capped to 0
    card = score(build(CRITICAL), {"answered": False, "polite": True, "clean": True})
    assert card.overall == 0.0
    assert card.critical_failures == ("answered",)
    assert section(card, "phone")["score"] == 75.0  # sections stay as computed
    assert section(card, "store")["score"] == 100.0
    assert card.experience == 80.0  # (0 + 3 + 1) / 5


def test_the_cap_is_critical_fail_score_when_it_is_lower() -> None:
    # overall 87.5 as above; min(87.5, 40) = 40
    card = score(
        build(CRITICAL, critical_fail_score=40), {"answered": False, "polite": True, "clean": True}
    )
    assert card.overall == 40.0


def test_an_overall_already_below_the_cap_stays() -> None:
    # phone (0 + 0) / 4 = 0, store 0: overall 0 < 40
    card = score(
        build(CRITICAL, critical_fail_score=40),
        {"answered": False, "polite": False, "clean": False},
    )
    assert card.overall == 0.0


def test_a_passed_or_na_critical_item_caps_nothing() -> None:
    checklist = build(CRITICAL.replace("critical: true", "critical: true, na: true"))
    assert score(checklist, {"answered": True, "polite": True}).overall == 100.0
    card = score(checklist, {"answered": NA, "polite": True})
    assert (card.overall, card.critical_failures) == (100.0, ())


def test_a_critical_choice_with_zero_points_fails_and_half_points_do_not() -> None:
    checklist = build(CHOICE.replace("type: choice", "type: choice\n        critical: true"))
    assert score(checklist, {"restroom": "refused"}).critical_failures == ("restroom",)
    assert score(checklist, {"restroom": "after_asking"}).critical_failures == ()


# --------------------------------------------------------------------------
# Rule 6: service and experience


def test_service_and_experience_use_item_weights_only() -> None:
    checklist = build(
        "  - id: a\n    weight: 10\n    items:\n"
        "      - {id: s1, type: yes_no, kind: service, weight: 1}\n"
        "      - {id: e1, type: yes_no, weight: 2}\n"
        "  - id: b\n    weight: 1\n    items:\n"
        "      - {id: s2, type: yes_no, kind: service, weight: 3}\n"
        "      - {id: e2, type: yes_no, kind: experience, weight: 2}\n"
    )
    card = score(checklist, {"s1": True, "e1": False, "s2": False, "e2": True})
    # service: (1 * 1 + 3 * 0) / 4 = 25, section weights 10 and 1 play no part
    assert card.service == 25.0
    # experience: (2 * 0 + 2 * 1) / 4 = 50
    assert card.experience == 50.0
    # sections: a = 1/3 → 33.3 (w10), b = 2/5 → 40 (w1); overall (333.3 + 40) / 11
    assert card.overall == pytest.approx((10 * 100 / 3 + 40) / 11)


def test_a_kind_with_no_counted_items_is_null() -> None:
    card = score(build(ONE_SECTION), {"light": True})
    assert (card.service, card.experience) == (None, 100.0)


# --------------------------------------------------------------------------
# nps


NPS = """\
  - id: s
    items:
      - {id: visited, type: yes_no, required: false}
      - {id: recommend, type: nps, na: true, show_if: {item: visited, equals: true}}
"""


def test_nps_is_the_answer_of_the_nps_item() -> None:
    assert score(build(NPS), {"visited": True, "recommend": 6}).nps == 6


@pytest.mark.parametrize("values", [{"visited": True, "recommend": NA}, {"recommend": 9}, {}])
def test_nps_is_null_when_na_hidden_or_unanswered(values: dict[str, Any]) -> None:
    assert score(build(NPS), values).nps is None


# --------------------------------------------------------------------------
# Rule 7: missing


MISSING = """\
  - id: s
    items:
      - {id: a, type: yes_no}
      - {id: b, type: yes_no, na: true}
      - {id: c, type: yes_no, required: false}
      - {id: gate, type: yes_no}
      - {id: d, type: yes_no, show_if: {item: gate, equals: true}}
      - {id: notes, type: text}
      - {id: shelf, type: photo}
      - {id: receipt, type: photo, required: true}
      - {id: r, type: nps}
      - {id: why, type: text, required: true}
"""


def test_missing_lists_required_visible_unanswered_items_in_order() -> None:
    card = score(build(MISSING), {"b": NA, "gate": False})
    # a: required; b: N/A; c: optional; d: hidden; notes, shelf: optional by default
    assert card.missing == ("a", "receipt", "r", "why")
    assert not card.complete


def test_answers_with_all_required_items_are_complete() -> None:
    checklist = build(MISSING)
    raw = {
        "a": {"value": True},
        "b": {"value": False},
        "gate": {"value": True},
        "d": {"value": True},
        "receipt": {"photos": ["p1"]},
        "r": {"value": 0},
        "why": {"value": "because"},
    }
    card = score_answers(checklist, parse_answers(checklist, raw))
    assert card.missing == ()
    assert card.complete


def test_a_photo_item_counts_stored_photos_the_service_knows() -> None:
    checklist = build(MISSING)
    card = score(checklist, {"a": True}, photo_counts={"receipt": 2})
    assert "receipt" not in card.missing


EVIDENCE = """\
  - id: s
    items:
      - {id: shelf, type: yes_no, photo: required}
      - {id: sign, type: yes_no, photo: optional}
"""


def test_required_evidence_is_missing_only_where_the_service_knows_the_photos() -> None:
    checklist = build(EVIDENCE)
    values = {"shelf": True, "sign": True}
    assert score(checklist, values).missing == ()  # the command line knows no photos
    assert score(checklist, values, photo_counts={}).missing == ("shelf",)
    assert score(checklist, values, photo_counts={"shelf": 1}).missing == ()


def test_an_unanswered_evidence_item_is_missing_once() -> None:
    assert score(build(EVIDENCE), {"sign": True}, photo_counts={}).missing == ("shelf",)


# --------------------------------------------------------------------------
# Whole scorecards


def test_the_every_feature_fixture_scores_as_computed_by_hand() -> None:
    checklist = load_checklist(FIXTURES / "checklists" / "valid" / "every-feature.yaml")
    doc = json.loads((FIXTURES / "answers" / "every-feature.json").read_text(encoding="utf-8"))
    card = score_answers(checklist, parse_answers_document(checklist, doc))
    # arrival (w1): clean_entrance 1 * 1 + queue_minutes 4 → band ≤ 5 → 2 * 0.5 = 2 / 3
    # counter (w3): greeted N/A; friendliness (5 - 1) / 4 = 1 * 2; asked_restroom 1 * 1;
    #   restroom after_asking 0.5 * 1; restroom_signposted shown (asked and
    #   after_asking) false 0 * 1 → 3.5 / 5 = 70
    # checkout (w2): card_accepted 1 / 1 = 100; photo, nps and text unscored
    # overall: (1 * 200/3 + 3 * 70 + 2 * 100) / 6 = 1430 / 18
    # service: friendliness 2 + restroom 0.5 = 2.5 / 3; experience: 1 + 1 + 1 + 0 + 1 = 4 / 6
    assert card.to_dict() == {
        "overall": pytest.approx(1430 / 18),
        "service": pytest.approx(250 / 3),
        "experience": pytest.approx(200 / 3),
        "sections": {
            "arrival": {"score": pytest.approx(200 / 3), "earned": 2.0, "possible": 3.0},
            "counter": {"score": 70.0, "earned": 3.5, "possible": 5.0},
            "checkout": {"score": 100.0, "earned": 1.0, "possible": 1.0},
        },
        "touchpoints": {
            "arrival": pytest.approx(200 / 3),
            "service": 70.0,
            "checkout": 100.0,
        },
        "critical_failures": [],
        "nps": 9,
        "missing": [],
    }


def test_a_failed_critical_item_in_the_fixture_caps_at_40() -> None:
    checklist = load_checklist(FIXTURES / "checklists" / "valid" / "every-feature.yaml")
    doc = json.loads((FIXTURES / "answers" / "every-feature.json").read_text(encoding="utf-8"))
    doc["answers"]["card_accepted"] = {"value": False}
    card = score_answers(checklist, parse_answers_document(checklist, doc))
    # checkout 0: (200/3 + 210 + 0) / 6 = 46.1, capped at critical_fail_score 40
    assert card.overall == 40.0
    assert card.critical_failures == ("card_accepted",)
    assert card.to_dict()["sections"]["checkout"]["score"] == 0.0


def test_the_contract_example_scores_as_computed_by_hand() -> None:
    checklist = load_checklist(FIXTURES / "checklists" / "valid" / "contract-example.yaml")
    answers = parse_answers(
        checklist,
        {
            "answered_quickly": {"value": True},
            "rings": {"value": 4, "comment": "voicemail first"},
            "notes": {"value": "..."},
        },
    )
    card = score_answers(checklist, answers)
    # answered_quickly 3 * 1 (service) + rings 4 → 1 * 0.5 (experience) = 3.5 / 4
    assert card.to_dict() == {
        "overall": 87.5,
        "service": 100.0,
        "experience": 50.0,
        "sections": {"phone": {"score": 87.5, "earned": 3.5, "possible": 4.0}},
        "touchpoints": {"phone": 87.5},
        "critical_failures": [],
        "nps": None,
        # restroom is hidden (needed_restroom unanswered); notes is text
        "missing": ["greeting", "needed_restroom", "recommend"],
    }
