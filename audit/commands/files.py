"""The commands that read files only: ``checklist validate``, ``checklist schema``, ``score``."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from audit.answers import AnswersError, parse_answers_document
from audit.checklist import ChecklistError, load_checklist
from audit.commands import CommandError
from audit.schema import checklist_schema_json
from audit.scoring import score_answers


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
    except RecursionError:  # 50,000 "[" nest deeper than Python's stack
        raise CommandError(f"{path}:1: invalid JSON: nested too deeply") from None


# Keys of an audit as ``GET /api/audits/{uuid}`` returns it: its answers are scored.
_AUDIT_KEYS = frozenset({"uuid", "status", "scorecard", "location"})


def answers_document(doc: Any, checklist_id: str) -> Any:
    """The Answers JSON of what ``audit score`` was given (README, "Scoring a file").

    Three shapes are taken: the Answers JSON ``{"checklist", "answers"}``
    (``checklist`` may be left out), an audit as the API returns it (its
    ``checklist`` and ``answers``), and the bare answers object keyed by item
    id. Anything else goes to the validator as it is, to be refused there.
    """
    if not isinstance(doc, dict):
        return doc
    if "answers" in doc and isinstance(doc["answers"], dict):
        if _AUDIT_KEYS & doc.keys():
            return {"checklist": doc.get("checklist", checklist_id), "answers": doc["answers"]}
        return doc
    if "checklist" in doc:
        return doc
    return {"checklist": checklist_id, "answers": doc}


def checklist_validate(args: argparse.Namespace) -> int:
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
    if failed:
        return 1
    count = len(args.files)
    print(f"{count} checklist{'s' if count != 1 else ''} valid")
    return 0


def checklist_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(checklist_schema_json())
    return 0


def score(args: argparse.Namespace) -> int:
    try:
        checklist = load_checklist(args.checklist)
    except ChecklistError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 1
    doc, text = read_json_file(args.answers)
    try:
        answers = parse_answers_document(checklist, answers_document(doc, checklist.id))
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
