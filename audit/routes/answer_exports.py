"""HQ's per-answer export: one row per audit and item, as CSV or XLSX, streamed.

``GET /api/answers.csv`` and ``/api/answers.xlsx`` take the filters of the
per-audit export (the comparison's, a location, a status). Each audit is
scored again from its stored answers, so every row says what the report says:
the answer in words (a skipped item reads "Not shown"), its value, the points
it earned of its weight and as a score, N/A, the comment, and links to its
evidence photos.

Two flavours of the same rows:

* for people (the default): readable headers from :mod:`audit.presentation`
  ("Touchpoint", "Website"), figures to one decimal, Yes / No;
* ``raw=1`` for machines: the keys as headers, exact numbers, item ids and
  touchpoint slugs, ``true`` / ``false``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from audit.auth import require_role
from audit.checklist import Checklist
from audit.presentation import (
    EXPORT_FIGURE_FORMAT,
    describe_answer,
    export_figure,
    export_label,
    format_fact_value,
    touchpoint_label,
)
from audit.routes.exports import EXPORT_CHUNK, export_scope, file_stem
from audit.routes.spreadsheets import CSV, XLSX, Chunks, Format, NumberFormats, Text
from audit.scoring import score_answers
from audit.store import export, filters
from audit.store.audits import answers_from
from audit.store.checklists import parsed
from audit.store.scope import Scope

ANSWER_KEYS = (
    "uuid",
    "location",
    "location_name",
    "region",
    "checklist",
    "checklist_version",
    "status",
    "visit_date",
    "section",
    "touchpoint",
    "item_id",
    "item",
    "kind",
    "critical",
    "answer",
    "value",
    "points",
    "weight",
    "score",
    "na",
    "comment",
    "photos",
    "audience",
)
FIGURES = ("points", "score")


def _flag(value: bool, raw: bool) -> str:
    if raw:
        return "true" if value else "false"
    return "Yes" if value else "No"


class AnswerLines:
    """Turns a chunk of audit rows into export lines (run in a worker thread)."""

    def __init__(
        self,
        checklists: dict[int, Checklist],
        numbers: dict[int, int],
        places: dict[int, tuple[str | None, str | None, str | None]],
        text: Text,
        raw: bool,
        photo_url: str,
    ) -> None:
        self.checklists = checklists
        self.numbers = numbers
        self.places = places
        self.text = text
        self.raw = raw
        self.photo_url = photo_url

    def header(self) -> list[str]:
        return list(ANSWER_KEYS) if self.raw else [export_label(k) for k in ANSWER_KEYS]

    def figure(self, value: float | None) -> float | None:
        return value if self.raw else export_figure(value)

    def value(self, item_type: str, value: Any) -> Any:
        if isinstance(value, bool):
            return _flag(value, self.raw)
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            # time_range and money: their JSON for machines, as printed for people
            if self.raw:
                return self.text(json.dumps(value, separators=(",", ":")))
            return self.text(format_fact_value(item_type, value))
        return value

    def lines(self, rows: Sequence[Any], photos: export.Photos) -> list[list[Any]]:
        out: list[list[Any]] = []
        unknown = (None, None, None)
        for audit_id, uuid, status, version_id, visit_date, location_id, stored in rows:
            checklist = self.checklists.get(version_id)
            if checklist is None:
                continue
            raw_answers = json.loads(stored) if isinstance(stored, str) else stored
            answers = answers_from(raw_answers or {})
            audit_photos = photos.get(audit_id, {})
            counts = {item: len(found) for item, found in audit_photos.items()}
            card = score_answers(checklist, answers, counts)
            sections = {s.id: s for s in checklist.sections}
            day = visit_date.isoformat() if hasattr(visit_date, "isoformat") else visit_date
            start = [
                uuid,
                *self.places.get(location_id, unknown),
                checklist.id,
                self.numbers.get(version_id),
                status,
                day,
            ]
            for r in card.items:
                item, answer = r.item, r.answer
                section = sections[r.section_id]
                words = describe_answer(item, answer, counts.get(item.id, 0), r.visible)
                points = None if r.points is None else item.weight * r.points
                score = None if r.points is None else 100 * r.points
                links = " ".join(
                    f"{self.photo_url}{uuid}/photos/{p}" for p in audit_photos.get(item.id, ())
                )
                out.append(
                    [
                        *start,
                        self.text(section.id if self.raw else section.title),
                        section.touchpoint if self.raw else touchpoint_label(section.touchpoint),
                        self.text(item.id),
                        self.text(item.text),
                        item.kind if self.raw else item.kind.capitalize(),
                        _flag(item.critical, self.raw),
                        self.text(words.text),
                        self.value(item.type, answer.value if answer is not None else None),
                        self.figure(points),
                        item.weight if item.scored else None,
                        self.figure(score),
                        _flag(answer is not None and answer.na, self.raw),
                        self.text(answer.comment if answer is not None else None),
                        links or None,
                        item.audience if self.raw else ("HQ only" if item.hq_only else "Everyone"),
                    ]
                )
        return out


async def answer_chunks(scope: Scope, make: AnswerLines) -> Chunks:
    yield [make.header()]
    async for rows, photos in export.answer_chunks(scope, EXPORT_CHUNK):
        # Re-scoring 2,000 audits is CPU work: off the event loop.
        yield await anyio.to_thread.run_sync(make.lines, rows, photos)


def _formats(raw: bool) -> NumberFormats | None:
    if raw:
        return None
    figure_headers = {export_label(k) for k in FIGURES}

    def number_format(header: str) -> str | None:
        return EXPORT_FIGURE_FORMAT if header in figure_headers else None

    return number_format


async def answers_export(request: Request, fmt: Format) -> Response:
    require_role(request, "hq")
    scope, f = await export_scope(request)
    raw = request.query_params.get("raw", "") in ("1", "true")
    versions = await export.scoped_versions(scope)
    places = {
        k: (fmt.text(p.key), fmt.text(p.name), fmt.text(p.region))
        for k, p in (await filters.places()).items()
    }
    make = AnswerLines(
        checklists={v.id: parsed(v) for v in versions},
        numbers={v.id: v.version for v in versions},
        places=places,
        text=fmt.text,
        raw=raw,
        photo_url=f"{str(request.base_url).rstrip('/')}/api/audits/",
    )
    stem = file_stem("answers-raw" if raw else "answers", f)
    return fmt.download(answer_chunks(scope, make), "Answers", stem, _formats(raw))


async def answers_csv(request: Request) -> Response:
    return await answers_export(request, CSV)


async def answers_xlsx(request: Request) -> Response:
    return await answers_export(request, XLSX)
