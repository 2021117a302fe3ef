"""Free text for owners: what in a comment could identify the shopper, and the owner's copy.

The report promises the owner nothing that identifies the auditor, but free
text is typed by a person: "Seen at about 11am", "Alex, the shopper, was
served by Sam at 3:15pm". :func:`find_flags` marks times of day, e-mail
addresses, phone numbers and person-like names. Each free text (a ``text``
item's answer, unless the item records a fact, and any item's comment) has an
owner's copy: the auditor's words unless HQ edited them during review. A copy
that still carries a flag is withheld from every owner output until HQ clears
it (:func:`owner_answers`); the auditor's original stays for HQ.

HQ's edits are stored on the audit as ``{item: {field: {"original", "text",
"cleared"}}}``; an edit made against words the auditor has since changed no
longer applies, so the new words are checked afresh.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from audit.answers import Answer
from audit.checklist import Checklist

FIELDS = ("value", "comment")
FLAG_KINDS = ("time", "email", "phone", "name")

_TIME = re.compile(
    r"\b(?:"
    r"(?:[01]?\d|2[0-3]):[0-5]\d(?:\s*[ap](?:\.m\.|\.?\s?m\b))?"  # 15:30, 3:15pm
    r"|(?:1[0-2]|0?[1-9])(?:\.[0-5]\d)?\s*[ap](?:\.m\.|\.?\s?m\b)"  # 11am, 3 p.m., 3.15pm
    r"|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})\s+o'clock"
    r"|noon|midday|midnight"
    r")",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Seven or more digits with the usual separators; a date (2026-10-01) is not a phone.
_PHONE = re.compile(r"(?<![\w.,])\+?\(?\d[\d\s().-]{5,}\d(?![\w,]|\.\d)")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_CAPITALISED = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
# A capitalised word after these is most likely a person: "served by Sam".
# A lookahead, so that one cue's words never hide the next cue ("asked for Mr. Jones").
_CUED_NAME = re.compile(
    r"(?=\b(?i:by|named|called|name is|name was|name's|ask for|asked for|Mr\.?|Mrs\.?|Ms\.?"
    r"|Miss|Dr\.?)\s+(" + _CAPITALISED + r"(?:\s+" + _CAPITALISED + r")?))"
)
_WORD = re.compile(_CAPITALISED)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Capitalised words a cue may precede that are not people.
_NOT_NAMES = _words(
    """Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    May June July August September October November December The A An This That Phone Email
    Mail Text Chat Bus Car Train Taxi Card Cash Hand Post Store Shop Staff Manager
    Management Someone Nobody Security Reception Customer Service Sales Head Office
    Headquarters Website Google Apple Samsung Sony Visa Mastercard Mr Mrs Ms Miss Dr
"""
)
# Common first names, kept short on purpose: ambiguous words (Will, May, Mark,
# Grace, Rose, Bill) are left to the cues above, or every "Will" would flag.
FIRST_NAMES = _words(
    """Aaron Adam Adrian Ahmed Aisha Alan Alex Alexander Alice Amanda Amy Ana Andrea Andrew
    Angela Anna Anne Anthony Ben Benjamin Beth Brian Carlos Caroline Catherine Charles
    Charlie Chris Christian Christopher Claire Daniel David Deborah Dennis Diana Diego Emily
    Emma Eric Ethan Fatima Fiona Frank Gary George Hannah Helen Henry Ian Isabel Jack Jacob
    James Jamie Jane Jason Jennifer Jessica Jim John Jonathan Jordan Jose Joseph Josh Julia
    Karen Kate Kevin Laura Lauren Linda Lisa Liam Lucas Lucy Luis Maria Martin Mary Matt
    Matthew Michael Michelle Mike Mohammed Nancy Natalie Nathan Nicole Noah Oliver Olivia
    Omar Patrick Paul Peter Priya Rachel Raj Rebecca Richard Robert Ryan Sam Samantha Samuel
    Sandra Sara Sarah Sean Simon Sophia Sophie Stephen Steve Steven Susan Thomas Tim Tom
    Tony Victoria William Yusuf Zoe
"""
)


@dataclass(frozen=True)
class Flag:
    """A stretch of text that could identify someone: ``text[start:end]``."""

    kind: str  # time | email | phone | name
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "start": self.start, "end": self.end}


def _bare(word: str) -> str:
    """The word without a possessive: "Monday's" is Monday."""
    return word.split("'", 1)[0]


def find_flags(text: str) -> list[Flag]:
    """Every flagged stretch of ``text``, in order, none overlapping another."""
    found: list[Flag] = []
    for match in _EMAIL.finditer(text):
        found.append(Flag("email", match.start(), match.end(), match.group()))
    for match in _TIME.finditer(text):
        found.append(Flag("time", match.start(), match.end(), match.group()))
    for match in _PHONE.finditer(text):
        digits = sum(c.isdigit() for c in match.group())
        if digits >= 7 and not _DATE.match(match.group().strip()):
            found.append(Flag("phone", match.start(), match.end(), match.group().strip()))
    for match in _CUED_NAME.finditer(text):
        words = match.group(1).split()
        if _bare(words[0]) not in _NOT_NAMES:
            start = match.start(1)
            end = start + len(words[0]) if _bare(words[-1]) in _NOT_NAMES else match.end(1)
            found.append(Flag("name", start, end, text[start:end]))
    for match in _WORD.finditer(text):
        name = _bare(match.group())
        if name in FIRST_NAMES:
            found.append(Flag("name", match.start(), match.start() + len(name), name))
    # Earlier and longer first: an e-mail address holds a name, a phone a time.
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Flag] = []
    for flag in found:
        if not kept or flag.start >= kept[-1].end:
            kept.append(flag)
    return kept


def segments(text: str) -> list[tuple[str, str | None]]:
    """``text`` cut into ``(piece, flag kind or None)``, for highlighting."""
    out: list[tuple[str, str | None]] = []
    at = 0
    for flag in find_flags(text):
        if flag.start > at:
            out.append((text[at : flag.start], None))
        out.append((text[flag.start : flag.end], flag.kind))
        at = flag.end
    if at < len(text):
        out.append((text[at:], None))
    return out


@dataclass(frozen=True)
class OwnerText:
    """One free text of an audit: the auditor's words and what the owner may read of them."""

    item: str
    field: str  # value (a text item's answer) | comment
    original: str
    edited: str | None  # HQ's owner copy; None: the original
    cleared: bool  # HQ has read the copy and releases it, flags and all

    @property
    def copy(self) -> str:
        return self.original if self.edited is None else self.edited

    @property
    def flags(self) -> list[Flag]:
        return find_flags(self.copy)

    @property
    def released(self) -> bool:
        return self.cleared or not self.flags

    @property
    def for_owner(self) -> str | None:
        """What the owner reads: None while withheld, or when HQ emptied it."""
        return self.copy.strip() or None if self.released else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "field": self.field,
            "original": self.original,
            "text": self.copy,
            "edited": self.edited is not None,
            "cleared": self.cleared,
            "flags": [f.to_dict() for f in self.flags],
            "released": self.released,
        }


def free_text_field(checklist: Checklist, item_id: str) -> str | None:
    """The field holding an item's free text by default: a text item's value (unless it
    records a fact), else its comment."""
    item = checklist.item_map().get(item_id)
    if item is None:
        return None
    return "value" if item.type == "text" and item.fact is None else "comment"


def _raw_texts(
    checklist: Checklist, answers: Mapping[str, Answer]
) -> Iterator[tuple[str, str, str]]:
    for item in checklist.items():
        answer = answers.get(item.id)
        if answer is None:
            continue
        # A text item that records a fact (the phone number on the door) holds
        # what a touchpoint told every customer, not the shopper's own words:
        # it reaches the owner as recorded, so a report's consistency findings
        # and its scores rest on the same values.
        if (
            item.type == "text"
            and item.fact is None
            and isinstance(answer.value, str)
            and answer.value.strip()
        ):
            yield item.id, "value", answer.value
        if answer.comment and answer.comment.strip():
            yield item.id, "comment", answer.comment


def owner_texts(
    checklist: Checklist, answers: Mapping[str, Answer], stored: Mapping[str, Any] | None
) -> list[OwnerText]:
    """Every free text of the answers in journey order, with HQ's edits that still apply."""
    out = []
    for item_id, field, original in _raw_texts(checklist, answers):
        entry = _stored_entry(stored, item_id, field)
        edited: str | None = None
        cleared = False
        if entry is not None and entry.get("original") == original:
            text = entry.get("text")
            edited = text if isinstance(text, str) else None
            cleared = entry.get("cleared") is True
        out.append(OwnerText(item_id, field, original, edited, cleared))
    return out


def _stored_entry(stored: Mapping[str, Any] | None, item_id: str, field: str) -> Any:
    if not isinstance(stored, Mapping):
        return None
    fields = stored.get(item_id)
    entry = fields.get(field) if isinstance(fields, Mapping) else None
    return entry if isinstance(entry, Mapping) else None


def with_owner_text(
    stored: Mapping[str, Any] | None,
    item_id: str,
    field: str,
    original: str,
    text: str | None,
    cleared: bool,
) -> dict[str, Any]:
    """``stored`` with HQ's copy of one free text set (``text`` None: the original)."""
    out: dict[str, Any] = {
        key: dict(value) for key, value in (stored or {}).items() if isinstance(value, Mapping)
    }
    out.setdefault(item_id, {})[field] = {"original": original, "text": text, "cleared": cleared}
    return out


def owner_answers(
    checklist: Checklist, answers: Mapping[str, Answer], stored: Mapping[str, Any] | None
) -> dict[str, Answer]:
    """The answers as owners may read them: each free text replaced by its owner's copy.

    Scores are unchanged: free text is never scored.
    """
    out = dict(answers)
    for text in owner_texts(checklist, answers, stored):
        answer = out[text.item]
        if text.field == "value":
            out[text.item] = replace(answer, value=text.for_owner)
        else:
            out[text.item] = replace(answer, comment=text.for_owner)
    return out
