"""The free-text detector and the owner's copy (audit.redaction), without a database."""

from __future__ import annotations

import pytest

from audit.answers import Answer
from audit.checklist import parse_checklist
from audit.redaction import find_flags, owner_answers, owner_texts, segments, with_owner_text

CHECKLIST = parse_checklist(
    """\
id: c
title: C
sections:
  - id: service
    items:
      - {id: greeted, type: yes_no}
      - {id: notes, type: text}
"""
)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_flags(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Seen at about 11am", [("time", "11am")]),
        ("at 3:15pm", [("time", "3:15pm")]),
        ("closes at 15:30", [("time", "15:30")]),
        ("arrived 3 p.m. sharp", [("time", "3 p.m.")]),
        ("back at noon", [("time", "noon")]),
        ("mail jo.smith@example.com now", [("email", "jo.smith@example.com")]),
        ("call 020 7946 0958", [("phone", "020 7946 0958")]),
        ("or +1 (555) 123-4567", [("phone", "+1 (555) 123-4567")]),
        ("served by Sam", [("name", "Sam")]),
        ("Sam's advice", [("name", "Sam")]),
        ("a man named Priya Sharma", [("name", "Priya Sharma")]),
        ("Asked for Mr. Jones", [("name", "Jones")]),
        (
            "Alex, the shopper, was served by Sam at 3:15pm",
            [("name", "Alex"), ("name", "Sam"), ("time", "3:15pm")],
        ),
    ],
)
def test_times_emails_phones_and_names_are_flagged(text: str, expected: list) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Visited on 2026-10-01, paid $15.30 for 2 items",
        "Waited 3.5 minutes; 10 rings; the 55-inch TV",
        "Arrived by bus; served by Monday's staff",
        "Will the store call back? May be.",
        "Two soundbars on the demo wall had no power.",
        "Price 1,299.00 and 12 units on display",
    ],
)
def test_ordinary_remarks_are_not_flagged(text: str) -> None:
    assert find_flags(text) == []


def test_segments_cut_the_text_at_each_flag() -> None:
    assert segments("Served by Sam at 11am.") == [
        ("Served by ", None),
        ("Sam", "name"),
        (" at ", None),
        ("11am", "time"),
        (".", None),
    ]


ANSWERS = {
    "greeted": Answer(value=True, comment="Greeted by Sam at the door"),
    "notes": Answer(value="Quiet store, tidy shelves"),
}


def test_flagged_text_is_withheld_and_clean_text_released() -> None:
    owned = owner_answers(CHECKLIST, ANSWERS, None)
    assert owned["greeted"].comment is None
    assert owned["greeted"].value is True
    assert owned["notes"].value == "Quiet store, tidy shelves"


def test_an_edit_without_flags_or_a_clearance_releases_it() -> None:
    original = "Greeted by Sam at the door"
    edited = with_owner_text(None, "greeted", "comment", original, "Greeted at the door", False)
    assert owner_answers(CHECKLIST, ANSWERS, edited)["greeted"].comment == "Greeted at the door"
    still = with_owner_text(None, "greeted", "comment", original, "Sam waved", False)
    assert owner_answers(CHECKLIST, ANSWERS, still)["greeted"].comment is None
    cleared = with_owner_text(None, "greeted", "comment", original, None, True)
    assert owner_answers(CHECKLIST, ANSWERS, cleared)["greeted"].comment == original
    emptied = with_owner_text(None, "greeted", "comment", original, "", False)
    assert owner_answers(CHECKLIST, ANSWERS, emptied)["greeted"].comment is None


def test_an_edit_of_words_the_auditor_changed_since_no_longer_applies() -> None:
    stored = with_owner_text(None, "greeted", "comment", "Greeted by Sam", None, True)
    [text, _] = owner_texts(CHECKLIST, ANSWERS, stored)
    assert (text.cleared, text.released) == (False, False)
