"""Score bands and how scores are written in the report.

A band turns a score into a word an owner can act on. The colour only repeats
what the word says, so a greyscale print or a colour-blind reader loses
nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    key: str  # CSS class suffix
    label: str
    colour: str  # the band's colour, for SVG (the CSS has the same values)
    floor: float  # lowest score in the band


# 85 and 70 are the usual cut-offs of mystery-shopping programmes: 85+ is a
# visit most customers would praise, below 70 one they would complain about.
STRONG = Band("strong", "Strong", "#2f7a52", 85.0)
FAIR = Band("fair", "Fair", "#c98f1c", 70.0)
WEAK = Band("weak", "Weak", "#b23d3a", 0.0)
UNRATED = Band("none", "Not rated", "#9aa3ad", -math.inf)
BANDS = (STRONG, FAIR, WEAK)


def band_for(score: float | None) -> Band:
    if score is None:
        return UNRATED
    shown = round_half_up(score)  # the band must agree with the number printed
    for band in BANDS:
        if shown >= band.floor:
            return band
    return WEAK


def round_half_up(value: float, places: int = 0) -> float:
    # round() rounds halves to even (72.5 → 72); a reader expects 73.
    factor = 10**places
    return float(math.floor(value * factor + 0.5) / factor)


DASH = "\u2013"  # an en dash stands for "no score"


def score_text(score: float | None, empty: str = DASH) -> str:
    """A score as a whole number out of 100, or ``empty`` when there is none."""
    if score is None:
        return empty
    return f"{round_half_up(score):.0f}"


def number_text(value: float) -> str:
    """A measured number as written by a person: 4, 2.5, 1,200."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")
