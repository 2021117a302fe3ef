"""How fast is the experience report?  python bench/report.py [--runs N] [--batch M]

Prints, for a realistic report (the electronics-store checklist: 8 touchpoints,
59 items, comments, a critical failure, 6 photos, benchmark and trend charts):

- the median time of our render_report_pdf() and of a bare
  weasyprint.HTML(string=...).write_pdf() of the same HTML and CSS, with the
  same PDF/A-3b and tagging options and without them, runs interleaved;
- our overhead over bare WeasyPrint;
- a cached download: cache key + cache read, inside a running event loop;
- batch throughput of the process pool with 1 worker and with every core.

Targets (issue 5): overhead < 15 %, a report < 0.6 s, a cached download
< 20 ms, throughput growing with the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pikepdf
import weasyprint

from audit.report.pool import RenderPool, ReportCache, cached_report_pdf
from audit.report.render import (
    PDF_OPTIONS,
    REPORT_DIR,
    render_report_html,
    render_report_pdf,
    report_stylesheet,
)
from audit.report.sample import sample_report_data


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} ms"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="renders per variant (default 15)")
    parser.add_argument("--batch", type=int, default=16, help="reports per pool run (default 16)")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="also time a cached download of the newest approved audit of this database,"
        " building its ReportData from the stored scores (e.g. one filled by `audit demo`)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = sample_report_data(Path(tmp) / "photos")
        html = render_report_html(data)
        css = report_stylesheet()
        base_url = REPORT_DIR.as_uri() + "/"

        def bare(**options: object) -> bytes:
            # What a caller without our module would write: parse the CSS,
            # load the fonts and render, with WeasyPrint's default fetcher.
            stylesheet = weasyprint.CSS(string=css, base_url=base_url)
            pdf: bytes = weasyprint.HTML(string=html, base_url=base_url).write_pdf(
                stylesheets=[stylesheet], **options
            )
            return pdf

        variants: dict[str, Callable[[], object]] = {
            "ours (HTML + PDF/A-3b, tagged)": lambda: render_report_pdf(data),
            "bare WeasyPrint, same options": lambda: bare(**PDF_OPTIONS),
            "bare WeasyPrint, plain PDF": lambda: bare(),
            "templates only (HTML string)": lambda: render_report_html(data),
        }
        for fn in variants.values():  # warm caches, fonts, imports
            fn()
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.runs):
            for name, fn in variants.items():
                samples[name].append(timed(fn))

        pdf = render_report_pdf(data)
        with pikepdf.open(BytesIO(pdf)) as doc:
            pages = len(doc.pages)
        print(
            f"report: {len(pdf) / 1024:.0f} kB, {pages} pages, {args.runs} runs each, "
            f"{os.cpu_count()} cores, WeasyPrint {weasyprint.__version__}"
        )
        for name, values in samples.items():
            print(f"  {name:34} median {median_ms(values)}   min {min(values) * 1000:7.1f} ms")
        ours = statistics.median(samples["ours (HTML + PDF/A-3b, tagged)"])
        same = statistics.median(samples["bare WeasyPrint, same options"])
        plain = statistics.median(samples["bare WeasyPrint, plain PDF"])
        print(f"  overhead over bare WeasyPrint (same options): {100 * (ours / same - 1):+.1f} %")
        print(f"  PDF/A-3b + tags cost in bare WeasyPrint:      {100 * (same / plain - 1):+.1f} %")

        # -- cached download
        cache = ReportCache(Path(tmp) / "cache")

        async def downloads() -> list[float]:
            await cached_report_pdf(data, cache, pool=_OncePool(pdf))  # type: ignore[arg-type]
            times = []
            for _ in range(50):
                start = time.perf_counter()
                await cached_report_pdf(data, cache)
                times.append(time.perf_counter() - start)
            return times

        download = median_ms(asyncio.run(downloads()))
        print(f"cached download (key + read, in the event loop): median {download}")
        if args.database:
            print(asyncio.run(database_download(args.database, Path(tmp))))

        # -- pool throughput
        rates = {}
        for workers in sorted({1, os.cpu_count() or 1, 2}):
            pool = RenderPool(workers=workers, timeout=60)
            pool.warm()

            async def batch(pool: RenderPool = pool) -> None:
                await asyncio.gather(*(pool.render(data) for _ in range(args.batch)))

            asyncio.run(batch(pool))  # every worker has rendered once
            elapsed = timed(lambda pool=pool: asyncio.run(batch(pool)))
            pool.close()
            rates[workers] = args.batch / elapsed
            print(
                f"pool, {workers} worker{'s' if workers > 1 else ' '}: {args.batch} reports in "
                f"{elapsed:5.2f} s = {rates[workers]:5.2f} reports/s"
            )
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"  load average during the run: {load} (other work on the machine skews these)")
        if len(rates) > 1:
            top = max(rates)
            print(f"  scaling 1 -> {top} workers: {rates[top] / rates[1]:.2f}x")


async def database_download(url: str, tmp: Path) -> str:
    from tortoise import Tortoise

    from audit.db import tortoise_config
    from audit.models import Audit
    from audit.settings import Settings
    from audit.workflow.reports import report_data_for

    await Tortoise.init(config=tortoise_config(url))
    try:
        settings = Settings(database_url=url, var_dir=tmp / "var", media_dir=tmp / "media")
        audit = await Audit.filter(status="approved").order_by("-visit_date", "-id").first()
        if audit is None:
            return "database: no approved audit"
        cache = ReportCache(tmp / "db-cache")
        data = await report_data_for(audit.uuid, settings)  # freezes the benchmarks
        await cached_report_pdf(data, cache, pool=_OncePool(render_report_pdf(data)))  # type: ignore[arg-type]
        times = []
        for _ in range(20):
            start = time.perf_counter()
            data = await report_data_for(audit.uuid, settings)
            await cached_report_pdf(data, cache)
            times.append(time.perf_counter() - start)
        approved = await Audit.filter(status="approved").count()
        return (
            f"cached download with the database ({approved:,} approved audits; ReportData"
            f" + key + read): median {median_ms(times)}"
        )
    finally:
        await Tortoise.close_connections()


class _OncePool:
    """Fills the cache for the download benchmark without a render process."""

    def __init__(self, pdf: bytes) -> None:
        self.pdf = pdf

    async def render(self, data: object, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return self.pdf


if __name__ == "__main__":
    main()
