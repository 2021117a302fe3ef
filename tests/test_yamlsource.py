"""The strict YAML reader: line numbers, YAML 1.2 scalars, and what it refuses."""

from __future__ import annotations

import math

import pytest

from audit.yamlsource import MAX_SOURCE_BYTES, LocatedList, LocatedMap, SourceError, load_yaml


def refusal(text: str) -> SourceError:
    with pytest.raises(SourceError) as info:
        load_yaml(text)
    return info.value


def test_mappings_remember_the_line_of_each_key() -> None:
    data = load_yaml("# comment\nid: x\n\ntitle: X\nsections:\n  - id: s\n    items: []\n")
    assert isinstance(data, LocatedMap)
    assert data.line == 2
    assert data.key_lines == {"id": 2, "title": 4, "sections": 5}


def test_lists_remember_the_line_of_each_entry() -> None:
    data = load_yaml("items:\n  - a\n  -\n    id: b\n  - {id: c}\n")
    items = data["items"]
    assert isinstance(items, LocatedList)
    assert items.item_lines == [2, 4, 5]
    assert items[1].line == 4
    assert items[2].key_lines == {"id": 5}


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "OFF"])
def test_yaml_1_1_boolean_words_stay_text(word: str) -> None:
    assert load_yaml(f"a: {word}") == {"a": word}


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("True", True), ("FALSE", False), ("false", False)],
)
def test_yaml_1_2_booleans_are_booleans(text: str, value: bool) -> None:
    assert load_yaml(f"a: {text}")["a"] is value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e-05", 1e-05),  # YAML 1.1 wants a dot; JSON and YAML 1.2 do not
        ("1e3", 1000.0),
        ("2.5E+2", 250.0),
        (".5", 0.5),
        ("-3", -3),
        ("+7", 7),
        ("017", 17),  # YAML 1.1 would read octal 15
        ("0o17", 15),
        ("0x1F", 31),
    ],
)
def test_numbers_follow_yaml_1_2(text: str, value: float) -> None:
    loaded = load_yaml(f"a: {text}")["a"]
    assert loaded == value
    assert not isinstance(loaded, str)


@pytest.mark.parametrize("text", ["1:30", "1_000", "0b11", "2024-05-01", "="])
def test_yaml_1_1_only_scalars_stay_text(text: str) -> None:
    # 1:30 would be 90 (base 60) and 2024-05-01 a date under YAML 1.1.
    assert load_yaml(f"a: {text}") == {"a": text}


def test_infinity_and_nan_are_read_as_floats_for_the_validator_to_refuse() -> None:
    data = load_yaml("a: .inf\nb: -.inf\nc: .nan\n")
    assert data["a"] == math.inf
    assert data["b"] == -math.inf
    assert math.isnan(data["c"])


def test_null_is_none() -> None:
    assert load_yaml("a: ~\nb: null\nc:\n") == {"a": None, "b": None, "c": None}


def test_an_anchor_is_refused_at_its_line() -> None:
    error = refusal("a: 1\nb: &x [1, 2]\nc: *x\n")
    assert (error.line, error.message) == (2, "YAML anchors (&name) are not allowed in checklists")


def test_an_alias_without_anchor_is_refused() -> None:
    error = refusal("a: 1\nb: *nowhere\n")
    assert error.line == 2


def test_billion_laughs_fails_at_the_first_anchor_without_expanding() -> None:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    error = refusal("\n".join(levels))
    assert error.line == 1
    assert "anchors" in error.message


def test_merge_keys_are_refused() -> None:
    error = refusal("base: {a: 1}\nother:\n  <<: {a: 2}\n")
    assert error.line == 3
    assert "merge keys" in error.message


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo owned']",
        "a: !!python/name:os.system",
        "a: !!binary aGVsbG8=",
        "a: !!set {x, y}",
        "a: !custom 1",
    ],
)
def test_tags_other_than_plain_types_are_refused(text: str) -> None:
    assert "unsupported YAML tag" in refusal(text).message


def test_a_duplicate_key_is_refused_naming_both_lines() -> None:
    error = refusal("id: a\ntitle: one\nid: b\n")
    assert (error.line, error.message) == (3, "duplicate key 'id' (first at line 1)")


def test_a_duplicate_key_in_a_nested_mapping_is_refused() -> None:
    error = refusal("items:\n  - id: a\n    type: x\n    id: b\n")
    assert error.line == 4


@pytest.mark.parametrize("key", ["1", "true", "null", "[a, b]"])
def test_keys_must_be_text(key: str) -> None:
    error = refusal(f"x: 1\n? {key}\n: value\n")
    assert error.line == 2
    assert error.message.startswith("keys must be text")


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_an_empty_document_is_refused(text: str) -> None:
    error = refusal(text)
    assert (error.line, error.message) == (1, "the file is empty")


def test_more_than_one_document_is_refused() -> None:
    error = refusal("a: 1\n---\nb: 2\n")
    assert error.line == 2
    assert "YAML syntax error" in error.message


def test_a_syntax_error_names_its_line() -> None:
    error = refusal("a: 1\nb: [1, 2\nc: 3\n")
    assert error.line == 3
    assert error.message.startswith("YAML syntax error")


def test_a_tab_indent_is_a_syntax_error_at_its_line() -> None:
    error = refusal("a:\n  b: 1\n\tc: 2\n")
    assert error.line == 3


def test_text_over_the_size_limit_is_refused_before_parsing() -> None:
    # An unclosed flow list would be a syntax error if it were parsed.
    error = refusal("a: [" + "x" * MAX_SOURCE_BYTES)
    assert error.line == 1
    assert "larger than" in error.message


def test_a_5000_digit_integer_is_a_bad_value_not_a_crash() -> None:
    error = refusal("a: 1\nb: " + "9" * 5000)
    assert error.line == 2
    assert error.message.startswith("bad value")
