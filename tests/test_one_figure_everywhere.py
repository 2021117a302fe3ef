"""One audit scoring exactly 72.5 prints "73" and the same labels in every output.

The audit's overall is 72.5 and its ``service`` touchpoint 62.5: halves that
Python's ``round`` and ``%.0f`` print as 72 and 62.  Through the API it is
submitted and approved, then every output is read back: the HQ pages, the
audit JSON's figures as shown, the CSV and XLSX files (exact numbers, the
XLSX showing whole numbers), the report's JSON twin and the PDF's text.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from audit.checklist import parse_checklist
from audit.presentation import SPREADSHEET_SCORE_FORMAT, format_score, scorecard_display
from tests.conftest import make_client
from tests.helpers import new_uuid, seed, sign_in
from tests.test_report import flat, pdf_text

HALF = """\
id: half
title: Half points visit
version: 1
scenario: Ask for advice, then wait for the follow-up call.
sections:
  - id: advice
    title: Advice at the counter
    touchpoint: service
    weight: 3
    items:
      - {id: greeted, text: You were greeted, type: yes_no, kind: service}
      - {id: friendly, text: How friendly, type: scale, min: 1, max: 5, kind: service}
  - id: after
    title: After the visit
    touchpoint: follow_up
    weight: 2
    items:
      - {id: called, text: They called back within a day, type: yes_no}
      - {id: rating, text: How useful was the call, type: scale, min: 1, max: 5}
      - {id: recommend, text: Would you recommend the store, type: nps}
"""
# advice: (1 + 0.25) / 2 = 62.5; after: (1 + 0.75) / 2 = 87.5;
# overall: (3 x 62.5 + 2 x 87.5) / 5 = 72.5.  Service = advice, experience = after.
ANSWERS = {
    "greeted": {"value": True},
    "friendly": {"value": 2},
    "called": {"value": True},
    "rating": {"value": 4},
    "recommend": {"value": 9},
}
SHOWN = {"overall": "73", "service": "63", "experience": "88"}
TOUCHPOINTS = [("service", "Consultation", "63"), ("follow_up", "Follow-up", "88")]
# A half printed the other way: 72 (or 72.5) where 73 is meant.
WRONG = re.compile(r">\s*(72|62|87)(\.5)?\s*<")


@pytest.fixture
async def approved(app: Any, db: Any, tmp_path: Path) -> dict[str, Any]:
    """The approved audit: its uuid, the HQ session and the HQ client's app."""
    checklists = tmp_path / "checklists"
    checklists.mkdir()
    (checklists / "half.yaml").write_text(HALF)
    await seed(checklists)
    uid = new_uuid()
    async with make_client(app) as a_client, make_client(app) as hq_client:
        auditor = await sign_in(a_client, "auditor@x.test")
        body = {
            "checklist": "half",
            "location": "S1",
            "visited_at": "2026-03-04T10:00:00Z",
            "answers": ANSWERS,
        }
        assert (await auditor.put(f"/api/audits/{uid}", json=body)).status_code == 201
        assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200
        hq = await sign_in(hq_client, "hq@x.test")
        r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
        assert r.status_code == 200, r.text
        yield {"uuid": uid, "hq": hq}


FILTERS = {"checklist": "half", "from": "2026-01-01", "to": "2026-12-31"}


async def test_the_stored_scores_are_the_halves_this_test_is_about(approved):
    r = await approved["hq"].get(f"/api/audits/{approved['uuid']}")
    card = r.json()["scorecard"]
    assert card["overall"] == 72.5 and card["touchpoints"]["service"] == 62.5
    assert card["service"] == 62.5 and card["experience"] == 87.5


async def test_hq_league_location_heatmap_and_audit_pages_print_73(approved):
    hq, uid = approved["hq"], approved["uuid"]
    league = (await hq.get("/hq", params=FILTERS)).text
    location = (await hq.get("/hq/locations/S1", params=FILTERS)).text
    heatmap = (await hq.get("/hq/heatmap", params=FILTERS)).text
    audit = (await hq.get(f"/hq/audits/{uid}")).text

    assert "<strong>73</strong>" in league
    assert '<td class="num">63 <span class="n"' in league  # with its n beside it
    assert '<td class="num">88 <span class="n"' in league
    assert '<span class="kpi-value">73</span>' in location
    assert '<span class="kpi-value">73</span>' in audit
    for html in (location, heatmap, audit):
        for _, label, score in TOUCHPOINTS:
            assert label in html
            assert re.search(rf">{score}<", html)
    # A heat cell's colour is the band of the number printed in it (63: 60 to 69).
    assert re.search(r'class="num heat heat-2[^"]*">63<', location)
    assert re.search(r'class="num heat heat-3[^"]*">73<', location)
    assert "1 on a scale of 1 to 5" not in audit and "2 on a scale of 1 to 5" in audit
    for html in (league, location, heatmap, audit):
        assert not WRONG.search(html), WRONG.search(html)


async def test_the_audit_json_carries_the_figures_as_printed(approved):
    hq, uid = approved["hq"], approved["uuid"]
    audit = (await hq.get(f"/api/audits/{uid}")).json()

    # The PWA shows this block: the audit JSON's own formatting of its scorecard.
    shown = audit["display"]
    assert shown == scorecard_display(audit["scorecard"], parse_checklist(HALF))

    assert {k: shown[k] for k in SHOWN} == SHOWN
    assert shown["band"] == "Fair" and shown["nps"] == "9"
    assert [(t["id"], t["label"], t["score"]) for t in shown["touchpoints"]] == TOUCHPOINTS
    assert shown["sections"]["advice"]["score"] == "63"


async def test_csv_keeps_the_exact_figures_and_xlsx_shows_them_whole(approved):
    hq = approved["hq"]
    league_csv = list(
        csv.DictReader(io.StringIO((await hq.get("/api/compare.csv", params=FILTERS)).text))
    )
    audits_csv = list(
        csv.DictReader(io.StringIO((await hq.get("/api/audits.csv", params=FILTERS)).text))
    )

    for line in (league_csv[0], audits_csv[0]):
        assert float(line["overall"]) == 72.5
        assert float(line["touchpoints.service"]) == 62.5
        assert float(line["touchpoints.follow_up"]) == 87.5

    for path in ("/api/compare.xlsx", "/api/audits.xlsx"):
        r = await hq.get(path, params=FILTERS)
        sheet = load_workbook(io.BytesIO(r.content)).active
        head = [c.value for c in sheet[1]]
        cells = dict(zip(head, sheet[2], strict=False))
        for column, shown in (("overall", "73"), ("touchpoints.service", "63")):
            cell = cells[column]
            assert isinstance(cell.value, float)  # the exact value, for the sheet's own maths
            assert cell.number_format == SPREADSHEET_SCORE_FORMAT == "0"
            assert format_score(cell.value) == shown  # what a "0" cell displays


async def test_report_json_and_pdf_print_the_same_figure_and_labels(approved):
    hq, uid = approved["hq"], approved["uuid"]
    twin = (await hq.get(f"/api/audits/{uid}/report.json")).json()
    r = await hq.get(f"/api/audits/{uid}/report.pdf")
    assert r.status_code == 200
    text = flat(pdf_text(r.content))

    assert twin["overall"] == 72.5  # data: exact
    assert [(t["id"], t["label"]) for t in twin["touchpoints"]] == [
        (tp, label) for tp, label, _ in TOUCHPOINTS
    ]
    # The cover: pdftotext reads its columns across, so each figure is
    # looked for beside its own label.
    assert re.search(r"OVERALL SCORE 73\b", text)
    assert re.search(r"SERVICE OVERALL SCORE 73 63 / 100 EXPERIENCE Fair", text)
    assert re.search(r"\b88 Fair Strong WOULD RECOMMEND Strong 9 out of 10", text)
    # The journey strip: the steps, their scores, their labels, their bands.
    assert re.search(r"1 2 63 88 Consultation WEAK Follow-up STRONG", text), text[:2000]
    assert "How friendly Consultation" in text and "Follow-up" in text
    assert "2 on a scale of 1 to 5" in text
    assert not re.search(r"\b72(\.5)?\b", text)
