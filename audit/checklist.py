"""Checklists: YAML files → frozen dataclasses, with `FILE:LINE:` validation.

A checklist walks the customer's journey in order, one section per touchpoint.
The allowed keys of each level are declared once in the ``*_KEYS`` tables
below; the validator and the published JSON Schema (:mod:`audit.schema`) are
both built from them, so the two can never disagree.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

from audit.facts import COMPARES, CURRENCY, minor_digits, parse_duration, to_minor
from audit.i18n import DEFAULT_LANGUAGE, LANGUAGES
from audit.yamlsource import LocatedList, LocatedMap, SourceError, load_yaml

ItemType = Literal[
    "yes_no", "scale", "choice", "number", "nps", "text", "photo", "time_range", "money"
]
Scalar = str | int | float | bool
# The texts of an element given one per language: (field, language, text),
# the checklist's own language among them.  Empty when every text is one string.
Translations = tuple[tuple[str, str, str], ...]

ITEM_TYPES: tuple[str, ...] = (
    "yes_no",
    "scale",
    "choice",
    "number",
    "nps",
    "text",
    "photo",
    "time_range",
    "money",
)
SCORED_TYPES = frozenset({"yes_no", "scale", "choice", "number"})
# Answers one touchpoint can state and another contradict (audit.facts).
FACT_TYPES = ("yes_no", "choice", "number", "text", "time_range", "money")
KINDS = ("service", "experience")
PHOTO_RULES = ("none", "optional", "required")
# Who reads an item's answer: everyone who sees the audit, or HQ alone (notes
# for head office that must never reach the location's owner).
AUDIENCES = ("all", "hq")
STANDARD_TOUCHPOINTS = (
    "website",
    "phone",
    "arrival",
    "facilities",
    "service",
    "checkout",
    "follow_up",
)
CHECKLIST_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
ITEM_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$")
TOUCHPOINT = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
# Long enough for a paragraph of help, short enough to keep forms readable.
MAX_TEXT = 2_000
MAX_SCENARIO = 10_000


@dataclass(frozen=True)
class KeySpec:
    """One allowed key: its JSON type(s), whether it is required, its meaning."""

    json_types: tuple[str, ...]
    description: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    max_length: int | None = None
    types: tuple[str, ...] | None = None  # item types this key belongs to
    # What a value of ``pattern`` looks like, for the message when one does not.
    pattern_words: str = "a valid slug (letters, digits, - and _)"
    # A text people read: one string, or one per language ({en: …, fr: …}).
    translatable: bool = False


CHECKLIST_KEYS: dict[str, KeySpec] = {
    "id": KeySpec(("string",), "Slug, unique among checklists", True, pattern=CHECKLIST_ID.pattern),
    "title": KeySpec(
        ("string",), "Shown to shoppers and in reports", True, max_length=200, translatable=True
    ),
    "version": KeySpec(("integer",), "The author's version number (default 1)", minimum=1),
    "scenario": KeySpec(
        ("string",),
        "What the shopper does, shown before the visit",
        max_length=MAX_SCENARIO,
        translatable=True,
    ),
    "language": KeySpec(
        ("string",),
        "The language the checklist is written in; every text given per language has it"
        " (default en)",
        enum=LANGUAGES,
    ),
    "critical_fail_score": KeySpec(
        ("number",),
        "Overall score cap when any critical item fails (default 0)",
        minimum=0,
        maximum=100,
    ),
    "min_visit_minutes": KeySpec(
        ("integer",),
        "Time on site the scenario needs, check-in to check-out (proof of visit;"
        " default: AUDIT_MIN_VISIT_MINUTES)",
        minimum=1,
        maximum=1440,
    ),
    "sections": KeySpec(("array",), "Touchpoints in journey order", True),
    "consistency": KeySpec(
        ("array",),
        "Rules naming facts recorded at different touchpoints that must agree"
        " (scored apart from the sections)",
    ),
}

SECTION_KEYS: dict[str, KeySpec] = {
    "id": KeySpec(("string",), "Slug, unique in the checklist", True, pattern=ITEM_ID.pattern),
    "title": KeySpec(("string",), "Section heading", max_length=200, translatable=True),
    "touchpoint": KeySpec(
        ("string",),
        "website | phone | arrival | facilities | service | checkout | follow_up | other slug"
        " (default: the section id)",
        pattern=TOUCHPOINT.pattern,
    ),
    "weight": KeySpec(
        ("number",), "Section weight in the overall (default 1)", exclusive_minimum=0
    ),
    "items": KeySpec(("array",), "The items of this touchpoint", True),
}

ITEM_KEYS: dict[str, KeySpec] = {
    "id": KeySpec(("string",), "Unique across the whole checklist", True, pattern=ITEM_ID.pattern),
    "text": KeySpec(
        ("string",),
        "What the shopper observes and answers",
        max_length=MAX_TEXT,
        translatable=True,
    ),
    "type": KeySpec(("string",), "Answer type", True, enum=ITEM_TYPES),
    "kind": KeySpec(
        ("string",),
        "service: an exchange with staff; experience: no staff involved (default)",
        enum=KINDS,
    ),
    "weight": KeySpec(("number",), "Item weight in its section (default 1)", exclusive_minimum=0),
    "critical": KeySpec(("boolean",), "Zero points here caps the overall at critical_fail_score"),
    "na": KeySpec(("boolean",), "May be answered 'not applicable' (default false)"),
    "required": KeySpec(
        ("boolean",), "Must be answered to submit (default true; false for text and photo)"
    ),
    "photo": KeySpec(("string",), "Evidence photo (default none)", enum=PHOTO_RULES),
    "help": KeySpec(
        ("string",), "How to observe or measure it", max_length=MAX_TEXT, translatable=True
    ),
    "unit": KeySpec(
        ("string",), "Unit of a number", max_length=40, types=("number",), translatable=True
    ),
    "bands": KeySpec(
        ("array",),
        "Points of a number: the first band whose max >= value; a band without max"
        " catches the rest",
        types=("number",),
    ),
    "min": KeySpec(
        ("number",), "Lowest value (scale: default 1; number: optional)", types=("scale", "number")
    ),
    "max": KeySpec(
        ("number",), "Highest value (scale: default 5; number: optional)", types=("scale", "number")
    ),
    "integer": KeySpec(
        ("boolean",),
        "Only whole numbers (counts: rings, visits, questions); min, max and band maxima"
        " must then be whole too (default false)",
        types=("number",),
    ),
    "options": KeySpec(("array",), "The choices", types=("choice",)),
    "show_if": KeySpec(("object",), "Shown only when this condition on earlier answers holds"),
    "audience": KeySpec(
        ("string",),
        "Who reads the answer: all (default) or hq, kept out of everything the owner receives;"
        " hq items cannot be scored",
        enum=AUDIENCES,
    ),
    "fact": KeySpec(
        ("string",),
        "Records the answer as this fact, for consistency rules to compare (unique in the"
        " checklist)",
        pattern=ITEM_ID.pattern,
        types=FACT_TYPES,
    ),
    "currency": KeySpec(
        ("string",),
        "ISO 4217 code of a money item's amounts (EUR, USD, GBP)",
        pattern=CURRENCY.pattern,
        types=("money",),
        pattern_words="an ISO 4217 code in capitals, such as EUR",
    ),
}

RULE_KEYS: dict[str, KeySpec] = {
    "id": KeySpec(("string",), "Unique among the rules", True, pattern=ITEM_ID.pattern),
    "label": KeySpec(
        ("string",), "What must agree, as reports print it", max_length=200, translatable=True
    ),
    "facts": KeySpec(("array",), "Two or more facts that must agree", True),
    "compare": KeySpec(
        ("string",),
        "equal (default) or digits (text facts: only the digits count, as in phone numbers)",
        enum=COMPARES,
    ),
    "within": KeySpec(
        ("string", "number"),
        "Tolerance: a duration such as 15min for time_range facts, an amount for money,"
        " a number for number facts (default: exact)",
    ),
    "weight": KeySpec(
        ("number",), "Weight in the consistency score (default 1)", exclusive_minimum=0
    ),
    "critical": KeySpec(
        ("boolean",), "A disagreement caps the overall at critical_fail_score (default false)"
    ),
}

BAND_KEYS: dict[str, KeySpec] = {
    "max": KeySpec(("number",), "Upper bound of the band (inclusive)"),
    "points": KeySpec(("number",), "Points in 0..1", True, minimum=0, maximum=1),
}

OPTION_KEYS: dict[str, KeySpec] = {
    "value": KeySpec(("string", "integer", "boolean"), "Stored in the answers", True),
    "label": KeySpec(
        ("string",),
        "Shown to the shopper (default: the value)",
        max_length=200,
        translatable=True,
    ),
    "points": KeySpec(("number",), "Points in 0..1", True, minimum=0, maximum=1),
}

CONDITION_OPERATORS = ("equals", "not_equals", "in")


# --------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class Band:
    max: float | None
    points: float


def _written(translations: Translations, name: str, value: Any) -> Any:
    """A text as its checklist writes it: one per language when given so, else the string."""
    per_language = {language: text for field, language, text in translations if field == name}
    return per_language or value


@dataclass(frozen=True)
class Option:
    value: Scalar
    label: str
    points: float
    translations: Translations = ()


@dataclass(frozen=True)
class Condition:
    """``op`` is equals | not_equals | in | all | any."""

    op: str
    item: str | None = None
    value: Any = None
    values: tuple[Scalar, ...] = ()
    conditions: tuple[Condition, ...] = ()

    def items(self) -> Iterator[str]:
        """Every item id the condition reads."""
        if self.item is not None:
            yield self.item
        for cond in self.conditions:
            yield from cond.items()

    def to_dict(self) -> dict[str, Any]:
        if self.op in ("all", "any"):
            return {self.op: [c.to_dict() for c in self.conditions]}
        if self.op == "in":
            return {"item": self.item, "in": list(self.values)}
        return {"item": self.item, self.op: self.value}


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    type: str
    kind: str = "experience"
    weight: float = 1
    critical: bool = False
    na: bool = False
    required: bool = True
    photo: str = "none"
    help: str | None = None
    unit: str | None = None
    bands: tuple[Band, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = False
    options: tuple[Option, ...] = ()
    show_if: Condition | None = None
    audience: str = "all"
    fact: str | None = None
    currency: str | None = None
    translations: Translations = ()
    line: int = field(default=0, compare=False)

    @property
    def scored(self) -> bool:
        return self.type in SCORED_TYPES

    @property
    def hq_only(self) -> bool:
        return self.audience == "hq"

    def option(self, value: Any) -> Option | None:
        for opt in self.options:
            if same_value(opt.value, value):
                return opt
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "text": _written(self.translations, "text", self.text),
            "type": self.type,
        }
        out["kind"] = self.kind
        out["weight"] = self.weight
        out["critical"] = self.critical
        out["na"] = self.na
        out["required"] = self.required
        out["photo"] = self.photo
        if self.help is not None:
            out["help"] = _written(self.translations, "help", self.help)
        if self.unit is not None:
            out["unit"] = _written(self.translations, "unit", self.unit)
        if self.bands:
            out["bands"] = [
                {"points": b.points} if b.max is None else {"max": b.max, "points": b.points}
                for b in self.bands
            ]
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.integer:
            # Only when set: checklists without it keep their content hash.
            out["integer"] = True
        if self.options:
            out["options"] = [
                {
                    "value": o.value,
                    "label": _written(o.translations, "label", o.label),
                    "points": o.points,
                }
                for o in self.options
            ]
        if self.show_if is not None:
            out["show_if"] = self.show_if.to_dict()
        if self.hq_only:
            # Only when set: checklists without it keep their content hash.
            out["audience"] = self.audience
        if self.fact is not None:
            out["fact"] = self.fact
        if self.currency is not None:
            out["currency"] = self.currency
        return out


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    touchpoint: str
    weight: float
    items: tuple[Item, ...]
    translations: Translations = ()
    line: int = field(default=0, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": _written(self.translations, "title", self.title),
            "touchpoint": self.touchpoint,
            "weight": self.weight,
            "items": [item.to_dict() for item in self.items],
        }


@dataclass(frozen=True)
class Rule:
    """A consistency rule: facts told at different touchpoints that must agree."""

    id: str
    label: str
    facts: tuple[str, ...]
    fact_type: str  # the one type of its facts' items
    compare: str = "equal"
    within: str | float | None = None  # as written
    # ``within`` in the unit of the comparison: minutes (time_range), minor
    # units (money), the number's unit; 0 when exact.
    tolerance: float = 0
    weight: float = 1
    critical: bool = False
    translations: Translations = ()
    line: int = field(default=0, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "label": _written(self.translations, "label", self.label),
            "facts": list(self.facts),
            "compare": self.compare,
        }
        if self.within is not None:
            out["within"] = self.within
        out["weight"] = self.weight
        out["critical"] = self.critical
        return out


@dataclass(frozen=True)
class Checklist:
    id: str
    title: str
    version: int
    scenario: str
    critical_fail_score: float
    sections: tuple[Section, ...]
    consistency: tuple[Rule, ...] = ()
    # Proof of visit: the time on site the scenario needs (None: the setting's).
    min_visit_minutes: int | None = None
    # The language its texts are written in (the strings of this model);
    # ``translations`` of each element hold the others (docs/checklist-format.md).
    language: str = DEFAULT_LANGUAGE
    translations: Translations = ()

    def items(self) -> Iterator[Item]:
        """Every item in journey order."""
        for section in self.sections:
            yield from section.items

    def item_map(self) -> dict[str, Item]:
        return {item.id: item for item in self.items()}

    def touchpoints(self) -> list[str]:
        """Touchpoints in journey order, each once."""
        return list(dict.fromkeys(section.touchpoint for section in self.sections))

    def fact_items(self) -> dict[str, Item]:
        """Fact → the item that records it, in journey order."""
        return {item.fact: item for item in self.items() if item.fact is not None}

    def hq_item_ids(self) -> frozenset[str]:
        """The items whose answers only HQ reads (``audience: hq``)."""
        return frozenset(item.id for item in self.items() if item.hq_only)

    def for_owners(self) -> Checklist:
        """The checklist as an owner's outputs print it: without ``audience: hq`` items.

        A section left without items goes too. HQ-only items are never scored,
        so every score of the full checklist stays the same.
        """
        if not self.hq_item_ids():
            return self
        sections = []
        for section in self.sections:
            items = tuple(item for item in section.items if not item.hq_only)
            if items:
                sections.append(replace(section, items=items))
        return replace(self, sections=tuple(sections))

    def to_dict(self) -> dict[str, Any]:
        """The checklist in the shape of its YAML, with every default filled in."""
        out: dict[str, Any] = {
            "id": self.id,
            "title": _written(self.translations, "title", self.title),
            "version": self.version,
            "scenario": _written(self.translations, "scenario", self.scenario),
            "critical_fail_score": self.critical_fail_score,
            "sections": [section.to_dict() for section in self.sections],
        }
        if self.consistency:
            # Only when set: checklists without rules keep their content hash.
            out["consistency"] = [rule.to_dict() for rule in self.consistency]
        if self.min_visit_minutes is not None:
            # Only when set, too.
            out["min_visit_minutes"] = self.min_visit_minutes
        if self.language != DEFAULT_LANGUAGE:
            # Only when not the default, too.
            out["language"] = self.language
        return out

    def _all_translations(self) -> Iterator[Translations]:
        yield self.translations
        for section in self.sections:
            yield section.translations
            for item in section.items:
                yield item.translations
                for option in item.options:
                    yield option.translations
        for rule in self.consistency:
            yield rule.translations

    @property
    def translated(self) -> bool:
        """Whether any text is given per language."""
        return any(self._all_translations())

    @property
    def languages(self) -> tuple[str, ...]:
        """Its own language first, then every other one it has text in (all or some)."""
        found = {lang for group in self._all_translations() for _, lang, _ in group}
        return (self.language, *(lang for lang in LANGUAGES if lang in found - {self.language}))

    def localized(self, language: str) -> Checklist:
        """The checklist with one string per text: in ``language`` where it has one, else
        in its own.  Scores and hashes are the original's business, not this copy's."""
        if not self.translated:
            return self
        return replace(
            _in_language(self, language),
            language=language if language in self.languages else self.language,
            sections=tuple(
                replace(
                    _in_language(section, language),
                    items=tuple(
                        replace(
                            _in_language(item, language),
                            options=tuple(_in_language(o, language) for o in item.options),
                        )
                        for item in section.items
                    ),
                )
                for section in self.sections
            ),
            consistency=tuple(_in_language(rule, language) for rule in self.consistency),
        )

    @property
    def content_hash(self) -> str:
        """Changes when anything that affects forms or scores changes (not comments)."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


_Texts = TypeVar("_Texts", Option, Item, Section, Rule, Checklist)


def _in_language(element: _Texts, language: str) -> _Texts:
    """``element`` with its texts in ``language`` where given, and no other translations."""
    chosen: dict[str, Any] = {
        name: text for name, lang, text in element.translations if lang == language
    }
    return replace(element, translations=(), **chosen)


def same_value(a: Any, b: Any) -> bool:
    """Equality that keeps booleans apart from numbers (in Python, True == 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def humanize(slug: str) -> str:
    text = slug.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------
# Validation


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


class ChecklistError(Exception):
    """One or more problems in one checklist file."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.path}:{p.line}: {p.message}" for p in self.problems]


_JSON_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}
_JSON_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
}


class _Validator:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # The checklist's own language: every text given per language has it.
        self.language = DEFAULT_LANGUAGE

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message))

    def mapping(
        self,
        value: Any,
        line: int,
        keys: Mapping[str, KeySpec],
        where: str,
        item_type: str | None = None,
    ) -> dict[str, Any]:
        """Check a mapping against its key table; return only the well-typed keys."""
        if not isinstance(value, LocatedMap):
            self.error(line, f"{where} must be a mapping")
            return {}
        good: dict[str, Any] = {}
        for key, val in value.items():
            kline = value.key_lines[key]
            spec = keys.get(key)
            if spec is None:
                hint = _closest(key, keys)
                self.error(
                    kline,
                    f"unknown key {key!r} in {where}"
                    + (f" (did you mean {hint!r}?)" if hint else ""),
                )
                continue
            if spec.types is not None and item_type is not None and item_type not in spec.types:
                self.error(kline, f"{key!r} does not apply to {item_type} items")
                continue
            if spec.translatable and isinstance(val, LocatedMap):
                if self._per_language(spec, key, val, kline):
                    good[key] = val
                continue
            if not any(_JSON_TYPE_CHECKS[t](val) for t in spec.json_types):
                words = " or ".join(_JSON_TYPE_WORDS[t] for t in spec.json_types)
                if isinstance(val, str) and "boolean" in spec.json_types:
                    words += " (write true or false, not yes or no)"
                if spec.translatable:
                    words += " (or one text per language, such as {en: ..., fr: ...})"
                self.error(kline, f"{key!r} must be {words}, not {_show(val)}")
                continue
            if not self._in_bounds(spec, key, val, kline):
                continue
            good[key] = val
        for key, spec in keys.items():
            if spec.required and key not in value:
                self.error(value.line, f"{where} is missing the required key {key!r}")
        return good

    def _per_language(self, spec: KeySpec, key: str, val: LocatedMap, line: int) -> bool:
        """Check a text given per language: known languages, non-empty text, its own one."""
        ok = True
        for lang, text in val.items():
            lline = val.key_lines[lang]
            if lang not in LANGUAGES:
                self.error(
                    lline,
                    f"unknown language {_show(lang)} in {key!r}"
                    f" (the languages are {', '.join(LANGUAGES)})",
                )
            elif not isinstance(text, str):
                self.error(lline, f"{key!r} in {lang} must be text, not {_show(text)}")
            elif not text.strip():
                self.error(lline, f"{key!r} in {lang} must not be empty")
            elif spec.max_length is not None and len(text) > spec.max_length:
                self.error(lline, f"{key!r} in {lang} is longer than {spec.max_length} characters")
            else:
                continue
            ok = False
        if self.language not in val:
            self.error(
                line,
                f"{key!r} has no {self.language} text, the checklist's language"
                f" (add '{self.language}: ...', or name the checklist's language with 'language:')",
            )
            ok = False
        return ok

    def texts(self, good: dict[str, Any], keys: Mapping[str, KeySpec]) -> Translations:
        """Replace each text given per language in ``good`` by the checklist's own;
        return them all as (field, language, text)."""
        found: list[tuple[str, str, str]] = []
        for key, spec in keys.items():
            val = good.get(key)
            if spec.translatable and isinstance(val, Mapping):
                found.extend((key, lang, text.strip()) for lang, text in val.items())
                good[key] = val[self.language]
        return tuple(found)

    def _in_bounds(self, spec: KeySpec, key: str, val: Any, line: int) -> bool:
        if spec.enum is not None and val not in spec.enum:
            self.error(line, f"{key!r} must be one of {', '.join(spec.enum)}, not {_show(val)}")
            return False
        if isinstance(val, int | float) and not isinstance(val, bool):
            if spec.minimum is not None and val < spec.minimum:
                self.error(line, f"{key!r} must be at least {spec.minimum:g}, not {val}")
                return False
            if spec.maximum is not None and val > spec.maximum:
                self.error(line, f"{key!r} must be at most {spec.maximum:g}, not {val}")
                return False
            if spec.exclusive_minimum is not None and val <= spec.exclusive_minimum:
                self.error(
                    line, f"{key!r} must be greater than {spec.exclusive_minimum:g}, not {val}"
                )
                return False
        if isinstance(val, str):
            if spec.pattern is not None and not re.match(spec.pattern, val):
                self.error(line, f"{key!r} {val!r} is not {spec.pattern_words}")
                return False
            if spec.max_length is not None and len(val) > spec.max_length:
                self.error(line, f"{key!r} is longer than {spec.max_length} characters")
                return False
            if spec.required and not val.strip():
                self.error(line, f"{key!r} must not be empty")
                return False
        return True


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    text = repr(value)
    return text if len(text) < 40 else text[:37] + "..."


def _closest(key: str, keys: Iterable[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _line_of(mapping: Any, key: str, default: int) -> int:
    if isinstance(mapping, LocatedMap):
        return mapping.key_lines.get(key, mapping.line)
    return default


def _number(value: Any) -> float:
    return int(value) if isinstance(value, int) else float(value)


def parse_checklist(text: str, path: str = "<checklist>") -> Checklist:
    """Parse and validate one checklist; raise :class:`ChecklistError` listing every problem."""
    try:
        data = load_yaml(text)
    except SourceError as exc:
        raise ChecklistError(path, [Problem(exc.line, exc.message)]) from None
    return _validate_checklist(data, path)


def _validate_checklist(data: Any, path: str) -> Checklist:
    v = _Validator()
    if isinstance(data, LocatedMap) and data.get("language") in LANGUAGES:
        v.language = data["language"]
    top = v.mapping(data, 1, CHECKLIST_KEYS, "the checklist")
    top_texts = v.texts(top, CHECKLIST_KEYS)
    sections: list[Section] = []
    seen_items: dict[str, int] = {}
    seen_sections: dict[str, int] = {}
    earlier: dict[str, Item] = {}
    seen_facts: dict[str, tuple[str | None, int]] = {}
    raw_sections = top.get("sections")
    if isinstance(raw_sections, LocatedList):
        if not raw_sections:
            v.error(_line_of(data, "sections", 1), "a checklist needs at least one section")
        for raw, line in zip(raw_sections, raw_sections.item_lines, strict=True):
            section = _parse_section(v, raw, line, seen_sections, seen_items, earlier, seen_facts)
            if section is not None:
                sections.append(section)
    facts = {item.fact: item for item in earlier.values() if item.fact is not None}
    rules: tuple[Rule, ...] = ()
    if isinstance(top.get("consistency"), LocatedList):
        rules = _parse_rules(v, top["consistency"], facts)
    if v.problems:
        raise ChecklistError(path, v.problems)
    return Checklist(
        id=top["id"],
        title=top["title"].strip(),
        version=top.get("version", 1),
        scenario=top.get("scenario", "").strip(),
        critical_fail_score=_number(top.get("critical_fail_score", 0)),
        sections=tuple(sections),
        consistency=rules,
        min_visit_minutes=top.get("min_visit_minutes"),
        language=v.language,
        translations=top_texts,
    )


def _parse_rules(v: _Validator, raw_rules: LocatedList, facts: dict[str, Item]) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for raw, line in zip(raw_rules, raw_rules.item_lines, strict=True):
        r = v.mapping(raw, line, RULE_KEYS, "a consistency rule")
        rid = r.get("id")
        if isinstance(rid, str):
            id_line = _line_of(raw, "id", line)
            if rid in seen:
                v.error(id_line, f"duplicate rule id {rid!r} (first at line {seen[rid]})")
                rid = None
            else:
                seen[rid] = id_line
        items = _rule_facts(v, raw, line, r, facts)
        if rid is None or items is None:
            continue
        rule = _rule_compare(v, raw, line, r, rid, items)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)


def _rule_facts(
    v: _Validator, raw: Any, line: int, r: dict[str, Any], facts: dict[str, Item]
) -> list[Item] | None:
    """The items of a rule's facts, all of one type; None after reporting a problem."""
    raw_facts = r.get("facts")
    if not isinstance(raw_facts, LocatedList):
        return None
    if len(raw_facts) < 2:
        v.error(raw.key_lines["facts"], "a rule compares at least two facts")
        return None
    items: list[Item] = []
    ok = True
    for name, fline in zip(raw_facts, raw_facts.item_lines, strict=True):
        if not isinstance(name, str):
            v.error(fline, f"a fact is named by text, not {_show(name)}")
            ok = False
            continue
        item = facts.get(name)
        if item is None:
            hint = _closest(name, facts)
            v.error(
                fline,
                f"unknown fact {name!r}: no item records it (add 'fact: {name}' to an item"
                + (f", or did you mean {hint!r}?)" if hint else ")"),
            )
            ok = False
            continue
        if any(other.fact == name for other in items):
            v.error(fline, f"fact {name!r} is named twice in this rule")
            ok = False
            continue
        if items:
            problem = _fact_mismatch(items[0], item)
            if problem:
                v.error(fline, problem)
                ok = False
                continue
        items.append(item)
    return items if ok else None


def _fact_mismatch(first: Item, item: Item) -> str | None:
    """Why two facts cannot be compared, if they cannot."""
    where = f"fact {item.fact!r} (item {item.id!r}, line {item.line})"
    other = f"{first.fact!r} (item {first.id!r})"
    if item.type != first.type:
        return (
            f"{where} is {item.type}, but {other} is {first.type}:"
            " the facts of a rule must be of one type"
        )
    if item.type == "money" and item.currency != first.currency:
        return f"{where} is in {item.currency}, but {other} is in {first.currency}"
    if item.type == "number" and item.unit != first.unit:
        return (
            f"{where} is in {item.unit or 'no unit'}, but {other} is in {first.unit or 'no unit'}"
        )
    if item.type == "choice":
        mine = {(type(o.value).__name__, o.value) for o in item.options}
        theirs = {(type(o.value).__name__, o.value) for o in first.options}
        if mine != theirs:
            return f"{where} has other options than {other}: compared choices need the same values"
    return None


def _rule_compare(
    v: _Validator, raw: Any, line: int, r: dict[str, Any], rid: str, items: list[Item]
) -> Rule | None:
    texts = v.texts(r, RULE_KEYS)
    fact_type = items[0].type
    compare = r.get("compare", "equal")
    if compare == "digits" and fact_type != "text":
        v.error(
            _line_of(raw, "compare", line),
            f"'compare: digits' reads the digits of text facts; these are {fact_type}",
        )
        return None
    within = r.get("within")
    tolerance: float = 0
    if within is not None:
        wline = _line_of(raw, "within", line)
        if compare == "digits" or fact_type in ("yes_no", "choice", "text"):
            v.error(wline, f"'within' does not apply to {fact_type} facts (they agree or not)")
            return None
        if fact_type == "time_range":
            minutes = parse_duration(within)
            if minutes is None:
                v.error(
                    wline,
                    f"'within' of time_range facts is a duration such as 15min or 1h,"
                    f" not {_show(within)}",
                )
                return None
            tolerance = minutes
        elif isinstance(within, str) or within < 0:
            v.error(wline, f"'within' of {fact_type} facts is a number of 0 or more")
            return None
        elif fact_type == "money":
            currency = items[0].currency or "XXX"
            minor, _ = to_minor(within, currency)
            if minor is None:
                digits = minor_digits(currency)
                v.error(
                    wline,
                    f"'within' {within:g} is not an amount of {currency}"
                    f" (at most {digits} decimals)",
                )
                return None
            tolerance = minor
        else:
            tolerance = _number(within)
    return Rule(
        id=rid,
        label=(r.get("label") or humanize(rid)).strip() or humanize(rid),
        facts=tuple(item.fact for item in items if item.fact is not None),
        fact_type=fact_type,
        compare=compare,
        within=within,
        tolerance=tolerance,
        weight=_number(r.get("weight", 1)),
        critical=bool(r.get("critical", False)),
        translations=texts,
        line=line,
    )


def _parse_section(
    v: _Validator,
    raw: Any,
    line: int,
    seen_sections: dict[str, int],
    seen_items: dict[str, int],
    earlier: dict[str, Item],
    seen_facts: dict[str, tuple[str | None, int]],
) -> Section | None:
    sec = v.mapping(raw, line, SECTION_KEYS, "a section")
    texts = v.texts(sec, SECTION_KEYS)
    sid = sec.get("id")
    if isinstance(sid, str):
        if sid in seen_sections:
            v.error(
                _line_of(raw, "id", line),
                f"duplicate section id {sid!r} (first at line {seen_sections[sid]})",
            )
        else:
            seen_sections[sid] = _line_of(raw, "id", line)
    items: list[Item] = []
    raw_items = sec.get("items")
    if isinstance(raw_items, LocatedList):
        if not raw_items:
            v.error(_line_of(raw, "items", line), "a section needs at least one item")
        for raw_item, item_line in zip(raw_items, raw_items.item_lines, strict=True):
            item = _parse_item(v, raw_item, item_line, seen_items, earlier, seen_facts)
            if item is not None:
                items.append(item)
                earlier[item.id] = item
    if sid is None or "items" not in sec:
        return None
    touchpoint = sec.get("touchpoint", sid)
    if "touchpoint" not in sec and not TOUCHPOINT.match(touchpoint):
        v.error(line, f"section {sid!r} needs a 'touchpoint' (its id is not a touchpoint slug)")
    return Section(
        id=sid,
        title=sec.get("title", humanize(sid)).strip() or humanize(sid),
        touchpoint=touchpoint,
        weight=_number(sec.get("weight", 1)),
        items=tuple(items),
        translations=texts,
        line=line,
    )


def _parse_item(
    v: _Validator,
    raw: Any,
    line: int,
    seen_items: dict[str, int],
    earlier: dict[str, Item],
    seen_facts: dict[str, tuple[str | None, int]],
) -> Item | None:
    item_type = raw.get("type") if isinstance(raw, LocatedMap) else None
    known_type = item_type if isinstance(item_type, str) and item_type in ITEM_TYPES else None
    it = v.mapping(raw, line, ITEM_KEYS, "an item", known_type)
    texts = v.texts(it, ITEM_KEYS)
    iid = it.get("id")
    id_line = _line_of(raw, "id", line)
    if isinstance(iid, str):
        if iid in seen_items:
            v.error(id_line, f"duplicate item id {iid!r} (first at line {seen_items[iid]})")
            iid = None
        else:
            seen_items[iid] = id_line
    if known_type is None:
        return None
    bands = _parse_bands(v, raw, it) if known_type == "number" else ()
    options = _parse_options(v, raw, it) if known_type == "choice" else ()
    lo, hi = it.get("min"), it.get("max")
    if known_type == "scale":
        lo = 1 if lo is None else lo
        hi = 5 if hi is None else hi
        for key, val in (("min", lo), ("max", hi)):
            if not _JSON_TYPE_CHECKS["integer"](val) and key in it:
                v.error(_line_of(raw, key, line), f"scale {key!r} must be a whole number")
        if lo >= hi:
            v.error(_line_of(raw, "max", line), f"scale min ({lo}) must be less than max ({hi})")
    elif known_type == "number" and lo is not None and hi is not None and lo > hi:
        v.error(_line_of(raw, "max", line), f"min ({lo}) must not be more than max ({hi})")
    integer = bool(it.get("integer", False))
    if integer:
        _check_whole_bounds(v, raw, line, lo, hi)
    if known_type == "choice" and "options" not in it and "options" not in raw:
        v.error(line, "a choice item needs 'options'")
    show_if = None
    if "show_if" in it:
        show_if = _parse_condition(v, raw["show_if"], _line_of(raw, "show_if", line), earlier, iid)
    critical = bool(it.get("critical", False))
    if critical and known_type not in SCORED_TYPES:
        v.error(
            _line_of(raw, "critical", line),
            f"{known_type} items are not scored, so cannot be critical",
        )
    elif critical and known_type == "number" and "bands" not in raw:
        # Without bands a number is recorded but not scored: it could never fail.
        v.error(_line_of(raw, "critical", line), "a critical number item needs 'bands'")
    audience = it.get("audience", "all")
    feeds_scores = known_type == "nps" or (
        known_type in SCORED_TYPES and (known_type != "number" or "bands" in raw)
    )
    if audience == "hq" and feeds_scores:
        # An owner's scores (or NPS) would rest on an answer the owner may not read.
        v.error(
            _line_of(raw, "audience", line),
            f"{known_type} items feed the owner's scores, so cannot be 'audience: hq'"
            " (use a text, photo or unbanded number item)",
        )
    if show_if is not None and audience != "hq":
        hidden = [ref for ref in show_if.items() if ref in earlier and earlier[ref].hq_only]
        if hidden:
            # Whether the owner sees this item would give away an answer only HQ reads.
            v.error(
                _line_of(raw, "show_if", line),
                f"show_if names {hidden[0]!r}, an 'audience: hq' item; only another hq item"
                " may depend on it",
            )
    fact = it.get("fact")
    if fact is not None:
        fact_line = _line_of(raw, "fact", line)
        if fact in seen_facts:
            first_id, first_line = seen_facts[fact]
            v.error(
                fact_line,
                f"duplicate fact {fact!r}: item {first_id!r} (line {first_line}) records it"
                " already",
            )
            fact = None
        else:
            seen_facts[fact] = (iid, fact_line)
        if show_if is not None or "show_if" in raw:
            # A fact every visit may leave unrecorded could never be compared reliably.
            v.error(
                fact_line,
                "an item with show_if cannot record a fact: it is not always shown"
                " (record the fact on an item every visit answers)",
            )
        if audience == "hq":
            v.error(
                fact_line,
                "an 'audience: hq' item cannot record a fact: reports show the owner"
                " every value a rule compares",
            )
    currency = it.get("currency")
    if known_type == "money" and "currency" not in raw:
        v.error(line, "a money item needs 'currency' (an ISO 4217 code such as EUR)")
    if iid is None:
        return None
    default_required = known_type not in ("text", "photo")
    return Item(
        id=iid,
        text=(it.get("text") or humanize(iid)).strip(),
        type=known_type,
        kind=it.get("kind", "experience"),
        weight=_number(it.get("weight", 1)),
        critical=critical,
        na=bool(it.get("na", False)),
        required=bool(it.get("required", default_required)),
        photo=it.get("photo", "none"),
        help=it.get("help"),
        unit=it.get("unit"),
        bands=bands,
        min=None if lo is None else _number(lo),
        max=None if hi is None else _number(hi),
        integer=integer,
        options=options,
        show_if=show_if,
        audience=audience,
        fact=fact,
        currency=currency,
        translations=texts,
        line=line,
    )


def _check_whole_bounds(v: _Validator, raw: Any, line: int, lo: Any, hi: Any) -> None:
    """An ``integer: true`` item's bounds are whole, or they promise values no one can enter."""
    for key, val in (("min", lo), ("max", hi)):
        if val is not None and val != int(val):
            v.error(
                _line_of(raw, key, line),
                f"{key!r} must be a whole number on an 'integer: true' item, not {val:g}",
            )
    raw_bands = raw.get("bands")
    if not isinstance(raw_bands, LocatedList):
        return
    for raw_band, band_line in zip(raw_bands, raw_bands.item_lines, strict=True):
        top: Any = raw_band.get("max") if isinstance(raw_band, LocatedMap) else None
        if top is not None and _JSON_TYPE_CHECKS["number"](top) and top != int(top):
            v.error(
                _line_of(raw_band, "max", band_line),
                f"band max must be a whole number on an 'integer: true' item, not {top:g}",
            )


def _parse_bands(v: _Validator, raw: Any, it: dict[str, Any]) -> tuple[Band, ...]:
    raw_bands = it.get("bands")
    if not isinstance(raw_bands, LocatedList):
        return ()
    if not raw_bands:
        v.error(raw.key_lines["bands"], "'bands' must list at least one band")
    bands: list[Band] = []
    previous: float | None = None
    for n, (raw_band, line) in enumerate(zip(raw_bands, raw_bands.item_lines, strict=True)):
        band = v.mapping(raw_band, line, BAND_KEYS, "a band")
        if "points" not in band:
            continue
        top = band.get("max")
        if top is None and "max" in raw_band:
            continue  # a bad max was already reported
        if top is None and n != len(raw_bands) - 1:
            v.error(line, "only the last band may leave out 'max' (it catches the rest)")
        if top is not None and previous is not None and top <= previous:
            v.error(
                _line_of(raw_band, "max", line),
                f"band max values must increase: {top:g} is not above {previous:g}",
            )
        if top is not None:
            previous = top
        bands.append(Band(None if top is None else _number(top), _number(band["points"])))
    return tuple(bands)


def _parse_options(v: _Validator, raw: Any, it: dict[str, Any]) -> tuple[Option, ...]:
    raw_options = it.get("options")
    if not isinstance(raw_options, LocatedList):
        return ()
    if not raw_options:
        v.error(raw.key_lines["options"], "a choice item needs at least one option")
    options: list[Option] = []
    for raw_opt, line in zip(raw_options, raw_options.item_lines, strict=True):
        opt = v.mapping(raw_opt, line, OPTION_KEYS, "an option")
        texts = v.texts(opt, OPTION_KEYS)
        if "value" not in opt or "points" not in opt:
            continue
        value = opt["value"]
        if any(same_value(o.value, value) for o in options):
            v.error(_line_of(raw_opt, "value", line), f"duplicate option value {_show(value)}")
            continue
        label = opt.get("label") or str(value)
        options.append(Option(value, label.strip(), _number(opt["points"]), texts))
    return tuple(options)


def _parse_condition(
    v: _Validator, raw: Any, line: int, earlier: Mapping[str, Item], owner: str | None
) -> Condition | None:
    if not isinstance(raw, LocatedMap):
        v.error(line, "'show_if' must be a mapping such as {item: ID, equals: VALUE}")
        return None
    line = raw.line
    keys = set(raw)
    for combinator in ("all", "any"):
        if combinator in keys:
            if keys != {combinator}:
                v.error(line, f"'{combinator}' must stand alone in its condition")
                return None
            subs = raw[combinator]
            if not isinstance(subs, LocatedList) or not subs:
                v.error(raw.key_lines[combinator], f"'{combinator}' needs a list of conditions")
                return None
            parsed = [
                _parse_condition(v, sub, sub_line, earlier, owner)
                for sub, sub_line in zip(subs, subs.item_lines, strict=True)
            ]
            if any(p is None for p in parsed):
                return None
            return Condition(combinator, conditions=tuple(p for p in parsed if p is not None))
    ops = keys & set(CONDITION_OPERATORS)
    unknown = keys - set(CONDITION_OPERATORS) - {"item"}
    if unknown:
        for key in sorted(unknown):
            v.error(
                raw.key_lines[key],
                f"unknown key {key!r} in show_if (use item with equals, not_equals or in;"
                " or all / any)",
            )
        return None
    if "item" not in keys or len(ops) != 1:
        v.error(line, "show_if needs 'item' and exactly one of equals, not_equals, in")
        return None
    ref = raw["item"]
    op = ops.pop()
    if not isinstance(ref, str):
        v.error(raw.key_lines["item"], "show_if 'item' must be an item id")
        return None
    target = earlier.get(ref)
    if target is None:
        where = "itself" if ref == owner else f"{ref!r}"
        v.error(
            raw.key_lines["item"],
            f"show_if names {where}, which is not an earlier item"
            " (conditions may only read answers given before this item)",
        )
        return None
    value = raw[op]
    values: tuple[Any, ...]
    if op == "in":
        if not isinstance(value, list) or not value:
            v.error(raw.key_lines[op], "'in' needs a list of values")
            return None
        values = tuple(value)
    else:
        values = (value,)
    for candidate in values:
        problem = _condition_value_problem(target, candidate)
        if problem:
            v.error(raw.key_lines[op], problem)
            return None
    if op == "in":
        return Condition("in", item=ref, values=values)
    return Condition(op, item=ref, value=value)


def _condition_value_problem(target: Item, value: Any) -> str | None:
    if target.type == "yes_no" and not isinstance(value, bool):
        return f"{target.id!r} is yes_no: compare it with true or false, not {_show(value)}"
    if target.type in ("scale", "nps", "number") and not _JSON_TYPE_CHECKS["number"](value):
        return f"{target.id!r} is {target.type}: compare it with a number, not {_show(value)}"
    if target.type == "choice" and target.options and target.option(value) is None:
        known = ", ".join(_show(o.value) for o in target.options)
        return f"{target.id!r} has no option {_show(value)} (options: {known})"
    if target.type in ("photo", "time_range", "money"):
        return f"{target.id!r} is a {target.type} item and cannot be used in show_if"
    return None


def load_checklist(path: str | Path) -> Checklist:
    """Read and validate one checklist file."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > 1_000_000:
            raise ChecklistError(str(path), [Problem(1, "file is larger than 1,000,000 bytes")])
        raw = p.read_bytes()
    except OSError as exc:
        raise ChecklistError(str(path), [Problem(1, f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ChecklistError(str(path), [Problem(1, "file is not UTF-8 text")]) from None
    return parse_checklist(text, str(path))


def checklist_from_dict(data: Mapping[str, Any]) -> Checklist:
    """Rebuild a checklist stored as :meth:`Checklist.to_dict` JSON (already validated)."""
    # Straight from the values, not through JSON text read back as YAML: YAML
    # would turn an escaped emoji ("\ud83d\ude00") into two lone surrogates.
    return _validate_checklist(_located(data), "<stored checklist>")


def _located(value: Any) -> Any:
    """Plain JSON values as the located values :func:`load_yaml` returns (all at line 1)."""
    if isinstance(value, Mapping):
        mapping = LocatedMap((key, _located(val)) for key, val in value.items())
        mapping.line = 1
        mapping.key_lines = dict.fromkeys(mapping, 1)
        return mapping
    if isinstance(value, list | tuple):
        seq = LocatedList(_located(val) for val in value)
        seq.line = 1
        seq.item_lines = [1] * len(seq)
        return seq
    return value
