"""The languages the service speaks, and which one a reader gets.

A reader's language is negotiated in this order: an explicit choice for this
request (``?lang=``), the signed-in user's own choice (``User.language``),
their browser's ``Accept-Language``, then ``AUDIT_LANGUAGE``.  Pure: the
routes hand in what they read from the request (``audit.routes.common``).
"""

from __future__ import annotations

from typing import Any

# Every text of the service exists in each of these (tests/test_catalogue.py);
# a checklist may carry text in any of them (docs/checklist-format.md, "Languages").
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
# Each language in its own words, for a menu that lets people pick one.
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def language_problem(value: Any) -> str | None:
    """Why ``value`` is not a language code the service speaks; None when it is one."""
    if isinstance(value, str) and value in LANGUAGES:
        return None
    return f"must be one of {', '.join(LANGUAGES)}, not {_show(value)}"


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) < 40 else text[:37] + "..."


def from_accept_language(header: str | None) -> str | None:
    """The supported language a browser's ``Accept-Language`` prefers most, if any.

    ``fr-CA`` counts as ``fr``; ``q=0`` means "not this one"; ties keep the
    header's order (RFC 9110, 12.5.4).
    """
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:32]):
        tag, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        primary = tag.lower().split("-")[0]
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, position, primary))
    return min(ranked)[2] if ranked else None


def negotiate(
    explicit: str | None,
    user: str | None,
    accept_language: str | None,
    default: str = DEFAULT_LANGUAGE,
) -> str:
    """The language to answer in: ``explicit`` > ``user`` > ``Accept-Language`` > ``default``.

    ``explicit`` and ``user`` must already be supported codes (or None).
    """
    for choice in (explicit, user, from_accept_language(accept_language)):
        if choice in LANGUAGES:
            return choice
    return default
