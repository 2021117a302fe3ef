"""Facts: the values a touchpoint tells the shopper, and when two of them agree.

A website, a phone call and a door each tell the customer the opening hours;
a checklist item may record what one of them said as a *fact*, and a
consistency rule (``consistency:`` in the checklist, see
docs/checklist-format.md) names facts that must agree.  This module holds the
two value types made for facts and the one comparison every output uses:

* ``time_range``: ``{"from": "09:00", "to": "17:30"}``, 24-hour times; a
  ``to`` earlier than ``from`` closes after midnight (18:00-02:00).
* ``money``: ``{"amount": "12.99", "currency": "EUR"}``.  Amounts are kept as
  whole minor units (cents) for every comparison, never as floats, so 0.1 +
  0.2 never fails to be 0.30.

Pure: plain values in and out; :mod:`audit.checklist` and :mod:`audit.answers`
call the parsers, :mod:`audit.scoring` calls :func:`agree`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

COMPARES = ("equal", "digits")
MINUTES_PER_DAY = 24 * 60
# ISO 4217 currencies whose minor unit is not the cent (every other has two digits).
MINOR_DIGITS = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
         "VUV", "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}  # fmt: skip
CURRENCY = re.compile(r"^[A-Z]{3}$")
# A price on a shelf or a quote for a home office; past this it is a typo.
MAX_MINOR = 10**13
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_AMOUNT = re.compile(r"^\d{1,13}(?:\.\d+)?$")
_DURATION = re.compile(r"^(?:(\d{1,2})\s*h)?\s*(?:(\d{1,4})\s*min)?$")
# A phone number written with its country code ("+1 704 555 0100") agrees
# with the same number without it ("(704) 555-0100"): the shorter must end the
# longer, have at least this many digits, and miss at most three in front.
MIN_PHONE_DIGITS = 7
MAX_COUNTRY_CODE = 3


def minor_digits(currency: str) -> int:
    return MINOR_DIGITS.get(currency, 2)


# ---- time_range


def parse_time(text: Any) -> int | None:
    """ "09:30" (or "9:30") → minutes after midnight; None when not such a time."""
    if not isinstance(text, str):
        return None
    found = _TIME.match(text.strip())
    if found is None:
        return None
    return int(found.group(1)) * 60 + int(found.group(2))


def format_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def check_time_range(value: Any) -> tuple[dict[str, str] | None, str | None]:
    """A time_range answer, normalised (``"9:00"`` → ``"09:00"``), or what is wrong with it."""
    if not isinstance(value, dict) or set(value) != {"from", "to"}:
        return None, 'must be an object {"from": "HH:MM", "to": "HH:MM"}'
    start, end = parse_time(value["from"]), parse_time(value["to"])
    if start is None:
        return None, "from must be a time of day such as 09:00"
    if end is None:
        return None, "to must be a time of day such as 17:30"
    if start == end:
        return None, "from and to must differ (a range of no time)"
    return {"from": format_time(start), "to": format_time(end)}, None


def _minutes(stored: str) -> int:
    minutes = parse_time(stored)
    assert minutes is not None, stored  # stored values were checked on the way in
    return minutes


def _clock_distance(a: int, b: int) -> int:
    """Minutes between two times of day, the short way round the clock (23:50 to 00:05: 15)."""
    gap = abs(a - b) % MINUTES_PER_DAY
    return min(gap, MINUTES_PER_DAY - gap)


def parse_duration(text: Any) -> int | None:
    """A tolerance such as ``15min``, ``1h`` or ``1h 30min`` → minutes; None when not one."""
    if not isinstance(text, str):
        return None
    found = _DURATION.match(text.strip())
    if found is None or (found.group(1) is None and found.group(2) is None):
        return None
    return int(found.group(1) or 0) * 60 + int(found.group(2) or 0)


# ---- money


@dataclass(frozen=True)
class Money:
    minor: int  # whole minor units: cents, or yen
    currency: str

    @property
    def amount(self) -> str:
        """The amount as written, with exactly the currency's decimals: ``"12.90"``."""
        digits = minor_digits(self.currency)
        if digits == 0:
            return str(self.minor)
        whole, part = divmod(self.minor, 10**digits)
        return f"{whole}.{part:0{digits}d}"

    def to_value(self) -> dict[str, str]:
        return {"amount": self.amount, "currency": self.currency}


def to_minor(amount: Any, currency: str) -> tuple[int | None, str | None]:
    """An amount (text such as ``"12.99"`` or a number) in minor units, or what is wrong."""
    digits = minor_digits(currency)
    if isinstance(amount, bool) or not isinstance(amount, str | int | float):
        return None, 'amount must be a number or text such as "12.99"'
    if isinstance(amount, float) and not math.isfinite(amount):
        return None, "amount must be a finite number"
    text = amount.strip() if isinstance(amount, str) else repr(amount)
    if isinstance(amount, str) and not _AMOUNT.match(text):
        return None, 'amount must be written like "12.99" (digits, one point, no sign)'
    try:
        exact = Decimal(text)
    except InvalidOperation:
        return None, 'amount must be written like "12.99"'
    if exact < 0:
        return None, "amount must not be negative"
    minor = exact.scaleb(digits)
    if minor != minor.to_integral_value():
        unit = "whole units" if digits == 0 else f"at most {digits} decimals"
        return None, f"amount must have {unit} in {currency}"
    if minor >= MAX_MINOR:
        return None, "amount is too large"
    return int(minor), None


def check_money(value: Any, currency: str) -> tuple[dict[str, str] | None, str | None]:
    """A money answer in the item's ``currency``, normalised, or what is wrong with it."""
    if not isinstance(value, dict) or "amount" not in value or set(value) - {"amount", "currency"}:
        return None, f'must be an object {{"amount": "12.99", "currency": "{currency}"}}'
    given = value.get("currency", currency)
    if given != currency:
        return None, f"currency must be {currency}, the item's currency"
    minor, problem = to_minor(value["amount"], currency)
    if minor is None:
        return None, problem
    return Money(minor, currency).to_value(), None


def money_of(value: Any) -> Money:
    """A stored (normalised) money value as :class:`Money`."""
    minor, _ = to_minor(value["amount"], value["currency"])
    assert minor is not None
    return Money(minor, value["currency"])


# ---- agreement


def _text_key(value: str) -> str:
    return " ".join(value.casefold().split())


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit()).lstrip("0")


def _same_phone(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return (
        len(short) >= MIN_PHONE_DIGITS
        and long.endswith(short)
        and len(long) - len(short) <= MAX_COUNTRY_CODE
    )


def agree(
    fact_type: str, values: Sequence[Any], compare: str = "equal", tolerance: float = 0
) -> bool:
    """Whether recorded values (normalised answers, none of them None) all agree.

    ``tolerance``: minutes for ``time_range`` (each end), minor units (cents)
    for ``money``, the number's own unit for ``number``; 0 asks for equality.
    """
    if len(values) < 2:
        return True
    if fact_type == "time_range":
        limit = round(tolerance)
        ends = [(_minutes(v["from"]), _minutes(v["to"])) for v in values]
        return all(
            _clock_distance(a[i], b[i]) <= limit
            for n, a in enumerate(ends)
            for b in ends[n + 1 :]
            for i in (0, 1)
        )
    if fact_type == "money":
        amounts = [money_of(v) for v in values]
        if len({m.currency for m in amounts}) > 1:
            return False
        minors = [m.minor for m in amounts]
        return max(minors) - min(minors) <= tolerance
    if fact_type == "number":
        return bool(round(max(values) - min(values), 9) <= tolerance)
    if fact_type == "text":
        if compare == "digits":
            numbers = [_digits(v) for v in values]
            return all(_same_phone(a, b) for n, a in enumerate(numbers) for b in numbers[n + 1 :])
        return len({_text_key(v) for v in values}) == 1
    # yes_no and choice: the same value, booleans kept apart from numbers
    first = values[0]
    return all(type(v) is type(first) and v == first for v in values[1:])
