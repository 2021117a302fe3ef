"""The commands that need the database or the web stack (registered into audit.cli)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from audit.cli import EXTRA_COMMANDS, CommandError
from audit.settings import Settings


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def run_with_database(work: Callable[[Settings], Awaitable[int]]) -> int:
    """Apply pending migrations, open the database, run ``work``, close."""
    import sqlite3

    from asyncpg import InterfaceError, PostgresError  # type: ignore[import-untyped]
    from tortoise.exceptions import (
        ConfigurationError,
        OperationalError,
        TransactionManagementError,
    )

    from audit.db import database

    settings = Settings.from_env()
    opened = False
    # "database is locked" once the busy timeout ran out, a lost connection, a
    # constraint another process won: one line and exit 1, never a traceback.
    database_errors = (
        ConfigurationError,
        OperationalError,
        TransactionManagementError,
        PostgresError,
        InterfaceError,
        sqlite3.Error,
        ConnectionError,
    )

    async def main() -> int:
        nonlocal opened
        try:
            async with database(settings):
                opened = True
                return await work(settings)
        except (*database_errors, OSError) as exc:
            if not opened:
                # A bad AUDIT_DATABASE_URL, an unreachable server, a refused login.
                raise CommandError(f"cannot open the database: {_one_line(exc)}") from None
            if isinstance(exc, database_errors):
                raise CommandError(f"database error: {_one_line(exc)}") from None
            raise CommandError(_one_line(exc)) from None

    return asyncio.run(main())


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from audit.app import create_app

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
        "log_level": os.environ.get("AUDIT_LOG_LEVEL", "warning"),
        "proxy_headers": True,
        "forwarded_allow_ips": os.environ.get("AUDIT_FORWARDED_ALLOW_IPS", "127.0.0.1"),
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
        uvicorn.run("audit.app:create_app", factory=True, workers=args.workers, **options)
    return 0


def cmd_checklist_import(args: argparse.Namespace) -> int:
    from audit.store.checklists import import_checklists, read_checklist_dir

    directory = Path(args.directory)
    if not directory.is_dir():
        raise CommandError(f"{directory}: not a directory")
    checklists, problems = read_checklist_dir(directory)
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        print("nothing imported: fix the problems above first", file=sys.stderr)
        return 1
    if not checklists:
        raise CommandError(f"{directory}: no *.yaml checklists found")

    async def work(settings: Settings) -> int:
        for result in await import_checklists(checklists):
            print(f"{result.path}: {result.slug} v{result.version} {result.action}")
        return 0

    return run_with_database(work)


def cmd_location_add(args: argparse.Namespace) -> int:
    from audit.store.locations import add_location

    if not args.code.strip() or len(args.code) > 64:
        raise CommandError("CODE must be 1 to 64 characters")
    if not args.name.strip():
        raise CommandError("--name must not be empty")

    async def work(settings: Settings) -> int:
        location, created = await add_location(
            args.code.strip(), args.name.strip(), args.region, args.address
        )
        print(f"location {location.code} {'created' if created else 'updated'}")
        return 0

    return run_with_database(work)


def _password() -> str:
    password = os.environ.get("AUDIT_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise CommandError("set AUDIT_PASSWORD (no terminal to ask for a password)")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise CommandError("the passwords differ")
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    from audit.store.accounts import add_user

    email = args.email.strip()
    if "@" not in email or len(email) > 254:
        raise CommandError(f"{email!r} is not an e-mail address")
    if args.location and args.role != "owner":
        raise CommandError("--location is for owners (use --role owner)")
    password = _password()
    if len(password) < 8:
        raise CommandError("the password must have at least 8 characters")

    async def work(settings: Settings) -> int:
        try:
            user, created = await add_user(
                email, args.role, password, args.name or "", args.location or []
            )
        except (LookupError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        print(f"user {user.email} ({user.role}) {'created' if created else 'updated'}")
        return 0

    return run_with_database(work)


def cmd_demo(args: argparse.Namespace) -> int:
    from audit.demo import DemoSize, fill_demo

    if args.locations < 1 or args.audits < 0:
        raise CommandError("--locations must be at least 1 and --audits not negative")

    async def work(settings: Settings) -> int:
        summary = await fill_demo(
            settings,
            DemoSize(args.locations, args.audits),
            seed=args.seed,
            only_if_empty=args.if_empty,
        )
        print(summary)
        return 0

    return run_with_database(work)


def cmd_backup(args: argparse.Namespace) -> int:
    import sqlite3

    from audit.backup import BackupError, backup

    settings = Settings.from_env()
    try:
        result = backup(settings, Path(args.path))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    except sqlite3.Error as exc:
        raise CommandError(f"database error: {_one_line(exc)}") from None
    print(
        f"backup written to {result.path} "
        f"({result.database_file}, {result.media_files} media files)"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    import sqlite3

    from audit.backup import BackupError, restore

    settings = Settings.from_env()
    try:
        result = restore(settings, Path(args.path))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    except sqlite3.Error as exc:
        raise CommandError(f"database error: {_one_line(exc)}") from None
    print(f"restored {result.path} and {result.media_files} media files")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import date

    if args.all:
        if args.audit_id:
            raise CommandError("give either AUDIT_ID or --all, not both")
        since = None
        if args.since:
            try:
                since = date.fromisoformat(args.since)
            except ValueError:
                raise CommandError(f"--since {args.since!r} is not a date (YYYY-MM-DD)") from None
        return run_with_database(lambda settings: _report_all(settings, since, Path(args.output)))
    if not args.audit_id:
        raise CommandError("give an AUDIT_ID (or --all)")
    return run_with_database(
        lambda settings: _report_one(settings, args.audit_id, Path(args.output))
    )


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def _report_one(settings: Settings, audit_id: str, output: Path) -> int:
    import anyio.to_thread

    from audit.errors import NotFound
    from audit.models import Audit
    from audit.report.render import render_report_pdf
    from audit.store.reports import report_data_for

    uuid = audit_id
    if audit_id.isdigit():
        found = await Audit.get_or_none(id=int(audit_id))
        uuid = found.uuid if found is not None else audit_id
    try:
        data = await report_data_for(uuid, settings)
    except NotFound:
        raise CommandError(f"no audit {audit_id!r}") from None
    pdf = await anyio.to_thread.run_sync(render_report_pdf, data)
    try:
        await anyio.to_thread.run_sync(_write_file, output, pdf)
    except OSError as exc:
        raise CommandError(f"{output}: {exc.strerror}") from None
    print(f"{output}: {len(pdf):,} bytes")
    return 0


async def _report_all(settings: Settings, since: Any, directory: Path) -> int:
    from collections.abc import AsyncIterator

    from audit.report.data import ReportData
    from audit.report.delivery import report_filename
    from audit.report.pool import render_batch
    from audit.store.reports import approved_audit_uuids, report_data_for

    uuids = await approved_audit_uuids(since)
    if not uuids:
        print("no approved audits" + (f" since {since}" if since else ""))
        return 0
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    done = failed = 0

    async def jobs() -> AsyncIterator[tuple[ReportData, Path]]:
        for uuid in uuids:
            data = await report_data_for(uuid, settings)
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


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes behind the one address (about one per core)",
    )
    serve.set_defaults(func=cmd_serve)

    checklist = sub.choices["checklist"]
    csub = next(a for a in checklist._actions if isinstance(a, argparse._SubParsersAction))
    imp = csub.add_parser("import", help="load checklists/ into the database")
    imp.add_argument("directory", nargs="?", default="checklists", metavar="DIR")
    imp.set_defaults(func=cmd_checklist_import)

    location = sub.add_parser("location", help="manage locations")
    lsub = location.add_subparsers(dest="location_command", required=True, metavar="ACTION")
    ladd = lsub.add_parser("add", help="create or update a location")
    ladd.add_argument("code", metavar="CODE")
    ladd.add_argument("--name", required=True)
    ladd.add_argument("--region")
    ladd.add_argument("--address")
    ladd.set_defaults(func=cmd_location_add)

    user = sub.add_parser("user", help="manage users")
    usub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    uadd = usub.add_parser("add", help="create or update a user (password from AUDIT_PASSWORD)")
    uadd.add_argument("email", metavar="EMAIL")
    uadd.add_argument("--role", required=True, choices=["auditor", "owner", "hq"])
    uadd.add_argument("--name")
    uadd.add_argument("--location", nargs="+", metavar="CODE", action="extend")
    uadd.set_defaults(func=cmd_user_add)

    bkp = sub.add_parser("backup", help="write a consistent copy of the database and media")
    bkp.add_argument("path", metavar="PATH")
    bkp.set_defaults(func=cmd_backup)
    rst = sub.add_parser("restore", help="restore a SQLite backup into an empty instance")
    rst.add_argument("path", metavar="PATH")
    rst.set_defaults(func=cmd_restore)

    report = sub.add_parser("report", help="render experience reports as PDF")
    report.add_argument("audit_id", nargs="?", metavar="AUDIT_ID", help="audit uuid (or id)")
    report.add_argument("-o", "--output", required=True, metavar="FILE.pdf|DIR")
    report.add_argument("--all", action="store_true", help="every approved audit (into DIR)")
    report.add_argument("--since", metavar="DATE", help="with --all: visited on or after DATE")
    report.set_defaults(func=cmd_report)

    demo = sub.add_parser("demo", help="fill the database with a realistic synthetic data set")
    demo.add_argument("--locations", type=int, default=12)
    demo.add_argument("--audits", type=int, default=60)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument(
        "--if-empty", action="store_true", help="do nothing when the database already has audits"
    )
    demo.set_defaults(func=cmd_demo)


EXTRA_COMMANDS.append(register)
