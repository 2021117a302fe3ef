"""Where a location is and when it is open: what a check-in is measured against.

Set by ``audit location add --lat --lon --hours``, by ``audit location
coordinates FILE.csv`` and by HQ's location page (``PUT
/api/locations/{code}/place``); validated once, here, for all three.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audit.auth import Principal
from audit.errors import Invalid, NotFound
from audit.models import Location
from audit.store import visits as store
from audit.store.locations import location_by_code
from audit.trust import (
    WEEKDAYS,
    TrustInputError,
    check_coordinates,
    check_timezone,
    parse_hours,
)

PLACE_KEYS = ("latitude", "longitude", "hours", "timezone")


@dataclass(frozen=True)
class PlaceInput:
    latitude: float | None
    longitude: float | None
    hours: dict[str, Any] | None
    timezone: str | None

    def fields(self) -> dict[str, Any]:
        return {
            "latitude": self.latitude,
            "longitude": self.longitude,
            "opening_hours": self.hours,
            "timezone": self.timezone,
        }


def parse_place(latitude: object, longitude: object, hours: object, timezone: object) -> PlaceInput:
    """Coordinates (both or neither), hours and time zone (each may be None: unset).

    Raises :class:`TrustInputError` naming every bad field.
    """
    problems: dict[str, str] = {}
    lat = lon = None
    if latitude is None and longitude is None:
        pass
    elif latitude is None or longitude is None:
        problems["latitude" if latitude is None else "longitude"] = (
            "give both latitude and longitude, or neither"
        )
    else:
        try:
            lat, lon = check_coordinates(latitude, longitude)
        except TrustInputError as exc:
            problems.update(exc.fields)
    parsed_hours: dict[str, Any] | None = None
    if hours is not None:
        try:
            parsed_hours = {
                day: [list(pair) for pair in pairs] for day, pairs in parse_hours(hours).items()
            }
        except TrustInputError as exc:
            problems.update(exc.fields)
    zone: str | None = None
    if timezone is not None:
        try:
            zone = check_timezone(timezone)
        except TrustInputError as exc:
            problems.update(exc.fields)
    if problems:
        raise TrustInputError("the location's place has invalid fields", problems)
    return PlaceInput(lat, lon, parsed_hours, zone)


def hours_from_text(text: str) -> object:
    """Opening hours typed as JSON (CLI, CSV, HQ's form); TrustInputError if not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TrustInputError(
            "the opening hours are not JSON",
            {"hours": f'is not JSON ({exc.msg}); write it like {{"mon": [["09:00", "18:00"]]}}'},
        ) from None


def hours_text(hours: dict[str, Any] | None) -> str:
    """Opening hours as HQ's form shows them: JSON, Monday first (empty when not known)."""
    if not hours:
        return ""
    return json.dumps({day: hours[day] for day in WEEKDAYS if day in hours})


def place_of_location(location: Location) -> dict[str, Any]:
    return {
        "code": location.code,
        "name": location.name,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "hours": location.opening_hours,
        "timezone": location.timezone,
    }


async def place_json(who: Principal, code: str) -> dict[str, Any]:
    location = await location_by_code(code)
    if location is not None and not who.sees_location(location.brand_id):  # type: ignore[attr-defined]
        location = None
    if location is None:
        raise NotFound("no such location")
    return place_of_location(location)


async def set_place_from_json(who: Principal, code: str, body: object) -> dict[str, Any]:
    """HQ's PUT: the body replaces the location's whole place (null or left out: unset)."""
    location = await location_by_code(code)
    if location is not None and not who.sees_location(location.brand_id):  # type: ignore[attr-defined]
        location = None
    if location is None:
        raise NotFound("no such location")
    if not isinstance(body, Mapping):
        raise Invalid("the body must be a JSON object", {"body": "must be a JSON object"})
    unknown = {str(k): "unknown field" for k in body if k not in PLACE_KEYS}
    try:
        place = parse_place(
            body.get("latitude"), body.get("longitude"), body.get("hours"), body.get("timezone")
        )
    except TrustInputError as exc:
        raise Invalid(str(exc), {**unknown, **exc.fields}) from None
    if unknown:
        raise Invalid("the location's place has unknown fields", unknown)
    await store.set_place(
        location,
        latitude=place.latitude,
        longitude=place.longitude,
        hours=place.hours,
        timezone=place.timezone,
    )
    return place_of_location(location)


class PlaceFileError(Exception):
    """Problems of a coordinates CSV, each ``FILE:LINE: message``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] if problems else "")
        self.problems = problems


def parse_coordinates_csv(
    text: str, name: str, known_codes: set[str]
) -> list[tuple[str, dict[str, Any]]]:
    """``code,latitude,longitude[,hours]`` rows (an optional header first) as changes.

    Every row is checked before anything is applied; any problem raises
    :class:`PlaceFileError` with one ``FILE:LINE: message`` per problem.
    """
    problems: list[str] = []
    changes: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if line == 1 and cells[0].lower() == "code":
            continue  # the header
        if len(cells) not in (3, 4):
            problems.append(
                f"{name}:{line}: expected code,latitude,longitude[,hours], got {len(cells)} columns"
            )
            continue
        code = cells[0]
        if code not in known_codes:
            problems.append(f"{name}:{line}: no location {code!r} (add it with audit location add)")
            continue
        if code in seen:
            problems.append(f"{name}:{line}: {code} is already on line {seen[code]}")
            continue
        seen[code] = line
        try:
            lat, lon = float(cells[1]), float(cells[2])
        except ValueError:
            problems.append(f"{name}:{line}: latitude and longitude must be numbers of degrees")
            continue
        try:
            hours = hours_from_text(cells[3]) if len(cells) == 4 and cells[3] else None
            place = parse_place(lat, lon, hours, None)
        except TrustInputError as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
            problems.append(f"{name}:{line}: {detail}")
            continue
        values: dict[str, Any] = {"latitude": place.latitude, "longitude": place.longitude}
        if len(cells) == 4 and cells[3]:
            values["opening_hours"] = place.hours
        changes.append((code, values))
    if problems:
        raise PlaceFileError(problems)
    return changes
