"""`integer: true` on number items: whole counts in the format, the answers and the PWA."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audit.answers import AnswersError, parse_answers
from audit.checklist import load_checklist, parse_checklist
from audit.schema import checklist_schema
from tests.helpers import ROOT, new_uuid, seed, sign_in

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

COUNTS = """\
id: counts
title: Counts
sections:
  - id: phone
    items:
      - id: rings
        type: number
        unit: rings
        integer: true
        min: 0
        max: 30
        bands:
          - {max: 3, points: 1}
          - {points: 0}
      - id: minutes
        type: number
        unit: minutes
"""
SHIPPED_COUNTS = {
    "sporting-goods.yaml": {"call1_rings", "floor_greeting_seconds"},
    "electronics-store.yaml": {
        "inquiry_seconds_to_person",
        "arrival_greeting_seconds",
        "demo_units_faulty",
        "demo_models_shown",
    },
    "home-improvement.yaml": {
        "call_rings",
        "call_lead_time",
        "consult_lead_time",
        "consult_questions_deferred",
        "survey_report_days",
        "quote_business_days",
        "install_extra_visits",
        "complaint_resolution_days",
    },
}


def test_an_integer_item_parses_and_appears_in_its_json() -> None:
    checklist = parse_checklist(COUNTS)
    items = checklist.item_map()
    assert items["rings"].integer is True
    assert items["minutes"].integer is False
    dumped = checklist.to_dict()["sections"][0]["items"]
    assert dumped[0]["integer"] is True
    assert "integer" not in dumped[1]


def test_integer_false_keeps_the_content_hash() -> None:
    plain = COUNTS.replace("        integer: true\n", "")
    spelled = COUNTS.replace("integer: true", "integer: false")
    assert parse_checklist(plain).content_hash == parse_checklist(spelled).content_hash
    assert parse_checklist(plain).content_hash != parse_checklist(COUNTS).content_hash


def test_a_whole_number_answer_is_accepted_and_stored_as_an_int() -> None:
    answers = parse_answers(parse_checklist(COUNTS), {"rings": {"value": 4.0}})
    assert answers["rings"].value == 4
    assert isinstance(answers["rings"].value, int)


def test_a_fraction_on_an_integer_item_is_refused_naming_it() -> None:
    with pytest.raises(AnswersError) as info:
        parse_answers(parse_checklist(COUNTS), {"rings": {"value": 2.5}, "minutes": {"value": 2.5}})
    assert info.value.fields == {"answers.rings": "must be a whole number"}


def test_the_schema_refuses_a_fractional_bound_on_an_integer_item() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(checklist_schema())
    good = {
        "id": "x",
        "title": "X",
        "sections": [
            {
                "id": "phone",
                "items": [
                    {"id": "rings", "type": "number", "integer": True, "min": 0, "max": 9},
                    {"id": "minutes", "type": "number", "max": 2.5},
                ],
            }
        ],
    }
    assert list(validator.iter_errors(good)) == []
    bad: dict[str, Any] = {
        **good,
        "sections": [
            {
                "id": "phone",
                "items": [
                    {
                        "id": "rings",
                        "type": "number",
                        "integer": True,
                        "bands": [{"max": 3.5, "points": 1}, {"points": 0}],
                    },
                    {"id": "greeting", "type": "scale", "integer": True},
                ],
            }
        ],
    }
    messages = [e.message for e in validator.iter_errors(bad)]
    assert len(messages) == 2, messages


@pytest.mark.parametrize("name", sorted(SHIPPED_COUNTS))
def test_shipped_checklists_mark_their_counts_integer(name: str) -> None:
    checklist = load_checklist(Path(ROOT / "checklists" / name))
    marked = {item.id for item in checklist.items() if item.integer}
    assert marked == SHIPPED_COUNTS[name]
    for item in checklist.items():
        if item.unit in ("rings", "visits", "questions", "units", "models"):
            assert item.integer, item.id


async def test_the_api_refuses_a_fractional_count_with_422_naming_the_item(client, db):
    await seed(ROOT / "checklists")
    auditor = await sign_in(client, "auditor@x.test")
    body = {
        "checklist": "sporting-goods",
        "location": "S1",
        "answers": {"call1_rings": {"value": 2.5}, "web_minutes_to_info": {"value": 2.5}},
    }
    r = await auditor.put(f"/api/audits/{new_uuid()}", json=body)
    assert r.status_code == 422, r.text
    assert set(r.json()["fields"]) == {"answers.call1_rings"}
    assert r.json()["fields"]["answers.call1_rings"] == "must be a whole number"

    body["answers"] = {"call1_rings": {"value": 2}, "web_minutes_to_info": {"value": 2.5}}
    uid = new_uuid()
    r = await auditor.put(f"/api/audits/{uid}", json=body)
    assert r.status_code == 201, r.text
    r = await auditor.get(f"/api/audits/{uid}")
    assert r.json()["answers"]["call1_rings"]["value"] == 2


async def test_the_checklist_json_carries_integer_for_the_pwa(client, db):
    await seed(ROOT / "checklists")
    auditor = await sign_in(client, "auditor@x.test")
    r = await auditor.get("/api/checklists/sporting-goods")
    assert r.status_code == 200
    items = {i["id"]: i for s in r.json()["sections"] for i in s["items"]}
    assert items["call1_rings"]["integer"] is True
    assert "integer" not in items["web_minutes_to_info"]
