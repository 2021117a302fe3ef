"""Proof of visit: was the shopper really at the location, and for how long?

Pure: plain dataclasses in (the location, the check-in and check-out readings,
the photos' receipt times), a :class:`Trust` out: distance, time on site and a
**visit trust score** 0-100 with one readable reason per doubt.  The score
starts at 100 and each reason takes its penalty off (never below 0); reasons
with no penalty are notes.  docs/programme.md ("Proof of visit") lists every
reason and threshold; the constants below are that list.

The phone's clock dates the readings (a visit checked in offline reaches the
server hours later); the server's receipt times order the evidence: a photo
the server received before the check-in was taken before the shopper said
they had arrived.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Mean Earth radius (IUGG), metres: haversine distances within 0.5 %.
EARTH_RADIUS_M = 6_371_008.8
# A shopping-centre store, its car park, a street corner: 150 m from the
# pinned point is still "at the location".
DEFAULT_RADIUS_M = 150.0
# The reported accuracy widens the radius, up to this much: a reading vaguer
# than that cannot place anyone at a store and is a reason of its own.
MAX_ACCURACY_ALLOWANCE_M = 500.0
# Time on site when neither the checklist nor AUDIT_MIN_VISIT_MINUTES says.
DEFAULT_MIN_MINUTES = 10
# A check-in this close before opening (or after closing) still counts as
# within hours: shoppers wait at the door, clocks differ by a minute or two.
HOURS_GRACE = timedelta(minutes=10)
# A reading dated later than the server received it means the phone's clock
# is ahead (set by hand?); minutes of drift are normal, this much is not.
CLOCK_AHEAD = timedelta(minutes=5)
# Coordinates with at most this many decimals on both axes (a grid of about
# 11 m) are typed in or pinned by hand: a real fix has six or more.
ROUND_DECIMALS = 4

# Penalties (points off 100), by reason code.
PENALTIES: dict[str, int] = {
    "no_check_in": 60,
    "permission_denied": 40,
    "position_unavailable": 30,
    "too_far": 60,
    "imprecise": 20,
    "zero_accuracy": 50,
    "round_coordinates": 30,
    "check_out_far": 20,
    "no_check_out": 10,
    "short_visit": 30,
    "photo_before_check_in": 30,
    "photo_reused": 50,
    "outside_hours": 25,
    "clock_ahead": 20,
    "no_coordinates": 0,
}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Hours = dict[str, list[tuple[str, str]]]


@dataclass(frozen=True)
class Place:
    """The audited location as proof of visit needs it."""

    latitude: float | None
    longitude: float | None
    hours: Hours | None  # weekday → [(opens, closes)] "HH:MM"; None: not known
    timezone: str  # IANA name; opening hours are in this zone


@dataclass(frozen=True)
class Reading:
    """A check-in or check-out: a position, or the reason there is none."""

    time: datetime  # the phone's clock at the reading (aware)
    received_at: datetime  # the server's clock when it arrived (aware)
    latitude: float | None = None
    longitude: float | None = None
    accuracy: float | None = None  # metres, as the Geolocation API reports it
    permission: str = "granted"  # granted | denied | unavailable


@dataclass(frozen=True)
class PhotoEvidence:
    item_id: str
    received_at: datetime
    reused: bool  # the same bytes (sha256) belong to another audit too


@dataclass(frozen=True)
class Rules:
    """The thresholds of the settings (AUDIT_VISIT_RADIUS_M, AUDIT_MIN_VISIT_MINUTES,
    AUDIT_TIMEZONE); a checklist's ``min_visit_minutes`` replaces the minimum."""

    radius_m: float = DEFAULT_RADIUS_M
    min_minutes: int = DEFAULT_MIN_MINUTES
    timezone: str = "UTC"  # of locations that name none


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    penalty: int

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "text": self.text, "penalty": self.penalty}


@dataclass(frozen=True)
class Trust:
    score: int
    reasons: tuple[Reason, ...]
    distance_m: float | None = None  # check-in to the location
    minutes_on_site: float | None = None
    check_out_distance_m: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "score": self.score,
            "reasons": [r.to_dict() for r in self.reasons],
            "distance_m": self.distance_m,
            "minutes_on_site": self.minutes_on_site,
            "check_out_distance_m": self.check_out_distance_m,
        }


@dataclass
class _Findings:
    reasons: list[Reason] = field(default_factory=list)

    def add(self, code: str, text: str) -> None:
        self.reasons.append(Reason(code, text, PENALTIES[code]))


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS 84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def allowed_distance_m(accuracy: float | None, rules: Rules) -> float:
    """How far from the pin a reading may be: the radius plus its accuracy (capped)."""
    return rules.radius_m + min(max(accuracy or 0.0, 0.0), MAX_ACCURACY_ALLOWANCE_M)


def decimals(value: float) -> int:
    """Decimal places of a coordinate as sent (48.8566 → 4)."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        return 0 if float(value) == 0 else 12
    fraction = text.partition(".")[2]
    return len(fraction.rstrip("0"))


def is_open(hours: Hours, moment: datetime, grace: timedelta = HOURS_GRACE) -> bool:
    """Whether local ``moment`` falls in the opening hours (an interval may pass midnight)."""
    for day_offset in (0, -1):
        day = moment.date() + timedelta(days=day_offset)
        for opens, closes in hours.get(WEEKDAYS[day.weekday()], ()):
            start = datetime.combine(day, _clock(opens), moment.tzinfo)
            end_day = day if _minutes(closes) > _minutes(opens) else day + timedelta(days=1)
            end = datetime.combine(end_day, time(0), moment.tzinfo) + timedelta(
                minutes=_minutes(closes)
            )
            if start - grace <= moment <= end + grace:
                return True
    return False


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(hhmm: str) -> time:
    total = _minutes(hhmm) % (24 * 60)
    return time(total // 60, total % 60)


def _metres(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:,.0f} km"
    if value >= 1_000:
        return f"{value / 1000:.1f} km"
    return f"{value:,.0f} m"


def _position(reading: Reading) -> tuple[float, float] | None:
    if reading.permission != "granted" or reading.latitude is None or reading.longitude is None:
        return None
    return reading.latitude, reading.longitude


def assess(
    place: Place,
    check_in: Reading | None,
    check_out: Reading | None,
    photos: list[PhotoEvidence],
    rules: Rules,
    exempt_items: frozenset[str] = frozenset(),
) -> Trust:
    """The visit's trust score and its reasons.

    ``exempt_items``: items of touchpoints met on another day (a phone call,
    the website), whose photos may well come before the visit.
    """
    found = _Findings()
    pinned = place.latitude is not None and place.longitude is not None
    if not pinned:
        found.add("no_coordinates", "The location has no coordinates: distance not checked.")
    distance: float | None = None
    out_distance: float | None = None
    minutes: float | None = None
    if check_in is None:
        found.add("no_check_in", "The shopper never checked in.")
    else:
        distance = _check_reading(found, place, check_in, rules, "check-in")
        _check_hours(found, place, check_in)
    if check_in is not None and check_out is None:
        found.add("no_check_out", "The shopper never checked out.")
    if check_out is not None:
        out_distance = _check_reading(found, place, check_out, rules, "check-out")
    if check_in is not None and check_out is not None:
        minutes = (check_out.time - check_in.time).total_seconds() / 60
        if minutes < rules.min_minutes:
            found.add(
                "short_visit",
                f"{max(minutes, 0):.0f} minutes on site; the scenario needs"
                f" at least {rules.min_minutes}.",
            )
    if check_in is not None:
        early = [
            p
            for p in photos
            if p.received_at < check_in.received_at and p.item_id not in exempt_items
        ]
        if early:
            found.add(
                "photo_before_check_in",
                f"{len(early)} photo{'s' if len(early) != 1 else ''} reached the server"
                " before the check-in.",
            )
    reused = [p for p in photos if p.reused]
    if reused:
        found.add(
            "photo_reused",
            f"{len(reused)} photo{'s' if len(reused) != 1 else ''} also"
            f" belong{'s' if len(reused) == 1 else ''} to another audit (the same file).",
        )
    score = max(0, 100 - sum(r.penalty for r in found.reasons))
    return Trust(
        score=score,
        reasons=tuple(found.reasons),
        distance_m=None if distance is None else round(distance, 1),
        minutes_on_site=None if minutes is None else round(minutes, 1),
        check_out_distance_m=None if out_distance is None else round(out_distance, 1),
    )


def _check_reading(
    found: _Findings, place: Place, reading: Reading, rules: Rules, name: str
) -> float | None:
    """Reasons about one reading; its distance to the location when both are known."""
    if reading.time - reading.received_at > CLOCK_AHEAD:
        found.add(
            "clock_ahead",
            f"The phone dated its {name} after the server received it: its clock is ahead.",
        )
    if name == "check-in" and reading.permission == "denied":
        found.add("permission_denied", "The shopper refused to share their location.")
    if name == "check-in" and reading.permission == "unavailable":
        found.add("position_unavailable", "The phone could not find its position at check-in.")
    position = _position(reading)
    if position is None:
        return None
    accuracy = reading.accuracy or 0.0
    if name == "check-in":
        if accuracy <= 0:
            found.add(
                "zero_accuracy",
                "The check-in reports an accuracy of 0 m, which a real GPS never does"
                " (mock-location apps do).",
            )
        elif accuracy > MAX_ACCURACY_ALLOWANCE_M:
            found.add(
                "imprecise",
                f"The check-in is only accurate to {_metres(accuracy)}:"
                " it cannot place the shopper at the location.",
            )
        if decimals(position[0]) <= ROUND_DECIMALS and decimals(position[1]) <= ROUND_DECIMALS:
            found.add(
                "round_coordinates",
                f"The check-in coordinates ({position[0]}, {position[1]}) are suspiciously"
                " round, as typed into a mock-location app.",
            )
    if place.latitude is None or place.longitude is None:
        return None
    distance = haversine_m(position[0], position[1], place.latitude, place.longitude)
    allowed = allowed_distance_m(accuracy, rules)
    if distance > allowed:
        if name == "check-in":
            found.add(
                "too_far",
                f"Checked in {_metres(distance)} from the location"
                f" (allowed: {_metres(allowed)} with the reading's accuracy).",
            )
        else:
            found.add(
                "check_out_far",
                f"Checked out {_metres(distance)} from the location (allowed: {_metres(allowed)}).",
            )
    return distance


def _check_hours(found: _Findings, place: Place, reading: Reading) -> None:
    if not place.hours:
        return
    local = reading.time.astimezone(ZoneInfo(place.timezone))
    if not is_open(place.hours, local):
        found.add(
            "outside_hours",
            f"Checked in at {local:%H:%M} on a {local:%A} ({place.timezone}),"
            " outside the location's opening hours.",
        )


# ---- Input: opening hours and a phone's reading, validated once


class TrustInputError(ValueError):
    """Bad opening hours or reading; ``fields`` names each bad field."""

    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message)
        self.fields = fields


def parse_hours(raw: object) -> Hours:
    """Opening hours as ``{"mon": [["09:00", "18:00"]], ...}``; a weekday left out is closed.

    Raises :class:`TrustInputError` naming each bad weekday (``hours.mon``).
    """
    if not isinstance(raw, dict):
        raise TrustInputError(
            "opening hours must be an object",
            {"hours": 'must be like {"mon": [["09:00", "18:00"]]}'},
        )
    problems: dict[str, str] = {}
    hours: Hours = {}
    for day, intervals in raw.items():
        key = f"hours.{day}"
        if day not in WEEKDAYS:
            problems[key] = f"unknown weekday; use {', '.join(WEEKDAYS)}"
            continue
        if not isinstance(intervals, list):
            problems[key] = 'must be a list of [opens, closes] pairs like ["09:00", "18:00"]'
            continue
        pairs: list[tuple[str, str]] = []
        for interval in intervals:
            if (
                not isinstance(interval, list | tuple)
                or len(interval) != 2
                or not all(isinstance(t, str) and _is_clock(t) for t in interval)
            ):
                problems[key] = 'each interval must be ["HH:MM", "HH:MM"] (00:00 to 24:00)'
                break
            if interval[0] == interval[1]:
                problems[key] = f"{interval[0]}-{interval[1]} is empty"
                break
            pairs.append((interval[0], interval[1]))
        else:
            hours[day] = pairs
    if problems:
        raise TrustInputError("the opening hours are invalid", problems)
    return hours


def _is_clock(text: str) -> bool:
    if len(text) != 5 or text[2] != ":" or not (text[:2] + text[3:]).isdigit():
        return False
    hours, minutes = int(text[:2]), int(text[3:])
    return (hours < 24 and minutes < 60) or text == "24:00"


def check_timezone(name: object) -> str:
    """An IANA time-zone name (``Europe/Paris``), or TrustInputError."""
    if not isinstance(name, str) or not name or len(name) > 64:
        raise TrustInputError(
            "unknown time zone", {"timezone": "must be an IANA name like Europe/Paris"}
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TrustInputError(
            f"unknown time zone {name!r}", {"timezone": "must be an IANA name like Europe/Paris"}
        ) from None
    return name


def check_coordinates(latitude: object, longitude: object) -> tuple[float, float]:
    """WGS 84 degrees, or TrustInputError naming ``latitude`` / ``longitude``."""
    problems: dict[str, str] = {}
    values: list[float] = []
    for name, value, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            problems[name] = f"must be a number of degrees from -{limit} to {limit}"
        elif not -limit <= value <= limit:
            problems[name] = f"must be from -{limit} to {limit}"
        else:
            values.append(float(value))
    if problems:
        raise TrustInputError("the coordinates are invalid", problems)
    return values[0], values[1]


PERMISSIONS = ("denied", "unavailable")
# Largest accuracy a phone reports that we keep as it is (metres): beyond it
# a reading says nothing about where the phone was.
MAX_ACCURACY_M = 1_000_000.0
READING_KEYS = frozenset({"latitude", "longitude", "accuracy", "time", "permission"})


@dataclass(frozen=True)
class ReadingInput:
    """A check-in / check-out body as the phone sent it, checked."""

    time: datetime
    latitude: float | None
    longitude: float | None
    accuracy: float | None
    permission: str  # granted | denied | unavailable


def parse_reading(body: object, received_at: datetime) -> ReadingInput:
    """The body of ``POST /api/audits/{uuid}/check-in`` (or ``check-out``).

    ``{"latitude", "longitude", "accuracy", "time"}``, or ``{"permission":
    "denied" | "unavailable", "time"}`` when the shopper refused or the phone
    found no position.  ``time`` (ISO 8601 with an offset) is the phone's
    clock; when left out, the server's.
    """
    if not isinstance(body, dict):
        raise TrustInputError("the body must be a JSON object", {"body": "must be a JSON object"})
    problems = {str(k): "unknown field" for k in body if k not in READING_KEYS}
    moment = received_at
    raw_time = body.get("time")
    if raw_time is not None:
        try:
            if not isinstance(raw_time, str):
                raise ValueError
            moment = datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError
        except ValueError:
            problems["time"] = "must be an ISO 8601 time with its offset, like 2026-12-03T10:15:00Z"
    permission = body.get("permission", "granted")
    latitude = longitude = accuracy = None
    if permission in PERMISSIONS:
        for key in ("latitude", "longitude", "accuracy"):
            if key in body:
                problems[key] = f"must be left out when permission is {permission}"
    elif permission != "granted":
        problems["permission"] = "must be denied or unavailable (or left out with a position)"
    else:
        try:
            latitude, longitude = check_coordinates(body.get("latitude"), body.get("longitude"))
        except TrustInputError as exc:
            problems.update(exc.fields)
        raw_accuracy = body.get("accuracy")
        if (
            isinstance(raw_accuracy, bool)
            or not isinstance(raw_accuracy, int | float)
            or not math.isfinite(raw_accuracy)
            or not 0 <= raw_accuracy <= MAX_ACCURACY_M
        ):
            problems["accuracy"] = (
                f"must be the reading's accuracy in metres, 0 to {MAX_ACCURACY_M:,.0f}"
            )
        else:
            accuracy = float(raw_accuracy)
    if problems:
        raise TrustInputError("the reading has invalid fields", problems)
    return ReadingInput(moment, latitude, longitude, accuracy, str(permission))
