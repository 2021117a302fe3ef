"""Scoring: checklist + answers → scorecard.  Pure; see docs/scoring.md.

The seven rules of CONTRACT.md, in code order:

1. scored items earn points p in [0, 1] (:func:`item_points`);
2. N/A, hidden and unanswered items count nowhere;
3. section score = 100 * Σ(w·p) / Σw over its counted items, null when none;
4. overall = section-weighted mean of the non-null section scores;
5. a critical item with p = 0 caps the overall at ``critical_fail_score``;
6. service / experience scores are rule 3 over all counted items of that kind;
7. required visible items without an answer are ``missing``.

A checklist with a ``consistency:`` block is scored the same way, and its
rules beside the sections (:func:`check_consistency`): each rule agrees,
disagrees or is not checked, and the weighted share of agreeing rules is the
consistency score.  It does not enter the overall; a *critical* rule that
disagrees caps the overall as a critical item does (docs/scoring.md).  A
checklist without rules gets no ``consistency`` key at all, so its
scorecard is the same as before rules existed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.answers import Answer, visible_items
from audit.checklist import Checklist, Item, Rule
from audit.facts import agree


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


AGREE = "agree"
DISAGREE = "disagree"
NOT_CHECKED = "not_checked"
RESULTS = (AGREE, DISAGREE, NOT_CHECKED)


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    result: str  # agree | disagree | not_checked
    values: dict[str, Any]  # fact -> the recorded value; None: N/A or unanswered

    @property
    def checked(self) -> bool:
        return self.result != NOT_CHECKED

    def to_dict(self) -> dict[str, Any]:
        return {"result": self.result, "values": dict(self.values)}


@dataclass(frozen=True)
class ConsistencyResult:
    rules: tuple[RuleResult, ...]

    @property
    def earned(self) -> float:
        return float(sum(r.rule.weight for r in self.rules if r.result == AGREE))

    @property
    def possible(self) -> float:
        return float(sum(r.rule.weight for r in self.rules if r.checked))

    @property
    def score(self) -> float | None:
        return None if self.possible == 0 else _pct(self.earned, self.possible)

    @property
    def critical_failures(self) -> tuple[str, ...]:
        return tuple(r.rule.id for r in self.rules if r.rule.critical and r.result == DISAGREE)

    @property
    def disagreements(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.rules if r.result == DISAGREE)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "earned": self.earned,
            "possible": self.possible,
            "rules": {r.rule.id: r.to_dict() for r in self.rules},
            "critical_failures": list(self.critical_failures),
        }


def check_consistency(
    checklist: Checklist, answers: Mapping[str, Answer]
) -> ConsistencyResult | None:
    """Every consistency rule's result; None for a checklist without rules.

    A rule is checked when at least two of its facts were recorded (answered,
    not N/A); the facts left unrecorded are listed as None and do not count.
    Fact items have no ``show_if``, so every fact is asked on every visit.
    """
    if not checklist.consistency:
        return None
    facts = checklist.fact_items()
    results = []
    for rule in checklist.consistency:
        values: dict[str, Any] = {}
        for fact in rule.facts:
            answer = answers.get(facts[fact].id)
            given = answer is not None and not answer.na and answer.value is not None
            values[fact] = answer.value if given and answer is not None else None
        recorded = [v for v in values.values() if v is not None]
        if len(recorded) < 2:
            result = NOT_CHECKED
        elif agree(rule.fact_type, recorded, rule.compare, rule.tolerance):
            result = AGREE
        else:
            result = DISAGREE
        results.append(RuleResult(rule, result, values))
    return ConsistencyResult(tuple(results))


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
    consistency: ConsistencyResult | None = None

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def consistency_score(self) -> float | None:
        """The consistency score, as the audit row keeps it (None without rules)."""
        return None if self.consistency is None else self.consistency.score

    @property
    def critical_failed(self) -> bool:
        """A critical item failed, or a critical consistency rule disagreed."""
        return bool(self.critical_failures) or bool(
            self.consistency is not None and self.consistency.critical_failures
        )

    def to_dict(self) -> dict[str, Any]:
        """The Scorecard JSON of CONTRACT.md (plus ``touchpoints``, and ``consistency``
        for a checklist with rules)."""
        out = {
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
        if self.consistency is not None:
            out["consistency"] = self.consistency.to_dict()
        return out


CARD_KEYS = (
    "overall",
    "service",
    "experience",
    "sections",
    "touchpoints",
    "critical_failures",
    "nps",
    "missing",
    "consistency",
)
SECTION_KEYS = ("score", "earned", "possible")
CONSISTENCY_KEYS = ("score", "earned", "possible", "rules", "critical_failures")


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
    consistency = card.get("consistency")
    if isinstance(consistency, Mapping):
        out["consistency"] = _consistency_in_order(consistency, checklist)
    return out


def _consistency_in_order(block: Mapping[str, Any], checklist: Checklist) -> dict[str, Any]:
    out = {key: block[key] for key in CONSISTENCY_KEYS if key in block}
    out.update((key, value) for key, value in block.items() if key not in out)
    rules = block.get("rules")
    if isinstance(rules, Mapping):
        known = {rule.id: rule for rule in checklist.consistency}
        ids = [r.id for r in checklist.consistency if r.id in rules]
        ids += [key for key in rules if key not in ids]
        ordered: dict[str, Any] = {}
        for key in ids:
            found = rules[key]
            rule = known.get(key)
            if isinstance(found, Mapping):
                found = {k: found[k] for k in ("result", "values") if k in found} | dict(found)
                values = found.get("values")
                if rule is not None and isinstance(values, Mapping):
                    facts = [f for f in rule.facts if f in values]
                    facts += [f for f in values if f not in facts]
                    found["values"] = {f: values[f] for f in facts}
            ordered[key] = found
        out["rules"] = ordered
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
    consistency = check_consistency(checklist, answers)
    rule_failed = consistency is not None and bool(consistency.critical_failures)
    if (critical or rule_failed) and overall is not None:
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
        consistency=consistency,
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
