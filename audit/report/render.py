"""ReportData → HTML (Jinja2, autoescaped) → PDF/A-3b, tagged (WeasyPrint).

Synchronous and CPU-bound: the service runs :func:`render_report_pdf` in the
process pool of :mod:`audit.report.pool`. The HTML is built from
``report.html`` and its ``_*.html`` partials; ``report.css`` is passed as a
string; the only files WeasyPrint may read are the report's photos and the
fonts in ``fonts/`` (see :mod:`audit.report.fetcher`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import weasyprint
from markupsafe import Markup
from weasyprint.text.fonts import FontConfiguration

from audit.catalogue import N_, gettext, ngettext
from audit.i18n import DEFAULT_LANGUAGE
from audit.report.data import ReportData
from audit.report.fetcher import FONTS_DIR, ReportURLFetcher
from audit.report.view import report_context

REPORT_DIR = Path(__file__).resolve().parent


def _template_version() -> str:
    """A digest of everything that shapes the PDF but the data: the templates,
    the stylesheet, the fonts and the code that turns data into the page
    (view, charts, data, twin).  Any change to one of them makes every cached
    PDF again, with nothing to remember to bump."""
    digest = hashlib.sha256()
    shaping = [*REPORT_DIR.glob("*.html"), *REPORT_DIR.glob("*.css"), *REPORT_DIR.glob("*.py")]
    for path in sorted(shaping) + sorted(FONTS_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return "2026.12+" + digest.hexdigest()[:12]


TEMPLATE_VERSION = _template_version()
# PDF/A-3b: archival, and it may later carry the answers as an attachment.
PDF_VARIANT = "pdf/a-3b"
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": PDF_VARIANT, "pdf_tags": True}

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(REPORT_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def report_stylesheet() -> str:
    return (REPORT_DIR / "report.css").read_text(encoding="utf-8")


def template_words(language: str) -> dict[str, Any]:
    """The templates' ``_`` and ``n_``: a message of the catalogue, its fields filled.

    A message is trusted markup (it may hold ``<strong>``); the values put in
    it are escaped like any other printed value.
    """

    def _(message: str, /, **values: Any) -> Markup:
        text = Markup(gettext(language, message))
        return text.format(**values) if values else text

    def n_(singular: str, plural: str, n: int, /, **values: Any) -> Markup:
        text = Markup(ngettext(language, singular, plural, n))
        return text.format(n=n, **values)

    return {"_": _, "n_": n_}


def render_report_html(data: ReportData) -> str:
    context = report_context(data)
    return _env.get_template("report.html").render(
        template_version=TEMPLATE_VERSION, **template_words(data.language), **context
    )


# The words report.css prints (running footers and headers); another language
# overrides them with :func:`language_stylesheet`.  tests/test_report_languages.py
# checks that the English here is the stylesheet's.
HOW_SCORES_ARE_COMPUTED = N_(
    "How scores are computed: each item earns points in proportion to its weight;"
    " a touchpoint's score is the share of the points it could earn; the overall is"
    " the weighted mean of the touchpoints. Items that do not apply count nowhere."
    " A failed critical item caps the overall score."
)
PAGE_OF_PAGES = N_("Page {page} of {pages}")
REPORT_NAME = N_("Customer experience report")
ON_PAGE = N_("(page {page})")


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _css_content(message: str, language: str, counters: dict[str, str]) -> str:
    """A message as a CSS ``content`` value: its text and its ``{fields}`` as counters."""
    parts = re.split(r"\{(\w+)\}", gettext(language, message))
    out = [
        counters[part] if i % 2 else _css_string(part)
        for i, part in enumerate(parts)
        if i % 2 or part
    ]
    return " ".join(out)


def language_stylesheet(language: str) -> str:
    """CSS that puts report.css's own words in ``language`` (none for English)."""
    if language == DEFAULT_LANGUAGE:
        return ""
    name = _css_string(gettext(language, REPORT_NAME))
    footer = _css_string(gettext(language, HOW_SCORES_ARE_COMPUTED))
    page = _css_content(
        PAGE_OF_PAGES, language, {"page": "counter(page)", "pages": "counter(pages)"}
    )
    on_page = _css_content(ON_PAGE, language, {"page": "target-counter(attr(href), page)"})
    return (
        f"@page {{ @bottom-left {{ content: {footer}; }}"
        f" @bottom-right {{ content: {page}; }} }}\n"
        f".location-name {{ string-set: location content(), continued {name}; }}\n"
        f"table.items tr.section-edge {{ string-set: continued {name}; }}\n"
        f'.photo-refs a::after {{ content: " " {on_page}; }}\n'
    )


@dataclass
class _Style:
    """The parsed stylesheet and the fonts it loaded, kept per thread.

    Parsing the CSS and registering four font files with Fontconfig costs more
    than laying out a page; both depend only on the stylesheet, so a worker
    does them once. WeasyPrint objects are not shared between threads.
    """

    css: weasyprint.CSS
    font_config: FontConfiguration
    # The words of report.css in other languages, parsed once each.
    languages: dict[str, weasyprint.CSS] = dataclasses.field(default_factory=dict)

    def for_language(self, language: str) -> list[weasyprint.CSS]:
        if language == DEFAULT_LANGUAGE:
            return [self.css]
        found = self.languages.get(language)
        if found is None:
            found = self.languages[language] = weasyprint.CSS(
                string=language_stylesheet(language), font_config=self.font_config
            )
        return [self.css, found]


_local = threading.local()


def _style() -> _Style:
    style: _Style | None = getattr(_local, "style", None)
    if style is None:
        font_config = FontConfiguration()
        css = weasyprint.CSS(
            string=report_stylesheet(),
            base_url=REPORT_DIR.as_uri() + "/",
            url_fetcher=ReportURLFetcher(fonts_dir=FONTS_DIR),
            font_config=font_config,
        )
        style = _local.style = _Style(css, font_config)
    return style


def warm_up() -> None:
    """Prepare this thread's stylesheet and fonts (a worker calls it at start)."""
    _style()


def render_report_pdf(data: ReportData, fetcher: ReportURLFetcher | None = None) -> bytes:
    """The report as PDF bytes. ``fetcher`` may be passed to inspect what was fetched."""
    html = render_report_html(data)
    if fetcher is None:
        fetcher = ReportURLFetcher(photos=data.photo_paths())
    style = _style()
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher)
    with _weasyprint_leaks_silenced():
        pdf: bytes = document.write_pdf(
            stylesheets=style.for_language(data.language),
            font_config=style.font_config,
            **PDF_OPTIONS,
        )
    return pdf


# WeasyPrint 70 opens its sRGB profile for the PDF/A output intent and never
# closes it; the file is freed at once, with a ResourceWarning (an error under
# `-W error`). Only that warning is silenced. catch_warnings() swaps
# process-wide state, so threads take turns (pool workers have one thread).
_warnings_lock = threading.Lock()


@contextmanager
def _weasyprint_leaks_silenced() -> Iterator[None]:
    with _warnings_lock, warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"unclosed file .*sRGB2014\.icc", category=ResourceWarning
        )
        yield


def report_cache_key(data: ReportData) -> str:
    """A digest of everything the PDF is made from.

    The data itself (the scorecard, every answer and comment, the benchmark
    snapshot, the trend), the photo files (path, size and modification time:
    a photo replaced in place changes the key), the checklist's content hash,
    the template version and WeasyPrint's version.
    """
    card = data.scorecard
    photos = {item_id: [_file_stamp(p) for p in paths] for item_id, paths in data.photos.items()}
    images = {item_id: [_file_stamp(p) for p in paths] for item_id, paths in data.images.items()}
    doc = {
        "template": TEMPLATE_VERSION,
        "weasyprint": weasyprint.__version__,
        "language": data.language,
        "brand": data.brand,
        "location": [data.location_code, data.location_name, data.region],
        "visit_date": data.visit_date.isoformat(),
        "checklist": [data.checklist.id, data.checklist.version, data.checklist.content_hash],
        "scorecard": card.to_dict(),
        "answers": {
            r.item.id: [r.visible, r.answer.to_dict() if r.answer else None] for r in card.items
        },
        "photos": photos,
        "images": images,
        "ranks": [
            dataclasses.astuple(r) if r else None for r in (data.region_rank, data.brand_rank)
        ],
        "location_nps": dataclasses.astuple(data.location_nps) if data.location_nps else None,
        "benchmarks": [
            data.benchmarks.brand_avg,
            data.benchmarks.brand_count,
            data.benchmarks.region_avg,
            data.benchmarks.region_count,
            dict(data.benchmarks.brand_touchpoints),
            dict(data.benchmarks.region_touchpoints),
        ],
        "trend": [[p.visit_date.isoformat(), p.overall, dict(p.touchpoints)] for p in data.trend],
        "generated_at": data.generated_at.isoformat() if data.generated_at else None,
        "reference": data.reference,
        "since_last": dataclasses.asdict(data.since_last) if data.since_last else None,
        "version": [
            data.version,
            data.amended_on.isoformat() if data.amended_on else None,
            [dataclasses.astuple(a) for a in data.amendments],
        ],
    }
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _file_stamp(path: Path) -> list[Any]:
    try:
        stat = os.stat(path)
    except OSError:
        return [str(path), None, None]
    return [str(path), stat.st_size, stat.st_mtime_ns]
