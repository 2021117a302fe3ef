"""The published JSON Schema of checklist files stays current and agrees with the validator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from audit.checklist import (
    BAND_KEYS,
    CHECKLIST_KEYS,
    ITEM_KEYS,
    OPTION_KEYS,
    RULE_KEYS,
    SECTION_KEYS,
)
from audit.schema import checklist_schema, checklist_schema_json
from audit.yamlsource import load_yaml

ROOT = Path(__file__).parent.parent
CHECKED_IN = ROOT / "docs" / "checklist.schema.json"
FIXTURES = Path(__file__).parent / "fixtures" / "checklists"
VALID = sorted((FIXTURES / "valid").glob("*.yaml")) + sorted((ROOT / "checklists").glob("*.yaml"))


def test_the_checked_in_schema_is_current() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == checklist_schema_json(), (
        "docs/checklist.schema.json is stale; regenerate it with "
        "`.venv/bin/audit checklist schema > docs/checklist.schema.json`"
    )


@pytest.mark.parametrize(
    ("where", "keys"),
    [
        ([], CHECKLIST_KEYS),
        (["$defs", "section"], SECTION_KEYS),
        (["$defs", "item"], ITEM_KEYS),
        (["$defs", "band"], BAND_KEYS),
        (["$defs", "option"], OPTION_KEYS),
        (["$defs", "rule"], RULE_KEYS),
    ],
)
def test_every_level_lists_exactly_the_keys_of_its_table(
    where: list[str], keys: dict[str, Any]
) -> None:
    node = checklist_schema()
    for step in where:
        node = node[step]
    assert list(node["properties"]) == list(keys)
    assert node["required"] == [name for name, spec in keys.items() if spec.required]
    assert node["additionalProperties"] is False


def validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = checklist_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_checklists_satisfy_the_schema(path: Path) -> None:
    errors = [e.message for e in validator().iter_errors(load_yaml(path.read_text("utf-8")))]
    assert errors == []


@pytest.mark.parametrize(
    ("name", "snippet"),
    [
        ("unknown-keys.yaml", "'wieght' was unexpected"),
        ("types-and-values.yaml", "'yesno' is not one of"),
        ("bad-bands.yaml", "1.5 is greater than the maximum of 1"),
    ],
)
def test_the_schema_flags_what_the_validator_flags(name: str, snippet: str) -> None:
    document = load_yaml((FIXTURES / "invalid" / name).read_text("utf-8"))
    messages = [error.message for error in validator().iter_errors(document)]
    messages += [
        sub.message for error in validator().iter_errors(document) for sub in (error.context or [])
    ]
    assert any(snippet in message for message in messages), messages


def test_the_schema_refuses_options_on_a_yes_no_item() -> None:
    document = {
        "id": "x",
        "title": "X",
        "sections": [
            {
                "id": "s",
                "items": [{"id": "a", "type": "yes_no", "options": []}],
            }
        ],
    }
    assert list(validator().iter_errors(document))


def test_the_schema_is_plain_json() -> None:
    assert json.loads(checklist_schema_json()) == checklist_schema()


@pytest.mark.parametrize(
    ("heading", "keys"),
    [
        ("## Checklist keys", CHECKLIST_KEYS),
        ("## Section keys", SECTION_KEYS),
        ("## Item keys", ITEM_KEYS),
        ("## Bands of a number item", BAND_KEYS),
        ("## Options of a choice item", OPTION_KEYS),
        ("## Facts and consistency rules", RULE_KEYS),
    ],
)
def test_every_key_is_documented_in_the_format_reference(
    heading: str, keys: dict[str, Any]
) -> None:
    text = (ROOT / "docs" / "checklist-format.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    documented = {
        row.split("|")[1].strip().strip("`")
        for row in section.splitlines()
        if row.startswith("| `")
    }
    assert documented == set(keys)
