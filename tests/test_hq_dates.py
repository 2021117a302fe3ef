"""HQ date filters outside 2000-2100 and trends over more than ten years are 422 naming
the field, on every page, JSON twin and export; never a 500 (issue 13, item 5)."""

from __future__ import annotations

import pytest

from audit.routes.hq_filters import MAX_TREND_MONTHS
from tests.conftest import make_client
from tests.helpers import sign_in
from tests.test_hq_api import make_audit, seed_hq

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

JSON = [
    "/api/compare",
    "/api/compare.csv",
    "/api/compare.xlsx",
    "/api/heatmap",
    "/api/trends",
    "/api/weakest-items",
    "/api/audits.csv",
    "/api/audits.xlsx",
]
PAGES = ["/hq", "/hq/heatmap", "/hq/trends", "/hq/weakest", "/hq/locations/S1"]

OUT_OF_RANGE = [
    ({"from": "0016-03-10"}, "from"),
    ({"to": "0001-01-01"}, "to"),
    ({"from": "9999-12-31"}, "from"),
    ({"from": "1999-12-31"}, "from"),
    ({"to": "2101-01-01"}, "to"),
    ({"from": "0001-01-01", "to": "9999-11-30"}, "from"),
]


@pytest.fixture
async def hq(app, db):
    await seed_hq()
    await make_audit("S1", visit="2026-03-10", overall=80.0, sections={"phone": 70.0})
    await make_audit("S2", visit="2026-04-10", overall=60.0, sections={"phone": 50.0})
    async with make_client(app) as client:
        yield await sign_in(client, "hq@x.test")


@pytest.mark.parametrize(("dates", "field"), OUT_OF_RANGE)
async def test_dates_outside_2000_to_2100_are_422_naming_the_field(hq, dates, field):
    for path in JSON:
        r = await hq.get(path, params={"checklist": "shop", **dates})

        assert r.status_code == 422, (path, r.text[:300])
        assert field in r.json()["fields"], path
        assert "2000-01-01" in r.json()["fields"][field]
    for path in PAGES:
        r = await hq.get(path, params={"checklist": "shop", **dates})

        assert r.status_code == 422, (path, r.text[:300])
        assert r.headers["content-type"].startswith("text/html")
        assert f"<strong>{field}</strong> must be a date from 2000-01-01" in r.text


async def test_the_whole_range_is_served_everywhere_but_in_a_trend(hq):
    whole = {"checklist": "shop", "from": "2000-01-01", "to": "2100-12-31"}
    for path in [*JSON, *PAGES]:
        r = await hq.get(path, params=whole)
        if path in ("/api/trends", "/hq/trends"):
            assert r.status_code == 422, path
        else:
            assert r.status_code == 200, (path, r.text[:300])
    rows = (await hq.get("/api/compare", params=whole)).json()
    assert {r["code"]: r["audits"] for r in rows} == {"S1": 1, "S2": 1}
    # The first and last days of the range are served, previous period and all.
    for dates in ({"from": "2000-01-01", "to": "2000-01-31"}, {"from": "2100-12-01"}):
        r = await hq.get("/hq/locations/S1", params={"checklist": "shop", **dates})
        assert r.status_code == 200, r.text[:300]


async def test_a_trend_covers_at_most_ten_years(hq):
    assert MAX_TREND_MONTHS == 120
    ten_years = {"checklist": "shop", "from": "2017-01-01", "to": "2026-12-31"}
    one_more = {**ten_years, "from": "2016-12-31"}

    r = await hq.get("/api/trends", params=ten_years)
    assert r.status_code == 200
    assert len(r.json()["months"]) == 120
    assert (await hq.get("/hq/trends", params=ten_years)).status_code == 200

    r = await hq.get("/api/trends", params=one_more)
    assert r.status_code == 422
    assert "120 months" in r.json()["fields"]["from"]
    page = await hq.get("/hq/trends", params=one_more)
    assert page.status_code == 422
    assert "<strong>from</strong> a trend covers at most 120 months" in page.text
    # Without a start the trend begins at the first audit.
    r = await hq.get("/api/trends", params={"checklist": "shop", "to": "2026-12-31"})
    assert r.json()["months"][0]["month"] == "2026-03"
