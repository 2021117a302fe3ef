"""Checklist YAML → frozen dataclasses, and every problem reported as FILE:LINE."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audit.checklist import (
    Band,
    ChecklistError,
    Condition,
    Option,
    checklist_from_dict,
    load_checklist,
    parse_checklist,
)

FIXTURES = Path(__file__).parent / "fixtures" / "checklists"
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
SHIPPED = sorted((Path(__file__).parent.parent / "checklists").glob("*.yaml"))
EXPECT = re.compile(r"(?:^|\s)#\s*expect:\s*(.+?)\s*$")

MINIMAL = """\
id: minimal
title: Minimal
sections:
  - id: phone
    items:
      - id: answered
        type: yes_no
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ChecklistError) as info:
        parse_checklist(text, "c.yaml")
    return info.value.lines()


def expected_problems(path: Path) -> dict[int, str]:
    """The `# expect: TEXT` markers of an invalid fixture, by line."""
    marks = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        found = EXPECT.search(line)
        if found:
            marks[number] = found.group(1)
    return marks


# --------------------------------------------------------------------------
# The contract's example


def test_the_contract_example_loads_exactly() -> None:
    checklist = load_checklist(FIXTURES / "valid" / "contract-example.yaml")
    assert (checklist.id, checklist.title, checklist.version) == (
        "retail-store",
        "Retail store visit",
        4,
    )
    assert checklist.scenario == "Call the store first and ask whether ..."
    assert checklist.critical_fail_score == 0
    [phone] = checklist.sections
    assert (phone.id, phone.title, phone.touchpoint, phone.weight) == (
        "phone",
        "Phone enquiry",
        "phone",
        2,
    )
    items = checklist.item_map()
    assert list(items) == [
        "answered_quickly",
        "rings",
        "greeting",
        "needed_restroom",
        "restroom",
        "recommend",
        "notes",
    ]
    answered = items["answered_quickly"]
    assert answered.text == "The call was answered within three rings"
    assert (answered.type, answered.kind, answered.weight) == ("yes_no", "service", 3)
    assert (answered.critical, answered.na, answered.required) == (False, True, True)
    assert answered.photo == "optional"
    assert answered.help == "Count rings until a person (not a machine) answers"
    rings = items["rings"]
    assert rings.unit == "rings"
    assert rings.bands == (Band(3, 1), Band(5, 0.5), Band(None, 0))
    greeting = items["greeting"]
    assert (greeting.type, greeting.min, greeting.max) == ("scale", 1, 5)
    restroom = items["restroom"]
    assert restroom.options == (
        Option("offered", "Offered without hesitation", 1),
        Option("after_asking", "Only after asking twice", 0.5),
        Option("refused", "Refused or sent elsewhere", 0),
    )
    assert restroom.show_if == Condition("equals", item="needed_restroom", value=True)
    assert items["recommend"].type == "nps"
    assert items["recommend"].scored is False


def test_items_left_at_their_defaults() -> None:
    items = load_checklist(FIXTURES / "valid" / "contract-example.yaml").item_map()
    rings = items["rings"]
    assert rings.text == "Rings"  # the id, made readable
    assert (rings.kind, rings.weight, rings.critical, rings.na) == ("experience", 1, False, False)
    assert (rings.required, rings.photo, rings.help, rings.show_if) == (True, "none", None, None)
    assert items["notes"].required is False  # text and photo are optional by default
    assert items["recommend"].required is True


def test_a_minimal_checklist_gets_its_defaults() -> None:
    checklist = parse_checklist(MINIMAL)
    assert (checklist.version, checklist.scenario, checklist.critical_fail_score) == (1, "", 0)
    [section] = checklist.sections
    assert (section.title, section.touchpoint, section.weight) == ("Phone", "phone", 1)


def test_a_scale_without_bounds_runs_from_1_to_5() -> None:
    checklist = parse_checklist(MINIMAL.replace("type: yes_no", "type: scale"))
    item = checklist.sections[0].items[0]
    assert (item.min, item.max) == (1, 5)


def test_the_contract_example_as_written_reports_its_undefined_item() -> None:
    # CONTRACT.md's example shows `restroom` only when `needed_restroom` is
    # true but never defines `needed_restroom`: the one thing it gets wrong.
    text = (FIXTURES / "valid" / "contract-example.yaml").read_text(encoding="utf-8")
    text = text.replace("      - id: needed_restroom\n        type: yes_no\n", "")
    line = text.splitlines().index("        show_if: {item: needed_restroom, equals: true}") + 1
    assert problems_of(text) == [
        f"c.yaml:{line}: show_if names 'needed_restroom', which is not an earlier item"
        " (conditions may only read answers given before this item)"
    ]


# --------------------------------------------------------------------------
# to_dict, checklist_from_dict, content_hash


@pytest.mark.parametrize("path", VALID + SHIPPED, ids=lambda p: p.name)
def test_to_dict_round_trips_through_checklist_from_dict(path: Path) -> None:
    checklist = load_checklist(path)
    again = checklist_from_dict(checklist.to_dict())
    assert again == checklist
    assert again.to_dict() == checklist.to_dict()
    assert again.content_hash == checklist.content_hash


def test_round_trip_keeps_text_outside_ascii_and_tiny_numbers() -> None:
    # Going through JSON text read back as YAML split the emoji into two
    # surrogates and read 1e-05 as text.
    checklist = parse_checklist(
        MINIMAL.replace("title: Minimal", "title: Café ☕ 😀").replace(
            "type: yes_no", "type: yes_no\n        weight: 0.00001"
        )
    )
    again = checklist_from_dict(checklist.to_dict())
    assert again.title == "Café ☕ 😀"
    assert again.sections[0].items[0].weight == 1e-05
    assert again == checklist


def test_to_dict_fills_in_every_default() -> None:
    item = parse_checklist(MINIMAL).to_dict()["sections"][0]["items"][0]
    assert item == {
        "id": "answered",
        "text": "Answered",
        "type": "yes_no",
        "kind": "experience",
        "weight": 1,
        "critical": False,
        "na": False,
        "required": True,
        "photo": "none",
    }


def test_content_hash_ignores_comments_whitespace_and_spelled_out_defaults() -> None:
    reformatted = (
        "# A comment at the top\n\n"
        "id:   minimal   # trailing comment\n"
        "title: Minimal\n"
        "version: 1\n"
        "sections:\n"
        "- id: phone\n"
        "  weight: 1\n"
        "  items:\n"
        "  - {id: answered, type: yes_no, required: true}\n"
    )
    assert parse_checklist(reformatted).content_hash == parse_checklist(MINIMAL).content_hash


def test_content_hash_changes_with_a_weight() -> None:
    heavier = MINIMAL.replace("type: yes_no", "type: yes_no\n        weight: 2")
    assert parse_checklist(heavier).content_hash != parse_checklist(MINIMAL).content_hash


def test_content_hash_changes_with_the_text_shown() -> None:
    reworded = MINIMAL.replace("type: yes_no", "type: yes_no\n        text: Picked up")
    assert parse_checklist(reworded).content_hash != parse_checklist(MINIMAL).content_hash


# --------------------------------------------------------------------------
# Every problem, with its line


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_every_marked_problem_is_reported_at_its_line(path: Path) -> None:
    expected = expected_problems(path)
    assert expected, f"{path.name} has no `# expect:` markers"
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    error = info.value
    reported: dict[int, list[str]] = {}
    for problem in error.problems:
        reported.setdefault(problem.line, []).append(problem.message)
    assert sorted(reported) == sorted(expected), error.lines()
    for line, text in expected.items():
        assert any(text in message for message in reported[line]), (line, reported[line])
    for formatted in error.lines():
        assert re.match(rf"^{re.escape(str(path))}:\d+: \S", formatted)


def test_problems_are_listed_in_line_order() -> None:
    with pytest.raises(ChecklistError) as info:
        load_checklist(FIXTURES / "invalid" / "types-and-values.yaml")
    lines = [p.line for p in info.value.problems]
    assert lines == sorted(lines)
    assert len(lines) == 13


def test_an_unknown_key_suggests_the_closest_known_one() -> None:
    text = MINIMAL.replace("type: yes_no", "type: yes_no\n        wieght: 2")
    assert problems_of(text) == [
        "c.yaml:8: unknown key 'wieght' in an item (did you mean 'weight'?)"
    ]


def test_a_yaml_1_1_yes_for_critical_says_to_write_true() -> None:
    text = MINIMAL.replace("type: yes_no", "type: yes_no\n        critical: yes")
    assert problems_of(text) == [
        "c.yaml:8: 'critical' must be true or false (write true or false, not yes or no), not 'yes'"
    ]


def test_a_checklist_without_sections_is_refused() -> None:
    assert problems_of("id: x\ntitle: X\nsections: []\n") == [
        "c.yaml:3: a checklist needs at least one section"
    ]


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    assert problems_of("- a\n- b\n") == ["c.yaml:1: the checklist must be a mapping"]


def test_a_section_id_that_is_no_touchpoint_slug_needs_a_touchpoint() -> None:
    text = MINIMAL.replace("  - id: phone", "  - id: Phone.Call")
    assert problems_of(text) == [
        "c.yaml:4: section 'Phone.Call' needs a 'touchpoint' (its id is not a touchpoint slug)"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (".nan", "'weight' must be a number, not nan"),
        (".inf", "'weight' must be a number, not inf"),
        ("-1", "'weight' must be greater than 0, not -1"),
        ("true", "'weight' must be a number, not true"),
    ],
)
def test_weights_must_be_finite_positive_numbers(value: str, message: str) -> None:
    text = MINIMAL.replace("type: yes_no", f"type: yes_no\n        weight: {value}")
    assert problems_of(text) == [f"c.yaml:8: {message}"]


def test_show_if_on_a_photo_item_is_refused() -> None:
    text = MINIMAL.replace(
        "      - id: answered\n        type: yes_no\n",
        "      - id: shelf\n        type: photo\n"
        "      - id: tidy\n        type: yes_no\n        show_if: {item: shelf, equals: x}\n",
    )
    assert problems_of(text) == ["c.yaml:10: 'shelf' is a photo item and cannot be used in show_if"]


def test_show_if_in_needs_a_non_empty_list() -> None:
    text = (
        MINIMAL + "      - id: b\n        type: yes_no\n        show_if: {item: answered, in: []}\n"
    )
    assert problems_of(text) == ["c.yaml:10: 'in' needs a list of values"]


def test_show_if_combinator_must_stand_alone() -> None:
    text = (
        MINIMAL
        + "      - id: b\n        type: yes_no\n"
        + "        show_if: {all: [{item: answered, equals: true}], item: answered}\n"
    )
    assert problems_of(text) == ["c.yaml:10: 'all' must stand alone in its condition"]


def test_show_if_may_read_an_item_of_an_earlier_section() -> None:
    text = (
        MINIMAL
        + "  - id: store\n    touchpoint: arrival\n    items:\n"
        + "      - id: b\n        type: yes_no\n"
        + "        show_if:\n"
        + "          any: [{item: answered, equals: true}, {item: answered, in: [false]}]\n"
    )
    item = parse_checklist(text).item_map()["b"]
    assert item.show_if == Condition(
        "any",
        conditions=(
            Condition("equals", item="answered", value=True),
            Condition("in", item="answered", values=(False,)),
        ),
    )


# --------------------------------------------------------------------------
# Files: safety and encoding


def test_the_python_tag_payload_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    trace = tmp_path / "owned"
    payload = (FIXTURES / "invalid" / "python-tag.yaml").read_text(encoding="utf-8")
    path = tmp_path / "payload.yaml"
    path.write_text(payload.replace("echo owned", f"touch {trace}"), encoding="utf-8")
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    assert "unsupported YAML tag" in info.value.problems[0].message
    assert not trace.exists()


def test_the_billion_laughs_file_is_refused_at_its_first_anchor() -> None:
    with pytest.raises(ChecklistError) as info:
        load_checklist(FIXTURES / "invalid" / "billion-laughs.yaml")
    [problem] = info.value.problems
    assert problem.line == 2


def test_a_file_over_one_megabyte_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(MINIMAL + "# " + "x" * 1_000_000 + "\n", encoding="utf-8")
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    assert info.value.lines() == [f"{path}:1: file is larger than 1,000,000 bytes"]


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.replace("Minimal", "Caf\u00e9").encode("latin-1"))
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    assert info.value.lines() == [f"{path}:1: file is not UTF-8 text"]


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    assert info.value.lines() == [f"{path}:1: the file is empty"]


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    assert info.value.lines() == [f"{path}:1: cannot read: No such file or directory"]


@pytest.mark.parametrize("path", VALID + SHIPPED, ids=lambda p: p.name)
def test_every_valid_fixture_and_shipped_checklist_loads(path: Path) -> None:
    checklist = load_checklist(path)
    assert checklist.sections
    ids = [item.id for item in checklist.items()]
    assert len(ids) == len(set(ids))
