"""Corrective actions: which items of a visit call for one, and what the next visit found.

Pure: item points in (as :mod:`audit.scoring` gives them, or as stored in the
``item_score`` rows it wrote), words out.  The one definition of both rules,
for the API, the HQ pages, the report and its JSON twin:

* **Failed or weak.** A counted item *calls for an action* when its points
  are 0 (``failed``) or print in the report's Weak band (``weak``): below
  70 % of the item's points, by the printed whole number, so an item the
  report shows as Weak is exactly one the owner can act on
  (:func:`audit.presentation.band_for`; 0.695 prints 70 and is Fair).
  Uncounted items (N/A, hidden by ``show_if``, unanswered, unscored types)
  call for nothing.
* **Fixed or still failing.** The next approved visit of the same checklist
  to the same location checks each item that called for an action:
  ``fixed`` when it is counted there and calls for nothing (now passing),
  ``still_failing`` when it is counted and still failed or weak,
  ``not_checked`` when that visit did not count it (N/A, skipped, or not in
  its checklist version).  A fix rate is ``fixed / verified``, where
  verified counts the fixed and the still failing (never the unchecked).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from audit.catalogue import N_
from audit.presentation import WEAK, band_for
from audit.scoring import Scorecard

FAILED = "failed"
WEAK_ITEM = "weak"
FIXED = "fixed"
STILL_FAILING = "still_failing"
NOT_CHECKED = "not_checked"
VERDICTS = (FIXED, STILL_FAILING, NOT_CHECKED)
VERDICT_LABELS: Mapping[str, str] = {
    FIXED: N_("Fixed"),
    STILL_FAILING: N_("Still failing"),
    NOT_CHECKED: N_("Not checked"),
}
SHORTFALL_LABELS: Mapping[str, str] = {FAILED: "Failed", WEAK_ITEM: "Weak"}


def shortfall(points: float | None) -> str | None:
    """``failed``, ``weak``, or None when the item calls for no action (or was not counted)."""
    if points is None:
        return None
    if points <= 0:
        return FAILED
    return WEAK_ITEM if band_for(100 * points) is WEAK else None


def counted_points(card: Scorecard) -> dict[str, float]:
    """Item id → points of every counted, shown item of a scorecard, in journey order."""
    return {r.item.id: r.points for r in card.items if r.visible and r.points is not None}


def verdict(before: float | None, after: float | None) -> str | None:
    """What a later visit found about an item: None when ``before`` called for no action."""
    if shortfall(before) is None:
        return None
    if after is None:
        return NOT_CHECKED
    return STILL_FAILING if shortfall(after) is not None else FIXED


@dataclass(frozen=True)
class Check:
    """One item the earlier visit found failed or weak, as the later visit found it."""

    item_id: str
    before: float
    after: float | None
    shortfall: str  # failed | weak, at the earlier visit
    verdict: str  # fixed | still_failing | not_checked


def checks(before: Mapping[str, float], after: Mapping[str, float]) -> list[Check]:
    """Every item ``before`` found failed or weak, in ``before``'s order, with its verdict."""
    out = []
    for item_id, points in before.items():
        found = verdict(points, after.get(item_id))
        short = shortfall(points)
        if found is not None and short is not None:
            out.append(Check(item_id, points, after.get(item_id), short, found))
    return out


@dataclass(frozen=True)
class FixRate:
    fixed: int = 0
    verified: int = 0

    @property
    def rate(self) -> float | None:
        """Fixed / verified, a share of 1; None when nothing was verified."""
        return self.fixed / self.verified if self.verified else None

    def add(self, found: str | None) -> FixRate:
        if found == FIXED:
            return FixRate(self.fixed + 1, self.verified + 1)
        if found == STILL_FAILING:
            return FixRate(self.fixed, self.verified + 1)
        return self


def fix_rate(verdicts: Iterable[str | None]) -> FixRate:
    rate = FixRate()
    for found in verdicts:
        rate = rate.add(found)
    return rate
