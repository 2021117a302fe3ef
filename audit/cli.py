"""The ``audit`` command.  Errors are one line on stderr and exit status 1."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from audit.answers import AnswersError, parse_answers_document
from audit.checklist import ChecklistError, load_checklist
from audit.schema import checklist_schema_json
from audit.scoring import score_answers


class CommandError(Exception):
    """A user error: printed as one line, exit status 1, no traceback."""


def _json_line(text: str, needle: str, after: str | None = None) -> int:
    """Best-effort line of ``"needle"`` in a JSON text (after ``"after"`` if given)."""
    start = 0
    if after is not None:
        found = text.find(f'"{after}"')
        start = max(found, 0)
    pos = text.find(f'"{needle}"', start)
    if pos < 0:
        pos = start
    return text.count("\n", 0, pos) + 1


class _ConstantError(ValueError):
    """Python's json accepts NaN and Infinity; JSON (and the answers) do not."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not valid JSON")
        self.name = name


def _reject_constant(name: str) -> Any:
    raise _ConstantError(name)


def read_json_file(path: str) -> tuple[Any, str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{path}:1: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path}:1: file is not UTF-8 text") from None
    try:
        return json.loads(text, parse_constant=_reject_constant), text
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except _ConstantError as exc:
        # The decoder does not say where; the first bare occurrence is a good guess.
        found = re.search(rf'(?<![\w"]){re.escape(exc.name)}(?![\w"])', text)
        line = text.count("\n", 0, found.start()) + 1 if found else 1
        raise CommandError(f"{path}:{line}: invalid JSON: {exc}") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise CommandError(f"{path}:1: invalid JSON: {exc}") from None


def cmd_checklist_validate(args: argparse.Namespace) -> int:
    failed = False
    for path in args.files:
        try:
            checklist = load_checklist(path)
        except ChecklistError as exc:
            failed = True
            for line in exc.lines():
                print(line, file=sys.stderr)
        else:
            if args.verbose:
                count = sum(1 for _ in checklist.items())
                print(f"{path}: ok ({checklist.id} v{checklist.version}, {count} items)")
    return 1 if failed else 0


def cmd_checklist_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(checklist_schema_json())
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    try:
        checklist = load_checklist(args.checklist)
    except ChecklistError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 1
    doc, text = read_json_file(args.answers)
    try:
        answers = parse_answers_document(checklist, doc)
    except AnswersError as exc:
        for field, message in exc.fields.items():
            parts = field.split(".", 1)
            needle = parts[1] if len(parts) == 2 else parts[0]
            lineno = _json_line(text, needle, "answers" if len(parts) == 2 else None)
            what = f"{field}: {message}" if field else f"the document {message}"
            print(f"{args.answers}:{lineno}: {what}", file=sys.stderr)
        return 1
    card = score_answers(checklist, answers)
    print(json.dumps(card.to_dict(), indent=2))
    return 0


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
    validate.set_defaults(func=cmd_checklist_validate)
    schema = csub.add_parser("schema", help="print the JSON Schema of checklist files")
    schema.set_defaults(func=cmd_checklist_schema)

    score = sub.add_parser("score", help="print the scorecard of an answers file")
    score.add_argument("checklist", metavar="CHECKLIST.yaml")
    score.add_argument("answers", metavar="ANSWERS.json")
    score.set_defaults(func=cmd_score)

    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


# Commands that need the service (database, reports) register themselves here,
# so that `audit checklist validate` never imports the web stack.
EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    from audit import commands  # noqa: F401  (registers the service commands)

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except CommandError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
