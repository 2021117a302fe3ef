"""Planning a wave: which visits each location gets, when, and in which slot.

Pure: dates and words in, plain dataclasses out (audit.workflow.waves stores
them).  A wave's window is cut into one part per visit, so a location's
second visit comes after its first; the coverage rules' slots (day type x
daypart) are dealt round the chain, so each location's visits fall in
different slots and the chain as a whole covers every slot about equally::

    window 1-28 June, 2 visits, weekday/weekend x lunch/evening
    location 1: 1-14 June weekday lunch,   15-28 June weekday evening
    location 2: 1-14 June weekend lunch,   15-28 June weekend evening
    location 3: 1-14 June weekday lunch,   ...
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

DAY_TYPES = ("weekday", "weekend")
DAYPARTS = ("morning", "lunch", "afternoon", "evening")
# A programme visits each location a few times a wave; more is a typo.
MAX_VISITS = 12
# A year: waves are monthly or quarterly, and a window past that is a typo.
MAX_WINDOW_DAYS = 366
# A claimed visit may be given back until this many days before it is due.
DEFAULT_RELEASE_DAYS = 2


@dataclass(frozen=True)
class Coverage:
    """The slots a wave spreads its visits over (an empty list: any)."""

    days: tuple[str, ...] = ()
    dayparts: tuple[str, ...] = ()

    def slots(self) -> list[str]:
        days = self.days or ("",)
        parts = self.dayparts or ("",)
        return [f"{d} {p}".strip() for d in days for p in parts]

    def as_json(self) -> dict[str, object]:
        return {"days": list(self.days), "dayparts": list(self.dayparts)}

    def describe(self) -> str:
        if not self.days and not self.dayparts:
            return "any day, any time"
        days = " and ".join(self.days) + "s" if self.days else "any day"
        parts = ", ".join(self.dayparts) if self.dayparts else "any time"
        return f"{days}; {parts}"


@dataclass(frozen=True)
class PlannedVisit:
    location_index: int
    opens_on: date
    due: date
    slot: str
    release_by: date


@dataclass
class Problems:
    """Field name → message, as the 422 body names them."""

    fields: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)


def coverage_from_words(words: Sequence[str], problems: Problems, name: str) -> Coverage:
    """``["weekend", "lunch", "evening"]`` → Coverage; an unknown word is a problem of ``name``."""
    days: list[str] = []
    parts: list[str] = []
    for raw in words:
        word = raw.strip().lower()
        if not word:
            continue
        if word in DAY_TYPES:
            target = days
        elif word in DAYPARTS:
            target = parts
        else:
            known = ", ".join((*DAY_TYPES, *DAYPARTS))
            problems.add(name, f"unknown slot {raw.strip()!r}: use {known}")
            continue
        if word not in target:
            target.append(word)
    # Journey order, whatever order they were written in.
    return Coverage(
        tuple(d for d in DAY_TYPES if d in days), tuple(p for p in DAYPARTS if p in parts)
    )


def coverage_from_json(value: object, problems: Problems) -> Coverage:
    """``{"days": [...], "dayparts": [...]}`` (either may be left out) → Coverage."""
    if value is None:
        return Coverage()
    if not isinstance(value, dict):
        problems.add("coverage", 'must be an object {"days": [...], "dayparts": [...]}')
        return Coverage()
    words: list[str] = []
    for key, allowed in (("days", DAY_TYPES), ("dayparts", DAYPARTS)):
        listed = value.get(key, [])
        if not isinstance(listed, list) or not all(isinstance(w, str) for w in listed):
            problems.add(f"coverage.{key}", f"must be a list of {', '.join(allowed)}")
            continue
        for word in listed:
            if word.strip().lower() not in allowed:
                problems.add(
                    f"coverage.{key}", f"unknown {key[:-1]} {word!r}: use {', '.join(allowed)}"
                )
        words.extend(listed)
    for key in value:
        if key not in ("days", "dayparts"):
            problems.add(f"coverage.{key}", "unknown field")
    return coverage_from_words(words, Problems(), "coverage")


def _is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def check_window(
    starts_on: date, ends_on: date, visits: int, coverage: Coverage, problems: Problems
) -> None:
    """Every visit's part of the window must exist and hold a day of each day type asked for."""
    if ends_on < starts_on:
        problems.add("to", "must not be before from")
        return
    days = (ends_on - starts_on).days + 1
    if days > MAX_WINDOW_DAYS:
        problems.add("to", f"a wave's window is at most {MAX_WINDOW_DAYS} days")
        return
    if not 1 <= visits <= MAX_VISITS:
        problems.add("visits", f"must be a whole number from 1 to {MAX_VISITS}")
        return
    if visits > days:
        problems.add("visits", f"{visits} visits do not fit in a window of {days} days")
        return
    for k, (opens, due) in enumerate(windows(starts_on, ends_on, visits), start=1):
        span = [opens + timedelta(days=n) for n in range((due - opens).days + 1)]
        for day_type in coverage.days:
            wanted = day_type == "weekend"
            if not any(_is_weekend(d) == wanted for d in span):
                problems.add(
                    "coverage",
                    f"visit {k}'s part of the window ({opens.isoformat()} to {due.isoformat()}) "
                    f"has no {day_type} day: widen the window or plan fewer visits",
                )
                return


def windows(starts_on: date, ends_on: date, visits: int) -> list[tuple[date, date]]:
    """The window cut into ``visits`` consecutive parts of (nearly) equal length."""
    days = (ends_on - starts_on).days + 1
    cuts = [k * days // visits for k in range(visits + 1)]
    return [
        (starts_on + timedelta(days=cuts[k]), starts_on + timedelta(days=cuts[k + 1] - 1))
        for k in range(visits)
    ]


def plan_visits(
    locations: int,
    starts_on: date,
    ends_on: date,
    visits: int,
    coverage: Coverage,
    release_days: int = DEFAULT_RELEASE_DAYS,
) -> list[PlannedVisit]:
    """One PlannedVisit per location and visit, in location order (window checked first)."""
    slots = coverage.slots()
    parts = windows(starts_on, ends_on, visits)
    out: list[PlannedVisit] = []
    for index in range(locations):
        for k, (opens, due) in enumerate(parts):
            out.append(
                PlannedVisit(
                    location_index=index,
                    opens_on=opens,
                    due=due,
                    slot=slots[(index * visits + k) % len(slots)],
                    release_by=max(opens, due - timedelta(days=release_days)),
                )
            )
    return out


def release_by(due: date | None, release_days: int = DEFAULT_RELEASE_DAYS) -> date | None:
    """The last day a claimed visit due on ``due`` may be given back (None: no due date)."""
    return None if due is None else due - timedelta(days=release_days)


# An uploaded list of codes: a spreadsheet's export, so a few MB at most.
MAX_CODES = 20_000


def read_location_codes(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """A CSV of location codes → ([(line, code)], [(line, problem)]).

    The codes are the column headed ``code`` (any case), or the first column
    when no header names one; blank lines are skipped; a code listed twice
    is a problem of its second line.
    """
    reader = csv.reader(io.StringIO(text))
    column = 0
    codes: list[tuple[int, str]] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for cells in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if not seen and not codes and not problems:
            header = [cell.strip().lower() for cell in cells]
            if "code" in header:
                column = header.index("code")
                continue
        code = cells[column].strip() if column < len(cells) else ""
        if not code:
            problems.append((number, "no location code in this row"))
        elif code in seen:
            problems.append((number, f"{code!r} is already on line {seen[code]}"))
        else:
            seen[code] = number
            codes.append((number, code))
        if len(codes) > MAX_CODES:
            problems.append((number, f"a wave lists at most {MAX_CODES:,} locations"))
            break
    return codes, problems
