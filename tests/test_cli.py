"""`audit checklist validate`, `audit checklist schema` and `audit score`."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from audit.cli import build_parser, command, main

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "checklists" / "valid"
INVALID = FIXTURES / "checklists" / "invalid"
ANSWERS = FIXTURES / "answers"
CAFE = str(VALID / "every-feature.yaml")
PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<message>\S.*)$")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------
# audit checklist validate


def test_validate_exits_0_and_prints_one_line_for_valid_files(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [str(p) for p in sorted(VALID.glob("*.yaml"))]
    assert run(capsys, "checklist", "validate", *files) == (
        0,
        f"{len(files)} checklists valid\n",
        "",
    )


def test_validate_verbose_lists_each_valid_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "checklist", "validate", "-v", CAFE)
    assert code == 0
    assert out == f"{CAFE}: ok (cafe-visit v2, 11 items)\n1 checklist valid\n"


def test_validate_prints_one_file_line_message_per_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = str(INVALID / "duplicates.yaml")
    code, out, err = run(capsys, "checklist", "validate", CAFE, broken)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{broken}:15: duplicate option value 'offered'",
        f"{broken}:19: duplicate item id 'answered' (first at line 8)",
        f"{broken}:21: duplicate section id 'phone' (first at line 5)",
    ]


def test_validate_reports_every_invalid_file(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(p) for p in sorted(INVALID.glob("*.yaml"))]
    code, _, err = run(capsys, "checklist", "validate", *files)
    assert code == 1
    matches = [PROBLEM_LINE.match(line) for line in err.splitlines()]
    assert all(matches), err
    assert {m["file"] for m in matches if m} == set(files)
    assert "Traceback" not in err


def test_validate_reports_an_unreadable_file_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "nowhere.yaml")
    code, _, err = run(capsys, "checklist", "validate", missing, str(tmp_path))
    assert code == 1
    assert err.splitlines() == [
        f"{missing}:1: cannot read: No such file or directory",
        f"{tmp_path}:1: cannot read: Is a directory",
    ]


def test_validate_refuses_a_file_that_is_not_utf8(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: caf\xe9\n".encode("latin-1"))
    assert run(capsys, "checklist", "validate", str(path)) == (
        1,
        "",
        f"{path}:1: file is not UTF-8 text\n",
    )


def test_validate_without_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["checklist", "validate"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "FILE" in err
    assert err.count("\n") == 1  # one line, no usage dump


# --------------------------------------------------------------------------
# audit score


def test_score_prints_the_scorecard_computed_by_hand(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "score", CAFE, str(ANSWERS / "every-feature.json"))
    assert (code, err) == (0, "")
    card = json.loads(out)
    # See tests/test_scoring.py for the working: arrival 2/3, counter 3.5/5,
    # checkout 1/1; overall (200/3 + 3 * 70 + 2 * 100) / 6.
    assert card["overall"] == pytest.approx(1430 / 18)
    assert card["service"] == pytest.approx(250 / 3)
    assert card["experience"] == pytest.approx(200 / 3)
    assert card["sections"]["counter"] == {"score": 70.0, "earned": 3.5, "possible": 5.0}
    assert card["critical_failures"] == []
    assert card["nps"] == 9
    assert card["missing"] == []


def test_score_reports_missing_answers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answers = write(
        tmp_path,
        "partial.json",
        json.dumps({"checklist": "cafe-visit", "answers": {"clean_entrance": {"value": False}}}),
    )
    code, out, _ = run(capsys, "score", CAFE, answers)
    assert code == 0
    card = json.loads(out)
    # only clean_entrance counts, p = 0, and it is critical: 0 capped at 40 stays 0
    assert card["overall"] == 0.0
    assert card["critical_failures"] == ["clean_entrance"]
    assert card["missing"] == [
        "queue_minutes",
        "greeted",
        "friendliness",
        "card_accepted",
        "recommend",
    ]


def test_score_reports_invalid_json_with_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(ANSWERS / "invalid-syntax.json")
    code, out, err = run(capsys, "score", CAFE, path)
    assert (code, out) == (1, "")
    assert err == f"{path}:5: invalid JSON: Expecting property name enclosed in double quotes\n"


def test_score_refuses_nan_naming_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(ANSWERS / "nan.json")
    assert run(capsys, "score", CAFE, path) == (
        1,
        "",
        f"{path}:5: invalid JSON: NaN is not valid JSON\n",
    )


@pytest.mark.parametrize("constant", ["Infinity", "-Infinity"])
def test_score_refuses_infinity(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, constant: str
) -> None:
    path = write(
        tmp_path,
        "inf.json",
        '{"checklist": "cafe-visit",\n "answers": {"queue_minutes": {"value": ' + constant + "}}}",
    )
    code, _, err = run(capsys, "score", CAFE, path)
    assert code == 1
    assert err == f"{path}:2: invalid JSON: {constant} is not valid JSON\n"


def test_score_refuses_1e309_as_not_finite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "big.json",
        '{"checklist": "cafe-visit",\n "answers": {"queue_minutes": {"value": 1e309}}}',
    )
    assert run(capsys, "score", CAFE, path) == (
        1,
        "",
        f"{path}:2: answers.queue_minutes: must be a finite number\n",
    )


def test_score_reports_every_answer_problem_at_its_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(ANSWERS / "many-problems.json")
    code, out, err = run(capsys, "score", CAFE, path)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{path}:4: answers.clean_entrance: must be true or false",
        f"{path}:5: answers.queue_minutes: must be a number",
        f"{path}:6: answers.friendliness: must be a whole number",
        f"{path}:7: answers.no_such_item: no item 'no_such_item' in checklist 'cafe-visit'",
        f"{path}:8: answers.card_accepted: cannot be answered 'not applicable'",
    ]


def test_score_refuses_answers_for_another_checklist(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "other.json", '{\n  "checklist": "retail-store",\n  "answers": {}\n}\n')
    assert run(capsys, "score", CAFE, path) == (
        1,
        "",
        f"{path}:2: checklist: names 'retail-store', but the checklist is 'cafe-visit'\n",
    )


def test_score_reports_an_invalid_checklist_as_file_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = str(INVALID / "bad-bands.yaml")
    code, out, err = run(capsys, "score", broken, str(ANSWERS / "every-feature.json"))
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == f"{broken}:11: 'points' must be at most 1, not 1.5"


@pytest.mark.parametrize(
    "text",
    # ({} is an empty bare answers object: scored, every required item missing.)
    ["[]", '"answers"', '{"answers": []}', '{"answers": {"x": 1}, "extra": true}'],
)
def test_score_never_prints_a_traceback_for_odd_documents(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> None:
    code, out, err = run(capsys, "score", CAFE, write(tmp_path, "odd.json", text))
    assert (code, out) == (1, "")
    assert all(PROBLEM_LINE.match(line) for line in err.splitlines()), err


def test_score_says_the_document_must_be_an_object(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "list.json", "[]")
    assert run(capsys, "score", CAFE, path) == (
        1,
        "",
        f'{path}:1: the document must be an object {{"checklist": ..., "answers": {{...}}}}\n',
    )


def test_score_reports_an_unreadable_answers_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.json"
    latin = tmp_path / "latin1.json"
    latin.write_bytes(b'{"checklist": "caf\xe9"}')
    assert run(capsys, "score", CAFE, str(missing)) == (
        1,
        "",
        f"{missing}:1: cannot read: No such file or directory\n",
    )
    assert run(capsys, "score", CAFE, str(latin)) == (1, "", f"{latin}:1: file is not UTF-8 text\n")


# --------------------------------------------------------------------------
# audit checklist schema, and the installed command


def test_schema_prints_the_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "checklist", "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["id", "title", "sections"]


def audit_command() -> list[str]:
    script = Path(sys.executable).parent / "audit"
    return [str(script)] if script.exists() else [sys.executable, "-m", "audit"]


def test_the_installed_command_validates_and_scores(tmp_path: Path) -> None:
    broken = str(INVALID / "yaml11-boolean.yaml")
    done = subprocess.run(
        [*audit_command(), "checklist", "validate", CAFE, broken],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"{broken}:10: 'required' must be true or false (write true or false, not yes or no),"
        " not 'no'",
        f"{broken}:13: 'answered' is yes_no: compare it with true or false, not 'yes'",
    ]
    done = subprocess.run(
        [*audit_command(), "score", CAFE, str(ANSWERS / "every-feature.json")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["sections"]["checkout"]["score"] == 100.0


# --------------------------------------------------------------------------
# the parser and the command modules


def _leaf_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command words, parser) of every runnable command."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for name, child in subs[0].choices.items():
        yield from _leaf_parsers(child, (*path, name))


def test_every_command_names_a_function_of_audit_commands() -> None:
    leaves = dict(_leaf_parsers(build_parser()))
    # The contract's commands (../shared/CONTRACT.md and the README) among them.
    assert set(leaves) >= {
        ("checklist", "validate"),
        ("checklist", "schema"),
        ("checklist", "import"),
        ("score",),
        ("serve",),
        ("location", "add"),
        ("user", "add"),
        ("backup",),
        ("restore",),
        ("report",),
        ("demo",),
    }
    for words, parser in leaves.items():
        name = parser.get_default("command_function")
        assert name.startswith("audit.commands."), words
        assert callable(command(name)), words


def test_validate_and_score_start_without_the_database_or_the_web_stack() -> None:
    probe = (
        "import sys\n"
        "from audit.cli import main\n"
        f"main(['checklist', 'validate', {CAFE!r}])\n"
        f"main(['score', {CAFE!r}, {str(ANSWERS / 'every-feature.json')!r}])\n"
        "heavy = {'tortoise', 'starlette', 'uvicorn', 'weasyprint', 'audit.commands.database'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines()[-1] == "[]"


def test_a_usage_error_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["location", "add", "S1"])
    _, err = capsys.readouterr()
    assert exited.value.code == 1
    assert err.splitlines() == [
        "audit location add: the following arguments are required: --name (see audit location add"
        " --help)"
    ]
