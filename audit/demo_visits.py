"""The demo's proof of visit: where each location is, and each visit's check-in and
check-out, mostly honest, a few suspicious (too far, a mock location, a visit of
four minutes, before opening, a refusal, no check-in at all).

The trust score is the one computation of :func:`audit.trust.assess`, from the
readings made here; the demo's photos share a few drawings, so their bytes
repeat across audits by construction and are not counted as reused.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from audit.trust import Place, Reading, Rules, Trust, assess

# The demo's cities, spread over England (the names are invented, the places real).
CITY_CENTRES = (
    (51.507351, -0.127758),
    (52.486243, -1.890401),
    (53.480759, -2.242631),
    (53.800755, -1.549077),
    (51.454514, -2.587910),
    (52.954783, -1.158109),
    (53.408371, -2.991573),
    (50.375456, -4.142656),
    (51.752021, -1.257726),
    (52.205337, 0.121817),
)
DEMO_TIMEZONE = "Europe/London"
DEMO_HOURS: dict[str, Any] = {
    **{day: [["07:00", "21:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")},
    "sun": [["08:00", "20:00"]],
}
# A share of the visits with something to doubt; the first submitted ones
# (HQ's review queue) always include some.
SUSPICIOUS_SHARE = 0.07
PATTERNS = ("far", "mock", "short", "early", "refused", "none")
# The visits waiting in HQ's review queue, latest last: two honest, two not.
QUEUE_PATTERNS = ("honest", "far", "honest", "mock")


def demo_place(n: int, rng: random.Random) -> tuple[float, float]:
    """A location's pin: within about 8 km of its city's centre, six decimals."""
    lat, lon = CITY_CENTRES[n % len(CITY_CENTRES)]
    return round(lat + rng.uniform(-0.07, 0.07), 6), round(lon + rng.uniform(-0.11, 0.11), 6)


@dataclass(frozen=True)
class DemoVisit:
    check_in: Reading | None
    check_out: Reading | None
    trust: Trust


def _near(lat: float, lon: float, rng: random.Random, metres: float) -> tuple[float, float]:
    # About 111 km a degree of latitude; a degree of longitude is shorter up north.
    return (
        round(lat + rng.uniform(-metres, metres) / 111_000, 7),
        round(lon + rng.uniform(-metres, metres) / 70_000, 7),
    )


def _away(lat: float, lon: float, rng: random.Random, metres: float) -> tuple[float, float]:
    """A point ``metres`` from (lat, lon) in a random direction."""
    bearing = rng.uniform(0, 2 * math.pi)
    north, east = metres * math.cos(bearing), metres * math.sin(bearing)
    return (
        round(lat + north / 111_195, 7),
        round(lon + east / (111_195 * math.cos(math.radians(lat))), 7),
    )


def demo_visit(
    place: Place,
    visited: datetime,
    rules: Rules,
    rng: random.Random,
    pattern: str | None = None,
) -> DemoVisit:
    """The checks of one visit that ended at ``visited``.

    ``pattern``: one of PATTERNS (what is wrong), ``"honest"``, or None for a
    random draw (SUSPICIOUS_SHARE of visits get a pattern).
    """
    if pattern is None and rng.random() < SUSPICIOUS_SHARE:
        pattern = rng.choice(PATTERNS)
    minutes = rng.randrange(25, 61) if pattern != "short" else rng.randrange(3, 6)
    arrived = visited - timedelta(minutes=minutes)
    if pattern == "early":
        arrived = arrived.replace(hour=5, minute=rng.randrange(10, 50))
        visited = arrived + timedelta(minutes=rng.randrange(25, 45))
    # Most phones send at once; some were offline and send an hour or two later.
    delay = timedelta(seconds=rng.randrange(1, 20))
    if rng.random() < 0.15:
        delay = timedelta(minutes=rng.randrange(40, 150))
    check_in: Reading | None = None
    check_out: Reading | None = None
    if pattern != "none" and place.latitude is not None and place.longitude is not None:
        lat, lon = place.latitude, place.longitude
        if pattern == "refused":
            check_in = Reading(arrived, arrived + delay, permission="denied")
            check_out = Reading(visited, visited + delay, permission="denied")
        else:
            if pattern == "far":
                at = _away(lat, lon, rng, rng.uniform(2_000, 12_000))
                accuracy = round(rng.uniform(5, 25), 1)
            elif pattern == "mock":
                at = (round(lat, 4), round(lon, 4))
                accuracy = 0.0
            else:
                at = _near(lat, lon, rng, 60)
                accuracy = round(rng.uniform(4, 35), 1)
            check_in = Reading(arrived, arrived + delay, at[0], at[1], accuracy)
            out = at if pattern in ("far", "mock") else _near(lat, lon, rng, 60)
            check_out = Reading(
                visited, visited + delay, out[0], out[1], round(rng.uniform(4, 35), 1)
            )
    trust = assess(place, check_in, check_out, [], rules)
    return DemoVisit(check_in, check_out, trust)


def check_rows(audit_id: int, visit: DemoVisit) -> list[tuple[Any, ...]]:
    """``visit_check`` rows: (audit_id, kind, permission, latitude, longitude, accuracy,
    device_time, received_at)."""
    rows = []
    for kind, r in (("check_in", visit.check_in), ("check_out", visit.check_out)):
        if r is not None:
            row = (audit_id, kind, r.permission, r.latitude, r.longitude, r.accuracy)
            rows.append((*row, r.time, r.received_at))
    return rows
