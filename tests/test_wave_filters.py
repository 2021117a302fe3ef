"""League table, heat map and trends filtered by wave: only the audits made for its visits."""

from __future__ import annotations

import pytest

from audit.models import Assignment
from audit.store.checklists import import_checklists, read_checklist_dir
from tests.helpers import ROOT, new_uuid, seed
from tests.test_api_roles import payload
from tests.test_report import pdf_text

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
async def people(login):
    await seed()
    return {"hq": await login("hq@x.test"), "ann": await login("auditor@x.test")}


async def approved(hq, ann, assignment: int | None = None, location: str = "S1") -> str:
    uid = new_uuid()
    body = {**payload(location), "visited_at": "2026-11-20T14:30:00Z"}
    if assignment is not None:
        body["assignment"] = assignment
    assert (await ann.put(f"/api/audits/{uid}", json=body)).status_code == 201
    assert (await ann.post(f"/api/audits/{uid}/submit", json=body)).status_code == 200
    review = {"decision": "approve", "note": ""}
    assert (await hq.post(f"/api/audits/{uid}/review", json=review)).status_code == 200
    return uid


async def test_a_wave_filter_counts_only_the_audits_of_its_visits(people) -> None:
    hq, ann = people["hq"], people["ann"]
    body = {
        "name": "Nov",
        "checklist": "shop",
        "locations": ["S1"],
        "from": "2026-11-01",
        "to": "2026-11-30",
    }
    wave = (await hq.post("/api/waves", json=body)).json()
    visit = await Assignment.get(wave_id=wave["id"])
    await approved(hq, ann, visit.id)
    await approved(hq, ann)  # the same location, outside the wave

    everything = {"checklist": "shop", "from": "", "to": ""}
    rows = (await hq.get("/api/compare", params=everything)).json()
    assert [(r["code"], r["audits"]) for r in rows] == [("S1", 2)]
    rows = (await hq.get("/api/compare", params={**everything, "wave": wave["id"]})).json()
    assert [(r["code"], r["audits"]) for r in rows] == [("S1", 1)]
    heat = (await hq.get("/api/heatmap", params={**everything, "wave": wave["id"]})).json()
    assert heat["chain"]["audits"] == 1

    trends = (await hq.get("/api/trends", params=everything)).json()
    assert [(w["name"], w["audits"]) for w in trends["waves"]] == [("Nov", 1)]
    page = await hq.get("/hq/trends", params={"checklist": "shop"})
    assert page.status_code == 200 and "By wave" in page.text
    league = await hq.get("/hq", params={"checklist": "shop", "wave": wave["id"]})
    assert league.status_code == 200
    assert f'<option value="{wave["id"]}" selected>Nov</option>' in league.text

    r = await hq.get("/api/compare", params={**everything, "wave": "999"})
    assert r.status_code == 422 and r.json()["fields"] == {"wave": "must be the id of a wave"}


async def test_a_wave_of_another_checklist_is_refused_by_the_api_and_dropped_by_a_page(
    people,
) -> None:
    hq = people["hq"]
    body = {
        "name": "Nov",
        "checklist": "shop",
        "locations": "all",
        "from": "2026-11-01",
        "to": "2026-11-30",
    }
    wave = (await hq.post("/api/waves", json=body)).json()
    found, problems = read_checklist_dir(ROOT / "checklists")
    assert not problems
    await import_checklists(found)
    other = "sporting-goods"
    r = await hq.get("/api/compare", params={"checklist": other, "wave": wave["id"]})
    assert r.status_code == 422
    assert r.json()["fields"] == {"wave": "the wave 'Nov' is of another checklist"}
    assert (await hq.get("/hq", params={"checklist": other, "wave": wave["id"]})).status_code == 200


async def test_the_reports_trend_names_the_wave_of_each_visit(people) -> None:
    hq, ann = people["hq"], people["ann"]
    made = []
    for name, first, last, visited in (
        ("Autumn wave", "2026-09-01", "2026-09-30", "2026-09-20T10:00:00Z"),
        ("Winter wave", "2026-11-01", "2026-11-30", "2026-11-20T14:30:00Z"),
    ):
        body = {"name": name, "checklist": "shop", "locations": ["S1"], "from": first, "to": last}
        wave = (await hq.post("/api/waves", json=body)).json()
        visit = await Assignment.get(wave_id=wave["id"])
        uid = new_uuid()
        answers = {**payload("S1"), "visited_at": visited, "assignment": visit.id}
        assert (await ann.put(f"/api/audits/{uid}", json=answers)).status_code == 201
        assert (await ann.post(f"/api/audits/{uid}/submit", json=answers)).status_code == 200
        review = {"decision": "approve", "note": ""}
        assert (await hq.post(f"/api/audits/{uid}/review", json=review)).status_code == 200
        made.append(uid)
    outside = await approved(hq, ann)  # 20 November too, made for no wave

    twin = (await hq.get(f"/api/audits/{made[1]}/report.json")).json()
    assert [p.get("wave") for p in twin["trend"]] == ["Autumn wave", None, "Winter wave"]
    alone = (await hq.get(f"/api/audits/{outside}/report.json")).json()
    assert all("wave" not in p for p in alone["trend"][-1:])

    pdf = await hq.get(f"/api/audits/{made[1]}/report.pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert "Autumn wave" in text and "Winter wave" in text
