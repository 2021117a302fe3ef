"""How a long section breaks across pages: never fewer than four of its rows on a page,
and a page that starts inside a section says so ("4. Floor, continued").

WeasyPrint ignores ``break-inside: avoid`` on a ``tbody``, which is how the
row groups once tried to stay together; this renders sections long enough to
break and reads where they broke with pdftotext.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from audit.checklist import checklist_from_dict
from audit.report.render import render_report_pdf
from audit.report.sample import sample_report_data
from audit.report.view import MIN_ROWS_ON_A_PAGE
from tests.test_report import page_texts

LENGTHS = {"website": 3, "phone": 6, "floor": 47, "checkout": 5, "follow_up": 9}
TOUCHPOINTS = {"floor": "service", "follow_up": "follow_up"}


def long_checklist() -> dict[str, Any]:
    return {
        "id": "long-sections",
        "title": "Long sections",
        "version": 1,
        "sections": [
            {
                "id": section,
                "title": section.replace("_", " ").capitalize(),
                "touchpoint": TOUCHPOINTS.get(section, section),
                "items": [
                    {
                        "id": f"{section}_{n}",
                        "text": f"Check {section} number {n:02d}",
                        "type": "yes_no",
                    }
                    for n in range(count)
                ],
            }
            for section, count in LENGTHS.items()
        ],
    }


def answers(comment_every: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for section, count in LENGTHS.items():
        for n in range(count):
            answer: dict[str, Any] = {"value": n % 3 != 0}
            if comment_every and n % comment_every == 0:
                answer["comment"] = "The shelf edge label and the till disagreed. " * 3
            out[f"{section}_{n}"] = answer
    return out


@pytest.mark.parametrize("comment_every", [0, 4])
def test_a_long_section_breaks_with_four_rows_a_side_and_says_continued(
    tmp_path: Path, comment_every: int
) -> None:
    checklist = checklist_from_dict(long_checklist())
    data = sample_report_data(tmp_path, answers(comment_every), checklist)
    pages = page_texts(render_report_pdf(data))
    # The detail starts on the page headed "The visit in detail"; the cover's
    # fixes and highlights before it print some of the same items.
    start = next(n for n, p in enumerate(pages) if "The visit in detail" in p)
    detail = [pages[start].split("The visit in detail", 1)[1], *pages[start + 1 :]]
    assert "Check website number 00" in detail[0], "the detail's heading ends a page alone"
    detail = [p for p in detail if re.search(r"Check \w+ number \d\d", p)]
    assert len(detail) >= 2, "the sections fit one page: the test proves nothing"

    continued = 0
    for page in detail:
        rows: dict[str, int] = {}
        for section, _ in re.findall(r"Check (\w+) number (\d\d)", page):
            rows[section] = rows.get(section, 0) + 1
        for section, count in rows.items():
            assert count >= min(MIN_ROWS_ON_A_PAGE, LENGTHS[section]), (section, count, page)
        first = re.search(r"Check (\w+) number (\d\d)", page)
        assert first is not None
        number = list(LENGTHS).index(first.group(1)) + 1
        title = first.group(1).replace("_", " ").capitalize()
        if page is detail[0]:
            assert first.group(2) == "00"
        elif first.group(2) != "00":
            assert f"{number}. {title}, continued" in page, page[:300]
            continued += 1
        else:
            assert ", continued" not in page, page[:300]
    assert continued >= 1, "no section broke across pages"
