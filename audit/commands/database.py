"""The commands that work on the configured database: checklist import, location add,
import locations / owners / auditors, user add / deactivate / sessions revoke, demo,
backup and restore.

Each applies pending migrations first (:func:`run_with_database`), so a fresh,
empty database just works.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
from asyncpg import InterfaceError, PostgresError
from tortoise.exceptions import ConfigurationError, OperationalError, TransactionManagementError

from audit.auth import password_problem
from audit.backup import BackupError
from audit.backup import backup as write_backup
from audit.backup import restore as restore_backup
from audit.checklist import Checklist
from audit.commands import CommandError, one_line
from audit.db import database
from audit.demo import DemoError, DemoSize, fill_demo
from audit.errors import Conflict, Invalid, NotFound
from audit.settings import Settings, password_from_env
from audit.store import visits as visit_store
from audit.store.accounts import add_user
from audit.store.checklists import current_versions, import_checklists, read_checklist_dir
from audit.store.locations import add_location
from audit.trust import TrustInputError
from audit.workflow import accounts, invitations, places
from audit.workflow import onboarding as imports

# "database is locked" once the busy timeout ran out, a lost connection, a
# constraint another process won: one line and exit 1, never a traceback.
DATABASE_ERRORS = (
    ConfigurationError,
    OperationalError,
    TransactionManagementError,
    PostgresError,
    InterfaceError,
    sqlite3.Error,
    ConnectionError,
)


def database_place(url: str) -> str:
    """Where a database URL points, for messages: a SQLite file's absolute path, or the
    PostgreSQL URL without its password."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = url.removeprefix("sqlite://").partition("?")[0]
        return path if path == ":memory:" else str(Path(path).absolute())
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    return url


async def _database_exists(url: str) -> bool:
    """Whether ``url`` names a database this service made (checked without creating one)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = url.removeprefix("sqlite://").partition("?")[0]
        return path == ":memory:" or await asyncio.to_thread(Path(path).is_file)
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=10)
    try:
        return bool(await conn.fetchval("SELECT to_regclass('audit') IS NOT NULL"))
    finally:
        await conn.close()


def run_with_database(work: Callable[[Settings], Awaitable[int]], *, create: bool = True) -> int:
    """Apply pending migrations, open the database, run ``work``, close.

    ``create=False`` is for commands that read what is there (``report``,
    ``user deactivate``): a database that does not exist is one line and
    exit 1, never a new empty database (or secret key) where the command ran.
    """
    settings = Settings.from_env(create_secret=create)
    where = database_place(settings.database_url)
    opened = False

    async def main() -> int:
        nonlocal opened
        try:
            if not create and not await _database_exists(settings.database_url):
                raise CommandError(
                    f"no database at {where} (set AUDIT_DATABASE_URL, or run in the project folder)"
                )
            async with database(settings):
                opened = True
                return await work(settings)
        except (*DATABASE_ERRORS, OSError) as exc:
            if not opened:
                # A bad AUDIT_DATABASE_URL, an unreachable server, a refused login.
                raise CommandError(
                    f"cannot open the database at {where}: {one_line(exc)}"
                ) from None
            if isinstance(exc, DATABASE_ERRORS):
                raise CommandError(f"database error at {where}: {one_line(exc)}") from None
            raise CommandError(one_line(exc)) from None

    return asyncio.run(main())


def _checklists_in(directory: Path) -> list[tuple[str, Checklist]]:
    """Every checklist of ``directory``, all valid, or (problems printed) a CommandError."""
    checklists, problems = read_checklist_dir(directory)
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        raise CommandError("nothing imported: fix the problems above first")
    if not checklists:
        raise CommandError(f"{directory}: no *.yaml checklists found")
    return checklists


def checklist_import(args: argparse.Namespace) -> int:
    directory = Path(args.directory)
    if not directory.is_dir():
        raise CommandError(f"{directory}: not a directory")
    # Read and validated before the database opens: a bad file costs no migration.
    checklists = _checklists_in(directory)

    async def work(settings: Settings) -> int:
        for result in await import_checklists(checklists):
            print(f"{result.path}: {result.slug} v{result.version} {result.action}")
        return 0

    return run_with_database(work)


_PLACE_OPTIONS = {"latitude": "--lat", "longitude": "--lon", "hours": "--hours"}


def _place_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The proof-of-visit columns ``location add`` was given, checked (nothing else changes)."""
    given_place = args.lat is not None or args.lon is not None
    if not given_place and args.hours is None and args.timezone is None:
        return {}
    try:
        hours = places.hours_from_text(args.hours) if args.hours is not None else None
        place = places.parse_place(args.lat, args.lon, hours, args.timezone)
    except TrustInputError as exc:
        field, message = next(iter(exc.fields.items()))
        option = _PLACE_OPTIONS.get(field.partition(".")[0], f"--{field.partition('.')[0]}")
        raise CommandError(
            f"{option}: {field}: {message}" if "." in field else f"{option}: {message}"
        ) from None
    changes = place.fields()
    if not given_place:
        del changes["latitude"], changes["longitude"]
    if args.hours is None:
        del changes["opening_hours"]
    if args.timezone is None:
        del changes["timezone"]
    return changes


def location_add(args: argparse.Namespace) -> int:
    if not args.code.strip() or len(args.code) > 64:
        raise CommandError("CODE must be 1 to 64 characters")
    if not args.name.strip():
        raise CommandError("--name must not be empty")
    place = _place_changes(args)

    async def work(settings: Settings) -> int:
        location, created = await add_location(
            args.code.strip(), args.name.strip(), args.region, args.address
        )
        if place:
            await visit_store.set_places([(location.code, place)])
        print(f"location {location.code} {'created' if created else 'updated'}")
        return 0

    return run_with_database(work)


# Below this many rows an import is over before a bar would be worth drawing.
PROGRESS_MIN_ROWS = 200
PROGRESS_WIDTH = 30


class ProgressBar:
    """``[#####-----] 1,000/2,000 rows`` redrawn in place on a terminal's stderr."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_MIN_ROWS:
            return
        filled = PROGRESS_WIDTH * done // total if total else PROGRESS_WIDTH
        bar = "#" * filled + "-" * (PROGRESS_WIDTH - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {done:,}/{total:,} rows")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            self.drawn = False


def import_file(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: cannot read it ({exc.strerror or one_line(exc)})") from None
    filename = str(path)

    async def work(settings: Settings) -> int:
        if args.dry_run:
            plan = await imports.preview(args.kind, filename, data)
        else:
            bar = ProgressBar(f"importing {args.kind}") if sys.stderr.isatty() else None
            try:
                applied = await imports.apply(
                    args.kind, filename, data, progress=bar, settings=settings
                )
            except Conflict as exc:
                raise CommandError(f"{filename}: {exc.message}") from None
            finally:
                if bar is not None:
                    bar.close()
            plan = applied.plan
        if not plan.ok:
            for line in plan.problem_lines():
                print(line, file=sys.stderr)
            count = len(plan.problems)
            raise CommandError(
                f"{filename}: nothing imported: {count} problem{'s' if count != 1 else ''}"
            )
        if args.dry_run:
            for row in plan.rows:
                if row.action == imports.UNCHANGED:
                    continue
                detail = "; ".join(f"{name} {old!r} -> {new!r}" for name, old, new in row.changes)
                print(
                    f"{filename}:{row.line}: {row.key} {row.action}"
                    + (f": {detail}" if detail else "")
                )
            print(f"{filename}: dry run, nothing written: {plan.summary()}")
        else:
            print(f"{filename}: {plan.summary()}")
            added = plan.count(imports.ADDED)
            if args.kind != "locations" and added:
                if applied.invited:
                    print(f"{filename}: {_count(applied.invited, 'invitation')} queued")
                else:
                    print(
                        f"{filename}: no invitations sent (AUDIT_SMTP_URL is not set): invite"
                        " the new users from HQ's users page or with `audit user invite`"
                    )
        return 0

    return run_with_database(work)


def location_coordinates(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}:1: cannot read: {one_line(exc)}") from None

    async def work(settings: Settings) -> int:
        codes = await visit_store.location_codes()
        try:
            changes = places.parse_coordinates_csv(text, str(path), codes)
        except places.PlaceFileError as exc:
            for line in exc.problems:
                print(line, file=sys.stderr)
            raise CommandError(
                f"nothing changed: fix the {len(exc.problems)} problem(s) above"
            ) from None
        count = await visit_store.set_places(changes)
        print(f"{count} location{'s' if count != 1 else ''} placed")
        return 0

    return run_with_database(work)


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'s' if n != 1 else ''}"


def user_invite(args: argparse.Namespace) -> int:
    email = args.email.strip()
    if "@" not in email or len(email) > 254:
        raise CommandError(f"{email!r} is not an e-mail address")
    if args.location and args.role != "owner":
        raise CommandError("--location is for owners (use --role owner)")

    async def work(settings: Settings) -> int:
        try:
            invited = await invitations.invite(
                settings, email, args.role, args.name or "", args.location or [], args.language
            )
        except (Conflict, Invalid) as exc:
            raise CommandError(exc.message) from None
        what = "created" if invited.created else "updated"
        print(
            f"user {invited.email} ({invited.role}) {what}; invitation valid until"
            f" {invited.expires_at:%Y-%m-%d %H:%M} UTC"
        )
        if invited.link is None:
            print("the invitation is queued; the running service e-mails it")
        else:
            print(f"AUDIT_SMTP_URL is not set: send them this link yourself: {invited.link}")
        return 0

    return run_with_database(work)


def user_reactivate(args: argparse.Namespace) -> int:
    async def work(settings: Settings) -> int:
        try:
            email = await accounts.reactivate(args.email)
        except NotFound as exc:
            raise CommandError(exc.message) from None
        print(f"user {email} may sign in again")
        return 0

    return run_with_database(work, create=False)


def _password() -> str:
    password = password_from_env()
    if password:
        return password
    if not sys.stdin.isatty():
        raise CommandError("set AUDIT_PASSWORD (no terminal to ask for a password)")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise CommandError("the passwords differ")
    return first


def user_add(args: argparse.Namespace) -> int:
    email = args.email.strip()
    if "@" not in email or len(email) > 254:
        raise CommandError(f"{email!r} is not an e-mail address")
    if args.location and args.role != "owner":
        raise CommandError("--location is for owners (use --role owner)")
    password = _password()
    problem = password_problem(password, email, args.name or "")
    if problem is not None:
        raise CommandError(problem)

    async def work(settings: Settings) -> int:
        try:
            user, created = await add_user(
                email, args.role, password, args.name or "", args.location or [], args.language
            )
        except (LookupError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        print(f"user {user.email} ({user.role}) {'created' if created else 'updated'}")
        return 0

    return run_with_database(work)


def user_deactivate(args: argparse.Namespace) -> int:
    async def work(settings: Settings) -> int:
        try:
            ended = await accounts.deactivate(args.email)
        except NotFound as exc:
            raise CommandError(exc.message) from None
        print(f"user {ended.email} deactivated; {_sessions(ended.sessions)} ended")
        return 0

    return run_with_database(work, create=False)


def user_sessions_revoke(args: argparse.Namespace) -> int:
    async def work(settings: Settings) -> int:
        try:
            ended = await accounts.end_sessions(args.email)
        except NotFound as exc:
            raise CommandError(exc.message) from None
        print(f"user {ended.email}: {_sessions(ended.sessions)} ended")
        return 0

    return run_with_database(work, create=False)


def _sessions(count: int) -> str:
    return f"{count} session{'s' if count != 1 else ''}"


def _shipped_checklists(directory: Path) -> list[tuple[str, Checklist]]:
    if not directory.is_dir():
        raise CommandError(
            f"demo: the database has no checklists and there is no {directory}/ to import: "
            "run `audit checklist import DIR` first (or set AUDIT_CHECKLISTS_DIR)"
        )
    return _checklists_in(directory)


async def _import_shipped_checklists(directory: Path) -> None:
    """A database without checklists gets the shipped ones, as `audit checklist import` does."""
    if await current_versions():
        return
    checklists = await asyncio.to_thread(_shipped_checklists, directory)
    imported = await import_checklists(checklists)
    print(f"demo: the database had no checklists; imported {len(imported)} from {directory}/")


def demo(args: argparse.Namespace) -> int:
    if args.locations < 1 or args.audits < 0:
        raise CommandError("--locations must be at least 1 and --audits not negative")

    async def work(settings: Settings) -> int:
        await _import_shipped_checklists(settings.checklists_dir)
        try:
            summary = await fill_demo(
                settings,
                DemoSize(args.locations, args.audits),
                seed=args.seed,
                only_if_empty=args.if_empty,
            )
        except DemoError as exc:
            raise CommandError(f"demo: {exc}") from None
        print(summary)
        return 0

    return run_with_database(work)


def backup(args: argparse.Namespace) -> int:
    settings = Settings.from_env(create_secret=False)  # it copies what is there
    url = settings.database_url
    # Checked before the backup folder is made: a wrong folder gets nothing.
    if url.startswith("sqlite://") and not asyncio.run(_database_exists(url)):
        raise CommandError(f"no database at {database_place(url)} (set AUDIT_DATABASE_URL)")
    try:
        result = write_backup(settings, Path(args.path))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    except sqlite3.Error as exc:
        raise CommandError(f"database error: {one_line(exc)}") from None
    print(
        f"backup written to {result.path} "
        f"({result.database_file}, {result.media_files} media files)"
    )
    return 0


def restore(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        result = restore_backup(settings, Path(args.path))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    except sqlite3.Error as exc:
        raise CommandError(f"database error: {one_line(exc)}") from None
    print(f"restored {result.path} and {result.media_files} media files")
    return 0
