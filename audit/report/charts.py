"""Small hand-made SVG charts, drawn from the report's data.

Hand-made rather than pygal: three fixed chart shapes need ~150 lines, add
no dependency and no stylesheet, and render in WeasyPrint in a few
milliseconds. Every value is written beside its bar or point, so the charts
read the same in greyscale. All text is escaped; sizes are CSS pixels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

from audit.catalogue import day_month, gettext, month_year, short_date, year
from audit.i18n import DEFAULT_LANGUAGE
from audit.presentation import (
    BANDS,
    FAIR,
    STRONG,
    band_for,
    band_label,
    format_score,
    round_score,
)

INK = "#1d2733"
MUTED = "#5b6673"
RULE = "#d5dae0"
THIS = "#1f4e79"  # this location: the darkest fill, first in every group
REGION = "#7f8b98"
BRAND = "#c3cad2"
FONT = "Inter, 'DejaVu Sans', sans-serif"
WIDTH = 680  # the text column of an A4 page with 15 mm margins, in CSS px
MAX_TREND_POINTS = 12  # three years of quarterly audits


MIN_LABEL_GAP = 46.0  # px between two date labels' centres ("12 Sep" at 9 px)


def date_positions(days: Sequence[date], left: float, right: float) -> list[float]:
    """x of each visit, in proportion to the time between visits (not one step each)."""
    if not days:
        return []
    first, last = days[0], days[-1]
    span = (last - first).days
    if span <= 0:
        return [
            (left + right) / 2 if len(days) == 1 else left + (right - left) * i / (len(days) - 1)
            for i in range(len(days))
        ]
    return [left + (right - left) * (day - first).days / span for day in days]


def _labelled(xs: Sequence[float]) -> set[int]:
    """Which points get a date: this visit, then back in time wherever the text fits."""
    out: set[int] = set()
    last_x = None
    for i in range(len(xs) - 1, -1, -1):
        if last_x is None or last_x - xs[i] >= MIN_LABEL_GAP:
            out.add(i)
            last_x = xs[i]
    return out


@dataclass(frozen=True)
class BenchmarkRow:
    label: str
    this: float | None
    region: float | None
    brand: float | None
    overall: bool = False  # the overall row, printed bold


def _svg(width: float, height: float, label: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
        f'viewBox="0 0 {width:g} {height:g}" role="img" aria-label="{escape(label)}" '
        f'font-family="{FONT}" font-size="11" fill="{INK}">'
    )
    return Markup(head + f"<title>{escape(label)}</title>" + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, **attrs: str | float) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


def score_track(
    score: float | None, width: float = 440, language: str = DEFAULT_LANGUAGE
) -> Markup:
    """A 0-100 track with the three bands named under it and a marker at the score."""
    track_y, track_h, left, right = 22.0, 10.0, 4.0, width - 4.0
    span = right - left
    body: list[str] = []
    for band, upper in ((BANDS[2], FAIR.floor), (FAIR, STRONG.floor), (STRONG, 100.0)):
        lo = max(band.floor, 0.0)
        x0, x1 = left + span * lo / 100, left + span * upper / 100
        body.append(
            f'<rect x="{x0:.1f}" y="{track_y}" width="{x1 - x0:.1f}" height="{track_h}" '
            f'fill="{band.colour}" fill-opacity="0.28"/>'
        )
        body.append(
            _text(
                (x0 + x1) / 2,
                track_y + track_h + 14,
                band_label(band, language),
                text_anchor="middle",
                fill=MUTED,
                font_size=10,
            )
        )
    for mark in (FAIR.floor, STRONG.floor):
        x = left + span * mark / 100
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{track_y}" y2="{track_y + track_h}" '
            f'stroke="#ffffff" stroke-width="1.5"/>'
        )
    shown = round_score(score)  # the marker sits on the printed figure, in its band
    if shown is not None:
        x = left + span * max(0, min(100, shown)) / 100
        body.append(
            f'<path d="M{x - 6:.1f},{track_y - 9} L{x + 6:.1f},{track_y - 9} '
            f'L{x:.1f},{track_y - 1} Z" fill="{INK}"/>'
        )
        body.append(
            f'<rect x="{x - 1.5:.1f}" y="{track_y}" width="3" height="{track_h}" fill="{INK}"/>'
        )
    label = gettext(language, "Score {score} out of 100, band {band}").format(
        score=format_score(score), band=band_label(band_for(score), language)
    )
    return _svg(width, 52, label, body)


def benchmark_chart(
    rows: Sequence[BenchmarkRow],
    region: bool = True,
    brand: bool = True,
    width: float = WIDTH,
    language: str = DEFAULT_LANGUAGE,
) -> Markup:
    """Grouped horizontal bars: this location, its region and the brand, per row.

    ``region`` / ``brand`` False leave that series out (no audits to compare with).
    """
    # (legend, colour, bar height, BenchmarkRow field)
    series = [(gettext(language, "This location"), THIS, 11.0, "this")]
    if region:
        series.append((gettext(language, "Region average"), REGION, 6.0, "region"))
    if brand:
        series.append((gettext(language, "Brand average"), BRAND, 6.0, "brand"))
    label_w, value_w, top = 150.0, 44.0, 30.0
    x0, x1 = label_w, width - value_w
    span = x1 - x0
    gap, group_gap = 1.5, 9.0
    group_h = sum(h for _, _, h, _ in series) + gap * (len(series) - 1)
    height = top + len(rows) * (group_h + group_gap) + 14
    body: list[str] = []
    legend_x = x0
    for name, colour, _, _ in series:
        body.append(f'<rect x="{legend_x:.1f}" y="4" width="12" height="10" fill="{colour}"/>')
        body.append(_text(legend_x + 17, 13, name, fill=MUTED, font_size=10))
        legend_x += 125
    bottom = height - 14
    for mark in (0, 25, 50, 75, 100):
        x = x0 + span * mark / 100
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{bottom:.1f}" '
            f'stroke="{RULE}" stroke-width="0.75"/>'
        )
        body.append(_text(x, bottom + 11, str(mark), text_anchor="middle", fill=MUTED, font_size=9))
    y = top
    for row in rows:
        body.append(_text(0, y + 11, row.label, font_weight=600 if row.overall else 400))
        by = y
        for _, colour, h, name in series:
            value: float | None = getattr(row, name)
            if value is None:
                no_data = gettext(language, "no data")
                body.append(_text(x0 + 3, by + h - 1, no_data, fill=MUTED, font_size=8))
            else:
                w = max(1.0, span * max(0.0, min(100.0, value)) / 100)
                body.append(
                    f'<rect x="{x0:.1f}" y="{by:.1f}" width="{w:.1f}" height="{h}" '
                    f'fill="{colour}"/>'
                )
                main = colour == THIS
                body.append(
                    _text(
                        x0 + w + 4,
                        by + h - (1.5 if main else 0),
                        format_score(value),
                        font_size=11 if main else 8.5,
                        font_weight=600 if main else 400,
                        fill=INK if main else MUTED,
                    )
                )
            by += h + gap
        y += group_h + group_gap
    title = gettext(language, "Scores of this location beside its region and the brand")
    return _svg(width, height, title, body)


# A wave's name under a trend point: longer ones are cut (the table of the
# HQ trends page has them whole).
WAVE_LABEL_CHARS = 18


def trend_chart(
    points: Sequence[tuple[date, float | None]],
    brand_avg: float | None = None,
    width: float = WIDTH,
    waves: Sequence[str | None] = (),
    language: str = DEFAULT_LANGUAGE,
) -> Markup:
    """This location's overall score over its approved audits; the last point is this one.

    ``waves``: the wave each visit was made for (None for one outside any),
    printed under its date, so a programme run in waves reads wave by wave.
    """
    points = list(points)[-MAX_TREND_POINTS:]
    wave_of = list(waves)[-MAX_TREND_POINTS:] if waves else [None] * len(points)
    height, left, right, top, bottom = 190.0, 34.0, width - 70.0, 18.0, 150.0
    if any(wave_of):
        height += 12.0
    body: list[str] = []

    def y_of(score: float) -> float:
        return bottom - (bottom - top) * max(0.0, min(100.0, score)) / 100

    for mark in (0, 25, 50, 75, 100):
        y = y_of(mark)
        body.append(
            f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{RULE}" stroke-width="0.75"/>'
        )
        body.append(_text(left - 6, y + 3, str(mark), text_anchor="end", fill=MUTED, font_size=9))
    if brand_avg is not None:
        y = y_of(brand_avg)
        body.append(
            f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{REGION}" '
            f'stroke-width="1" stroke-dasharray="4 3"/>'
        )
        body.append(
            _text(
                right + 6,
                y + 3,
                gettext(language, "Brand {score}").format(score=format_score(brand_avg)),
                fill=MUTED,
                font_size=9,
            )
        )
    n = len(points)
    xs = date_positions([day for day, _ in points], left + 20, right - 20)
    coords = [(x, y_of(s)) for x, (_, s) in zip(xs, points, strict=True) if s is not None]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="{THIS}" stroke-width="1.75"/>')
    labelled = _labelled(xs)
    for i, (x, (day, score)) in enumerate(zip(xs, points, strict=True)):
        last = i == n - 1
        if score is not None:
            y = y_of(score)
            r = 5.0 if last else 3.2
            fill = THIS if last else "#ffffff"
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{fill}" '
                f'stroke="{THIS}" stroke-width="1.5"/>'
            )
            body.append(
                _text(
                    x,
                    y - 9,
                    format_score(score),
                    text_anchor="middle",
                    font_size=11 if last else 9.5,
                    font_weight=600 if last else 400,
                )
            )
        if i in labelled:
            body.append(
                _text(
                    x,
                    bottom + 15,
                    day_month(day, language),
                    text_anchor="middle",
                    fill=INK if last else MUTED,
                    font_size=9,
                    font_weight=600 if last else 400,
                )
            )
            body.append(
                _text(
                    x,
                    bottom + 26,
                    year(day, language),
                    text_anchor="middle",
                    fill=MUTED,
                    font_size=8.5,
                )
            )
            wave = wave_of[i]
            if wave:
                name = wave if len(wave) <= WAVE_LABEL_CHARS else wave[: WAVE_LABEL_CHARS - 1] + "…"
                body.append(
                    _text(
                        x,
                        bottom + 38,
                        name,
                        text_anchor="middle",
                        fill=INK if last else MUTED,
                        font_size=8.5,
                        font_weight=600 if last else 400,
                    )
                )
    if n:
        body.append(
            _text(
                xs[-1],
                bottom + (50 if any(wave_of) else 38),  # under the wave's name
                gettext(language, "this visit"),
                text_anchor="middle",
                fill=MUTED,
                font_size=8.5,
            )
        )
    title = gettext(language, "Overall score of this location over its approved audits")
    return _svg(width, height, title, body)


def touchpoint_trend_chart(
    points: Sequence[tuple[date, Mapping[str, float | None]]],
    touchpoints: Sequence[tuple[str, str]],
    width: float = WIDTH,
    language: str = DEFAULT_LANGUAGE,
) -> Markup:
    """One line per touchpoint over the same visits, spaced by date; the last point is this one.

    ``touchpoints``: (slug, label) in journey order. Each row has its own
    0-100 scale, its first and last score written beside the line.
    """
    points = list(points)[-MAX_TREND_POINTS:]
    label_w, value_w, row_h, top = 120.0, 44.0, 30.0, 6.0
    left, right = label_w + value_w, width - value_w
    xs = date_positions([day for day, _ in points], left + 4, right - 4)
    height = top + row_h * len(touchpoints) + 30
    body: list[str] = []
    for row, (tp, label) in enumerate(touchpoints):
        y0 = top + row * row_h
        base, peak = y0 + row_h - 6, y0 + 4

        def y_of(score: float, base: float = base, peak: float = peak) -> float:
            return base - (base - peak) * max(0.0, min(100.0, score)) / 100

        body.append(
            f'<line x1="{left}" x2="{right}" y1="{base:.1f}" y2="{base:.1f}" '
            f'stroke="{RULE}" stroke-width="0.75"/>'
        )
        body.append(_text(0, base - 4, label, font_size=10))
        scores = [(x, tps.get(tp)) for x, (_, tps) in zip(xs, points, strict=True)]
        known = [(x, s) for x, s in scores if s is not None]
        if len(known) > 1:
            path = " ".join(f"{x:.1f},{y_of(s):.1f}" for x, s in known)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{THIS}" stroke-width="1.4"/>'
            )
        for x, score in known:
            body.append(f'<circle cx="{x:.1f}" cy="{y_of(score):.1f}" r="2" fill="{THIS}"/>')
        if known:
            first_x, first = known[0]
            body.append(
                _text(
                    first_x - 6,
                    y_of(first) + 3,
                    format_score(first),
                    text_anchor="end",
                    fill=MUTED,
                    font_size=9,
                )
            )
        this = scores[-1][1] if scores else None
        body.append(_text(right + 8, base - 4, format_score(this), font_size=11, font_weight=600))
    bottom = top + row_h * len(touchpoints)
    for i in sorted(_labelled(xs)):
        day = points[i][0]
        last = i == len(points) - 1
        body.append(
            _text(
                xs[i],
                bottom + 12,
                short_date(day, language) if last else month_year(day, language),
                text_anchor="middle",
                fill=INK if last else MUTED,
                font_size=8.5,
                font_weight=600 if last else 400,
            )
        )
    title = gettext(language, "Touchpoint scores of this location over its approved audits")
    return _svg(width, height, title, body)
