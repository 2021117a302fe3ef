"""Per-answer exports: one row per audit and item, for people (CSV, XLSX) and machines (raw).

A real audit goes through the API (draft with a comment, photos, submit,
approve); the export is read back and each row compared with what was sent
and what the scoring rules give.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.helpers import Session, image_bytes, new_uuid, seed

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

CHECKLIST = """\
id: desk
title: Front desk
sections:
  - id: phone
    title: Phone enquiry
    touchpoint: phone
    items:
      - {id: answered, text: A person answered, type: yes_no, kind: service, weight: 3}
      - {id: friendly, text: How friendly, type: scale, min: 1, max: 4, kind: service}
      - {id: rings, text: Rings, type: number, unit: rings, na: true,
         bands: [{max: 3, points: 1}, {points: 0}]}
  - id: website
    touchpoint: website
    items:
      - {id: booked_online, text: Booked online, type: yes_no}
      - {id: confirmation, text: Confirmation e-mail, type: yes_no,
         show_if: {item: booked_online, equals: true}}
      - {id: screenshot, text: Screenshot of the site, type: photo}
      - {id: hq_notes, text: Anything for HQ, type: text, audience: hq}
"""
ANSWERS: dict[str, Any] = {
    "answered": {"value": True},
    "friendly": {"value": 2, "comment": '=HYPERLINK("http://x") curt'},
    "rings": {"na": True},
    "booked_online": {"value": False},
    "confirmation": {"value": True},  # hidden by show_if: kept, not counted
    "hq_notes": {"value": "Door code 4411"},
}


@pytest.fixture
async def approved(login: Any, db: Any, tmp_path: Path) -> tuple[Session, str, str]:
    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "desk.yaml").write_text(CHECKLIST)
    await seed(folder)
    auditor = await login("auditor@x.test")
    uid = new_uuid()
    body = {"checklist": "desk", "location": "S1", "visited_at": "2026-03-05T10:00:00Z"}
    r = await auditor.put(f"/api/audits/{uid}", json={**body, "answers": ANSWERS})
    assert r.status_code == 201, r.text
    photo = new_uuid()
    r = await auditor.put(
        f"/api/audits/{uid}/photos/{photo}?item=screenshot", content=image_bytes("JPEG")
    )
    assert r.status_code == 201, r.text
    r = await auditor.post(f"/api/audits/{uid}/submit")
    assert r.status_code == 200, r.text
    hq = await login("hq@x.test")
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200, r.text
    return hq, uid, photo


FILTERS = {"checklist": "desk", "from": "2026-03-01", "to": "2026-03-31"}


def by_item(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    return {row[key]: row for row in rows}


async def test_the_csv_for_people_has_one_row_per_item_readable_headers_and_one_decimal(
    approved: tuple[Session, str, str],
) -> None:
    hq, uid, photo = approved
    r = await hq.get("/api/answers.csv", params=FILTERS)

    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="answers_desk_2026-03-01_2026-03-31.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 7 and {row["Audit"] for row in rows} == {uid}
    header = next(csv.reader(io.StringIO(r.text)))
    assert header[:4] == ["Audit", "Location code", "Location", "Region"]
    assert "touchpoint" not in header and "Touchpoint" in header and "N/A" in header
    items = by_item(rows, "Item id")
    friendly = items["friendly"]
    assert (friendly["Touchpoint"], friendly["Section"], friendly["Kind"]) == (
        "Phone",
        "Phone enquiry",
        "Service",
    )
    assert friendly["Answer"] == "2 on a scale of 1 to 4"
    assert (friendly["Points"], friendly["Out of"], friendly["Score"]) == ("0.3", "1", "33.3")
    assert friendly["Comment"] == '\'=HYPERLINK("http://x") curt'  # never a formula
    assert (items["answered"]["Value"], items["answered"]["Points"]) == ("Yes", "3.0")
    assert (items["rings"]["N/A"], items["rings"]["Answer"], items["rings"]["Points"]) == (
        "Yes",
        "Not applicable",
        "",
    )
    hidden = items["confirmation"]
    assert hidden["Answer"].startswith("Not shown") and hidden["Score"] == ""
    assert items["booked_online"]["Touchpoint"] == "Website"
    assert items["hq_notes"]["Read by"] == "HQ only"
    link = items["screenshot"]["Photos"]
    assert link == f"http://testserver/api/audits/{uid}/photos/{photo}"
    r = await hq.get(link.removeprefix("http://testserver"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"


async def test_the_raw_export_keeps_keys_exact_figures_and_slugs(
    approved: tuple[Session, str, str],
) -> None:
    hq, _uid, _ = approved
    r = await hq.get("/api/answers.csv", params={**FILTERS, "raw": "1"})

    rows = list(csv.DictReader(io.StringIO(r.text)))
    items = by_item(rows, "item_id")
    friendly = items["friendly"]
    assert float(friendly["score"]) == pytest.approx(100 / 3)
    assert float(friendly["points"]) == pytest.approx(1 / 3)
    assert (friendly["touchpoint"], friendly["section"], friendly["kind"]) == (
        "phone",
        "phone",
        "service",
    )
    assert items["answered"]["value"] == "true" and items["rings"]["na"] == "true"
    assert items["hq_notes"]["audience"] == "hq"
    assert 'filename="answers-raw_desk' in r.headers["content-disposition"]


async def test_the_xlsx_holds_the_same_rows_with_one_decimal_figures(
    approved: tuple[Session, str, str],
) -> None:
    hq, _uid, _ = approved
    r = await hq.get("/api/answers.xlsx", params=FILTERS)

    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content), read_only=True)["Answers"]
    lines = [list(row) for row in sheet.iter_rows(values_only=True)]
    header, body = lines[0], lines[1:]
    assert header[0] == "Audit" and len(body) == 7
    rows = [dict(zip(header, line, strict=True)) for line in body]
    friendly = by_item(rows, "Item id")["friendly"]
    assert (friendly["Score"], friendly["Points"]) == (33.3, 0.3)
    book = load_workbook(io.BytesIO(r.content))
    score_column = header.index("Score") + 1
    cell = book["Answers"].cell(
        row=2 + [r["Item id"] for r in rows].index("friendly"), column=score_column
    )
    assert cell.number_format == "0.0"


async def test_answer_exports_take_the_filters_and_are_hq_only(
    approved: tuple[Session, str, str], login: Any
) -> None:
    hq, _, _ = approved
    r = await hq.get("/api/answers.csv", params={**FILTERS, "from": "2026-04-01", "to": ""})
    assert r.text.count("\n") == 1  # the header alone
    r = await hq.get("/api/answers.csv", params={**FILTERS, "region": "South"})
    assert r.text.count("\n") == 1
    r = await hq.get("/api/answers.csv", params={**FILTERS, "from": "March"})
    assert r.status_code == 422 and "from" in r.json()["fields"]
    owner = await login("owner@x.test")
    assert (await owner.get("/api/answers.csv", params=FILTERS)).status_code == 404
