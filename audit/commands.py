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


def run_with_database(work: Callable[[Settings], Awaitable[int]]) -> int:
    """Apply pending migrations, open the database, run ``work``, close."""
    from asyncpg import PostgresError  # type: ignore[import-untyped]
    from tortoise.exceptions import ConfigurationError

    from audit.db import database

    settings = Settings.from_env()

    async def main() -> int:
        try:
            async with database(settings):
                return await work(settings)
        except (OSError, ConfigurationError, PostgresError) as exc:
            # A bad AUDIT_DATABASE_URL, an unreachable server, a refused login.
            raise CommandError(f"cannot open the database: {exc}") from None

    return asyncio.run(main())


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from audit.app import create_app

    settings = Settings.from_env()
    print(f"audit: serving on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=os.environ.get("AUDIT_LOG_LEVEL", "warning"),
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("AUDIT_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    )
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
    from audit.backup import BackupError, backup

    settings = Settings.from_env()
    try:
        result = backup(settings, Path(args.path))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(
        f"backup written to {result.path} "
        f"({result.database_file}, {result.media_files} media files)"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from audit.backup import BackupError, restore

    settings = Settings.from_env()
    try:
        result = restore(settings, Path(args.path))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"restored {result.path} and {result.media_files} media files")
    return 0


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
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

    demo = sub.add_parser("demo", help="fill the database with a realistic synthetic data set")
    demo.add_argument("--locations", type=int, default=12)
    demo.add_argument("--audits", type=int, default=60)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument(
        "--if-empty", action="store_true", help="do nothing when the database already has audits"
    )
    demo.set_defaults(func=cmd_demo)


EXTRA_COMMANDS.append(register)
