"""Spreadsheet downloads: rows streamed out as CSV or XLSX, a chunk at a time.

A :class:`Format` binds what differs between the two: how a text cell is
made safe, how the bytes are written, and the media type.  Both keep numbers
exact (see :mod:`audit.presentation`); an XLSX column may carry a number
format, so a person sees a score as the pages print it while the cell keeps
the exact value.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from starlette.responses import Response, StreamingResponse

Chunks = AsyncIterator[list[list[Any]]]  # lines a chunk at a time, the header first
Text = Callable[[str | None], str | None]
NumberFormats = Callable[[str], str | None]  # column header -> XLSX number format, if any

# A spreadsheet runs a CSV cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CHUNK = 64 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_text(value: str | None) -> str | None:
    """Text as a CSV cell: a leading quote keeps ``=HYPERLINK(...)`` a name."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def same_text(value: str | None) -> str | None:
    return value  # XLSX cells are typed as text, never formulas


async def one_chunk(lines: list[list[Any]]) -> Chunks:
    yield lines


async def csv_stream(chunks: Chunks) -> AsyncIterator[bytes]:
    # csv writes None as an empty cell and floats unrounded (repr).
    async for lines in chunks:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(lines)
        yield out.getvalue().encode()


async def xlsx_stream(
    chunks: Chunks, title: str, formats: NumberFormats | None = None
) -> AsyncIterator[bytes]:
    """A write-only workbook (rows go to disk as they come), then the file in pieces.

    openpyxl is synchronous and CPU-bound, so each chunk is appended in a
    worker thread while the event loop keeps serving.  ``formats`` gives the
    number format of a column's numeric cells, by the column's header.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    bold = Font(bold=True)
    first = True
    column_formats: list[str | None] = []

    def cells(line: list[Any], header: bool) -> list[Any]:
        out = []
        for n, value in enumerate(line):
            if isinstance(value, bool):
                value = "true" if value else "false"
            cell = WriteOnlyCell(sheet, value=value)
            number_format = column_formats[n] if n < len(column_formats) else None
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif number_format is not None and value is not None and not header:
                cell.number_format = number_format
            if header:
                cell.font = bold
            out.append(cell)
        return out

    def append(lines: list[list[Any]], with_header: bool) -> None:
        if with_header and lines:
            column_formats.extend(formats(str(name)) if formats else None for name in lines[0])
        for n, line in enumerate(lines):
            sheet.append(cells(line, with_header and n == 0))

    fd, name = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        async for lines in chunks:
            if first:
                sheet.freeze_panes = "A2"
            await anyio.to_thread.run_sync(append, lines, first)
            first = False
        await anyio.to_thread.run_sync(book.save, name)
        async with await anyio.open_file(name, "rb") as fh:
            while piece := await fh.read(XLSX_CHUNK):
                yield piece
    finally:
        # Synchronous on purpose: a cancelled download must still remove the file.
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)


@dataclass(frozen=True)
class Format:
    suffix: str
    media_type: str
    text: Text  # makes a text cell safe in this format
    # (lines, sheet title, number formats by column header) -> the file
    write: Callable[[Chunks, str, NumberFormats | None], AsyncIterator[bytes]]

    def download(
        self, chunks: Chunks, title: str, stem: str, formats: NumberFormats | None = None
    ) -> Response:
        """The lines as an attachment named ``stem.suffix``; ``title`` names an XLSX sheet.

        ``formats`` (column header -> number format or None) shows numbers in an XLSX;
        CSV has no formats and writes every number exact.
        """
        return StreamingResponse(
            self.write(chunks, title, formats),
            media_type=self.media_type,
            headers={"Content-Disposition": f'attachment; filename="{stem}.{self.suffix}"'},
        )


CSV = Format(
    "csv", "text/csv; charset=utf-8", csv_text, lambda chunks, _title, _formats: csv_stream(chunks)
)
XLSX = Format("xlsx", XLSX_TYPE, same_text, xlsx_stream)
