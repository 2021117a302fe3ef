"""The experience report of a checklist with consistency rules: strip cell, findings, twin."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from audit.checklist import load_checklist
from audit.report.render import render_report_html, render_report_pdf
from audit.report.sample import sample_report_data
from audit.report.twin import report_document
from audit.report.view import report_context

FIXTURES = Path(__file__).parent / "fixtures"
CHECKLIST = load_checklist(FIXTURES / "checklists" / "valid" / "consistency.yaml")
ANSWERS: dict[str, Any] = json.loads((FIXTURES / "answers" / "consistency.json").read_text())[
    "answers"
]


def data(tmp_path: Path, **changes: Any) -> Any:
    answers = {**ANSWERS, **changes}
    return sample_report_data(tmp_path, answers, CHECKLIST)


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def test_the_strip_has_a_consistency_cell_apart_from_the_touchpoints(tmp_path: Path) -> None:
    context = report_context(data(tmp_path))
    assert [step.label for step in context["strip"]] == [
        "Website",
        "Phone",
        "Arrival",
        "Consultation",
    ]
    cell = context["consistency"]
    assert (cell.score, cell.band.label, cell.agreed, cell.checked) == ("40", "Weak", 2, 4)
    html = render_report_html(data(tmp_path))
    assert 'class="step step-consistency band-weak"' in html
    assert "2 of 4 agree" in html


def test_the_pdf_lists_each_disagreement_with_what_every_touchpoint_said(tmp_path: Path) -> None:
    text = pdf_text(render_report_pdf(data(tmp_path)))
    assert "One story at every touchpoint" in text
    assert (
        "Website Opening hours the store page gives for today 09:00\u201321:00 "
        "Phone Opening hours the person on the phone gave 09:00\u201318:00 "
        "Arrival Opening hours on the door 09:00\u201318:00"
    ) in text
    assert "Phone Price of the jersey quoted on the phone $49.99" in text
    assert "Consultation Price on the shelf label $54.99" in text
    assert "Agree The store's phone number; Jersey in stock." in text
    # The critical price check caps the overall and says so on the cover.
    assert "Price of the team jersey: the touchpoints disagree" in text
    assert "The touchpoints disagree on opening hours and price of the team jersey" in text


def test_a_fact_not_recorded_reads_so_and_an_unchecked_rule_is_listed(tmp_path: Path) -> None:
    report = data(
        tmp_path,
        door_hours={"na": True},
        phone_price={"na": True},
    )
    context = report_context(report)
    hours = context["consistency"].disagreements[0]
    assert [f.words for f in hours.facts] == [
        "09:00\u201321:00",
        "09:00\u201318:00",
        "Not recorded",
    ]
    assert [f.label for f in context["consistency"].unchecked] == ["Price of the team jersey"]
    text = pdf_text(render_report_pdf(report))
    assert "Not checked Price of the team jersey: fewer than two touchpoints gave this" in text
    # An unchecked critical rule cannot fail: no banner, no cap.
    assert context["criticals"] == []
    assert "caps the overall score at 30" not in text
    assert report.scorecard.overall == 65.0


def test_the_twin_carries_the_same_findings(tmp_path: Path) -> None:
    twin = report_document(data(tmp_path))
    block = twin["consistency"]
    assert block["score"] == 40.0
    assert [(r["id"], r["result"], r["critical"]) for r in block["rules"]] == [
        ("hours", "disagree", False),
        ("phone_number", "agree", False),
        ("price", "disagree", True),
        ("in_stock", "agree", False),
    ]
    assert block["rules"][2]["values"] == [
        {
            "fact": "price_phone",
            "item": "phone_price",
            "touchpoint": "phone",
            "value": {"amount": "49.99", "currency": "USD"},
            "text": "$49.99",
        },
        {
            "fact": "price_shelf",
            "item": "shelf_price",
            "touchpoint": "service",
            "value": {"amount": "54.99", "currency": "USD"},
            "text": "$54.99",
        },
    ]
    assert twin["overall"] == 30.0
