"""Scoring: checklist + answers → scorecard.  Pure; see docs/scoring.md.

The seven rules of CONTRACT.md, in code order:

1. scored items earn points p in [0, 1] (:func:`item_points`);
2. N/A, hidden and unanswered items count nowhere;
3. section score = 100 * Σ(w·p) / Σw over its counted items, null when none;
4. overall = section-weighted mean of the non-null section scores;
5. a critical item with p = 0 caps the overall at ``critical_fail_score``;
6. service / experience scores are rule 3 over all counted items of that kind;
7. required visible items without an answer are ``missing``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.answers import Answer, visible_items
from audit.checklist import Checklist, Item


def item_points(item: Item, value: Any) -> float | None:
    """Rule 1: the points of one answered, scored item; None for unscored types."""
    if item.type == "yes_no":
        return 1.0 if value is True else 0.0
    if item.type == "scale":
        assert item.min is not None and item.max is not None
        return float((value - item.min) / (item.max - item.min))
    if item.type == "choice":
        option = item.option(value)
        return None if option is None else float(option.points)
    if item.type == "number":
        if not item.bands:
            return None
        for band in item.bands:
            if band.max is None or value <= band.max:
                return float(band.points)
        return 0.0  # beyond every band and no catch-all: the worst outcome
    return None


@dataclass(frozen=True)
class ItemResult:
    item: Item
    section_id: str
    visible: bool
    answer: Answer | None
    points: float | None  # None: not counted (unscored, N/A, hidden or unanswered)

    @property
    def counted(self) -> bool:
        return self.points is not None


@dataclass(frozen=True)
class SectionResult:
    id: str
    touchpoint: str
    weight: float
    earned: float
    possible: float

    @property
    def score(self) -> float | None:
        return None if self.possible == 0 else _pct(self.earned, self.possible)


@dataclass(frozen=True)
class Scorecard:
    overall: float | None
    service: float | None
    experience: float | None
    sections: tuple[SectionResult, ...]
    touchpoints: dict[str, float | None]
    critical_failures: tuple[str, ...]
    nps: int | None
    missing: tuple[str, ...]
    items: tuple[ItemResult, ...] = field(default=(), compare=False)

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        """The Scorecard JSON of CONTRACT.md (plus ``touchpoints``)."""
        return {
            "overall": self.overall,
            "service": self.service,
            "experience": self.experience,
            "sections": {
                s.id: {"score": s.score, "earned": s.earned, "possible": s.possible}
                for s in self.sections
            },
            "touchpoints": dict(self.touchpoints),
            "critical_failures": list(self.critical_failures),
            "nps": self.nps,
            "missing": list(self.missing),
        }


CARD_KEYS = (
    "overall",
    "service",
    "experience",
    "sections",
    "touchpoints",
    "critical_failures",
    "nps",
    "missing",
)
SECTION_KEYS = ("score", "earned", "possible")


def scorecard_in_order(card: Mapping[str, Any], checklist: Checklist) -> dict[str, Any]:
    """A stored Scorecard JSON in :meth:`Scorecard.to_dict`'s order.

    PostgreSQL's jsonb keeps keys in its own order; answers to a replayed
    request must not depend on whether the card came from memory or the row.
    """
    out = {key: card[key] for key in CARD_KEYS if key in card}
    out.update((key, value) for key, value in card.items() if key not in out)
    sections = card.get("sections")
    if isinstance(sections, Mapping):
        ids = [s.id for s in checklist.sections if s.id in sections]
        ids += [key for key in sections if key not in ids]
        out["sections"] = {
            key: {k: sections[key][k] for k in SECTION_KEYS if k in sections[key]}
            | dict(sections[key])
            for key in ids
        }
    touchpoints = card.get("touchpoints")
    if isinstance(touchpoints, Mapping):
        order = [tp for tp in checklist.touchpoints() if tp in touchpoints]
        order += [tp for tp in touchpoints if tp not in order]
        out["touchpoints"] = {tp: touchpoints[tp] for tp in order}
    return out


def _pct(earned: float, possible: float) -> float:
    # Σ(w·p) ≤ Σw holds exactly in reals; clamp the last-bit float noise.
    return min(100.0, max(0.0, 100.0 * earned / possible))


def weighted_mean(pairs: Iterable[tuple[float, float | None]]) -> float | None:
    """Rule 4's mean: Σ(weight * score) / Σ(weight) over the non-null scores; None when none."""
    total = weights = 0.0
    for weight, score in pairs:
        if score is not None:
            total += weight * score
            weights += weight
    if weights == 0:
        return None
    return min(100.0, max(0.0, total / weights))


def score_answers(
    checklist: Checklist,
    answers: Mapping[str, Answer],
    photo_counts: Mapping[str, int] | None = None,
) -> Scorecard:
    """Apply the seven scoring rules.

    ``photo_counts`` (item id → stored photos) lets the service count uploaded
    photos towards photo items and required evidence; without it (the command
    line) only the answers' own ``photos`` lists are looked at.
    """
    shown = {item.id for item in visible_items(checklist, answers)}
    results: list[ItemResult] = []
    sections: list[SectionResult] = []
    kind_totals: dict[str, list[float]] = {"service": [0.0, 0.0], "experience": [0.0, 0.0]}
    critical: list[str] = []
    missing: list[str] = []
    nps: int | None = None
    for section in checklist.sections:
        earned = possible = 0.0
        for item in section.items:
            visible = item.id in shown
            answer = answers.get(item.id)
            points: float | None = None
            if visible and answer is not None and not answer.na and answer.value is not None:
                points = item_points(item, answer.value)
                if item.type == "nps" and nps is None:
                    nps = int(answer.value)
            if points is not None:
                earned += item.weight * points
                possible += item.weight
                kind_totals[item.kind][0] += item.weight * points
                kind_totals[item.kind][1] += item.weight
                if item.critical and points == 0:
                    critical.append(item.id)
            if visible and _is_missing(item, answer, photo_counts):
                missing.append(item.id)
            results.append(ItemResult(item, section.id, visible, answer, points))
        sections.append(
            SectionResult(section.id, section.touchpoint, section.weight, earned, possible)
        )
    overall = weighted_mean((s.weight, s.score) for s in sections)
    if critical and overall is not None:
        overall = min(overall, float(checklist.critical_fail_score))
    touchpoints = {
        tp: weighted_mean((s.weight, s.score) for s in sections if s.touchpoint == tp)
        for tp in checklist.touchpoints()
    }
    service_earned, service_possible = kind_totals["service"]
    exp_earned, exp_possible = kind_totals["experience"]
    return Scorecard(
        overall=overall,
        service=_pct(service_earned, service_possible) if service_possible else None,
        experience=_pct(exp_earned, exp_possible) if exp_possible else None,
        sections=tuple(sections),
        touchpoints=touchpoints,
        critical_failures=tuple(critical),
        nps=nps,
        missing=tuple(missing),
        items=tuple(results),
    )


def _is_missing(item: Item, answer: Answer | None, photo_counts: Mapping[str, int] | None) -> bool:
    if answer is not None and answer.na:
        return False
    photos = len(answer.photos) if answer is not None else 0
    if photo_counts is not None:
        photos = max(photos, photo_counts.get(item.id, 0))
    if item.type == "photo":
        return item.required and photos == 0
    answered = answer is not None and answer.value is not None
    if item.required and not answered:
        return True
    # Evidence is demanded only where the service knows the uploaded photos.
    return photo_counts is not None and answered and item.photo == "required" and photos == 0
