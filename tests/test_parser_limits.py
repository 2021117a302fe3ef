"""Hostile checklist and answers files: one `FILE:LINE: message` and exit 1, never a
traceback (issue 13, item 6)."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from audit.checklist import ChecklistError, parse_checklist
from audit.cli import main
from audit.yamlsource import MAX_DEPTH, SourceError, load_yaml

ROOT = Path(__file__).resolve().parent.parent
# The tests' own checklists: the shipped ones change with the product.
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "api").glob("*.yaml"))

DEEP = "[" * 50_000 + "]" * 50_000
NUL = "id: broken\ntitle: Bro\x00ken\nversion: 1\nsections: []\n"


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("AUDIT_") and name != "AUDIT_TEST_POSTGRES":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AUDIT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("AUDIT_DATABASE_URL", f"sqlite://{tmp_path}/db/audit.sqlite3")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    return monkeypatch


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (DEEP, 1, f"nested more than {MAX_DEPTH} levels deep"),
        ("id: x\na: " + "{x: " * 20_000 + "1" + "}" * 20_000 + "\n", 2, "levels deep"),
        (NUL, 2, "U+0000 is not allowed"),
        ("id: x\n\x07bell: 1\n", 2, "U+0007 is not allowed"),
    ],
    ids=["lists", "mappings", "nul", "bell"],
)
def test_validate_prints_one_file_line_message_and_exits_1(tmp_path, capsys, text, line, message):
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")

    code, out, err = run(capsys, "checklist", "validate", str(path))

    assert code == 1
    assert out == ""
    assert "Traceback" not in err and "Error" not in err
    assert err.splitlines() == [err.strip()]
    assert err.startswith(f"{path}:{line}: ")
    assert message in err


@pytest.mark.parametrize("text", [DEEP, NUL], ids=["deep", "nul"])
def test_import_refuses_the_directory_with_the_files_line_and_exits_1(env, tmp_path, capsys, text):
    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "hostile.yaml").write_text(text, encoding="utf-8")

    code, out, err = run(capsys, "checklist", "import", str(folder))

    assert (code, out) == (1, "")
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"{folder / 'hostile.yaml'}:")
    assert lines[-1] == "nothing imported: fix the problems above first"
    assert len(lines) == 2


def test_score_with_deeply_nested_answers_is_one_line(tmp_path, capsys):
    answers = tmp_path / "answers.json"
    answers.write_text(DEEP)

    code, out, err = run(capsys, "score", str(FIXTURES[0]), str(answers))

    assert (code, out) == (1, "")
    assert err.strip() == f"{answers}:1: invalid JSON: nested too deeply"


def test_honest_nesting_well_below_the_limit_still_parses():
    # show_if conditions nest all/any inside each other; twenty levels are fine.
    value = load_yaml("a: " + "[" * 20 + "1" + "]" * 20 + "\n")
    for _ in range(21):  # the mapping, then twenty lists
        value = value["a"] if isinstance(value, dict) else value[0]
    assert value == 1
    with pytest.raises(SourceError):
        load_yaml("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    for path in FIXTURES:
        assert parse_checklist(path.read_text(encoding="utf-8"), str(path)).id


def test_the_checklist_parser_reports_a_nul_byte_as_a_problem():
    with pytest.raises(ChecklistError) as found:
        parse_checklist(NUL, "x.yaml")

    assert [(p.line, "U+0000" in p.message) for p in found.value.problems] == [(2, True)]
