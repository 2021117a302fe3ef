"""``audit wave create | list | show``: waves from the command line.

``create`` builds the same request as the HQ page and the API and goes
through the same check (audit.workflow.waves); a bad field is one line
naming its option, a bad row of the ``--locations-file`` CSV is
``FILE:LINE: message``; exit 1 and nothing stored.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from audit.commands import CommandError
from audit.commands.database import run_with_database
from audit.errors import HTTPError
from audit.presentation import format_percent
from audit.settings import Settings
from audit.store import waves as store
from audit.workflow import assignments
from audit.workflow import waves as workflow
from audit.workflow.delivery import ReportMailer

# The request's field → the option that sets it, for messages.
OPTIONS = {
    "name": "--name",
    "checklist": "--checklist",
    "version": "--version",
    "locations": "--locations",
    "region": "--region",
    "locations_csv": "--locations-file",
    "from": "--from",
    "to": "--to",
    "visits": "--visits",
    "coverage": "--coverage",
    "coverage.days": "--coverage",
    "coverage.dayparts": "--coverage",
    "allow_repeat": "--allow-repeat",
    "release_days": "--release-days",
    "notes": "--notes",
}
# A bar for waves this large or larger (a small one is stored before a bar could draw).
BAR_FROM = 1_000
BAR_WIDTH = 30


def _request(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": args.name,
        "checklist": args.checklist,
        "from": args.date_from,
        "to": args.date_to,
        "visits": args.visits,
        "allow_repeat": args.allow_repeat,
        "release_days": args.release_days,
        "notes": args.notes or "",
    }
    if args.version is not None:
        body["version"] = args.version
    chosen = [o for o in (args.region, args.locations, args.locations_file) if o is not None]
    if len(chosen) > 1:
        raise CommandError("give only one of --region, --locations and --locations-file")
    if args.region is not None:
        body["region"] = args.region
    elif args.locations_file is not None:
        try:
            body["locations_csv"] = Path(args.locations_file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{args.locations_file}: cannot read: {exc}") from None
    elif args.locations is not None and args.locations.strip().lower() != "all":
        body["locations"] = [c for c in args.locations.replace(" ", ",").split(",") if c]
    else:
        body["locations"] = "all"
    if args.coverage:
        words = [w for w in args.coverage.replace(" ", ",").split(",") if w]
        days = [w for w in words if w.lower() in ("weekday", "weekend")]
        parts = [w for w in words if w not in days]
        body["coverage"] = {"days": days, "dayparts": parts}
    return body


class _Bar:
    """A progress bar on stderr, only when it is a terminal."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if total < BAR_FROM or not self.out.isatty():
            return
        filled = BAR_WIDTH * done // total
        share = format_percent(done / total)
        self.out.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share} {done:,}/{total:,}")
        self.out.flush()
        self.drawn = True

    def end(self) -> None:
        if self.drawn:
            self.out.write("\n")


def _problems(exc: HTTPError, args: argparse.Namespace) -> str:
    lines = []
    rows = exc.extra.get("rows") or []
    for row in rows:
        lines.append(f"{args.locations_file}:{row['line']}: {row['message']}")
    for name, message in exc.fields.items():
        if name == "locations_csv" and rows:
            continue
        lines.append(f"{OPTIONS.get(name, name)}: {message}")
    return "\n".join(lines) or exc.message


def wave_create(args: argparse.Namespace) -> int:
    body = _request(args)
    bar = _Bar(sys.stderr)

    async def work(settings: Settings) -> int:
        try:
            wave = await workflow.create_wave(body, None, on_progress=bar)
        except HTTPError as exc:
            bar.end()
            raise CommandError(_problems(exc, args)) from None
        bar.end()
        totals = store.total(await store.progress(wave.id, _today()))
        print(
            f"wave {wave.name!r} created: {totals.planned:,} visits to "
            f"{totals.planned // wave.visits_per_location:,} locations, "
            f"{wave.starts_on.isoformat()} to {wave.ends_on.isoformat()}"
        )
        return 0

    return run_with_database(work)


def _today() -> Any:
    return datetime.now(UTC).date()


def _line(p: store.Progress) -> str:
    return (
        f"{p.planned:>8,} {p.claimed:>8,} {p.submitted:>9,} {p.approved:>8,} {p.overdue:>8,}"
        f"  {format_percent(p.share(p.submitted)):>5} sent"
    )


HEADER = f"{'planned':>8} {'claimed':>8} {'submitted':>9} {'approved':>8} {'overdue':>8}"


def wave_list(args: argparse.Namespace) -> int:
    async def work(settings: Settings) -> int:
        waves = await store.all_waves()
        if not waves:
            print("no waves yet (audit wave create …)")
            return 0
        totals = await store.wave_totals(_today())
        width = max(len(w.name) for w in waves)
        print(f"{'wave':<{width}}  {'checklist':<24} {'window':<23} {HEADER}")
        for w in waves:
            t = totals.get(w.id) or store.Progress("", 0, 0, 0, 0, 0, 0)
            checklist = f"{w.checklist_slug} v{w.checklist.version}"
            window = f"{w.starts_on.isoformat()} to {w.ends_on.isoformat()}"
            print(f"{w.name:<{width}}  {checklist:<24} {window:<23} {_line(t)}")
        return 0

    return run_with_database(work, create=False)


def wave_show(args: argparse.Namespace) -> int:
    async def work(settings: Settings) -> int:
        try:
            wave = await workflow.find_wave(args.name)
        except HTTPError as exc:
            raise CommandError(exc.message) from None
        regions = await store.progress(wave.id, _today())
        print(f"{wave.name}: {wave.checklist.title} (v{wave.checklist.version})")
        print(
            f"{wave.starts_on.isoformat()} to {wave.ends_on.isoformat()}, "
            f"{wave.visits_per_location} visit(s) a location"
            f"{', the same auditor may repeat a location' if wave.allow_repeat else ''}"
        )
        width = max([len(r.region or "(no region)") for r in regions] + [len("all regions")])
        print(f"{'region':<{width}} {HEADER}")
        for r in regions:
            print(f"{r.region or '(no region)':<{width}} {_line(r)}")
        print(f"{'all regions':<{width}} {_line(store.total(regions))}")
        return 0

    return run_with_database(work, create=False)


def wave_assign(args: argparse.Namespace) -> int:
    """Give the location's next open visit of the wave to an auditor, as HQ's page does."""

    async def work(settings: Settings) -> int:
        try:
            wave = await workflow.find_wave(args.name)
        except HTTPError as exc:
            raise CommandError(exc.message) from None
        auditor_id = await store.active_auditor_id(args.auditor)
        if auditor_id is None:
            raise CommandError(f"{args.auditor}: no active auditor with this e-mail")
        visit = await store.open_visit_of(wave.id, args.location)
        if visit is None:
            raise CommandError(f"{args.location}: no open visit of this location in {wave.name!r}")
        try:
            row, _ = await assignments.give(visit.id, auditor_id)
        except HTTPError as exc:
            raise CommandError(f"{args.location}: {exc.message}") from None
        mailed = await ReportMailer(settings).on_assigned(row.id, args.auditor.strip().lower())
        due = f", due {row.due.isoformat()}" if row.due else ""
        note = " (e-mailed)" if mailed else " (no AUDIT_SMTP_URL: not e-mailed)"
        print(
            f"visit {row.id} of {args.location} in {wave.name!r}{due} given to {args.auditor}{note}"
        )
        return 0

    return run_with_database(work, create=False)
