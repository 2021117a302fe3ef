"""How figures are shown: one rounding, one set of labels, one wording of answers.

Every output a person reads (the PDF, the HQ pages, the PWA scorecard) prints
a score through this module, so a 72.5 is "73" everywhere:

* **Rounding.** :func:`round_score` rounds to a whole number, halves away from
  zero (72.5 → 73, 72.49 → 72, -16.5 → -17; Python's ``round`` would give 72
  for 72.5).  The value is first cleaned to nine decimal places, so binary
  floating error cannot move a half: 100 * 2.9 / 4 is 72.49999999999999 in
  floating point and shows as 73, while a real 72.49999999 shows as 72.
  Percentages (:func:`format_percent`), NPS values and changes use the same
  rule; a change is the difference of the two shown whole numbers, so "73,
  up 3" never sits beside a previous "71".
* **Machines get the exact value.** JSON (the scorecard, ``/api/compare``) and
  the CSV and XLSX files keep unrounded numbers and the JSON's column keys
  (``overall``, ``touchpoints.service``), so sums and means made from them are
  exact.  The XLSX shows its score cells with the number format ``0``, which
  Excel and LibreOffice display by this same rule (halves away from zero).
  The audit JSON's ``display`` block (:func:`scorecard_display`) carries the
  figures already formatted, so the PWA does not round on its own.
* **Words.** :data:`TOUCHPOINT_LABELS` names the touchpoints, :data:`BANDS`
  turns a score into Strong / Fair / Weak, :data:`HEAT_BANDS` colours the HQ
  heat map in ten-point steps, :func:`nps_group` sorts a 0-10 answer into
  promoter / passive / detractor, and :func:`describe_answer` writes an
  answer as a reader says it.  A band is taken from the printed whole number,
  so the colour never disagrees with the figure beside it.

Pure: plain values in, text out; no database, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import format_currency

from audit.answers import Answer
from audit.catalogue import N_, decimal_text, gettext, ngettext, ordinal_text, percent_text
from audit.checklist import Checklist, Item, humanize
from audit.facts import money_of
from audit.i18n import DEFAULT_LANGUAGE
from audit.scoring import AGREE, DISAGREE, ConsistencyResult, weighted_mean

DASH = "\u2013"  # an en dash stands for "no score"
MINUS = "\u2212"  # a real minus sign: as wide as the plus, never a hyphen break
# Nine places absorb the last-bit error of sums and divisions of scores (about
# 1e-14 on a 0..100 scale) and keep every difference a person could mean.
CLEAN_PLACES = 9

# ---- Rounding


def round_half_up(value: float, places: int = 0) -> Decimal:
    """``value`` to ``places`` decimals, halves away from zero, after cleaning float error."""
    cleaned = Decimal(repr(round(value, CLEAN_PLACES)))
    return cleaned.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round_score(value: float | None) -> int | None:
    """A score (or NPS, or change) as the whole number people see; None stays None.

    A value that is not a finite number is no score either.
    """
    if value is None or not math.isfinite(value):
        return None
    # round_half_up(value) without Decimal (every audit view formats dozens):
    # after cleaning, a value is a whole half exactly or at least 1e-9 from
    # one, so adding 0.5 in floating point cannot cross a whole number wrongly.
    cleaned = round(value, CLEAN_PLACES)
    shown = math.floor(abs(cleaned) + 0.5)
    return -shown if cleaned < 0 else shown


def format_score(value: float | None, empty: str = DASH) -> str:
    """A score as printed: ``"73"``, ``"-17"`` for an NPS, ``empty`` when there is none."""
    shown = round_score(value)
    if shown is None:
        return empty
    return f"{MINUS}{-shown}" if shown < 0 else str(shown)


def format_percent(
    fraction: float | None, empty: str = DASH, language: str = DEFAULT_LANGUAGE
) -> str:
    """A share of 1 as a whole percentage: 0.725 → ``"73%"`` (French: ``"73 %"``)."""
    if fraction is None:
        return empty
    if language != DEFAULT_LANGUAGE:
        shown = round_score(100 * fraction)
        if shown is not None:
            return percent_text(shown, language).replace("-", MINUS)
    return f"{format_score(100 * fraction)}%"


def round_grade(mean: float | None) -> float | None:
    """A mean 1-5 grade as people see it, to one decimal (halves away from zero)."""
    if mean is None or not math.isfinite(mean):
        return None
    return float(round_half_up(mean, 1))


def format_grade(mean: float | None, empty: str = DASH) -> str:
    """A mean grade as printed: ``"3.8"``; ``empty`` when nothing was graded."""
    shown = round_grade(mean)
    return empty if shown is None else f"{shown:.1f}"


def round_rate(fraction: float | None) -> int | None:
    """A share of 1 as the whole percentage :func:`format_percent` prints."""
    return None if fraction is None else round_score(100 * fraction)


def score_change(current: float | None, previous: float | None) -> int | None:
    """The change as shown: the difference of the two printed whole numbers."""
    now, before = round_score(current), round_score(previous)
    if now is None or before is None:
        return None
    return now - before


def format_change(change: int | None, empty: str = DASH) -> str:
    """A change from :func:`score_change`, signed: ``"+3"``, ``"\u22122"``, ``"±0"``."""
    if change is None:
        return empty
    if change == 0:
        return "\u00b10"
    return f"+{change}" if change > 0 else f"{MINUS}{-change}"


# An XLSX score cell keeps the exact value and shows it as a whole number:
# Excel and LibreOffice round a displayed "0" halves away from zero, as
# round_score does, so the sheet shows what the pages print.
SPREADSHEET_SCORE_FORMAT = "0"


# Exports meant for people (the per-answer CSV and XLSX): figures to one
# decimal, halves away from zero, so a 72.45 reads 72.5 in both files; the
# raw machine exports keep exact values.
EXPORT_PLACES = 1
EXPORT_FIGURE_FORMAT = "0.0"


def export_figure(value: float | None) -> float | None:
    """A score or points for a person's spreadsheet: one decimal (72.45 → 72.5)."""
    if value is None or not math.isfinite(value):
        return None
    return float(round_half_up(value, EXPORT_PLACES))


# Column headers of exports meant for people, by the machine export's key.
EXPORT_LABELS: Mapping[str, str] = {
    "uuid": "Audit",
    "location": "Location code",
    "location_name": "Location",
    "region": "Region",
    "checklist": "Checklist",
    "checklist_version": "Checklist version",
    "status": "Status",
    "visit_date": "Visit date",
    "section": "Section",
    "touchpoint": "Touchpoint",
    "item": "Item",
    "item_id": "Item id",
    "kind": "Kind",
    "critical": "Critical item",
    "answer": "Answer",
    "value": "Value",
    "points": "Points",
    "weight": "Out of",
    "score": "Score",
    "na": "N/A",
    "comment": "Comment",
    "photos": "Photos",
    "audience": "Read by",
    "overall": "Overall",
    "service": "Service",
    "experience": "Experience",
    "nps": "Shopper NPS",
    "audits": "Audits",
    "critical_failures": "Audits with a critical failure",
}


def export_label(key: str) -> str:
    """A readable column header: ``touchpoints.website`` → "Website", ``nps`` → "Shopper NPS"."""
    if key.startswith("touchpoints."):
        return touchpoint_label(key.removeprefix("touchpoints."))
    return EXPORT_LABELS.get(key) or humanize(key)


def format_number(value: float, language: str = DEFAULT_LANGUAGE) -> str:
    """A measured number as a person writes it: 4, 2.5, 1,200 (two decimals at most);
    in French 4, 2,5, 1 200."""
    shown = round_half_up(value, 2)
    if language != DEFAULT_LANGUAGE:
        return decimal_text(shown, language)
    if shown == shown.to_integral_value():
        return f"{int(shown):,}"
    return f"{shown:,.2f}".rstrip("0").rstrip(".")


def format_ordinal(n: int, language: str = DEFAULT_LANGUAGE) -> str:
    """A place in a ranking: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st (1er, 2e in French)."""
    return ordinal_text(n, language)


# ---- Touchpoints

# The touchpoints of CONTRACT.md.  The staff touchpoint ``service`` reads
# "Consultation" so it is never confused with the Service score (the mean of
# every item of kind ``service``, wherever it sits in the journey), which is
# printed beside it on every page.
TOUCHPOINT_LABELS: Mapping[str, str] = {
    "website": N_("Website"),
    "phone": N_("Phone"),
    "arrival": N_("Arrival"),
    "facilities": N_("Facilities"),
    "service": N_("Consultation"),
    "checkout": N_("Checkout"),
    "follow_up": N_("Follow-up"),
    "site_visit": N_("Site visit"),
}


def touchpoint_label(slug: str, language: str = DEFAULT_LANGUAGE) -> str:
    """A touchpoint's name; a checklist's own slugs are humanised (``click_collect``)."""
    known = TOUCHPOINT_LABELS.get(slug)
    return gettext(language, known) if known else humanize(slug)


# ---- Bands


@dataclass(frozen=True)
class Band:
    key: str  # CSS class suffix
    label: str
    colour: str  # the band's colour, for SVG (the report's CSS has the same values)
    floor: float  # lowest score in the band


# 85 and 70 are the usual cut-offs of mystery-shopping programmes: 85+ is a
# visit most customers would praise, below 70 one they would complain about.
# The colour only repeats the word, so greyscale print loses nothing.
STRONG = Band("strong", N_("Strong"), "#2f7a52", 85.0)
FAIR = Band("fair", N_("Fair"), "#c98f1c", 70.0)
WEAK = Band("weak", N_("Weak"), "#b23d3a", 0.0)
UNRATED = Band("none", N_("Not rated"), "#9aa3ad", -math.inf)
BANDS = (STRONG, FAIR, WEAK)


def band_label(band: Band, language: str = DEFAULT_LANGUAGE) -> str:
    """A band's word in ``language``: Strong / Fort."""
    return gettext(language, band.label)


def band_for(score: float | None) -> Band:
    """Strong, Fair or Weak, by the printed whole number (84.5 prints 85: Strong)."""
    shown = round_score(score)
    if shown is None:
        return UNRATED
    for band in BANDS:
        if shown >= band.floor:
            return band
    return WEAK


# Visit trust (audit.trust): 80+ has at most one minor doubt (no check-out,
# hours); under 50 has a serious one (too far, a mock location, a reused
# photo, no check-in).  HQ's "low trust" filter shows everything under 80.
TRUSTED = Band("trusted", "Trusted", "#2f7a52", 80.0)
DOUBTFUL = Band("doubtful", "Doubtful", "#c98f1c", 50.0)
SUSPICIOUS = Band("suspicious", "Suspicious", "#b23d3a", 0.0)
TRUST_BANDS = (TRUSTED, DOUBTFUL, SUSPICIOUS)
LOW_TRUST_BELOW = int(TRUSTED.floor)


def trust_label(score: int | None) -> Band:
    """Trusted, Doubtful or Suspicious for a visit trust score 0-100."""
    if score is None:
        return UNRATED
    for band in TRUST_BANDS:
        if score >= band.floor:
            return band
    return SUSPICIOUS


@dataclass(frozen=True)
class HeatBand:
    key: str  # CSS class suffix: heat-<key>
    label: str
    floor: float


# Ten-point steps from 60 on the HQ heat map: finer than the report's three
# words, so HQ sees where a region slips inside "Fair".
HEAT_BANDS = (
    HeatBand("5", "90 and above", 90.0),
    HeatBand("4", "80 to 89", 80.0),
    HeatBand("3", "70 to 79", 70.0),
    HeatBand("2", "60 to 69", 60.0),
    HeatBand("1", "below 60", -math.inf),
)
NO_DATA = HeatBand("none", "no audits", math.nan)


def heat_band(score: float | None) -> HeatBand:
    """The heat-map colour step of the printed whole number (89.5 prints 90: the top step)."""
    shown = round_score(score)
    if shown is None:
        return NO_DATA
    for band in HEAT_BANDS:
        if shown >= band.floor:
            return band
    return HEAT_BANDS[-1]


# ---- Net Promoter

PROMOTER_MIN = 9  # 9-10 promote
PASSIVE_MIN = 7  # 7-8 are passive
DETRACTOR_MAX = 6  # 0-6 detract
NPS_MEANINGS: Mapping[str, str] = {
    "promoter": N_("likely to recommend you unprompted"),
    "passive": N_("satisfied, but not enough to recommend you"),
    "detractor": N_("more likely to warn friends off than to recommend you"),
}
# "a promoter": the group of one answer inside a sentence.
NPS_GROUP_WORDS: Mapping[str, str] = {
    "promoter": N_("a promoter"),
    "passive": N_("a passive"),
    "detractor": N_("a detractor"),
}


def nps_group(value: float) -> str:
    """``promoter`` (9-10), ``passive`` (7-8) or ``detractor`` (0-6) for one 0-10 answer."""
    if value >= PROMOTER_MIN:
        return "promoter"
    if value >= PASSIVE_MIN:
        return "passive"
    return "detractor"


# ---- Appeals

APPEAL_STATUS_LABELS = {
    "open": N_("Waiting for HQ"),
    "upheld": N_("Upheld"),
    "partly_upheld": N_("Partly upheld"),
    "rejected": N_("Rejected"),
}


def appeal_status_label(status: str, language: str = DEFAULT_LANGUAGE) -> str:
    """An appeal's status as the owner, HQ and the report name it."""
    known = APPEAL_STATUS_LABELS.get(status)
    return gettext(language, known) if known else status.replace("_", " ").capitalize()


# ---- Answers


@dataclass(frozen=True)
class AnswerWords:
    text: str
    state: str  # answered | na | unanswered | hidden | text | photo


HIDDEN_TEXT = N_("Not shown (skipped by an earlier answer)")


def describe_answer(
    item: Item,
    answer: Answer | None,
    photos: int = 0,
    visible: bool = True,
    language: str = DEFAULT_LANGUAGE,
) -> AnswerWords:
    """An answer as a reader says it, and its state.

    ``photos`` counts the evidence photos stored for the item (the answer's own
    list is counted too); ``visible`` is False for an item ``show_if`` skipped.
    """

    def _(message: str, **values: object) -> str:
        text = gettext(language, message)
        return text.format(**values) if values else text

    if not visible:
        return AnswerWords(_(HIDDEN_TEXT), "hidden")
    if answer is not None and answer.na:
        return AnswerWords(_("Not applicable"), "na")
    if item.type == "photo":
        count = max(photos, len(answer.photos) if answer is not None else 0)
        if not count:
            return AnswerWords(_("No photo"), "unanswered")
        words = ngettext(language, "{n} photo", "{n} photos", count)
        return AnswerWords(words.format(n=count), "photo")
    value = answer.value if answer is not None else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return AnswerWords(_("Not answered"), "unanswered")
    if item.type == "yes_no":
        return AnswerWords(_("Yes") if value is True else _("No"), "answered")
    if item.type == "scale":
        low = format_number(item.min or 0, language)
        high = format_number(item.max or 0, language)
        shown = format_number(value, language)
        words = _("{value} on a scale of {low} to {high}", value=shown, low=low, high=high)
        return AnswerWords(words, "answered")
    if item.type == "choice":
        option = item.option(value)
        return AnswerWords(option.label if option is not None else str(value), "answered")
    if item.type == "number":
        unit = f" {item.unit}" if item.unit else ""
        return AnswerWords(f"{format_number(value, language)}{unit}", "answered")
    if item.type == "nps":
        return AnswerWords(_("{value} out of 10", value=format_number(value, language)), "answered")
    if item.type in ("time_range", "money"):
        return AnswerWords(format_fact_value(item.type, value, language), "answered")
    return AnswerWords(str(value), "text")


# Symbols people read before an amount; other currencies show their code after it.
CURRENCY_SYMBOLS: Mapping[str, str] = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3"}


def format_money(value: Mapping[str, Any], language: str = DEFAULT_LANGUAGE) -> str:
    """A stored money value as printed: ``$89.99``, ``\u20ac1,250.00``, ``1,200 JPY``;
    in French as Babel writes it: ``89,99 $US``, ``1 250,00 \u20ac``."""
    money = money_of(value)
    if language != DEFAULT_LANGUAGE:
        return format_currency(Decimal(money.amount), money.currency, locale=language)
    whole, _, part = money.amount.partition(".")
    text = f"{int(whole):,}" + (f".{part}" if part else "")
    symbol = CURRENCY_SYMBOLS.get(money.currency)
    return f"{symbol}{text}" if symbol else f"{text} {money.currency}"


def format_fact_value(fact_type: str, value: Any, language: str = DEFAULT_LANGUAGE) -> str:
    """A time_range or money value as a reader says it: ``09:00\u201317:30``, ``$89.99``."""
    if fact_type == "time_range":
        return f"{value['from']}{DASH}{value['to']}"
    return format_money(value, language)


def answer_words(
    item: Item,
    answer: Answer | None,
    photos: int = 0,
    visible: bool = True,
    language: str = DEFAULT_LANGUAGE,
) -> str:
    """The words of :func:`describe_answer`: "Yes", "4 on a scale of 1 to 5", "3 rings"."""
    return describe_answer(item, answer, photos, visible, language).text


# ---- The scorecard as shown


def _shown(score: float | None) -> dict[str, str]:
    band = band_for(score)
    return {"score": format_score(score), "band": band.label, "band_key": band.key}


def scorecard_display(card: Mapping[str, Any] | None, checklist: Checklist) -> dict[str, Any]:
    """A Scorecard JSON (as stored) with every figure and label as printed.

    The audit JSON carries it as ``display`` so the PWA shows what the report
    and the HQ pages show, without rounding on its own.  Touchpoints come from
    the card's ``touchpoints`` or, on cards stored without them, from its
    section scores by scoring's own rule.
    """
    card = card or {}
    sections: Mapping[str, Any] = card.get("sections") or {}
    stored_tps: Mapping[str, Any] | None = card.get("touchpoints")

    def section_score(section_id: str) -> float | None:
        found = sections.get(section_id)
        return found.get("score") if isinstance(found, Mapping) else None

    touchpoints = []
    for tp in checklist.touchpoints():
        if stored_tps is not None:
            score = stored_tps.get(tp)
        else:
            score = weighted_mean(
                (s.weight, section_score(s.id)) for s in checklist.sections if s.touchpoint == tp
            )
        touchpoints.append({"id": tp, "label": touchpoint_label(tp), **_shown(score)})
    texts = {item.id: item.text for item in checklist.items()}
    nps = card.get("nps")
    overall = _shown(card.get("overall"))
    return {
        "overall": overall["score"],
        "band": overall["band"],
        "band_key": overall["band_key"],
        "service": format_score(card.get("service")),
        "experience": format_score(card.get("experience")),
        "nps": DASH if nps is None else format_number(nps),
        "nps_group": None if nps is None else nps_group(nps),
        "sections": {
            s.id: {
                "label": s.title,
                "touchpoint": touchpoint_label(s.touchpoint),
                **_shown(section_score(s.id)),
            }
            for s in checklist.sections
        },
        "touchpoints": touchpoints,
        "critical_failures": [
            {"id": item_id, "text": texts.get(item_id, humanize(item_id))}
            for item_id in card.get("critical_failures") or ()
        ],
    }


# ---- Consistency across touchpoints

CONSISTENCY_LABEL = N_("Consistency")
RESULT_LABELS: Mapping[str, str] = {
    AGREE: N_("Agree"),
    DISAGREE: N_("Disagree"),
    "not_checked": N_("Not checked"),
}
NOT_RECORDED = N_("Not recorded")


@dataclass(frozen=True)
class FactSeen:
    fact: str
    item: str
    text: str  # the item's question
    touchpoint: str  # slug
    touchpoint_label: str
    value: Any  # as stored; None when N/A or unanswered
    words: str


@dataclass(frozen=True)
class Finding:
    """One consistency rule as every output shows it."""

    id: str
    label: str
    result: str  # agree | disagree | not_checked
    result_label: str
    critical: bool
    facts: tuple[FactSeen, ...]

    @property
    def sentence(self) -> str:
        """ "Website 09:00-21:00 · Phone 09:00-18:00 · Arrival not recorded"."""
        return " \u00b7 ".join(f"{f.touchpoint_label}: {f.words}" for f in self.facts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "result": self.result,
            "critical": self.critical,
            "values": [
                {
                    "fact": f.fact,
                    "item": f.item,
                    "touchpoint": f.touchpoint,
                    "value": f.value,
                    "text": f.words,
                }
                for f in self.facts
            ],
        }


def consistency_findings(
    checklist: Checklist, result: ConsistencyResult, language: str = DEFAULT_LANGUAGE
) -> list[Finding]:
    """Every rule's result with the value each touchpoint gave, in the checklist's order."""
    items = checklist.fact_items()
    touchpoint_of = {item.id: s.touchpoint for s in checklist.sections for item in s.items}
    out = []
    for r in result.rules:
        seen = []
        for fact in r.rule.facts:
            item = items[fact]
            value = r.values.get(fact)
            words = (
                gettext(language, NOT_RECORDED)
                if value is None
                else answer_words(item, Answer(value=value), language=language)
            )
            tp = touchpoint_of[item.id]
            label = touchpoint_label(tp, language)
            seen.append(FactSeen(fact, item.id, item.text, tp, label, value, words))
        out.append(
            Finding(
                r.rule.id,
                r.rule.label,
                r.result,
                gettext(language, RESULT_LABELS[r.result]),
                r.rule.critical,
                tuple(seen),
            )
        )
    return out
