"""audit.trust: distance, time on site and the visit trust score, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from audit.presentation import trust_label
from audit.trust import (
    PENALTIES,
    PhotoEvidence,
    Place,
    Reading,
    Rules,
    TrustInputError,
    allowed_distance_m,
    assess,
    decimals,
    haversine_m,
    is_open,
    parse_hours,
    parse_reading,
)

# A store in Lyon, open 09:00-19:00 on weekdays and 10:00-13:00 on Saturdays.
HOURS = {d: [("09:00", "19:00")] for d in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": [("10:00", "13:00")]
}
PLACE = Place(45.764043, 4.835659, HOURS, "Europe/Paris")
RULES = Rules(radius_m=150, min_minutes=10)
# Thursday 3 December 2026, 10:00 in Lyon.
ARRIVAL = datetime(2026, 12, 3, 9, 0, 12, tzinfo=UTC)


def reading(
    minutes: float = 0,
    lat: float = 45.764311,
    lon: float = 4.836021,
    accuracy: float = 14.7,
    **changes: object,
) -> Reading:
    at = ARRIVAL + timedelta(minutes=minutes)
    fields: dict[str, object] = {
        "time": at,
        "received_at": at + timedelta(seconds=2),
        "latitude": lat,
        "longitude": lon,
        "accuracy": accuracy,
    }
    fields.update(changes)
    return Reading(**fields)  # type: ignore[arg-type]


def codes(trust) -> list[str]:
    return [r.code for r in trust.reasons]


def test_haversine_matches_known_distances():
    # Paris (Notre-Dame) to Lyon (Bellecour): 392 km as the crow flies.
    assert haversine_m(48.852968, 2.349902, 45.757814, 4.832011) == pytest.approx(392_000, rel=0.01)
    # One thousandth of a degree of latitude is 111 m everywhere.
    assert haversine_m(10.0, 20.0, 10.001, 20.0) == pytest.approx(111.2, abs=0.5)
    assert haversine_m(45.0, 4.0, 45.0, 4.0) == 0.0


def test_an_honest_visit_scores_100_with_no_reasons():
    trust = assess(
        PLACE,
        reading(),
        reading(25),
        [PhotoEvidence("clean", ARRIVAL + timedelta(minutes=5), False)],
        RULES,
    )
    assert trust.score == 100
    assert trust.reasons == ()
    assert trust.distance_m == pytest.approx(42, abs=2)
    assert trust.minutes_on_site == 25.0
    assert trust_label(trust.score).label == "Trusted"


def test_too_far_uses_the_accuracy_to_widen_the_radius():
    # 1.1 km north: beyond 150 m + 14.7 m.
    far = assess(PLACE, reading(lat=45.774043, lon=4.835659), reading(20), [], RULES)
    assert "too_far" in codes(far)
    assert far.score == 100 - PENALTIES["too_far"]
    assert "1.1 km" in far.reasons[0].text
    # 300 m away with a 200 m accuracy: 150 + 200 allows it.
    near = reading(lat=45.766743, lon=4.835659, accuracy=200)
    assert assess(PLACE, near, reading(20), [], RULES).score == 100
    assert allowed_distance_m(10_000, RULES) == 150 + 500  # the allowance is capped


def test_zero_accuracy_and_round_coordinates_are_mock_location_signs():
    mocked = assess(PLACE, reading(lat=45.7640, lon=4.8357, accuracy=0), reading(20), [], RULES)
    assert codes(mocked) == ["zero_accuracy", "round_coordinates"]
    assert mocked.score == 100 - PENALTIES["zero_accuracy"] - PENALTIES["round_coordinates"]
    assert trust_label(mocked.score).label == "Suspicious"
    assert decimals(45.764043) == 6 and decimals(4.8) == 1 and decimals(45.0) == 0


def test_short_visits_use_the_checklist_minimum_and_a_missing_check_out_is_noted():
    short = assess(PLACE, reading(), reading(4), [], RULES)
    assert codes(short) == ["short_visit"]
    assert "4 minutes on site" in short.reasons[0].text
    assert "no_check_out" in codes(assess(PLACE, reading(), None, [], RULES))
    assert assess(PLACE, reading(), reading(4), [], Rules(min_minutes=3)).score == 100


def test_photos_received_before_the_check_in_count_unless_their_touchpoint_was_another_day():
    early = [PhotoEvidence("clean", ARRIVAL - timedelta(minutes=30), False)]
    assert "photo_before_check_in" in codes(assess(PLACE, reading(), reading(20), early, RULES))
    exempt = assess(PLACE, reading(), reading(20), early, RULES, frozenset({"clean"}))
    assert exempt.score == 100


def test_reused_photo_bytes_outside_hours_and_refusal_are_reasons():
    reused = [PhotoEvidence("clean", ARRIVAL + timedelta(minutes=3), True)]
    assert codes(assess(PLACE, reading(), reading(20), reused, RULES)) == ["photo_reused"]
    # 08:30 in Lyon on a Thursday: before opening (even with ten minutes' grace).
    night = assess(PLACE, reading(-90), reading(-70), [], RULES)
    assert codes(night) == ["outside_hours"]
    assert "08:30 on a Thursday" in night.reasons[0].text
    refused = Reading(ARRIVAL, ARRIVAL, permission="denied")
    assert codes(assess(PLACE, refused, reading(20), [], RULES)) == ["permission_denied"]
    assert codes(assess(PLACE, None, None, [], RULES)) == ["no_check_in"]


def test_a_phone_clock_ahead_of_the_server_is_a_reason():
    ahead = reading(received_at=ARRIVAL - timedelta(minutes=30))
    assert "clock_ahead" in codes(assess(PLACE, ahead, reading(20), [], RULES))


def test_the_score_never_goes_below_zero_and_an_unplaced_location_is_only_noted():
    worst = assess(
        PLACE,
        reading(lat=40.0, lon=4.0, accuracy=0),
        reading(1),
        [PhotoEvidence("x", ARRIVAL - timedelta(hours=1), True)],
        RULES,
    )
    assert worst.score == 0
    unplaced = assess(Place(None, None, None, "UTC"), reading(), reading(20), [], RULES)
    assert unplaced.score == 100 and codes(unplaced) == ["no_coordinates"]


def test_opening_hours_may_pass_midnight():
    late = {"fri": [("18:00", "02:00")]}
    saturday_1am = datetime(2026, 12, 5, 1, 0)
    assert is_open(late, saturday_1am)
    assert not is_open(late, datetime(2026, 12, 5, 3, 0))
    assert is_open({"mon": [("09:00", "24:00")]}, datetime(2026, 11, 30, 23, 59))


def test_bad_hours_and_readings_name_the_field():
    with pytest.raises(TrustInputError) as exc:
        parse_hours({"mon": [["9am", "18:00"]], "funday": []})
    assert set(exc.value.fields) == {"hours.mon", "hours.funday"}
    with pytest.raises(TrustInputError) as exc:
        parse_reading({"latitude": 91, "longitude": "east", "accuracy": -1, "extra": 1}, ARRIVAL)
    assert set(exc.value.fields) == {"latitude", "longitude", "accuracy", "extra"}
    with pytest.raises(TrustInputError) as exc:
        parse_reading({"permission": "denied", "latitude": 1.0}, ARRIVAL)
    assert exc.value.fields == {"latitude": "must be left out when permission is denied"}
    with pytest.raises(TrustInputError) as exc:
        parse_reading({"latitude": 1.5, "longitude": 2.5, "accuracy": 3, "time": "10:00"}, ARRIVAL)
    assert list(exc.value.fields) == ["time"]
    refused = parse_reading({"permission": "denied"}, ARRIVAL)
    assert refused.permission == "denied" and refused.time == ARRIVAL
