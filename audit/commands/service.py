"""The commands that need the web stack or WeasyPrint: ``serve`` and ``report``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import anyio.to_thread
import uvicorn

from audit.app import create_app
from audit.commands import CommandError
from audit.commands.database import database_place, run_with_database
from audit.errors import NotFound
from audit.metrics import fresh_metrics_dir
from audit.models import Audit
from audit.report.data import ReportData, report_filename
from audit.report.pool import render_batch
from audit.report.render import render_report_pdf
from audit.settings import Settings, export_metrics_dir
from audit.store.reports import approved_audit_uuids
from audit.workflow.reports import report_data_for


def serve(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    # Before any worker starts: this process creates the secret key file and
    # applies the migrations once (and a bad database URL is one line here).
    settings = Settings.from_env()

    async def ready(settings: Settings) -> int:
        return 0

    run_with_database(ready)
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": settings.log_level,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        # audit.observability logs each request (with its id and route) instead.
        "access_log": False,
    }
    print(
        f"audit: serving on http://{args.host}:{args.port}"
        + (f" with {args.workers} worker processes" if args.workers > 1 else ""),
        flush=True,
    )
    if args.workers == 1:
        uvicorn.run(create_app(settings), **options)
    else:
        # Each worker builds its app from the same environment; nothing a
        # request needs lives in one process (docs/deploy.md).
        # Before the workers start, which import prometheus_client with it set:
        # /metrics then sums every worker (docs/deploy.md, "Metrics").
        export_metrics_dir(fresh_metrics_dir(settings.var_dir))
        uvicorn.run("audit.app:create_app", factory=True, workers=args.workers, **options)
    return 0


def report(args: argparse.Namespace) -> int:
    if args.all:
        if args.audit_id:
            raise CommandError("give either AUDIT_ID or --all, not both")
        since = None
        if args.since:
            try:
                since = date.fromisoformat(args.since)
            except ValueError:
                raise CommandError(f"--since {args.since!r} is not a date (YYYY-MM-DD)") from None
        return run_with_database(
            lambda settings: _report_all(settings, since, Path(args.output), args.language),
            create=False,
        )
    if not args.audit_id:
        raise CommandError("give an AUDIT_ID (or --all)")
    return run_with_database(
        lambda settings: _report_one(settings, args.audit_id, Path(args.output), args.language),
        create=False,
    )


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def _report_one(
    settings: Settings, audit_id: str, output: Path, language: str | None = None
) -> int:
    uuid = audit_id
    if audit_id.isdigit():
        found = await Audit.get_or_none(id=int(audit_id))
        uuid = found.uuid if found is not None else audit_id
    try:
        data = await report_data_for(uuid, settings, language)
    except NotFound:
        where = database_place(settings.database_url)
        raise CommandError(f"no audit {audit_id!r} in the database at {where}") from None
    pdf = await anyio.to_thread.run_sync(render_report_pdf, data)
    try:
        await anyio.to_thread.run_sync(_write_file, output, pdf)
    except OSError as exc:
        raise CommandError(f"{output}: {exc.strerror}") from None
    print(f"{output}: {len(pdf):,} bytes")
    return 0


async def _report_all(
    settings: Settings, since: date | None, directory: Path, language: str | None = None
) -> int:
    uuids = await approved_audit_uuids(since)
    if not uuids:
        print("no approved audits" + (f" since {since}" if since else ""))
        return 0
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    done = failed = 0

    async def jobs() -> AsyncIterator[tuple[ReportData, Path]]:
        for uuid in uuids:
            data = await report_data_for(uuid, settings, language)
            yield data, directory / f"{uuid[:8]}-{report_filename(data)}"

    def progress(path: Path, error: BaseException | None) -> None:
        nonlocal done, failed
        done += 1
        if error is not None:
            failed += 1
            print(f"\n{path.name}: {error}", file=sys.stderr)
        width = 30
        filled = width * done // len(uuids)
        bar = "#" * filled + "." * (width - filled)
        print(f"\r[{bar}] {done}/{len(uuids)}", end="", flush=True)

    await render_batch(jobs(), on_done=progress)
    print(
        f"\n{done - failed} reports written to {directory}"
        + (f", {failed} failed" if failed else "")
    )
    return 1 if failed else 0
