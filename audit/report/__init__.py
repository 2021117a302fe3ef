"""The owner's experience report: data → HTML → PDF, rendered off the event loop.

data.py      ReportData: everything a report shows, nothing about the auditor
view.py      ReportData → the templates' words and figures (audit.presentation rounds)
charts.py    hand-made SVG charts
fetcher.py   the allow-list URL fetcher WeasyPrint must go through
render.py    templates → HTML → PDF/A-3b (tagged); the cache key
pool.py      a bounded process pool with a time limit per render; the PDF cache

Building a ReportData from the database is audit.workflow.reports; e-mailing
it to owners, audit.workflow.delivery. Nothing here reads the database.
delivery.py  e-mailing the report to owners on approval, with retries
sample.py    a realistic ReportData without a database (tests, bench, previews)
"""

from audit.report.data import Benchmarks, ReportData, TrendPoint
from audit.report.render import (
    TEMPLATE_VERSION,
    render_report_html,
    render_report_pdf,
    report_cache_key,
)

__all__ = [
    "TEMPLATE_VERSION",
    "Benchmarks",
    "ReportData",
    "TrendPoint",
    "render_report_html",
    "render_report_pdf",
    "report_cache_key",
]
