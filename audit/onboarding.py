"""Bulk onboarding files: locations, owners and auditors as CSV or XLSX rows.

Pure: bytes in, validated rows (or ``FILE:LINE: message`` problems) out; what
the rows change in the database is :mod:`audit.workflow.onboarding`'s.  The
columns are documented in docs/onboarding.md.  The first row names the
columns (in any order, any case; spaces or hyphens for underscores); a column
left out of the file leaves that field of existing records alone, while an
empty cell in a column that is there clears the field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from audit.trust import WEEKDAYS, TrustInputError, check_coordinates, check_timezone, parse_hours

KINDS = ("locations", "owners", "auditors")

# An agency's whole estate fits many times over; a bigger file is a mistake
# (or an attack on the server's memory), refused before it is read.
MAX_ROWS = 50_000
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_CELL = 2_000

CODE_MAX = 64  # Location.code
NAME_MAX = 200  # Location.name, User.name, Region.name, Brand.name
EMAIL_MAX = 254  # User.email
# Excel in much of Europe writes semicolons; some exports use tabs.
DELIMITERS = ",;\t"
# Several location codes in one cell: "S1; S2" or "S1, S2".
CODE_SEPARATOR = re.compile(r"\s*[;,]\s*")
# Deliberately loose (one @, a dot in the domain, no spaces): the invitation
# e-mail is the real test of an address.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class TableError(ValueError):
    """The file cannot be read as a table at all (its line is 1, or the one named)."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def format(self, filename: str) -> str:
        return f"{filename}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]  # normalised names, as in the file's first row
    rows: tuple[tuple[int, dict[str, str]], ...]  # (line, column → cell text)


@dataclass(frozen=True)
class LocationRow:
    line: int
    code: str
    # None: the column is not in the file (the field is left alone).
    name: str
    address: str | None
    region: str | None  # "" clears it
    brand: str | None  # "" is the default brand
    # The proof-of-visit fields whose columns the file has, parsed (None clears):
    # latitude, longitude, opening_hours, timezone.
    place: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class UserRow:
    line: int
    email: str
    name: str | None
    location_codes: tuple[str, ...] | None  # owners only
    # Auditors only: the brands they are limited to (empty: none, all brands);
    # None: the column is not in the file.
    brands: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Parsed:
    kind: str
    columns: tuple[str, ...]
    locations: tuple[LocationRow, ...] = ()
    users: tuple[UserRow, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def rows(self) -> int:
        return len(self.locations) + len(self.users)


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    aliases: tuple[str, ...] = ()


LOCATION_COLUMNS = (
    Column("code", True, ("location_code",)),
    Column("name", True, ("location_name",)),
    Column("address", False),
    Column("region", False),
    Column("brand", False),
    Column("latitude", False, ("lat",)),
    Column("longitude", False, ("lon", "lng", "long")),
    Column("opening_hours", False, ("hours",)),
    Column("timezone", False, ("time_zone", "tz")),
)
# Columns that come together or not at all.
PAIRED = (("latitude", "longitude"),)
OWNER_COLUMNS = (
    Column("email", True, ("e_mail", "email_address")),
    Column("name", False),
    Column("location_codes", False, ("locations", "location_code", "codes")),
)
AUDITOR_COLUMNS = (
    Column("email", True, ("e_mail", "email_address")),
    Column("name", False),
    Column("brands", False, ("brand",)),
)
COLUMNS = {"locations": LOCATION_COLUMNS, "owners": OWNER_COLUMNS, "auditors": AUDITOR_COLUMNS}


def normalise_header(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower()).strip("_")


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV would hold (1001.0 is "1001")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TableError("not UTF-8 text (save the file as CSV UTF-8)", line) from None
    first = text.split("\n", 1)[0]
    try:
        dialect: Any = csv.Sniffer().sniff(first, delimiters=DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    start = 1
    try:
        for row in reader:
            yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise TableError(f"not a readable CSV row: {exc}", start) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    # Imported here: openpyxl costs 0.3 s to import, and CSV needs none of it.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # Read-only: rows are streamed from the zip instead of built as a
        # whole workbook in memory (a 50,000-row sheet stays small).
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(f"not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise TableError(f"not a readable XLSX workbook ({type(exc).__name__})") from None
    finally:
        book.close()


def is_xlsx(filename: str, data: bytes) -> bool:
    # An XLSX is a zip: its first bytes say so whatever the name.
    return data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx")


def read_table(filename: str, data: bytes) -> Table:
    """The file's rows under its first row's column names; blank rows are skipped."""
    if len(data) > MAX_FILE_BYTES:
        raise TableError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    raw = _xlsx_rows(data) if is_xlsx(filename, data) else _csv_rows(data)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for line, cells in raw:
        texts = [c.strip() for c in cells]
        if not any(texts):
            continue
        if header is None:
            header = [normalise_header(c) for c in texts]
            while header and not header[-1]:
                header.pop()
            _check_header(header, line)
            continue
        if len(rows) >= MAX_ROWS:
            raise TableError(f"more than {MAX_ROWS:,} rows; split the file", line)
        if len([t for t in texts[len(header) :] if t]):
            raise TableError(
                f"{len(texts)} cells but {len(header)} columns (a stray delimiter?)", line
            )
        row = dict(zip(header, texts, strict=False))
        for name in header[len(texts) :]:
            row[name] = ""
        rows.append((line, row))
    if header is None:
        raise TableError("the file is empty (the first row must name the columns)")
    return Table(tuple(header), tuple(rows))


def _check_header(header: Sequence[str], line: int) -> None:
    seen: set[str] = set()
    for name in header:
        if not name:
            raise TableError("a column has no name in the first row", line)
        if name in seen:
            raise TableError(f"column {name!r} appears twice", line)
        seen.add(name)


def _resolve_columns(kind: str, header: Sequence[str]) -> tuple[dict[str, str], list[Problem]]:
    """File column → our column, and problems with the header (unknown or missing columns)."""
    known = COLUMNS[kind]
    names = {c.name: c for c in known}
    lookup = {alias: c.name for c in known for alias in (c.name, *c.aliases)}
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    for name in header:
        ours = lookup.get(name)
        if ours is None:
            expected = ", ".join(c.name.replace("_", " ") for c in known)
            problems.append(Problem(1, f"unknown column {name!r} (the columns are: {expected})"))
        elif ours in mapping.values():
            problems.append(Problem(1, f"column {name!r} repeats {ours.replace('_', ' ')!r}"))
        else:
            mapping[name] = ours
    for column in names.values():
        if column.required and column.name not in mapping.values():
            problems.append(Problem(1, f"the column {column.name.replace('_', ' ')!r} is missing"))
    for pair in PAIRED:
        present = [c for c in pair if c in mapping.values()]
        if present and len(present) < len(pair):
            missing = next(c for c in pair if c not in present)
            problems.append(
                Problem(1, f"the column {missing!r} is missing ({' and '.join(pair)} go together)")
            )
    return mapping, problems


_DAY_NAMES = {day: day for day in WEEKDAYS} | {
    name: name[:3]
    for name in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}
_DAYS = re.compile(r"^([a-z]+(?:\s*-\s*[a-z]+)?(?:\s*,\s*[a-z]+(?:\s*-\s*[a-z]+)?)*)\s+(.+)$")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _day(name: str) -> str:
    day = _DAY_NAMES.get(name.strip())
    if day is None:
        raise ValueError(f"{name.strip()!r} is not a weekday (Mon … Sun)")
    return day


def hours_from_cell(text: str) -> dict[str, list[list[str]]]:
    """Opening hours as typed in a spreadsheet: ``Mon-Fri 09:00-18:00; Sat 10:00-16:00;
    Sun closed`` (several spans of a day with commas), or the JSON of the location's
    place (``{"mon": [["09:00", "18:00"]]}``).  A weekday not named is closed.
    Raises ValueError with what is wrong."""
    text = text.strip()
    raw: object
    if text.startswith("{"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON ({exc.msg})") from None
    else:
        days: dict[str, list[list[str]]] = {}
        for part in (p.strip() for p in text.split(";")):
            if not part:
                continue
            found = _DAYS.match(part.lower())
            if found is None:
                raise ValueError(f"{part!r} is not like 'Mon-Fri 09:00-18:00'")
            spans: list[list[str]] = []
            if found.group(2).strip() != "closed":
                for span in found.group(2).split(","):
                    times = _SPAN.match(span.strip())
                    if times is None:
                        raise ValueError(f"{span.strip()!r} is not a span like 09:00-18:00")
                    h1, m1, h2, m2 = times.groups()
                    spans.append([f"{int(h1):02d}:{m1}", f"{int(h2):02d}:{m2}"])
            for group in found.group(1).split(","):
                first, _, last = group.partition("-")
                start = WEEKDAYS.index(_day(first))
                end = WEEKDAYS.index(_day(last)) if last else start
                if end < start:
                    raise ValueError(f"{group.strip()!r} runs backwards")
                for day in WEEKDAYS[start : end + 1]:
                    if spans:
                        days.setdefault(day, []).extend(spans)
                    else:
                        days.pop(day, None)
        raw = days
    try:
        hours = parse_hours(raw)
    except TrustInputError as exc:
        raise ValueError("; ".join(f"{k}: {v}" for k, v in exc.fields.items())) from None
    return {day: [list(pair) for pair in pairs] for day, pairs in hours.items()}


def hours_text(hours: dict[str, Any]) -> str:
    """Opening hours as the import reads them: ``Mon-Fri 09:00-18:00; Sat 10:00-16:00``
    (consecutive days with the same spans as one range)."""
    parts: list[str] = []
    runs: list[tuple[int, int, str]] = []  # (first day, last day, spans)
    for index, day in enumerate(WEEKDAYS):
        spans = ", ".join(f"{a}-{b}" for a, b in hours.get(day) or ())
        if not spans:
            continue
        if runs and runs[-1][1] == index - 1 and runs[-1][2] == spans:
            runs[-1] = (runs[-1][0], index, spans)
        else:
            runs.append((index, index, spans))
    for first, last, spans in runs:
        days = WEEKDAYS[first].title()
        if last != first:
            days += "-" + WEEKDAYS[last].title()
        parts.append(f"{days} {spans}")
    return "; ".join(parts) or "closed every day"


def _degrees(text: str) -> float:
    # Much of Europe writes a decimal comma ("48,8566").
    value = float(text.replace(",", ".") if "." not in text else text)
    return value


def _place(row: dict[str, str], problems: list[str]) -> tuple[tuple[str, Any], ...]:
    place: list[tuple[str, Any]] = []
    if "latitude" in row:
        lat, lon = row.get("latitude", ""), row.get("longitude", "")
        if not lat and not lon:
            place += [("latitude", None), ("longitude", None)]
        elif not lat or not lon:
            problems.append("give both latitude and longitude, or neither")
        else:
            try:
                values = check_coordinates(_degrees(lat), _degrees(lon))
                place += [("latitude", values[0]), ("longitude", values[1])]
            except ValueError as exc:
                fields = exc.fields if isinstance(exc, TrustInputError) else {}
                problems.append(
                    "; ".join(f"{k} {v}" for k, v in fields.items())
                    or "latitude and longitude must be numbers of degrees"
                )
    if "opening_hours" in row:
        cell = _text(row, "opening_hours", MAX_CELL, problems)
        if not cell:
            place.append(("opening_hours", None))
        else:
            try:
                place.append(("opening_hours", hours_from_cell(cell)))
            except ValueError as exc:
                problems.append(f"opening hours: {exc}")
    if "timezone" in row:
        zone = row.get("timezone", "")
        if not zone:
            place.append(("timezone", None))
        else:
            try:
                place.append(("timezone", check_timezone(zone)))
            except TrustInputError:
                problems.append(
                    f"timezone {zone[:64]!r} is not an IANA time zone like Europe/Paris"
                )
    return tuple(place)


def _text(row: dict[str, str], column: str, limit: int, problems: list[str]) -> str:
    value = row.get(column, "")
    if "\x00" in value:
        problems.append(f"{column.replace('_', ' ')} holds a NUL character")
    elif len(value) > limit:
        problems.append(f"{column.replace('_', ' ')} is longer than {limit} characters")
    return value


def _optional(row: dict[str, str], column: str, limit: int, problems: list[str]) -> str | None:
    return _text(row, column, limit, problems) if column in row else None


def _location_row(line: int, row: dict[str, str], problems: list[str]) -> LocationRow:
    code = _text(row, "code", CODE_MAX, problems)
    if not code:
        problems.append("code is empty")
    name = _text(row, "name", NAME_MAX, problems)
    if not name:
        problems.append("name is empty")
    return LocationRow(
        line,
        code,
        name,
        address=_optional(row, "address", MAX_CELL, problems),
        region=_optional(row, "region", NAME_MAX, problems),
        brand=_optional(row, "brand", NAME_MAX, problems),
        place=_place(row, problems),
    )


def _user_row(line: int, row: dict[str, str], problems: list[str]) -> UserRow:
    email = _text(row, "email", EMAIL_MAX, problems).lower()
    if not email:
        problems.append("email is empty")
    elif len(email) <= EMAIL_MAX and not EMAIL.match(email):
        problems.append(f"{email!r} is not an e-mail address")
    codes: tuple[str, ...] | None = None
    if "location_codes" in row:
        cell = _text(row, "location_codes", MAX_CELL, problems)
        codes = tuple(dict.fromkeys(c for c in CODE_SEPARATOR.split(cell) if c))
        for code in codes:
            if len(code) > CODE_MAX:
                problems.append(f"location code {code[:20]!r}… is longer than {CODE_MAX}")
    brands: tuple[str, ...] | None = None
    if "brands" in row:
        cell = _text(row, "brands", MAX_CELL, problems)
        brands = tuple(dict.fromkeys(b.strip() for b in cell.split(";") if b.strip()))
        for brand in brands:
            if len(brand) > NAME_MAX:
                problems.append(f"brand {brand[:20]!r}… is longer than {NAME_MAX}")
    return UserRow(line, email, _optional(row, "name", NAME_MAX, problems), codes, brands)


_ROW_READERS: dict[str, Callable[[int, dict[str, str], list[str]], Any]] = {
    "locations": _location_row,
    "owners": _user_row,
    "auditors": _user_row,
}


def parse(kind: str, filename: str, data: bytes) -> Parsed:
    """Every row of the file checked on its own and against the others (duplicates)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    try:
        table = read_table(filename, data)
    except TableError as exc:
        return Parsed(kind, (), problems=(Problem(exc.line, str(exc)),))
    mapping, problems = _resolve_columns(kind, table.columns)
    if problems:
        return Parsed(kind, table.columns, problems=tuple(problems))
    columns = tuple(mapping[c] for c in table.columns)
    rows: list[Any] = []
    first_line: dict[str, int] = {}
    key = "code" if kind == "locations" else "email"
    for line, cells in table.rows:
        row = {mapping[name]: value for name, value in cells.items()}
        row_problems: list[str] = []
        parsed = _ROW_READERS[kind](line, row, row_problems)
        value: str = getattr(parsed, key)
        if value and not row_problems:
            folded = value.lower() if key == "email" else value
            if folded in first_line:
                row_problems.append(f"{key} {value!r} is already on line {first_line[folded]}")
            else:
                first_line[folded] = line
        problems.extend(Problem(line, message) for message in row_problems)
        rows.append(parsed)
    if not table.rows:
        problems.append(Problem(1, "the file has no rows under its column names"))
    if kind == "locations":
        return Parsed(kind, columns, locations=tuple(rows), problems=tuple(problems))
    return Parsed(kind, columns, users=tuple(rows), problems=tuple(problems))
