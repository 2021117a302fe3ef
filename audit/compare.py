"""HQ comparisons: pure maths over per-group tallies.

The database never hands answers to Python: per location (or month) it
returns sums and counts of the stored per-audit scores.  Sums and counts add
up, so a region's or the whole chain's figures are exact roll-ups of its
locations' tallies, and every audit still counts once::

    SQL  ──>  Tally per location  ──┬──>  LeagueRow (means, NPS, change, rank)
                                    └──>  Tally per region / chain  (a + b)

A mean leaves nulls out (an audit without a service score does not drag the
service mean down).  NPS follows CONTRACT.md: 100 x (share of 9-10 - share of
0-6) of the audits that have an NPS answer, null when none do.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

# The NPS categories are presentation's one table; re-exported for the SQL
# that counts promoters and detractors (audit.store).
from audit.presentation import DETRACTOR_MAX as DETRACTOR_MAX
from audit.presentation import PROMOTER_MIN as PROMOTER_MIN
from audit.scoring import weighted_mean

# An item "fails" when it earned less than half its points: a "no", a refused
# restroom, a 2 on a 1-5 scale.  "Only after asking twice" (0.5) is not a fail.
FAIL_BELOW = 0.5


@dataclass(frozen=True, slots=True)
class Mean:
    """A running mean: sum and count of the non-null values."""

    total: float = 0.0
    count: int = 0

    def __add__(self, other: Mean) -> Mean:
        return Mean(self.total + other.total, self.count + other.count)

    @property
    def value(self) -> float | None:
        return self.total / self.count if self.count else None

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Mean:
        present = [v for v in values if v is not None]
        return cls(float(sum(present)), len(present))


@dataclass(frozen=True, slots=True)
class Nps:
    """Promoters, detractors and all answers of the shopper-NPS question."""

    promoters: int = 0
    detractors: int = 0
    answers: int = 0

    def __add__(self, other: Nps) -> Nps:
        return Nps(
            self.promoters + other.promoters,
            self.detractors + other.detractors,
            self.answers + other.answers,
        )

    @property
    def value(self) -> float | None:
        if not self.answers:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.answers

    @classmethod
    def of(cls, answers: Iterable[int | None]) -> Nps:
        given = [a for a in answers if a is not None]
        return cls(
            promoters=sum(1 for a in given if a >= PROMOTER_MIN),
            detractors=sum(1 for a in given if a <= DETRACTOR_MAX),
            answers=len(given),
        )


@dataclass(frozen=True, slots=True)
class Tally:
    """Everything a comparison needs about a group of audits, in addable form."""

    audits: int = 0
    overall: Mean = Mean()
    service: Mean = Mean()
    experience: Mean = Mean()
    nps: Nps = Nps()
    touchpoints: Mapping[str, Mean] = field(default_factory=dict)
    # The audits' consistency scores: only read for checklists with rules.
    consistency: Mean = Mean()

    def __add__(self, other: Tally) -> Tally:
        touchpoints = dict(self.touchpoints)
        for tp, mean in other.touchpoints.items():
            touchpoints[tp] = touchpoints.get(tp, Mean()) + mean
        return Tally(
            self.audits + other.audits,
            self.overall + other.overall,
            self.service + other.service,
            self.experience + other.experience,
            self.nps + other.nps,
            touchpoints,
            self.consistency + other.consistency,
        )

    def touchpoint_means(self, order: Sequence[str]) -> dict[str, float | None]:
        """Touchpoint -> mean in journey ``order`` (touchpoints without data are null)."""
        means: dict[str, float | None] = dict.fromkeys(order)
        for tp, mean in self.touchpoints.items():
            means[tp] = mean.total / mean.count if mean.count else None
        return means


def touchpoint_scores(
    sections: Iterable[tuple[str, float, float | None]],
) -> dict[str, float | None]:
    """One audit's touchpoint scores from its (touchpoint, weight, score) section rows.

    Two sections on one touchpoint give their section-weighted mean, as the
    scorecard's ``touchpoints`` does; a touchpoint whose sections all have no
    score is null.
    """
    pairs: dict[str, list[tuple[float, float | None]]] = {}
    for touchpoint, weight, score in sections:
        pairs.setdefault(touchpoint, []).append((weight, score))
    return {tp: weighted_mean(found) for tp, found in pairs.items()}


def total(tallies: Iterable[Tally]) -> Tally:
    """The sum of many tallies (one pass, no intermediate Tally per addition)."""
    audits = promoters = detractors = answers = 0
    sums = [0.0, 0.0, 0.0, 0.0]
    counts = [0, 0, 0, 0]
    touchpoints: dict[str, list[float]] = {}
    for t in tallies:
        audits += t.audits
        for n, mean in enumerate((t.overall, t.service, t.experience, t.consistency)):
            sums[n] += mean.total
            counts[n] += mean.count
        promoters += t.nps.promoters
        detractors += t.nps.detractors
        answers += t.nps.answers
        for tp, mean in t.touchpoints.items():
            acc = touchpoints.setdefault(tp, [0.0, 0.0])
            acc[0] += mean.total
            acc[1] += mean.count
    return Tally(
        audits,
        Mean(sums[0], counts[0]),
        Mean(sums[1], counts[1]),
        Mean(sums[2], counts[2]),
        Nps(promoters, detractors, answers),
        {tp: Mean(s, int(c)) for tp, (s, c) in touchpoints.items()},
        Mean(sums[3], counts[3]),
    )


@dataclass(frozen=True, slots=True)
class Place:
    """Who a row is about: a location, a region or the chain."""

    key: str
    name: str
    region: str | None = None


@dataclass(slots=True)
class Row:
    """One line of a league table or heat map (mutable only to take its rank)."""

    place: Place
    audits: int
    overall: float | None
    service: float | None
    experience: float | None
    nps: float | None
    touchpoints: dict[str, float | None]
    previous_overall: float | None = None
    rank: int | None = None
    # How many audits each mean rests on (nulls are left out of a mean).
    counts: dict[str, int] = field(default_factory=dict)
    # False: fewer audits than the league's minimum sample, so listed, not ranked.
    ranked: bool = True
    critical_failures: int = 0  # audits with a failed critical item
    # Mean consistency score (checklists with consistency rules only; else None).
    consistency: float | None = None

    @property
    def change(self) -> float | None:
        return change(self.overall, self.previous_overall)

    @property
    def weakest(self) -> str | None:
        return weakest_touchpoint(self.touchpoints)

    def to_json(self) -> dict[str, object]:
        """The row of ``GET /api/compare`` (CONTRACT keys first, then extensions)."""
        return {
            "code": self.place.key,
            "name": self.place.name,
            "region": self.place.region,
            "audits": self.audits,
            "overall": self.overall,
            "service": self.service,
            "experience": self.experience,
            "nps": self.nps,
            "touchpoints": self.touchpoints,
            "rank": self.rank,
            "previous_overall": self.previous_overall,
            "change": self.change,
            "ranked": self.ranked,
            "critical_failures": self.critical_failures,
            "n": dict(self.counts),
        }


def row(
    place: Place, tally: Tally, touchpoints: Sequence[str], previous: Mean | None = None
) -> Row:
    return Row(
        place=place,
        audits=tally.audits,
        overall=tally.overall.value,
        service=tally.service.value,
        experience=tally.experience.value,
        nps=tally.nps.value,
        touchpoints=tally.touchpoint_means(touchpoints),
        previous_overall=previous.value if previous is not None else None,
        counts={
            "overall": tally.overall.count,
            "service": tally.service.count,
            "experience": tally.experience.count,
            "nps": tally.nps.answers,
        },
        consistency=tally.consistency.value,
    )


def change(current: float | None, previous: float | None) -> float | None:
    """Points gained since the previous period; null when either side has no score."""
    if current is None or previous is None:
        return None
    return current - previous


def _league_order(r: Row) -> tuple[bool, float, str]:
    """Overall descending, unscored last, then by key."""
    return (r.overall is None, -(r.overall or 0.0), r.place.key)


def ranked(rows: Iterable[Row], min_visits: int = 1) -> list[Row]:
    """League order: overall descending with unscored rows last, then by key; ranks 1..

    A row with fewer than ``min_visits`` audits takes no rank (``ranked`` is
    False): it follows the ranked rows, in the same order among its kind.
    """
    ordered = sorted(rows, key=lambda r: (r.audits < min_visits, *_league_order(r)))
    n = 0
    for r in ordered:
        r.ranked = r.audits >= min_visits
        if r.ranked:
            n += 1
        r.rank = n if r.ranked else None
    return ordered


SORT_KEYS: tuple[str, ...] = ("rank", "code", "name", "region", "audits", "overall")
SORT_KEYS += ("service", "experience", "nps", "change", "critical_failures")
TEXT_KEYS = frozenset({"code", "name", "region"})


def sort_value(r: Row, key: str) -> object:
    if key == "rank":
        return r.rank
    if key in TEXT_KEYS:
        value = {"code": r.place.key, "name": r.place.name, "region": r.place.region}[key]
        return value.casefold() if value is not None else None
    if key.startswith("touchpoint:"):
        return r.touchpoints.get(key.removeprefix("touchpoint:"))
    found: object = getattr(r, key)
    return found


# Sorted by a figure, rows without enough visits follow the ranked ones: a
# single visit's 100 must not top a column of locations visited ten times.
FIGURE_KEYS = frozenset({"overall", "service", "experience", "nps", "change", "consistency"})


def sort_rows(rows: Iterable[Row], key: str, descending: bool) -> list[Row]:
    """Rows sorted by one column; rows without a value go last in both directions.

    By rank or by a figure, rows that are not ranked come after those that
    are (by rank: in league order, best first).
    """
    rows = list(rows)
    if key == "rank" or key in FIGURE_KEYS or key.startswith("touchpoint:"):
        listed = [r for r in rows if r.ranked]
        others = [r for r in rows if not r.ranked]
        if others:
            if key == "rank":
                rest = sorted(others, key=_league_order)
            else:
                rest = _sorted_by(others, key, descending)
            return _sorted_by(listed, key, descending) + rest
    return _sorted_by(rows, key, descending)


def _sorted_by(rows: Iterable[Row], key: str, descending: bool) -> list[Row]:
    present: list[tuple[object, Row]] = []
    missing: list[Row] = []
    for r in rows:
        value = sort_value(r, key)
        if value is None:
            missing.append(r)
        else:
            present.append((value, r))
    present.sort(key=lambda pair: (pair[0], pair[1].place.key), reverse=descending)
    return [r for _, r in present] + sorted(missing, key=lambda r: r.place.key)


def weakest_touchpoint(touchpoints: Mapping[str, float | None]) -> str | None:
    """The touchpoint with the lowest mean (the first in journey order on a tie)."""
    scored = [
        (score, n, tp) for n, (tp, score) in enumerate(touchpoints.items()) if score is not None
    ]
    return min(scored)[2] if scored else None


# ---- Periods


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` away from ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period just before [start, end] and as long as it.

    Monthly waves stay waves: March 1-31 is compared with February 1-28, and
    a quarter of whole months with the quarter before.  Any other range is
    compared with the same number of days immediately before it.
    """
    if start.day == 1 and end == month_end(end) and end >= start:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        first = add_months(start, -months)
        return first, start - timedelta(days=1)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def whole_months(start: date | None, end: date | None) -> tuple[date | None, date | None] | None:
    """The first days of the first and last months wholly inside [start, end].

    A missing bound is no bound (every month on that side counts, and stays
    None); None when no whole month fits.
    """
    first = start if start is None or start.day == 1 else add_months(start, 1)
    last = end
    if end is not None:
        last = end.replace(day=1) if end == month_end(end) else add_months(end, -1)
    if first is not None and last is not None and first > last:
        return None
    return first, last


def edge_days(start: date | None, end: date | None) -> list[tuple[date | None, date | None]]:
    """The stretches of [start, end] outside its whole months (all of it when none fits)."""
    months = whole_months(start, end)
    if months is None:
        return [(start, end)]
    first, last = months
    out: list[tuple[date | None, date | None]] = []
    if start is not None and first is not None and start < first:
        out.append((start, first - timedelta(days=1)))
    if end is not None and last is not None and end > month_end(last):
        out.append((month_end(last) + timedelta(days=1), end))
    return out


def months_between(start: date, end: date) -> list[str]:
    """Every month "YYYY-MM" from start's to end's, inclusive (gaps in data stay visible)."""
    out: list[str] = []
    current = start.replace(day=1)
    while current <= end:
        out.append(f"{current.year:04d}-{current.month:02d}")
        current = add_months(current, 1)
    return out


# ---- Weakest items


@dataclass(frozen=True)
class ItemTally:
    """How one scored item fared: counted answers, fails and points."""

    answered: int = 0
    failed: int = 0
    points: float = 0.0

    def __add__(self, other: ItemTally) -> ItemTally:
        return ItemTally(
            self.answered + other.answered, self.failed + other.failed, self.points + other.points
        )

    @property
    def fail_rate(self) -> float | None:
        return self.failed / self.answered if self.answered else None

    @property
    def mean_points(self) -> float | None:
        return self.points / self.answered if self.answered else None


def weakest_order(tallies: Mapping[str, ItemTally]) -> list[str]:
    """Item ids, the most often failed first (then the lowest mean points, then id)."""
    return sorted(
        (item for item, t in tallies.items() if t.answered),
        key=lambda item: (
            -(tallies[item].fail_rate or 0.0),
            tallies[item].mean_points or 0.0,
            item,
        ),
    )
