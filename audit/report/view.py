"""ReportData → what the templates print: words, rounded numbers, bands, chart SVG.

Pure and deterministic (no clock, no files read), so the HTML depends only on
the data and the cache key made from the data is sound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from audit.answers import MAX_COMMENT, MAX_TEXT_ANSWER
from audit.catalogue import N_, Words, long_date
from audit.catalogue import short_date as short_day
from audit.checklist import Item
from audit.corrective import FIXED, NOT_CHECKED, VERDICT_LABELS, fix_rate
from audit.i18n import DEFAULT_LANGUAGE
from audit.presentation import (
    CONSISTENCY_LABEL,
    DASH,
    NPS_GROUP_WORDS,
    NPS_MEANINGS,
    Band,
    Finding,
    appeal_status_label,
    band_for,
    band_label,
    consistency_findings,
    describe_answer,
    format_change,
    format_number,
    format_ordinal,
    format_percent,
    format_score,
    nps_group,
    round_half_up,
    round_score,
    score_change,
    touchpoint_label,
)
from audit.report.charts import (
    BenchmarkRow,
    benchmark_chart,
    score_track,
    touchpoint_trend_chart,
    trend_chart,
)
from audit.report.data import LocationNps, ReportData, SinceLastVisit
from audit.scoring import ItemResult, weighted_mean

HIGHLIGHTS = 3  # strongest and weakest items on the summary page
FIX_THUMBNAILS = 2  # evidence beside each fix on page 1; the rest are in the appendix
MAX_CRITICALS_ON_COVER = 3  # page 1 must stay one page; the rest are named in the detail
# The answers validator caps comments and text answers; older or imported data
# may not have been, and a megabyte of text must not become 300 pages.
MAX_COMMENT_CHARS = MAX_COMMENT
MAX_TEXT_CHARS = MAX_TEXT_ANSWER
MAX_HIGHLIGHT_COMMENT = 160  # two lines on page 1
MAX_FACT_CHARS = 200  # a phone number or a name as a touchpoint gave it, in its cell
# Names print on the cover and in every page's running header. The database
# keeps at most 200 characters (64 for a code), but a report may be made from
# other data, and names of 100,000 characters without a space kept WeasyPrint
# wrapping for over ten minutes (measured; the pool allows a render one minute).
MAX_NAME_CHARS = 200
MAX_CODE_CHARS = 64


@dataclass(frozen=True)
class Photo:
    uri: str
    alt: str
    number: int = 0  # in the evidence appendix
    caption: str = ""


@dataclass(frozen=True)
class ItemRow:
    text: str
    type: str
    kind: str  # "Service" | "Experience" | "" for unscored items
    answer: str
    status: str  # answered | na | unanswered | text | photo
    weight: str
    points: str
    band: Band
    critical: bool
    critical_failed: bool
    comment: str | None
    long_text: str | None
    photos: tuple[Photo, ...] = ()
    amended: bool = False  # its answer was changed by an upheld appeal

    @property
    def tall(self) -> bool:
        """Free text long enough that keeping the next row with it could leave
        most of a page empty: a page may break after it, inside a row group."""
        return len(self.comment or "") + len(self.long_text or "") > TALL_TEXT_CHARS


@dataclass(frozen=True)
class SectionView:
    number: int
    id: str
    title: str
    touchpoint: str
    score: str
    band: Band
    weight: str
    rows: tuple[ItemRow, ...]
    groups: tuple[tuple[ItemRow, ...], ...]  # kept together on a page: see _row_groups
    na_count: int
    kind_scores: tuple[tuple[str, str], ...]  # ("service", "67"), ("experience", "80")


@dataclass(frozen=True)
class AmendmentView:
    text: str
    touchpoint: str
    decision: str  # "Upheld", "Partly upheld", "Rejected"
    decision_key: str
    before: str
    after: str
    changed: bool
    note: str
    decided_on: str


@dataclass(frozen=True)
class StripStep:
    number: int
    label: str
    score: str
    band: Band


@dataclass(frozen=True)
class SinceRow:
    text: str
    touchpoint: str
    before: str  # the earlier visit's points as a percentage
    after: str  # this visit's, or a dash when it did not count the item
    verdict: str  # fixed | still_failing | not_checked (CSS class)
    verdict_label: str
    action: str | None  # the owner's action in one line


@dataclass(frozen=True)
class SinceView:
    visit_date: str
    rows: tuple[SinceRow, ...]
    summary: str


@dataclass(frozen=True)
class Highlight:
    text: str
    touchpoint: str
    answer: str
    score: str  # the item's points as a percentage
    band: Band
    critical: bool
    comment: str | None
    thumbnails: tuple[Photo, ...] = ()


@dataclass(frozen=True)
class Critical:
    text: str
    touchpoint: str
    answer: str


@dataclass(frozen=True)
class Nps:
    value: int
    group: str
    explanation: str
    group_words: str = ""  # "a promoter", in the report's language
    # the 0-10 scale printed under the answer, each step with its NPS group
    scale: tuple[tuple[int, str], ...] = field(default=tuple((n, nps_group(n)) for n in range(11)))


def date_text(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """ "3 November 2026", "3 novembre 2026"."""
    return long_date(day, language)


def short_date(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """ "3 Nov 2026", "3 nov. 2026"."""
    return short_day(day, language)


def localized_band(band: Band, language: str) -> Band:
    """The band with its word in ``language`` (its key and colour stay)."""
    return band if language == DEFAULT_LANGUAGE else replace(band, label=band_label(band, language))


def answer_text(
    item: Item, result: ItemResult, photos: int = 0, language: str = DEFAULT_LANGUAGE
) -> tuple[str, str]:
    """The answer as the owner reads it, and its status (``photos``: those in the report).

    A text answer prints in full below its row, so its cell says so; a text
    fact (a phone number) is short and prints in its cell.
    """
    words = describe_answer(item, result.answer, photos, language=language)
    if words.state == "text":
        if item.fact is not None:
            return shorten(words.text, MAX_FACT_CHARS, language) or "", "answered"
        return Words(language)("See below"), "text"
    return words.text, words.state


def shorten(text: str | None, limit: int, language: str = DEFAULT_LANGUAGE) -> str | None:
    """Free text as printed: at most ``limit`` characters, long runs made breakable."""
    if not text:
        return None
    text = text.strip()
    if len(text) > limit:
        _ = Words(language)
        note = _("[shortened from {count} characters]", count=_.number(len(text)))
        text = f"{text[:limit].rstrip()}… {note}"
    return _LONG_RUN.sub(_breakable, text)


# WeasyPrint wraps a word wider than the column one character at a time, in
# quadratic time (4.6 s for 4,000 characters); a zero-width space every
# BREAK_EVERY characters gives it places to break. Ordinary words and most
# URLs are shorter than LONG_RUN and stay untouched.
LONG_RUN_CHARS = 60
BREAK_EVERY = 30
_LONG_RUN = re.compile(rf"\S{{{LONG_RUN_CHARS},}}")


def _breakable(match: re.Match[str]) -> str:
    run = match.group(0)
    return "\u200b".join(run[i : i + BREAK_EVERY] for i in range(0, len(run), BREAK_EVERY))


def _item_row(
    data: ReportData, result: ItemResult, section_title: str, first_photo: int
) -> ItemRow:
    item = result.item
    lang = data.language
    _ = Words(lang)
    answer, status = answer_text(item, result, len(data.photos.get(item.id, ())), lang)
    points = ""
    if item.scored:
        if result.points is not None:
            earned = float(round_half_up(item.weight * result.points, 2))
            points = _(
                "{earned} of {weight}",
                earned=format_number(earned, lang),
                weight=format_number(item.weight, lang),
            )
        else:
            points = _("N/A") if status == "na" else DASH
    pct = None if result.points is None else 100 * result.points
    long_text = None
    if (
        item.type == "text"
        and item.fact is None
        and result.answer is not None
        and isinstance(result.answer.value, str)
    ):
        long_text = shorten(result.answer.value, MAX_TEXT_CHARS, lang)
        if long_text is None:
            answer, status = _("Not answered"), "unanswered"
    # The appendix prints the full images (thumbnails where a report was made
    # without them); never under an N/A answer, which counts nowhere.
    files = data.images.get(item.id) or data.photos.get(item.id, ())
    photos = tuple(
        Photo(
            uri=path.absolute().as_uri(),
            alt=_("Photo {number}: {text}", number=number, text=item.text),
            number=number,
            caption=f"{section_title}: {item.text}",
        )
        for number, path in enumerate(() if status == "na" else files, start=first_photo)
    )
    return ItemRow(
        text=item.text,
        type=item.type,
        kind=item.kind.capitalize() if item.scored else "",
        answer=answer,
        status=status,
        weight=format_number(item.weight, lang) if item.scored else "",
        points=points,
        band=localized_band(band_for(pct), lang),
        critical=item.critical,
        critical_failed=item.critical and result.points == 0,
        comment=shorten(result.answer.comment if result.answer else None, MAX_COMMENT_CHARS, lang),
        long_text=long_text,
        photos=photos,
        amended=any(
            a.item_id == item.id and a.decision != "rejected" and a.before != a.after
            for a in data.amendments
        ),
    )


def strongest_and_weakest(data: ReportData) -> tuple[list[ItemResult], list[ItemResult]]:
    """ "What went well" and "What to fix first", in printed order: the one selection
    that the PDF and report.json (:mod:`audit.report.twin`) both use.

    Strongest: full marks on what weighs most. Weakest: fewest points, a
    failed critical item first, then what weighs most; never one already
    listed as strong. Only counted, shown items take part.
    """
    order = {r.item.id: i for i, r in enumerate(data.scorecard.items)}
    counted = [r for r in data.scorecard.items if r.visible and r.points is not None]
    strongest = sorted(counted, key=lambda r: (-(r.points or 0), -r.item.weight, order[r.item.id]))
    strong = strongest[:HIGHLIGHTS]
    taken = {r.item.id for r in strong}
    weakest = sorted(
        (r for r in counted if r.item.id not in taken and (r.points or 0) < 1),
        key=lambda r: (r.points or 0, not r.item.critical, -r.item.weight, order[r.item.id]),
    )
    return strong, weakest[:HIGHLIGHTS]


def _highlight(data: ReportData, r: ItemResult, tp: dict[str, str]) -> Highlight:
    assert r.points is not None
    lang = data.language
    _ = Words(lang)
    return Highlight(
        text=r.item.text,
        touchpoint=touchpoint_label(tp[r.section_id], lang),
        answer=answer_text(r.item, r, len(data.photos.get(r.item.id, ())), lang)[0],
        score=format_percent(r.points, language=lang),
        band=localized_band(band_for(100 * r.points), lang),
        critical=r.item.critical,
        comment=shorten(r.answer.comment if r.answer else None, MAX_HIGHLIGHT_COMMENT, lang),
        thumbnails=tuple(
            Photo(uri=path.absolute().as_uri(), alt=_("Photo of {text}", text=r.item.text))
            for path in data.photos.get(r.item.id, ())[:FIX_THUMBNAILS]
        ),
    )


# A page holds at least this many rows of a section, or none of it (unless a
# row's free text is TALL_TEXT_CHARS or more: about a third of a page).
MIN_ROWS_ON_A_PAGE = 4
TALL_TEXT_CHARS = 1200


def _row_groups(rows: tuple[ItemRow, ...]) -> tuple[tuple[ItemRow, ...], ...]:
    """The section's rows as groups that never break across pages (each a ``tbody``).

    The first and the last MIN_ROWS_ON_A_PAGE rows are one group each, so a
    page break inside a section leaves at least that many rows on both sides;
    a section too short for two such groups is one group, on one page.
    """
    n = MIN_ROWS_ON_A_PAGE
    if len(rows) < 3 * n:
        return (rows,) if len(rows) < 2 * n else (rows[:n], rows[n:])
    return (rows[:n], *((row,) for row in rows[n:-n]), rows[-n:])


# An owner's action as "Since the last visit" names its state.
ACTION_STATES = {"open": N_("open"), "done": N_("done")}
# "1 of the 2 items that failed ... is fixed", by (one item, one fixed).
SINCE_SUMMARIES = {
    (True, True): N_(
        "{fixed} of the {n} item that failed or were weak at the visit of {day} is fixed"
    ),
    (True, False): N_(
        "{fixed} of the {n} item that failed or were weak at the visit of {day} are fixed"
    ),
    (False, True): N_(
        "{fixed} of the {n} items that failed or were weak at the visit of {day} is fixed"
    ),
    (False, False): N_(
        "{fixed} of the {n} items that failed or were weak at the visit of {day} are fixed"
    ),
}


def since_view(since: SinceLastVisit | None, language: str = DEFAULT_LANGUAGE) -> SinceView | None:
    """ "Since the last visit": the previous visit's failed and weak items, as found now."""
    if since is None or not since.checks:
        return None
    _ = Words(language)
    rows = []
    for c in since.checks:
        action = None
        if c.action is not None:
            a = c.action
            state = (
                _("done {day}", day=date_text(a.done_on, language))
                if a.status == "done" and a.done_on
                else _(ACTION_STATES[a.status])
                if a.status in ACTION_STATES
                else a.status
            )
            what = shorten(a.what, MAX_HIGHLIGHT_COMMENT, language)
            who = shorten(a.who, 60, language)
            action = _(
                "{what} ({who}; due {due}, {state})",
                what=what,
                who=who,
                due=date_text(a.due, language),
                state=state,
            )
        rows.append(
            SinceRow(
                text=c.text,
                touchpoint=touchpoint_label(c.touchpoint, language) if c.touchpoint else "",
                before=format_percent(c.before, language=language),
                after=format_percent(c.after, language=language)
                if c.verdict != NOT_CHECKED
                else DASH,
                verdict=c.verdict,
                verdict_label=_(VERDICT_LABELS[c.verdict]),
                action=action,
            )
        )
    rate = fix_rate(c.verdict for c in since.checks)
    fixed = sum(1 for c in since.checks if c.verdict == FIXED)
    n = len(since.checks)
    day = date_text(since.visit_date, language)
    summary = _(SINCE_SUMMARIES[(n == 1, fixed == 1)], fixed=fixed, n=n, day=day)
    if rate.verified < n:
        unchecked = n - rate.verified
        summary += _("; {unchecked} did not count at this visit", unchecked=unchecked)
    return SinceView(day, tuple(rows), summary + ".")


def _points(diff: int, language: str = DEFAULT_LANGUAGE) -> str:
    return Words(language).plural("{n} point", "{n} points", abs(diff))


# How one score stands against an average, by whose average it is.
LEVEL_WITH = {
    "region": N_("level with the region average"),
    "brand": N_("level with the brand average"),
}
ABOVE = {
    "region": N_("{points} above the region average"),
    "brand": N_("{points} above the brand average"),
}
BELOW = {
    "region": N_("{points} below the region average"),
    "brand": N_("{points} below the brand average"),
}


def _difference(
    this: float | None, other: float | None, whom: str, language: str = DEFAULT_LANGUAGE
) -> str | None:
    diff = score_change(this, other)
    if diff is None:
        return None
    _ = Words(language)
    if diff == 0:
        return _(LEVEL_WITH[whom])
    return _((ABOVE if diff > 0 else BELOW)[whom], points=_points(diff, language))


def _trend_sentence(
    points: list[tuple[date, float | None]], language: str = DEFAULT_LANGUAGE
) -> str | None:
    scored = [(d, s) for d, s in points if s is not None]
    if len(scored) < 2:
        return None
    (prev_day, prev), (__, last) = scored[-2], scored[-1]
    diff = score_change(last, prev)
    _ = Words(language)
    day = date_text(prev_day, language)
    if not diff:
        return _("Unchanged since the previous audit on {day}.", day=day)
    change = _points(diff, language)
    if diff > 0:
        return _("Up {points} since the previous audit on {day}.", points=change, day=day)
    return _("Down {points} since the previous audit on {day}.", points=change, day=day)


def _nps(value: int, language: str = DEFAULT_LANGUAGE) -> Nps:
    group = nps_group(value)
    _ = Words(language)
    words = _(NPS_GROUP_WORDS[group])
    return Nps(
        value,
        group,
        _(
            "The shopper's answer as a customer: {value} makes {group}, {meaning}.",
            value=value,
            group=words,
            meaning=_(NPS_MEANINGS[group]),
        ),
        group_words=words,
    )


# A section's service and experience scores, as its heading names them.
KIND_WORDS = {"service": N_("service"), "experience": N_("experience")}


def _kind_scores(
    results: list[ItemResult], language: str = DEFAULT_LANGUAGE
) -> tuple[tuple[str, str], ...]:
    """Rule 6 within one section: service and experience, where it has counted items."""
    out = []
    for kind in ("service", "experience"):
        score = weighted_mean(
            (r.item.weight, 100 * r.points)
            for r in results
            if r.item.kind == kind and r.points is not None
        )
        if score is not None:
            out.append((Words(language)(KIND_WORDS[kind]), format_score(score)))
    return tuple(out)


@dataclass(frozen=True)
class ConsistencyView:
    score: str
    band: Band
    checked: int  # rules with at least two facts recorded
    agreed: int
    disagreements: tuple[Finding, ...]
    agreements: tuple[Finding, ...]
    unchecked: tuple[Finding, ...]


def _consistency(data: ReportData) -> ConsistencyView | None:
    """The consistency cell of the journey strip and its findings; None without rules."""
    result = data.scorecard.consistency
    if result is None:
        return None
    findings = consistency_findings(data.checklist, result, data.language)
    return ConsistencyView(
        score=format_score(result.score),
        band=localized_band(band_for(result.score), data.language),
        checked=sum(1 for f in findings if f.result != "not_checked"),
        agreed=sum(1 for f in findings if f.result == "agree"),
        disagreements=tuple(f for f in findings if f.result == "disagree"),
        agreements=tuple(f for f in findings if f.result == "agree"),
        unchecked=tuple(f for f in findings if f.result == "not_checked"),
    )


def _uncapped_overall(data: ReportData) -> float | None:
    """Rule 4 without rule 5's cap: what the visit would have scored."""
    return weighted_mean((s.weight, s.score) for s in data.scorecard.sections)


# A per-touchpoint trend needs this many earlier visits: with fewer, eight
# lines of two points say no more than the journey strip.
TOUCHPOINT_TREND_EARLIER = 3


@dataclass(frozen=True)
class Gap:
    touchpoint: str
    this: str
    other: str
    whom: str  # "region" | "brand"
    sentence: str


GAP_BELOW = {
    "region": N_("{touchpoint} is {points} below the region average"),
    "brand": N_("{touchpoint} is {points} below the brand average"),
}
GAP_LEVEL = {
    "region": N_(
        "{touchpoint} is level with the region average; every other touchpoint is above it"
    ),
    "brand": N_("{touchpoint} is level with the brand average; every other touchpoint is above it"),
}
GAP_ABOVE = {
    "region": N_(
        "Every touchpoint is above the region average; {touchpoint} leads it least, by {points}"
    ),
    "brand": N_(
        "Every touchpoint is above the brand average; {touchpoint} leads it least, by {points}"
    ),
}


def _biggest_gap(data: ReportData) -> Gap | None:
    """The touchpoint furthest below the region's average (the brand's without a region).

    When every touchpoint is level or above, the one closest to it.
    """
    bench = data.benchmarks
    whom, means = ("region", bench.region_touchpoints)
    if not bench.region_count:
        whom, means = ("brand", bench.brand_touchpoints)
        if not bench.brand_count:
            return None
    diffs = []
    for order, tp in enumerate(data.checklist.touchpoints()):
        diff = score_change(data.scorecard.touchpoints.get(tp), means.get(tp))
        if diff is not None:
            diffs.append((diff, order, tp))
    if not diffs:
        return None
    diff, __, tp = min(diffs)
    lang = data.language
    _ = Words(lang)
    label = touchpoint_label(tp, lang)
    points = _points(diff, lang)
    if diff < 0:
        sentence = _(GAP_BELOW[whom], touchpoint=label, points=points)
    elif diff == 0:
        sentence = _(GAP_LEVEL[whom], touchpoint=label)
    else:
        sentence = _(GAP_ABOVE[whom], touchpoint=label, points=points)
    return Gap(
        label,
        format_score(data.scorecard.touchpoints.get(tp)),
        format_score(means.get(tp)),
        whom,
        sentence,
    )


def _ranks(data: ReportData) -> list[str]:
    """ "3rd of 12 in North", "15th of 140 in the brand"."""
    lang = data.language
    _ = Words(lang)
    out = []
    if data.region_rank is not None:
        place, of = format_ordinal(data.region_rank.position, lang), _.number(data.region_rank.of)
        if data.region:
            region = shorten(data.region, MAX_NAME_CHARS, lang)
            out.append(_("{place} of {of} in {region}", place=place, of=of, region=region))
        else:
            out.append(_("{place} of {of} in the region", place=place, of=of))
    if data.brand_rank is not None:
        place, of = format_ordinal(data.brand_rank.position, lang), _.number(data.brand_rank.of)
        out.append(_("{place} of {of} in the brand", place=place, of=of))
    return out


def _location_nps(nps: LocationNps | None, language: str = DEFAULT_LANGUAGE) -> str | None:
    if nps is None:
        return None
    _ = Words(language)
    return _(
        "{value} over the last {visits} (n = {answers}: {promoters}, {detractors})",
        value=format_change(round_score(nps.value)),
        visits=_.plural("{n} visit", "{n} visits", nps.visits),
        answers=nps.answers,
        promoters=_.plural("{n} promoter", "{n} promoters", nps.promoters),
        detractors=_.plural("{n} detractor", "{n} detractors", nps.detractors),
    )


def report_context(data: ReportData) -> dict[str, Any]:
    card = data.scorecard
    checklist = data.checklist
    lang = data.language
    _ = Words(lang)

    def band(score: float | None) -> Band:
        return localized_band(band_for(score), lang)

    def day(value: date | None) -> str | None:
        return date_text(value, lang) if value else None

    def short(text: str | None, limit: int) -> str | None:
        return shorten(text, limit, lang)

    results = {r.item.id: r for r in card.items}
    section_results = {s.id: s for s in card.sections}
    sections: list[SectionView] = []
    next_photo = 1
    for number, section in enumerate(checklist.sections, start=1):
        shown = [results[i.id] for i in section.items if results[i.id].visible]
        section_rows: list[ItemRow] = []
        for r in shown:
            section_rows.append(_item_row(data, r, section.title, next_photo))
            next_photo += len(section_rows[-1].photos)
        rows = tuple(section_rows)
        score = section_results[section.id].score
        sections.append(
            SectionView(
                number=number,
                id=section.id,
                title=section.title,
                touchpoint=touchpoint_label(section.touchpoint, lang),
                score=format_score(score),
                band=band(score),
                weight=format_number(section.weight, lang),
                rows=rows,
                groups=_row_groups(rows),
                na_count=sum(1 for row in rows if row.status == "na"),
                kind_scores=_kind_scores(shown, lang),
            )
        )
    strip = [
        StripStep(
            i,
            touchpoint_label(tp, lang),
            format_score(card.touchpoints.get(tp)),
            band(card.touchpoints.get(tp)),
        )
        for i, tp in enumerate(checklist.touchpoints(), start=1)
    ]
    tp_of = {s.id: s.touchpoint for s in checklist.sections}
    criticals = [
        Critical(
            text=results[item_id].item.text,
            touchpoint=touchpoint_label(tp_of[results[item_id].section_id], lang),
            answer=answer_text(results[item_id].item, results[item_id], language=lang)[0],
        )
        for item_id in card.critical_failures
    ]
    consistency = _consistency(data)
    if consistency is not None:
        criticals += [
            Critical(
                text=_("{rule}: the touchpoints disagree", rule=f.label),
                touchpoint=_(CONSISTENCY_LABEL),
                answer=f.sentence,
            )
            for f in consistency.disagreements
            if f.critical
        ]
    uncapped = _uncapped_overall(data) if card.critical_failed else None
    strong_items, weak_items = strongest_and_weakest(data)
    strongest = [_highlight(data, r, tp_of) for r in strong_items]
    weakest = [_highlight(data, r, tp_of) for r in weak_items]
    bench = data.benchmarks
    overall_row = BenchmarkRow(
        _("Overall"), card.overall, bench.region_avg, bench.brand_avg, overall=True
    )
    bench_rows = [overall_row] + [
        BenchmarkRow(
            touchpoint_label(tp, lang),
            card.touchpoints.get(tp),
            bench.region_touchpoints.get(tp),
            bench.brand_touchpoints.get(tp),
        )
        for tp in checklist.touchpoints()
    ]
    trend = [(p.visit_date, p.overall) for p in data.trend]
    nps = None
    if card.nps is not None:
        nps = _nps(card.nps, lang)
    appendix = [photo for s in sections for row in s.rows for photo in row.photos]
    return {
        "data": data,
        "language": lang,
        "brand": short(data.brand, MAX_NAME_CHARS) or "",
        "location_name": short(data.location_name, MAX_NAME_CHARS) or "",
        "location_code": short(data.location_code, MAX_CODE_CHARS) or "",
        "region": short(data.region, MAX_NAME_CHARS),
        "visit_date": date_text(data.visit_date, lang),
        "generated_at": day(data.generated_at),
        "reference": data.reference[:8].upper() if data.reference else "",
        "checklist": checklist,
        "overall": format_score(card.overall),
        "overall_band": band(card.overall),
        "overall_track": score_track(card.overall, language=lang),
        "service": format_score(card.service),
        "service_band": band(card.service),
        "experience": format_score(card.experience),
        "experience_band": band(card.experience),
        "criticals": criticals,
        "critical_cap": format_number(checklist.critical_fail_score, lang),
        "uncapped": format_score(uncapped)
        if (score_change(uncapped, card.overall) or 0) > 0
        else None,
        "strip": strip,
        "consistency": consistency,
        "nps": nps,
        "strongest": strongest,
        "weakest": weakest,
        "sections": sections,
        "photo_count": len(appendix),
        "appendix": appendix,
        "criticals_more": max(0, len(criticals) - MAX_CRITICALS_ON_COVER),
        "cover_criticals": criticals[:MAX_CRITICALS_ON_COVER],
        "gap": _biggest_gap(data),
        "ranks": _ranks(data),
        "location_nps": _location_nps(data.location_nps, lang),
        "bench": bench,
        "bench_brand": format_score(bench.brand_avg),
        "bench_region": format_score(bench.region_avg),
        "vs_brand": _difference(card.overall, bench.brand_avg, "brand", lang),
        "vs_region": _difference(card.overall, bench.region_avg, "region", lang),
        "benchmark_chart": benchmark_chart(
            bench_rows, region=bench.region_count > 0, brand=bench.brand_count > 0, language=lang
        )
        if bench.brand_count or bench.region_count
        else None,
        "trend": trend,
        "trend_chart": trend_chart(
            trend, bench.brand_avg, waves=[p.wave for p in data.trend], language=lang
        )
        if len(trend) >= 2
        else None,
        "touchpoint_trend": touchpoint_trend_chart(
            [(p.visit_date, p.touchpoints) for p in data.trend],
            [(tp, touchpoint_label(tp, lang)) for tp in checklist.touchpoints()],
            language=lang,
        )
        if len(data.trend) > TOUCHPOINT_TREND_EARLIER
        else None,
        "trend_sentence": _trend_sentence(trend, lang),
        "previous_audits": max(0, len(trend) - 1),
        "since": since_view(data.since_last, lang),
        "version": data.version,
        "amended_on": day(data.amended_on),
        "amendments": [
            AmendmentView(
                text=short(a.item_text, MAX_NAME_CHARS) or a.item_id,
                touchpoint=touchpoint_label(a.touchpoint, lang),
                decision=appeal_status_label(a.decision, lang),
                decision_key=a.decision,
                before=a.before,
                after=a.after,
                changed=a.before != a.after,
                note=short(a.note, MAX_COMMENT_CHARS) or "",
                decided_on=date_text(a.decided_on, lang),
            )
            for a in data.amendments
        ],
    }
