"""The words people read, in each language the service speaks.

English is the key: every message is written in English where it is used
(``_("Overall score")``, ``n_("{n} photo", "{n} photos", n)``) and
:mod:`audit.locale.fr` maps each one to its French.  ``{name}`` fields are
filled after translation, so a translation may move them.  A test
(tests/test_catalogue.py) extracts every message of the report templates and
of the modules that word the report with Babel and fails when one has no
French.  Plural forms follow each language's own rule (French: 0 and 1 are
singular), from Babel's locale data.

Dates and numbers are written by Babel's CLDR data: "3 November 2026" and
"1,200.5" in English, "3 novembre 2026" and "1 200,5" in French.

Pure: no database, no clock, no settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_percent

from audit.i18n import DEFAULT_LANGUAGE
from audit.locale.fr import FRENCH

CATALOGUES: Mapping[str, Mapping[str, str]] = {"fr": FRENCH}


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue where it is defined; it is translated where shown."""
    return message


def gettext(language: str, message: str) -> str:
    """``message`` in ``language``; the English itself when it has no translation."""
    if language == DEFAULT_LANGUAGE:
        return message
    return CATALOGUES.get(language, {}).get(message, message)


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def ngettext(language: str, singular: str, plural: str, n: int) -> str:
    """The singular or plural message for ``n``, by ``language``'s own rule."""
    one = _locale(language).plural_form(abs(n)) == "one"
    return gettext(language, singular if one else plural)


def long_date(day: date, language: str) -> str:
    """ "3 November 2026", "3 novembre 2026"."""
    return format_date(day, "d MMMM y", locale=language)


def short_date(day: date, language: str) -> str:
    """ "3 Nov 2026", "3 nov. 2026"."""
    return format_date(day, "d MMM y", locale=language)


def day_month(day: date, language: str) -> str:
    """ "3 Nov", "3 nov."."""
    return format_date(day, "d MMM", locale=language)


def month_year(day: date, language: str) -> str:
    """ "Nov 2026", "nov. 2026"."""
    return format_date(day, "MMM y", locale=language)


def year(day: date, language: str) -> str:
    return format_date(day, "y", locale=language)


def decimal_text(value: Decimal | int, language: str) -> str:
    """A number already rounded as shown: ``1,200.5`` / ``1 200,5`` (two decimals at most)."""
    return format_decimal(value, "#,##0.##", locale=language)


def percent_text(whole: int, language: str) -> str:
    """A whole percentage: ``73%`` / ``73 %``."""
    return babel_percent(Decimal(whole) / 100, locale=language)


def ordinal_text(n: int, language: str) -> str:
    """A place in a ranking: 1st, 2nd, 3rd, 11th / 1er, 2e, 11e."""
    if language == "fr":
        return f"{decimal_text(n, language)}{'er' if n == 1 else 'e'}"
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


class Words:
    """The messages of one language: ``_ = Words("fr")``, then ``_("Overall")`` and
    ``_.plural("{n} photo", "{n} photos", n)`` (``n`` is passed to the fields)."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self.language = language

    def __call__(self, message: str, /, **values: object) -> str:
        text = gettext(self.language, message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        return ngettext(self.language, singular, plural, n).format(n=self.number(n), **values)

    def number(self, value: int) -> str:
        """A count as people write it: ``1,200`` / ``1 200``."""
        return decimal_text(value, self.language)

    def day(self, day: date) -> str:
        """ "3 November 2026", "3 novembre 2026"."""
        return long_date(day, self.language)

    def short_day(self, day: date) -> str:
        """ "3 Nov 2026", "3 nov. 2026"."""
        return short_date(day, self.language)
