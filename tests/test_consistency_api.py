"""Facts and consistency rules through the service: drafts, submission, the stored card."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from audit.models import Audit
from tests.helpers import VISITED_AT, new_uuid, seed, sign_in

FIXTURES = Path(__file__).parent / "fixtures"
ANSWERS: dict[str, Any] = json.loads((FIXTURES / "answers" / "consistency.json").read_text())[
    "answers"
]

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


async def seed_consistency(tmp_path: Path) -> None:
    folder = tmp_path / "checklists"
    folder.mkdir()
    shutil.copy(FIXTURES / "checklists" / "valid" / "consistency.yaml", folder)
    shutil.copy(FIXTURES / "api" / "shop.yaml", folder)
    await seed(folder)


def body(answers: dict[str, Any]) -> dict[str, Any]:
    return {
        "checklist": "touchpoint-consistency",
        "location": "S1",
        "visited_at": VISITED_AT,
        "answers": answers,
    }


async def test_fact_answers_are_stored_normalised_and_scored_on_submit(client, db, tmp_path):
    await seed_consistency(tmp_path)
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    r = await auditor.put(f"/api/audits/{uid}", json=body(ANSWERS))
    assert r.status_code == 201, r.text
    answers = r.json()["answers"]
    assert answers["phone_hours"]["value"] == {"from": "09:00", "to": "18:00"}
    assert answers["shelf_price"]["value"] == {"amount": "54.99", "currency": "USD"}
    # A draft's running card already carries the rules.
    assert r.json()["scorecard"]["consistency"]["rules"]["hours"]["result"] == "disagree"

    r = await auditor.post(f"/api/audits/{uid}/submit")

    assert r.status_code == 200, r.text
    card = r.json()["scorecard"]
    assert card["consistency"]["score"] == pytest.approx(40.0)
    assert card["consistency"]["critical_failures"] == ["price"]
    assert card["overall"] == 30.0  # the critical price rule caps it
    audit = await Audit.get(uuid=uid)
    assert audit.critical_failed is True
    assert audit.overall == 30.0
    assert audit.scorecard == card


async def test_a_bad_fact_answer_is_422_naming_the_item_and_stores_nothing(client, db, tmp_path):
    await seed_consistency(tmp_path)
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    bad = {
        **ANSWERS,
        "door_hours": {"value": {"from": "09:00", "to": "09:00"}},
        "phone_price": {"value": {"amount": "49.99", "currency": "EUR"}},
    }
    r = await auditor.put(f"/api/audits/{uid}", json=body(bad))
    assert r.status_code == 422
    assert r.json()["fields"] == {
        "answers.door_hours": "from and to must differ (a range of no time)",
        "answers.phone_price": "currency must be USD, the item's currency",
    }
    assert await Audit.filter(uuid=uid).count() == 0
