"""HQ's programme pages: waves, a new wave's form, a wave's progress, the assignments."""

from __future__ import annotations

import re

import pytest

from audit.models import Assignment
from tests.helpers import seed

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

JUNE = {"from": "2026-06-01", "to": "2026-06-28"}


@pytest.fixture
async def people(login):
    await seed()
    return {"hq": await login("hq@x.test"), "ann": await login("auditor@x.test")}


async def make_wave(hq, name="June", **changes) -> dict:
    body = {"name": name, "checklist": "shop", "locations": "all", "visits": 2, **JUNE, **changes}
    r = await hq.post("/api/waves", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_the_waves_page_lists_each_wave_with_its_progress(people) -> None:
    hq = people["hq"]
    r = await hq.get("/hq/waves")
    assert r.status_code == 200
    assert "No waves yet" in r.text
    wave = await make_wave(hq)
    first = await Assignment.filter(wave_id=wave["id"]).order_by("id").first()
    assert first is not None
    assert (await people["ann"].post(f"/api/assignments/{first.id}/claim")).status_code == 200
    r = await hq.get("/hq/waves")
    assert f'href="/hq/waves/{wave["id"]}">June</a>' in r.text
    text = text_of(r.text)
    assert "Shop visit v1" in text
    assert "1 Jun \u2013 28 Jun 2026" in text
    # planned, claimed, sent, approved, overdue
    assert re.search(r"\b4 1 0 0 4\b", text), text
    assert 'aria-label="June: 0% sent, 0% approved, 25% claimed"' in r.text


async def test_a_wave_page_shows_progress_per_region_with_links_to_its_visits(people) -> None:
    hq = people["hq"]
    wave = await make_wave(hq)
    r = await hq.get(f"/hq/waves/{wave['id']}")
    assert r.status_code == 200
    text = text_of(r.text)
    assert "North" in text and "South" in text and "All regions" in text
    assert f"/hq/assignments?wave={wave['id']}&amp;state=overdue" in r.text
    assert (await hq.get("/hq/waves/June")).status_code == 200
    r = await hq.get("/hq/waves/999")
    assert r.status_code == 404 and "no wave" in r.text


async def test_the_new_wave_form_offers_every_version_region_and_slot(people) -> None:
    r = await people["hq"].get("/hq/waves/new")
    assert r.status_code == 200
    assert '<option value="shop:1" selected>' in r.text
    assert "<option>North</option>" in r.text
    for slot in ("weekday", "weekend", "morning", "lunch", "afternoon", "evening"):
        assert f'value="{slot}"' in r.text
    assert '<script type="module" src="/static/hq/waves.js">' in r.text


async def test_the_assignments_page_filters_by_wave_state_and_region(people) -> None:
    hq = people["hq"]
    wave = await make_wave(hq)
    await make_wave(hq, name="July", **{"from": "2026-07-01", "to": "2026-07-28"})
    r = await hq.get("/hq/assignments", params={"wave": wave["id"]})
    assert r.status_code == 200
    assert "4 visits, due first" in text_of(r.text)
    r = await hq.get("/hq/assignments", params={"wave": wave["id"], "region": "North"})
    assert "2 visits, due first" in text_of(r.text)
    assert r.text.count('data-assign="/api/assignments/') == 2
    assert '<option value="auditor@x.test">Ann Auditor</option>' in r.text
    r = await hq.get("/hq/assignments", params={"state": "overdue"})
    assert "8 visits, due first" in text_of(r.text)
    r = await hq.get("/hq/assignments", params={"state": "nonsense"})
    assert r.status_code == 422


async def test_programme_pages_are_hqs_alone(people) -> None:
    for path in ("/hq/waves", "/hq/waves/new", "/hq/assignments"):
        assert (await people["ann"].get(path)).status_code == 404
