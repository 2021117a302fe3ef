"""Consistency on HQ's heat map: its own column, from the audits' rows or the rollups alike."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest

from audit.models import Audit
from audit.store import aggregates
from audit.store.rollups import rebuild_rollups
from audit.store.scope import Scope
from tests.helpers import new_uuid
from tests.test_consistency_api import ANSWERS, body, seed_consistency

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

# (location, visit, changes to the fixture's answers) → consistency score
VISITS: list[tuple[str, str, dict[str, Any], float]] = [
    # the fixture: hours and price disagree, 2 of 5 weights agree
    ("S1", "2026-08-04T10:00:00Z", {}, 40.0),
    # every rule agrees
    (
        "S1",
        "2026-09-10T10:00:00Z",
        {
            "website_hours": {"value": {"from": "09:00", "to": "18:00"}},
            "shelf_price": {"value": {"amount": "49.99"}},
        },
        100.0,
    ),
    # only the phone number is checked: the rest not recorded, and it disagrees
    (
        "S2",
        "2026-10-15T10:00:00Z",
        {
            "phone_hours": {"na": True},
            "door_hours": {"na": True},
            "phone_price": {"na": True},
            "phone_stock": {"na": True},
            "door_phone": {"value": "704 555 0199"},
        },
        0.0,
    ),
]


def answers_with(changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(ANSWERS)
    for item, answer in changes.items():
        if answer is None:
            out.pop(item)
        else:
            out[item] = answer
    return out


async def approve_visits(login: Any) -> None:
    auditor = await login("auditor@x.test")
    hq = await login("hq@x.test")
    for location, visited, changes, _ in VISITS:
        uid = new_uuid()
        draft = {**body(answers_with(changes)), "location": location, "visited_at": visited}
        assert (await auditor.put(f"/api/audits/{uid}", json=draft)).status_code == 201
        assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200
        r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
        assert r.status_code == 200, r.text


async def test_each_audit_stores_its_consistency_score(login, db, tmp_path):
    await seed_consistency(tmp_path)
    await approve_visits(login)
    stored = sorted(
        await Audit.filter(checklist_slug="touchpoint-consistency").values_list(
            "visit_date", "consistency"
        )
    )
    assert [score for _, score in stored] == [score for *_, score in VISITS]


async def test_the_heat_map_has_a_consistency_column_beside_the_touchpoints(login, db, tmp_path):
    await seed_consistency(tmp_path)
    await approve_visits(login)
    hq = await login("hq@x.test")

    r = await hq.get("/api/heatmap", params={"checklist": "touchpoint-consistency"})

    assert r.status_code == 200, r.text
    found = r.json()
    by_key = {row["key"]: row for row in found["rows"]}
    assert by_key["S1"]["consistency"] == pytest.approx(70.0)  # (40 + 100) / 2
    assert by_key["S2"]["consistency"] == pytest.approx(0.0)
    assert found["chain"]["consistency"] == pytest.approx(140 / 3)
    assert "consistency" not in by_key["S1"]["touchpoints"]
    assert [tp["id"] for tp in found["touchpoints"]] == ["website", "phone", "arrival", "service"]

    by_region = await hq.get(
        "/api/heatmap", params={"checklist": "touchpoint-consistency", "group": "region"}
    )
    regions = {row["key"]: row["consistency"] for row in by_region.json()["rows"]}
    assert regions == {"North": pytest.approx(70.0), "South": pytest.approx(0.0)}

    page = await hq.get(
        "/hq/heatmap",
        params={
            "checklist": "touchpoint-consistency",
            "group": "location",
            "sort": "consistency",
            "dir": "asc",
        },
    )
    assert page.status_code == 200
    html = page.text
    assert '>Consistency<span class="sort-mark"' in html
    assert 'class="num heat heat-1 consistency">0<' in html
    # Sorted by the column, weakest first: Hillcrest (S2) before Riverside (S1).
    assert html.index("Hillcrest Plaza") < html.index("Riverside Mall")


async def test_a_checklist_without_rules_has_no_consistency_column(login, db, tmp_path):
    await seed_consistency(tmp_path)
    hq = await login("hq@x.test")
    r = await hq.get("/api/heatmap", params={"checklist": "shop"})
    assert r.status_code == 200
    assert "consistency" not in r.json()["chain"]
    page = await hq.get("/hq/heatmap", params={"checklist": "shop"})
    assert "Consistency" not in page.text


async def test_rollups_hold_the_same_consistency_sums_as_the_audits_rows(login, db, tmp_path):
    await seed_consistency(tmp_path)
    await approve_visits(login)
    # More approved audits written as a bulk load would (no review), then rebuilt.
    rng = random.Random(3)
    template = await Audit.filter(checklist_slug="touchpoint-consistency").first()
    assert template is not None
    for n in range(12):
        month = rng.randint(1, 11)
        await Audit.create(
            uuid=new_uuid(),
            auditor_id=template.auditor_id,  # type: ignore[attr-defined]
            location_id=template.location_id,  # type: ignore[attr-defined]
            checklist_id=template.checklist_id,  # type: ignore[attr-defined]
            checklist_slug=template.checklist_slug,
            status="approved",
            visit_date=date(2026, month, rng.randint(1, 28)),
            overall=rng.uniform(0, 100),
            consistency=None if n % 4 == 0 else rng.choice([0.0, 40.0, 60.0, 100.0]),
        )
    scope = Scope(checklist="touchpoint-consistency")
    periods = [(None, None), ("2026-02-14", "2026-10-20"), ("2026-01-01", "2026-11-30")]

    async def compare_all() -> None:
        for start, end in periods:
            part = scope.between(
                None if start is None else date.fromisoformat(start),
                None if end is None else date.fromisoformat(end),
            )
            for group in ("location", "month", "all"):
                rolled = await aggregates.tallies(
                    part, group, False, False, rollups=True, consistency=True
                )
                raw = await aggregates.tallies(
                    part, group, False, False, rollups=False, consistency=True
                )
                assert rolled.keys() == raw.keys(), (start, group)
                assert sum(t.consistency.count for t in raw.values()) > 0
                for key, want in raw.items():
                    got = rolled[key].consistency
                    assert got.count == want.consistency.count, (start, group, key)
                    assert got.total == pytest.approx(want.consistency.total, abs=1e-9)

    await compare_all()  # the unrolled audits read from their rows
    await rebuild_rollups()
    assert await Audit.filter(rolled_up=False, status="approved").count() == 0
    await compare_all()  # now all from the rollups, bar the edge days


async def test_the_review_page_lists_every_rule_with_what_each_touchpoint_said(login, db, tmp_path):
    await seed_consistency(tmp_path)
    auditor = await login("auditor@x.test")
    hq = await login("hq@x.test")
    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=body(ANSWERS))).status_code == 201
    assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200

    page = await hq.get(f"/hq/audits/{uid}")

    assert page.status_code == 200
    html = page.text
    assert "Consistency across touchpoints" in html
    start = html.index('id="consistency-title"')
    panel = html[start : html.index("</section>", start)]
    assert panel.count('class="finding finding-disagree"') == 2
    assert panel.count('class="finding finding-agree"') == 2
    # Disagreements first.
    assert panel.rindex("finding-disagree") < panel.index("finding-agree")
    assert "<strong>09:00\u201321:00</strong>" in panel
    assert "<strong>$54.99</strong>" in panel
    # The critical price check is named in the danger notice, with the values.
    assert "Price of the team jersey: the touchpoints disagree" in html


async def test_an_upheld_appeal_on_a_fact_rescores_consistency_and_keeps_rollups_equal(
    login, db, tmp_path
):
    await seed_consistency(tmp_path)
    auditor = await login("auditor@x.test")
    hq = await login("hq@x.test")
    owner = await login("owner@x.test")
    uid = new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=body(ANSWERS))).status_code == 201
    assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200, r.text
    before = await Audit.get(uuid=uid)
    assert (before.consistency, before.critical_failed, before.overall) == (40.0, True, 30.0)

    # The owner says the jersey was not on the shelf after all (a yes/no fact, so scored
    # and open to appeal): the phone's "in stock" now disagrees with the shelf.
    r = await owner.post(
        f"/api/audits/{uid}/appeals",
        json={
            "item": "shelf_stock",
            "reason": "Our stock log shows the jersey sold out that morning.",
            "proposed": {"value": False},
        },
    )
    assert r.status_code == 201, r.text
    r = await hq.post(
        f"/api/appeals/{r.json()['uuid']}/decision",
        json={"decision": "upheld", "note": "The stock log is convincing."},
    )
    assert r.status_code == 200, r.text

    after = await Audit.get(uuid=uid)
    assert after.answers["shelf_stock"]["value"] is False
    rules = after.scorecard["consistency"]["rules"]
    assert rules["in_stock"] == {
        "result": "disagree",
        "values": {"stock_phone": True, "stock_shelf": False},
    }
    # Only the phone number agrees now: 1 of 5; the critical price rule still caps.
    assert (after.consistency, after.critical_failed, after.overall) == (20.0, True, 30.0)
    scope = Scope(checklist="touchpoint-consistency")
    for group in ("location", "month", "all"):
        rolled = await aggregates.tallies(
            scope, group, False, False, rollups=True, consistency=True
        )
        raw = await aggregates.tallies(scope, group, False, False, rollups=False, consistency=True)
        assert {k: t.consistency for k, t in rolled.items()} == {
            k: t.consistency for k, t in raw.items()
        }
        assert [t.consistency.total for t in raw.values()] == [20.0]
