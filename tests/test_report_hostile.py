"""Hostile text in a report: 10,000-deep nested markup, unbroken words and CSS in every free text.

Comments, text answers and the names of the location, its region and the
brand are printed by the report. Whatever they hold must come out as the
literal characters, make the renderer fetch nothing, finish within the
render pool's time limit and leave the service answering.
"""

from __future__ import annotations

import dataclasses
import re
import socket
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pikepdf
import pytest

from audit.answers import MAX_COMMENT, MAX_TEXT_ANSWER, Answer, parse_answers
from audit.report.data import ReportData
from audit.report.fetcher import ReportURLFetcher
from audit.report.pool import DEFAULT_TIMEOUT, RenderPool
from audit.report.render import render_report_html, render_report_pdf
from audit.report.sample import SAMPLE_ANSWERS, draw_photo, sample_checklist, sample_report_data
from audit.report.view import MAX_CODE_CHARS
from audit.scoring import score_answers
from audit.store.accounts import add_user
from audit.store.checklists import import_checklists, read_checklist_dir
from audit.store.locations import add_location
from tests.helpers import PASSWORD, ROOT, new_uuid, sign_in
from tests.test_report import flat, pdf_text

DEPTH = 10_000


def nested(opening: str, closing: str, depth: int = DEPTH, inside: str = "deepest") -> str:
    return opening * depth + inside + closing * depth


def hostile_texts(port: int) -> dict[str, str]:
    """Each fetches from the trap at ``port`` if it ever became markup or a stylesheet."""
    trap = f"http://127.0.0.1:{port}"
    return {
        "div": nested(f'<div style="background: url({trap}/div.png)">', "</div>"),
        "table": nested(f'<table background="{trap}/table.png"><tr><td>', "</td></tr></table>"),
        "ul": nested(f'<ul><li><img src="{trap}/li.png">', "</li></ul>"),
        "word": "W" * 100_000,
        "code": "C" * 99_999,
        "css": (
            "</p></td></tr></table><style>body { display: none !important }"
            " @page { size: 1mm; margin: 0 } * { color: white; font-size: 0 }"
            f' @import url("{trap}/import.css");'
            f" @font-face {{ font-family: X; src: url({trap}/font.woff) }}</style>"
            f'<link rel="stylesheet" href="{trap}/link.css">'
        ),
    }


# Where each hostile text goes: comments of yes/no, number, choice and scale items.
COMMENTS = {
    "web_store_hours": "div",
    "web_store_phone": "table",
    "web_minutes_to_info": "ul",
    "inquiry_greeting": "word",
    "inquiry_patient": "css",
}


def hostile_report_data(photo_dir: Path, texts: dict[str, str]) -> ReportData:
    """Past the answers validator (imported or older data): no length limit applies here."""
    checklist = sample_checklist()
    raw = {k: {kk: vv for kk, vv in v.items() if kk != "photos"} for k, v in SAMPLE_ANSWERS.items()}
    answers = dict(parse_answers(checklist, raw))
    for item_id, key in COMMENTS.items():
        answers[item_id] = dataclasses.replace(answers[item_id], comment=texts[key])
    answers["store_notes"] = Answer(value=texts["table"] + " " + texts["css"] + texts["div"])
    return dataclasses.replace(
        sample_report_data(photo_dir),
        scorecard=score_answers(checklist, answers),
        location_name=texts["div"],
        region=texts["ul"],
        brand=texts["table"],
        location_code=texts["code"],
    )


def squeezed(text: str) -> str:
    """Without any white space or zero-width space: where lines break does not matter."""
    return re.sub(r"[\s\u200b]+", "", text)


def assert_printed_literally(pdf: bytes, texts: dict[str, str]) -> str:
    text = pdf_text(pdf)
    plain, tight = flat(text), squeezed(text)
    for key in ("div", "table", "ul", "word"):
        # The beginning of each, as typed (the brand is set in capitals on the cover).
        assert squeezed(texts[key][:300]).lower() in tight.lower(), key
    assert f"shortened from {len(texts['div']):,} characters" in plain
    assert f"shortened from {len(texts['table']):,} characters" in plain
    assert f"shortened from {len(texts['ul']):,} characters" in plain
    assert f"shortened from {len(texts['word']):,} characters" in plain
    assert f"shortened from {len(texts['code']):,} characters" in plain
    assert "C" * MAX_CODE_CHARS in tight and "C" * (MAX_CODE_CHARS + 1) not in tight
    assert squeezed(texts["css"]) in tight  # the stylesheet is text, and did not hide the page
    with pikepdf.open(BytesIO(pdf)) as doc:
        # Bounded: the text is shortened, not laid out in full. (Four rows of a
        # section kept together on a page cost two pages here over 20 without.)
        assert 6 <= len(doc.pages) <= 24
    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    page_width = float(re.search(r'<page width="([\d.]+)"', bbox).group(1))  # type: ignore[union-attr]
    right_edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox)]
    assert max(right_edges) <= page_width - 20  # nothing runs off the page
    return text


class _Depth(HTMLParser):
    """The deepest element nesting of a document (void elements do not nest)."""

    VOID = frozenset(
        "area base br col embed hr img input link meta source track wbr".split()  # noqa: SIM905
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self.depth = self.deepest = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in self.VOID:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID:
            self.depth -= 1


@pytest.fixture
def trap() -> Iterator[socket.socket]:
    """A listening socket on loopback: any fetch of its URL would connect to it."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.setblocking(False)
        yield server


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("photos")


def test_deeply_nested_markup_long_words_and_css_print_as_text_and_fetch_nothing(
    photo_dir: Path, trap: socket.socket
) -> None:
    texts = hostile_texts(trap.getsockname()[1])
    data = hostile_report_data(photo_dir, texts)
    html = render_report_html(data)
    # Escaped, not parsed: the document is no deeper than the plain sample report.
    assert _Depth(html).deepest == _Depth(render_report_html(sample_report_data(photo_dir))).deepest
    assert _Depth(html).deepest < 40
    assert "&lt;div style=" in html and "<style>body" not in html and "<link" not in html

    fetcher = ReportURLFetcher(photos=data.photo_paths())
    pdf = render_report_pdf(data, fetcher=fetcher)
    assert fetcher.refused == []
    assert set(fetcher.requested) <= {p.absolute().as_uri() for p in data.photo_paths()}
    with pytest.raises(BlockingIOError):
        trap.accept()  # nobody knocked
    text = assert_printed_literally(pdf, texts)
    assert "deepest" not in text  # cut long before the innermost level
    assert re.search(r"OVERALL SCORE 40\b.* / 100", flat(text))  # the report around it is intact


@pytest.fixture(scope="module")
def pool() -> Iterator[RenderPool]:
    pool = RenderPool(workers=1, timeout=DEFAULT_TIMEOUT)
    yield pool
    pool.close()


async def test_hostile_report_renders_in_the_pool_within_its_time_limit_and_the_pool_goes_on(
    photo_dir: Path, trap: socket.socket, pool: RenderPool
) -> None:
    texts = hostile_texts(trap.getsockname()[1])
    # A render past the time limit raises RenderTimeout: this must return a PDF.
    pdf = await pool.render(hostile_report_data(photo_dir, texts))
    assert pdf.startswith(b"%PDF-1.7")
    assert_printed_literally(pdf, texts)
    with pytest.raises(BlockingIOError):
        trap.accept()
    after = await pool.render(sample_report_data(photo_dir))
    assert "Brightline Riverside Plaza" in pdf_text(after)


async def test_hostile_audit_through_the_api_gives_the_owner_a_literal_report(
    client: httpx.AsyncClient, db: Any
) -> None:
    """The longest text the service accepts, nested as deep as it goes, end to end."""
    found, problems = read_checklist_dir(ROOT / "checklists")
    assert not problems
    await import_checklists(found)
    name = "<table><tr><td>" * 13  # 195 characters: a location name may have 200
    region = "<ul><li>" * 25
    await add_location("S1", name, region)
    await add_user("auditor@x.test", "auditor", PASSWORD, "Ann Auditor")
    await add_user("hq@x.test", "hq", PASSWORD, "Hal HQ")
    await add_user("owner@x.test", "owner", PASSWORD, "Olga Owner", ["S1"])

    comment = nested("<div>", "</div>", depth=(MAX_COMMENT - 1) // 11, inside="x")
    long_text = nested("<li><ul>", "</ul></li>", depth=(MAX_TEXT_ANSWER - 1) // 18, inside="y")
    answers = {k: dict(v) for k, v in SAMPLE_ANSWERS.items()}
    for item_id in COMMENTS:
        answers[item_id]["comment"] = comment
    answers["store_notes"] = {"value": long_text}  # a text the owner reads
    auditor = await sign_in(client, "auditor@x.test")
    uid = new_uuid()
    body = {"checklist": "electronics-store", "location": "S1", "answers": answers}
    r = await auditor.put(f"/api/audits/{uid}", json=body)
    assert r.status_code == 201, r.text
    for item_id in ("storefront_photo", "checkout_charged_correctly"):
        image = draw_photo(item_id, (90, 110, 140), 7, size=(320, 240))
        r = await auditor.put(
            f"/api/audits/{uid}/photos/{new_uuid()}?item={item_id}", content=image
        )
        assert r.status_code == 201, r.text
    r = await auditor.post(f"/api/audits/{uid}/submit")
    assert r.status_code == 200, r.text
    await client.delete("/api/session", headers={"X-CSRF-Token": auditor.csrf})
    hq = await sign_in(client, "hq@x.test")
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200, r.text
    await client.delete("/api/session", headers={"X-CSRF-Token": hq.csrf})

    owner = await sign_in(client, "owner@x.test")
    r = await owner.get(f"/api/audits/{uid}/report.pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    tight = squeezed(pdf_text(r.content))
    assert squeezed(name) in tight and squeezed(region) in tight
    assert tight.count(squeezed(comment[:400])) >= len(COMMENTS)
    assert squeezed(long_text[:400]) in tight
    with pikepdf.open(BytesIO(r.content)) as doc:
        assert len(doc.pages) <= 24
    # ... and the service answers on.
    r = await owner.get("/api/locations")
    assert r.status_code == 200
    [row] = r.json()
    assert (row["code"], row["name"], row["region"]) == ("S1", name, region)
