"""Report data of every shape the templates print, for compatibility tests."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from audit.checklist import load_checklist
from audit.report.data import (
    ActionNote,
    Amendment,
    Benchmarks,
    ReportData,
    SinceCheck,
    SinceLastVisit,
)
from audit.report.sample import sample_report_data

FIXTURES = Path(__file__).parent / "fixtures"


def report_variants(photo_dir: Path) -> dict[str, ReportData]:
    sample = sample_report_data(photo_dir)
    consistency = load_checklist(FIXTURES / "checklists" / "valid" / "consistency.yaml")
    answers = json.loads((FIXTURES / "answers" / "consistency.json").read_text())["answers"]
    since = SinceLastVisit(
        date(2025, 1, 10),
        (
            SinceCheck(
                "a",
                "The website gave opening hours",
                "website",
                0.0,
                1.0,
                "failed",
                "fixed",
                ActionNote(
                    "Update the store page",
                    "Store manager",
                    date(2025, 2, 1),
                    "done",
                    date(2025, 1, 28),
                ),
            ),
            SinceCheck(
                "b", "Staff greeted the shopper", "service", 0.5, 0.5, "weak", "still_failing"
            ),
            SinceCheck("c", "Restroom clean", "facilities", 0.4, None, "weak", "not_checked"),
        ),
    )
    amendments = (
        Amendment(
            "a",
            "The call was answered",
            "phone",
            "upheld",
            "No",
            "Yes",
            "Call log shows it.",
            date(2025, 3, 22),
        ),
        Amendment(
            "b",
            "Restroom clean",
            "facilities",
            "rejected",
            "2 on a scale of 1 to 5",
            "2 on a scale of 1 to 5",
            "",
            date(2025, 3, 23),
        ),
        Amendment(
            "c",
            "Greeting",
            "service",
            "partly_upheld",
            "1 on a scale of 1 to 5",
            "3 on a scale of 1 to 5",
            "Partly.",
            date(2025, 3, 23),
        ),
    )
    return {
        "sample": sample,
        "bare": replace(
            sample,
            benchmarks=Benchmarks(),
            trend=(),
            location_nps=None,
            region_rank=None,
            brand_rank=None,
            generated_at=None,
            region=None,
        ),
        "since_and_appeals": replace(
            sample, since_last=since, version=2, amended_on=date(2025, 3, 24), amendments=amendments
        ),
        "consistency": sample_report_data(photo_dir, answers, consistency),
    }
