"""The JSON Schema of checklist files, generated from :mod:`audit.checklist`'s key tables.

Editors with yaml-language-server validate a checklist as it is written when
the file starts with ``# yaml-language-server: $schema=<url of this schema>``.
The checked-in copy at ``docs/checklist.schema.json`` is regenerated with
``audit checklist schema > docs/checklist.schema.json``; a test keeps it current.
"""

from __future__ import annotations

import json
from typing import Any

from audit.checklist import (
    BAND_KEYS,
    CHECKLIST_KEYS,
    ITEM_KEYS,
    ITEM_TYPES,
    OPTION_KEYS,
    RULE_KEYS,
    SECTION_KEYS,
    KeySpec,
)
from audit.i18n import LANGUAGES

SCHEMA_ID = "https://audit.example.org/schema/checklist.schema.json"


def _property(spec: KeySpec) -> dict[str, Any]:
    prop: dict[str, Any] = {"description": spec.description}
    prop["type"] = spec.json_types[0] if len(spec.json_types) == 1 else list(spec.json_types)
    if spec.enum is not None:
        prop["enum"] = list(spec.enum)
    if spec.minimum is not None:
        prop["minimum"] = spec.minimum
    if spec.maximum is not None:
        prop["maximum"] = spec.maximum
    if spec.exclusive_minimum is not None:
        prop["exclusiveMinimum"] = spec.exclusive_minimum
    if spec.pattern is not None:
        prop["pattern"] = spec.pattern
    if spec.max_length is not None:
        prop["maxLength"] = spec.max_length
    if spec.translatable:
        # One string, or one per language; the checklist's own language
        # (``language``, default en) must be among them: the validator checks that.
        text: dict[str, Any] = {k: prop.pop(k) for k in ("type", "maxLength") if k in prop}
        per_language = {
            "type": "object",
            "propertyNames": {"enum": list(LANGUAGES)},
            "additionalProperties": {**text, "minLength": 1, "pattern": r"\S"},
            "minProperties": 1,
        }
        prop["oneOf"] = [text, per_language]
    return prop


def _object(
    keys: dict[str, KeySpec], title: str, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    properties = {name: _property(spec) for name, spec in keys.items()}
    for name, extra in (overrides or {}).items():
        properties[name].update(extra)
    return {
        "type": "object",
        "title": title,
        "properties": properties,
        "required": [name for name, spec in keys.items() if spec.required],
        "additionalProperties": False,
    }


def _type_rules() -> list[dict[str, Any]]:
    """Keys such as ``bands`` or ``options`` belong to some item types only."""
    rules = []
    for item_type in ITEM_TYPES:
        banned = [
            name
            for name, spec in ITEM_KEYS.items()
            if spec.types is not None and item_type not in spec.types
        ]
        rule: dict[str, Any] = {
            "if": {"properties": {"type": {"const": item_type}}, "required": ["type"]},
            "then": {"not": {"anyOf": [{"required": [name]} for name in banned]}},
        }
        if item_type == "choice":
            rule["then"]["required"] = ["options"]
        if item_type == "money":
            rule["then"]["required"] = ["currency"]
        rules.append(rule)
    whole = {"multipleOf": 1}
    rules.append(
        {
            "if": {"properties": {"integer": {"const": True}}, "required": ["integer"]},
            "then": {
                "properties": {
                    "min": whole,
                    "max": whole,
                    "bands": {"items": {"properties": {"max": whole}}},
                }
            },
        }
    )
    return rules


def checklist_schema() -> dict[str, Any]:
    condition_ref = {"$ref": "#/$defs/condition"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **_object(
            CHECKLIST_KEYS,
            "Audit checklist",
            {
                "sections": {"items": {"$ref": "#/$defs/section"}, "minItems": 1},
                "consistency": {"items": {"$ref": "#/$defs/rule"}},
            },
        ),
        "$defs": {
            "section": _object(
                SECTION_KEYS,
                "Section (one touchpoint)",
                {"items": {"items": {"$ref": "#/$defs/item"}, "minItems": 1}},
            ),
            "item": {
                **_object(
                    ITEM_KEYS,
                    "Item",
                    {
                        "bands": {"items": {"$ref": "#/$defs/band"}, "minItems": 1},
                        "options": {"items": {"$ref": "#/$defs/option"}, "minItems": 1},
                        "show_if": condition_ref,
                    },
                ),
                "allOf": _type_rules(),
            },
            "band": _object(BAND_KEYS, "Band of a number item"),
            "option": _object(OPTION_KEYS, "Option of a choice item"),
            "rule": _object(
                RULE_KEYS,
                "Consistency rule (facts that must agree)",
                {
                    "facts": {
                        "items": {"type": "string"},
                        "minItems": 2,
                        "uniqueItems": True,
                    },
                    "within": {"minimum": 0, "pattern": r"^(?:\d{1,2}\s*h)?\s*(?:\d{1,4}\s*min)?$"},
                },
            ),
            "condition": {
                "title": "show_if condition (only on earlier items)",
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {
                            "item": {"type": "string"},
                            "equals": {"type": ["string", "number", "boolean"]},
                        },
                        "required": ["item", "equals"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {
                            "item": {"type": "string"},
                            "not_equals": {"type": ["string", "number", "boolean"]},
                        },
                        "required": ["item", "not_equals"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {
                            "item": {"type": "string"},
                            "in": {
                                "type": "array",
                                "items": {"type": ["string", "number", "boolean"]},
                                "minItems": 1,
                            },
                        },
                        "required": ["item", "in"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {
                            "all": {"type": "array", "items": condition_ref, "minItems": 1}
                        },
                        "required": ["all"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {
                            "any": {"type": "array", "items": condition_ref, "minItems": 1}
                        },
                        "required": ["any"],
                        "additionalProperties": False,
                    },
                ],
            },
        },
    }


def checklist_schema_json() -> str:
    return json.dumps(checklist_schema(), indent=2, sort_keys=False) + "\n"
