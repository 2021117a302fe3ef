"""The ``audit`` command line: every command and its arguments, and the entry point.

What a command does lives in :mod:`audit.commands`, one module per what it
needs; each command names its function there as ``"module:function"`` and
only the module of the command being run is imported.  Importing them all
would make ``audit checklist validate`` (0.2 s) wait 3 s for Tortoise,
uvicorn and WeasyPrint.  Errors are one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, cast

from audit.commands import CommandError
from audit.i18n import LANGUAGES

Command = Callable[[argparse.Namespace], int]

FILES = "audit.commands.files"
DATABASE = "audit.commands.database"
SERVICE = "audit.commands.service"
WAVES = "audit.commands.waves"


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line and exit status 1, like every other user error."""

    def error(self, message: str) -> NoReturn:
        self.exit(1, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="audit", description="Mystery-shopper and customer-experience audits.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    checklist = sub.add_parser("checklist", help="validate, import or describe checklists")
    csub = checklist.add_subparsers(dest="checklist_command", required=True, metavar="ACTION")
    validate = csub.add_parser("validate", help="check checklist YAML files")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("-v", "--verbose", action="store_true", help="also list valid files")
    validate.set_defaults(command_function=f"{FILES}:checklist_validate")
    schema = csub.add_parser("schema", help="print the JSON Schema of checklist files")
    schema.set_defaults(command_function=f"{FILES}:checklist_schema")
    imp = csub.add_parser("import", help="load checklists/ into the database")
    imp.add_argument("directory", nargs="?", default="checklists", metavar="DIR")
    imp.set_defaults(command_function=f"{DATABASE}:checklist_import")

    score = sub.add_parser("score", help="print the scorecard of an answers file")
    score.add_argument("checklist", metavar="CHECKLIST.yaml")
    score.add_argument("answers", metavar="ANSWERS.json")
    score.set_defaults(command_function=f"{FILES}:score")

    serve = sub.add_parser("serve", help="run the service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes behind the one address (about one per core)",
    )
    serve.set_defaults(command_function=f"{SERVICE}:serve")

    location = sub.add_parser("location", help="manage locations")
    lsub = location.add_subparsers(dest="location_command", required=True, metavar="ACTION")
    ladd = lsub.add_parser("add", help="create or update a location")
    ladd.add_argument("code", metavar="CODE")
    ladd.add_argument("--name", required=True)
    ladd.add_argument("--region")
    ladd.add_argument("--address")
    ladd.add_argument("--lat", type=float, metavar="DEGREES", help="latitude (proof of visit)")
    ladd.add_argument("--lon", type=float, metavar="DEGREES", help="longitude")
    ladd.add_argument(
        "--hours", metavar="JSON", help='opening hours, like \'{"mon": [["09:00", "18:00"]]}\''
    )
    ladd.add_argument("--timezone", metavar="ZONE", help="IANA time zone of the hours")
    ladd.set_defaults(command_function=f"{DATABASE}:location_add")
    lcoords = lsub.add_parser(
        "coordinates", help="set coordinates (and hours) from code,latitude,longitude[,hours] rows"
    )
    lcoords.add_argument("file", metavar="FILE.csv")
    lcoords.set_defaults(command_function=f"{DATABASE}:location_coordinates")

    imports = sub.add_parser("import", help="add or update many locations or users from a file")
    isub = imports.add_subparsers(dest="import_command", required=True, metavar="KIND")
    for kind, what in (
        ("locations", "locations (code, name, address, region, brand)"),
        ("owners", "franchise owners (email, name, location codes)"),
        ("auditors", "auditors (email, name)"),
    ):
        ikind = isub.add_parser(kind, help=f"import {what} from CSV or XLSX")
        ikind.add_argument("file", metavar="FILE.csv|FILE.xlsx")
        ikind.add_argument(
            "--dry-run", action="store_true", help="list what would change; write nothing"
        )
        ikind.set_defaults(command_function=f"{DATABASE}:import_file", kind=kind)

    wave = sub.add_parser("wave", help="create waves of visits and follow their progress")
    wsub = wave.add_subparsers(dest="wave_command", required=True, metavar="ACTION")
    wcreate = wsub.add_parser("create", help="create a wave and its open assignments")
    wcreate.add_argument("--name", required=True)
    wcreate.add_argument("--checklist", required=True, metavar="SLUG")
    wcreate.add_argument("--version", type=int, metavar="N", help="default: the current one")
    wcreate.add_argument("--from", dest="date_from", required=True, metavar="DATE")
    wcreate.add_argument("--to", dest="date_to", required=True, metavar="DATE")
    wcreate.add_argument("--region", metavar="R", help="the locations of one region")
    wcreate.add_argument("--locations", metavar="CODES", help='"all" (the default) or A,B,C')
    wcreate.add_argument("--locations-file", metavar="FILE.csv", help="a CSV of codes")
    wcreate.add_argument("--visits", type=int, default=1, metavar="N", help="per location")
    wcreate.add_argument(
        "--coverage",
        metavar="SLOTS",
        help="weekday,weekend and/or morning,lunch,afternoon,evening to spread visits over",
    )
    wcreate.add_argument(
        "--allow-repeat", action="store_true", help="one auditor may visit a location twice"
    )
    wcreate.add_argument(
        "--release-days", type=int, default=2, metavar="N", help="days before due to give back"
    )
    wcreate.add_argument("--notes", help="the auditors' instructions")
    wcreate.set_defaults(command_function=f"{WAVES}:wave_create")
    wlist = wsub.add_parser("list", help="every wave with its progress")
    wlist.set_defaults(command_function=f"{WAVES}:wave_list")
    wassign = wsub.add_parser(
        "assign", help="give a location's next open visit of a wave to an auditor (e-mailed)"
    )
    wassign.add_argument("name", metavar="NAME")
    wassign.add_argument("location", metavar="CODE")
    wassign.add_argument("auditor", metavar="EMAIL")
    wassign.set_defaults(command_function=f"{WAVES}:wave_assign")
    wshow = wsub.add_parser("show", help="one wave's progress per region")
    wshow.add_argument("name", metavar="NAME")
    wshow.set_defaults(command_function=f"{WAVES}:wave_show")

    user = sub.add_parser("user", help="manage users")
    usub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    uadd = usub.add_parser("add", help="create or update a user (password from AUDIT_PASSWORD)")
    uadd.add_argument("email", metavar="EMAIL")
    uadd.add_argument("--role", required=True, choices=["auditor", "owner", "hq"])
    uadd.add_argument("--name")
    uadd.add_argument("--location", nargs="+", metavar="CODE", action="extend")
    uadd.add_argument("--language", choices=LANGUAGES, help="their reports' and pages' language")
    uadd.set_defaults(command_function=f"{DATABASE}:user_add")
    uinvite = usub.add_parser(
        "invite", help="create or update a user without a password; e-mail them a link"
    )
    uinvite.add_argument("email", metavar="EMAIL")
    uinvite.add_argument("--role", required=True, choices=["auditor", "owner", "hq"])
    uinvite.add_argument("--name")
    uinvite.add_argument("--location", nargs="+", metavar="CODE", action="extend")
    uinvite.add_argument(
        "--language", choices=LANGUAGES, help="their e-mails' and reports' language"
    )
    uinvite.set_defaults(command_function=f"{DATABASE}:user_invite")
    ureactivate = usub.add_parser("reactivate", help="let a deactivated user sign in again")
    ureactivate.add_argument("email", metavar="EMAIL")
    ureactivate.set_defaults(command_function=f"{DATABASE}:user_reactivate")
    udeactivate = usub.add_parser("deactivate", help="stop a user signing in; end their sessions")
    udeactivate.add_argument("email", metavar="EMAIL")
    udeactivate.set_defaults(command_function=f"{DATABASE}:user_deactivate")
    usessions = usub.add_parser("sessions", help="manage a user's sessions")
    ssub = usessions.add_subparsers(dest="sessions_command", required=True, metavar="ACTION")
    srevoke = ssub.add_parser("revoke", help="sign the user out on every device")
    srevoke.add_argument("email", metavar="EMAIL")
    srevoke.set_defaults(command_function=f"{DATABASE}:user_sessions_revoke")

    bkp = sub.add_parser("backup", help="write a consistent copy of the database and media")
    bkp.add_argument("path", metavar="PATH")
    bkp.set_defaults(command_function=f"{DATABASE}:backup")
    rst = sub.add_parser("restore", help="restore a SQLite backup into an empty instance")
    rst.add_argument("path", metavar="PATH")
    rst.set_defaults(command_function=f"{DATABASE}:restore")

    report = sub.add_parser("report", help="render experience reports as PDF")
    report.add_argument("audit_id", nargs="?", metavar="AUDIT_ID", help="audit uuid (or id)")
    report.add_argument("-o", "--output", required=True, metavar="FILE.pdf|DIR")
    report.add_argument("--all", action="store_true", help="every approved audit (into DIR)")
    report.add_argument("--since", metavar="DATE", help="with --all: visited on or after DATE")
    report.set_defaults(command_function=f"{SERVICE}:report")

    demo = sub.add_parser("demo", help="fill the database with a realistic synthetic data set")
    demo.add_argument("--locations", type=int, default=12)
    demo.add_argument("--audits", type=int, default=60)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument(
        "--if-empty", action="store_true", help="do nothing when the database already has audits"
    )
    demo.set_defaults(command_function=f"{DATABASE}:demo")
    return parser


def command(name: str) -> Command:
    """The function a ``"module:function"`` name stands for (its module imported now)."""
    module, _, function = name.partition(":")
    return cast(Command, getattr(importlib.import_module(module), function))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = command(args.command_function)(args)
    except CommandError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
