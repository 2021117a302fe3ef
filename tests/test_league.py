"""Fair league tables: n beside every mean, a minimum sample, critical failures, search.

A location with fewer than ``AUDIT_MIN_VISITS`` (default 3) approved visits in
the period is listed as "not enough visits" after the ranked ones, whatever
its score; the critical-failure column counts the audits whose failed
critical item capped the overall.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from audit.models import Audit
from audit.settings import Settings
from tests.conftest import make_client
from tests.helpers import sign_in
from tests.test_hq_api import compare, make_audit, seed_hq

ALL_TIME = {"from": "", "to": ""}


@pytest.fixture
async def hq(app, db):
    await seed_hq()
    async with make_client(app) as client:
        yield await sign_in(client, "hq@x.test")


async def visits(code: str, *scores: float, critical: int = 0, **fields: Any) -> None:
    for n, score in enumerate(scores):
        audit = await make_audit(
            code, visit=f"2026-03-{n + 1:02d}", overall=score, service=score, **fields
        )
        if n < critical:
            await Audit.filter(id=audit.id).update(critical_failed=True)


async def test_a_location_below_the_minimum_sample_is_listed_after_the_ranked_not_ranked(hq):
    await visits("S1", 70.0, 80.0, 90.0, nps=9)  # 80 from three visits
    await visits("S2", 100.0, nps=10)  # one perfect visit
    await visits("S3", 50.0, 60.0, 70.0)  # 60 from three

    rows = await compare(hq, **ALL_TIME)

    assert [(r["code"], r["rank"], r["ranked"]) for r in rows] == [
        ("S1", 1, True),
        ("S3", 2, True),
        ("S2", None, False),
    ]
    s1, s3, s2 = rows
    assert s1["n"] == {"overall": 3, "service": 3, "experience": 0, "nps": 3}
    assert s3["n"]["nps"] == 0 and s2["n"] == {
        "overall": 1,
        "service": 1,
        "experience": 0,
        "nps": 1,
    }
    # The contract's fields are as before.
    assert (s2["audits"], s2["overall"], s2["nps"]) == (1, 100.0, 100.0)


async def test_the_league_page_shows_n_beside_each_mean_and_not_enough_visits(hq):
    await visits("S1", 70.0, 80.0, 90.0, nps=9)
    await visits("S2", 100.0, nps=10)
    await visits("S3", 50.0, 60.0, 70.0)

    r = await hq.get("/hq", params={"checklist": "shop", **ALL_TIME})
    html = r.text

    assert r.status_code == 200
    assert html.index("Riverside Mall") < html.index("Lakeview Station") < html.index("Hillcrest")
    hill = html[html.index("Hillcrest Plaza") :].split("</tr>")[0]
    assert "Not enough visits" in hill and "n=1" in hill
    riverside = html[html.index("Riverside Mall") :].split("</tr>")[0]
    assert "Not enough visits" not in riverside
    assert riverside.count("n=3") == 3 and "n=0" in riverside  # overall, service, NPS; experience
    assert html.count("Not enough visits") == 1
    assert "2 of 3 locations ranked" in html and "at least 3 approved visits" in html
    # Sorted by overall, the single 100 does not top the table.
    r = await hq.get("/hq", params={"checklist": "shop", "sort": "overall", **ALL_TIME})
    assert r.text.index("Riverside Mall") < r.text.index("Hillcrest Plaza")


async def test_critical_failures_count_the_audits_that_failed_a_critical_item(hq):
    await visits("S1", 40.0, 40.0, 85.0, critical=2, experience=90.0)
    await visits("S3", 75.0, 80.0, 85.0)
    submitted = await make_audit("S3", status="submitted", overall=0.0)
    await Audit.filter(id=submitted.id).update(critical_failed=True)  # not approved: not counted

    rows = {r["code"]: r for r in await compare(hq, **ALL_TIME)}
    north = {r["code"]: r for r in await compare(hq, region="North", to="2026-03-02")}

    assert rows["S1"]["critical_failures"] == 2 and rows["S3"]["critical_failures"] == 0
    assert north["S1"]["critical_failures"] == 2 and north["S1"]["audits"] == 2
    r = await hq.get("/hq", params={"checklist": "shop", **ALL_TIME})
    riverside = r.text[r.text.index("Riverside Mall") :].split("</tr>")[0]
    assert re.search(r'<td class="num critical"><strong>2</strong></td>', riverside)
    assert "Audits with a failed critical item" in r.text
    kpi = r.text[r.text.index("With a critical failure") :][:120]
    assert ">2<" in kpi


async def test_search_finds_locations_by_name_or_code_in_any_case(hq):
    await visits("S1", 70.0)
    await visits("S2", 60.0)
    await visits("S3", 50.0)

    by_name = await compare(hq, q="hillcrest", **ALL_TIME)
    by_code = await compare(hq, q="s3", **ALL_TIME)
    page = await hq.get("/hq", params={"checklist": "shop", "q": "RIVER", **ALL_TIME})
    none = await hq.get("/hq", params={"checklist": "shop", "q": "nowhere", **ALL_TIME})

    assert [r["code"] for r in by_name] == ["S2"]
    assert [r["code"] for r in by_code] == ["S3"]
    assert "Riverside Mall" in page.text and "Hillcrest" not in page.text
    assert 'value="RIVER"' in page.text
    assert "No location with approved audits matches" in none.text


async def test_compare_csv_keeps_its_columns_and_the_contract_rows(hq):
    await visits("S1", 70.0, 80.0, 90.0)
    await visits("S2", 100.0)

    r = await hq.get("/api/compare.csv", params={"checklist": "shop", **ALL_TIME})
    lines = list(csv.reader(io.StringIO(r.text)))

    assert lines[0][:8] == [
        "code",
        "name",
        "region",
        "audits",
        "overall",
        "service",
        "experience",
        "nps",
    ]
    assert [line[0] for line in lines[1:]] == ["S1", "S2"]
    assert float(lines[2][4]) == 100.0


def test_the_minimum_sample_comes_from_audit_min_visits(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AUDIT_SECRET_KEY", "x")
    monkeypatch.delenv("AUDIT_MIN_VISITS", raising=False)
    assert Settings.from_env().min_visits == 3
    monkeypatch.setenv("AUDIT_MIN_VISITS", "5")
    assert Settings.from_env().min_visits == 5
    for bad in ("0", "three", "-2"):
        monkeypatch.setenv("AUDIT_MIN_VISITS", bad)
        with pytest.raises(ValueError, match="AUDIT_MIN_VISITS must be a whole number"):
            Settings.from_env()
