"""The one validator of submitted answers.

Answers arrive from the PWA, the API and ``audit score`` in the shape of
CONTRACT.md's Answers JSON: ``{item_id: {"value": V, "na": bool, "comment": S}}``.
:func:`parse_answers` checks all of them against a checklist, reports every
problem at once keyed by ``answers.<item_id>``, and returns typed answers.
Nothing else in the code base decides whether an answer is acceptable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audit.checklist import Checklist, Item, same_value
from audit.facts import check_money, check_time_range

# A free-text answer is a few paragraphs; 10,000 characters is a short essay.
MAX_TEXT_ANSWER = 10_000
MAX_COMMENT = 4_000
# Evidence photos per item: plenty for a shelf, a sign and a receipt.
MAX_PHOTOS_PER_ITEM = 12
ANSWER_KEYS = frozenset({"value", "na", "comment", "photos"})


@dataclass(frozen=True)
class Answer:
    value: Any = None
    na: bool = False
    comment: str | None = None
    photos: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        """Answered with a value (photo items: with at least one photo)."""
        return self.value is not None or bool(self.photos)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.na:
            out["na"] = True
        elif self.value is not None:
            out["value"] = self.value
        if self.comment:
            out["comment"] = self.comment
        if self.photos:
            out["photos"] = list(self.photos)
        return out


class AnswersError(Exception):
    """Every problem found, keyed by field path such as ``answers.rings``."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite(value: int | float) -> bool:
    # JSON has no size limit on integers; one past the float range cannot be
    # compared with bands or stored as a number, so it is as bad as infinity.
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def check_value(item: Item, value: Any) -> tuple[Any, str | None]:
    """Return the normalised value or a message saying what is wrong with it."""
    kind = item.type
    if kind == "yes_no":
        if not isinstance(value, bool):
            return None, "must be true or false"
        return value, None
    if kind in ("scale", "nps", "number"):
        if not _is_number(value):
            return None, "must be a number"
        if not _is_finite(value):
            return None, "must be a finite number"
        if kind in ("scale", "nps"):
            if value != int(value):
                return None, "must be a whole number"
            value = int(value)
            lo, hi = (0, 10) if kind == "nps" else (item.min, item.max)
            assert lo is not None and hi is not None
            if not lo <= value <= hi:
                return None, f"must be between {lo:g} and {hi:g}"
            return value, None
        if item.integer:
            if value != int(value):
                return None, "must be a whole number"
            value = int(value)
        if item.min is not None and value < item.min:
            return None, f"must be at least {item.min:g}"
        if item.max is not None and value > item.max:
            return None, f"must be at most {item.max:g}"
        return value, None
    if kind == "choice":
        option = item.option(value)
        if option is None:
            known = ", ".join(repr(o.value) for o in item.options)
            return None, f"must be one of {known}"
        return option.value, None
    if kind == "text":
        if not isinstance(value, str):
            return None, "must be text"
        if len(value) > MAX_TEXT_ANSWER:
            return None, f"is longer than {MAX_TEXT_ANSWER:,} characters"
        return value, None
    if kind == "time_range":
        return check_time_range(value)
    if kind == "money":
        assert item.currency is not None
        return check_money(value, item.currency)
    # photo items carry their pictures in "photos"; a value makes no sense there
    return None, "photo items take photos, not a value"


def _check_photos(raw: Any) -> tuple[tuple[str, ...], str | None]:
    if not isinstance(raw, list) or not all(isinstance(p, str) and p for p in raw):
        return (), "photos must be a list of photo ids"
    if len(raw) > MAX_PHOTOS_PER_ITEM:
        return (), f"at most {MAX_PHOTOS_PER_ITEM} photos per item"
    if any(len(p) > 64 for p in raw):
        return (), "photo ids are at most 64 characters"
    return tuple(dict.fromkeys(raw)), None


def parse_answer(item: Item, raw: Any) -> tuple[Answer | None, str | None]:
    if not isinstance(raw, Mapping):
        return None, 'must be an object such as {"value": ...} or {"na": true}'
    unknown = sorted(set(raw) - ANSWER_KEYS)
    if unknown:
        return None, f"unknown key {unknown[0]!r} (allowed: value, na, comment, photos)"
    na = raw.get("na", False)
    if not isinstance(na, bool):
        return None, "na must be true or false"
    comment = raw.get("comment")
    if comment is not None:
        if not isinstance(comment, str):
            return None, "comment must be text"
        if len(comment) > MAX_COMMENT:
            return None, f"comment is longer than {MAX_COMMENT:,} characters"
    photos: tuple[str, ...] = ()
    if raw.get("photos") is not None:
        photos, problem = _check_photos(raw["photos"])
        if problem:
            return None, problem
    value = raw.get("value")
    if na:
        if not item.na:
            return None, "cannot be answered 'not applicable'"
        if value is not None:
            return None, "give either a value or na, not both"
        return Answer(na=True, comment=comment or None, photos=photos), None
    if value is not None:
        value, problem = check_value(item, value)
        if problem:
            return None, problem
    return Answer(value=value, comment=comment or None, photos=photos), None


def parse_answers(checklist: Checklist, raw: Any) -> dict[str, Answer]:
    """Validate an ``answers`` mapping against ``checklist``; raise :class:`AnswersError`."""
    if not isinstance(raw, Mapping):
        raise AnswersError({"answers": "must be an object keyed by item id"})
    items = checklist.item_map()
    problems: dict[str, str] = {}
    answers: dict[str, Answer] = {}
    for item_id, raw_answer in raw.items():
        field = f"answers.{item_id}"
        item = items.get(item_id) if isinstance(item_id, str) else None
        if item is None:
            problems[field] = f"no item {item_id!r} in checklist {checklist.id!r}"
            continue
        answer, problem = parse_answer(item, raw_answer)
        if problem:
            problems[field] = problem
        elif answer is not None:
            answers[item_id] = answer
    if problems:
        raise AnswersError(problems)
    return answers


def parse_answers_document(checklist: Checklist, doc: Any) -> dict[str, Answer]:
    """Validate a whole Answers JSON document ``{"checklist", "answers"}``."""
    if not isinstance(doc, Mapping):
        raise AnswersError({"": 'must be an object {"checklist": ..., "answers": {...}}'})
    problems: dict[str, str] = {}
    for key in doc:
        if key not in ("checklist", "answers"):
            problems[str(key)] = "unknown key (allowed: checklist, answers)"
    named = doc.get("checklist")
    if named is not None and named != checklist.id:
        problems["checklist"] = f"names {named!r}, but the checklist is {checklist.id!r}"
    answers: dict[str, Answer] = {}
    if "answers" not in doc:
        problems["answers"] = "is missing"
    else:
        try:
            answers = parse_answers(checklist, doc["answers"])
        except AnswersError as exc:  # reported together with the document's own problems
            problems.update(exc.fields)
    if problems:
        raise AnswersError(problems)
    return answers


def effective_values(checklist: Checklist, answers: Mapping[str, Answer]) -> dict[str, Any]:
    """Values of the items that are shown and answered (not N/A), in journey order."""
    values: dict[str, Any] = {}
    for item in checklist.items():
        if item.show_if is not None and not condition_holds(item.show_if, values):
            continue
        answer = answers.get(item.id)
        if answer is not None and not answer.na and answer.value is not None:
            values[item.id] = answer.value
    return values


def visible_items(checklist: Checklist, answers: Mapping[str, Answer]) -> list[Item]:
    """The items shown to the shopper for these answers, in journey order."""
    values: dict[str, Any] = {}
    shown: list[Item] = []
    for item in checklist.items():
        if item.show_if is not None and not condition_holds(item.show_if, values):
            continue
        shown.append(item)
        answer = answers.get(item.id)
        if answer is not None and not answer.na and answer.value is not None:
            values[item.id] = answer.value
    return shown


def condition_holds(cond: Any, values: Mapping[str, Any]) -> bool:
    """Evaluate a show_if condition against the values of shown, answered items.

    A condition on an item that has no value (unanswered, N/A or itself hidden)
    is false, whatever its operator: the later item waits for the earlier answer.
    """
    if cond.op == "all":
        return all(condition_holds(c, values) for c in cond.conditions)
    if cond.op == "any":
        return any(condition_holds(c, values) for c in cond.conditions)
    if cond.item not in values:
        return False
    actual = values[cond.item]
    if cond.op == "equals":
        return same_value(actual, cond.value)
    if cond.op == "not_equals":
        return not same_value(actual, cond.value)
    return any(same_value(actual, v) for v in cond.values)
