"""The owner's experience report: what the PDF says, what it hides, what it never fetches."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import socket
import subprocess
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image

from audit.answers import Answer, parse_answers
from audit.report import pool as report_pool
from audit.report import render as report_render
from audit.report.charts import date_positions
from audit.report.data import Benchmarks, ReportData, without_unshown_evidence
from audit.report.fetcher import FONTS_DIR, ReportURLFetcher, URLRefused, strip_jpeg_metadata
from audit.report.pool import (
    RenderPool,
    RenderTimeout,
    ReportCache,
    cached_report_pdf,
    render_batch,
)
from audit.report.render import render_report_html, render_report_pdf, report_cache_key
from audit.report.sample import SAMPLE_ANSWERS, draw_photo, sample_checklist, sample_report_data
from audit.scoring import score_answers

FIXTURES = Path(__file__).parent / "fixtures" / "report"


# -- helpers


def pdf_text(pdf: bytes) -> str:
    """The text a reader (or a screen reader) gets, in reading order."""
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode()


def flat(text: str) -> str:
    """Whitespace collapsed; the zero-width spaces that make long runs breakable dropped."""
    return re.sub(r"\s+", " ", text.replace("\u200b", ""))


def decompressed(pdf: bytes) -> bytes:
    """Every stream of the PDF decoded (fonts, pages, metadata) plus the objects around them."""
    parts = [pdf]
    with pikepdf.open(BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    parts.append(obj.read_bytes())
                except pikepdf.PdfError:
                    parts.append(obj.read_raw_bytes())
        parts.append(repr(doc.docinfo).encode())
    return b"\n".join(parts)


def images_in(pdf: bytes) -> list[bytes]:
    """The bytes of every image XObject as stored (JPEGs stay JPEGs)."""
    found = []
    with pikepdf.open(BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
                found.append(obj.read_raw_bytes())
    return found


def store_like_report_data(record: dict[str, Any], photo_dir: Path) -> ReportData:
    """What audit.store builds from an audit row: everything but the auditor."""
    data = sample_report_data(photo_dir)
    return dataclasses.replace(
        data,
        brand=record["brand"],
        location_code=record["location"]["code"],
        location_name=record["location"]["name"],
        region=record["location"]["region"],
        visit_date=date.fromisoformat(record["visited_at"][:10]),
        reference=record["uuid"],
    )


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("photos")


@pytest.fixture(scope="module")
def sample(photo_dir: Path) -> ReportData:
    record = json.loads((FIXTURES / "audit-record.json").read_text())
    return store_like_report_data(record, photo_dir)


@pytest.fixture(scope="module")
def sample_pdf(sample: ReportData) -> bytes:
    return render_report_pdf(sample)


@pytest.fixture(scope="module")
def sample_text(sample_pdf: bytes) -> str:
    return pdf_text(sample_pdf)


# -- content


def page_texts(pdf: bytes) -> list[str]:
    return [flat(p) for p in pdf_text(pdf).split("\f") if p.strip()]


def test_cover_shows_location_visit_date_checklist_and_overall_score(sample_text: str) -> None:
    text = flat(sample_text)
    assert "Brightline Riverside Plaza" in text
    assert "BL-0142 · North West region" in text
    assert "14 March 2025" in text
    assert "Electronics store, from inquiry to installation, version 2" in text
    assert re.search(r"OVERALL SCORE 40\b.* / 100", text)


def test_page_one_is_the_verdict_score_journey_fixes_rank_and_gap(
    sample: ReportData, sample_pdf: bytes
) -> None:
    first = page_texts(sample_pdf)[0]
    card = sample.scorecard
    assert card.service is not None and card.experience is not None
    # the critical failure stays on top, above the score
    assert first.index("CRITICAL FAILURE") < first.index("OVERALL SCORE 40")
    assert re.search(rf"SERVICE .*{round(card.service)}", first)
    assert re.search(rf"EXPERIENCE .*{round(card.experience)}", first)
    assert "WOULD RECOMMEND" in first and "7 out of 10, a passive" in first
    # the journey strip: every touchpoint in order with its score
    journey = first[first.index("The customer's journey") : first.index("What to fix first")]
    labels = ("Website", "Phone", "Arrival", "Facilities", "Consultation", "Checkout")
    positions = [journey.index(label) for label in (*labels, "Delivery", "Follow-up")]
    assert positions == sorted(positions)
    assert "57 71 85 28 100 67 86 36" in journey  # the scores in journey order
    fixes = first[first.index("What to fix first") : first.index("Against the others")]
    assert fixes.index("1. When you asked to use the restroom") < fixes.index(
        "2. A person from the store called you back"
    )
    assert "3. Within seven days of installation" in fixes
    assert "Biggest gap: Facilities is 45 points below the region average (28 against 73)" in first
    assert "Rank by overall score: 9th of 14 in North West; 96th of 131 in the brand." in first
    assert "Shopper NPS of this location: \u221220 over the last 5 visits (n = 5" in first


def test_fixes_on_page_one_carry_their_evidence_thumbnails(photo_dir: Path) -> None:
    # A missing price label, with two photos, among the three fixes.
    data = sample_report_data(photo_dir)
    # the refused restroom leads the fixes; give it the price-label photos
    data = dataclasses.replace(
        data, photos={**data.photos, "restroom_access": data.photos["prices_labeled"]}
    )
    html = render_report_html(data)
    fixes = html[html.index("What to fix first") : html.index("Against the others")]
    for path in data.photos["prices_labeled"]:
        assert path.absolute().as_uri() in fixes
    assert 'alt="Photo of When you asked to use the restroom, staff"' in fixes


# -- evidence appendix


def pdf_image_widths(pdf: bytes) -> list[int]:
    """Pixel widths of the images placed on the pages (pdfimages -list)."""
    out = subprocess.run(
        ["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    return [int(row[3]) for row in rows if row[2] == "image"]


def test_appendix_prints_every_photo_full_width_with_item_and_touchpoint(
    sample: ReportData, sample_pdf: bytes
) -> None:
    pages = page_texts(sample_pdf)
    start = next(i for i, p in enumerate(pages) if "Evidence The shopper's photos" in p)
    appendix = " ".join(pages[start:])
    photos = sum(len(paths) for paths in sample.images.values())
    assert photos == 6
    for number in range(1, photos + 1):
        assert f"Photo {number} · " in appendix
    assert "Arrival and welcome:" in appendix
    assert "Store environment and facilities: Every TV on display had a clearly visible" in appendix
    # the full images, not the thumbnails: at least 1000 px wide in the PDF
    widths = pdf_image_widths(sample_pdf)
    assert len([w for w in widths if w >= 1000]) == photos
    # the detail points to them by number and page
    assert re.search(
        r"Evidence: photo 4 \(page \d+\), photo 5 \(page \d+\)", flat(pdf_text(sample_pdf))
    )


def test_no_photo_is_shown_for_an_item_answered_na(photo_dir: Path) -> None:
    data = sample_report_data(photo_dir)
    thumb = next(iter(data.photos.values()))[0]
    image = next(iter(data.images.values()))[0]
    # arrival_parking is answered N/A in the sample; an old audit may hold a photo there
    with_na_photo = dataclasses.replace(
        data,
        photos={**data.photos, "arrival_parking": (thumb.with_name("na-thumb.jpg"),)},
        images={**data.images, "arrival_parking": (image.with_name("na.jpg"),)},
    )
    html = render_report_html(with_na_photo)
    assert "na.jpg" not in html and "na-thumb.jpg" not in html
    cleaned = without_unshown_evidence(with_na_photo)
    assert "arrival_parking" not in cleaned.photos and "arrival_parking" not in cleaned.images


def test_page_one_has_no_empty_bottom_third(sample_pdf: bytes, tmp_path: Path) -> None:
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-", str(tmp_path / "p")],
        input=sample_pdf,
        check=True,
    )
    [png] = tmp_path.glob("p*.png")
    page = Image.open(png).convert("L")
    w, h = page.size
    bottom = page.crop((0, 2 * h // 3, w, h - h // 20))  # the bottom third, above the margin
    inked_rows = sum(
        1 for y in range(bottom.height) if bottom.crop((0, y, w, y + 1)).getextrema()[0] < 160
    )
    assert inked_rows > bottom.height // 4


def test_summary_lists_three_strongest_items_and_explains_the_scores(
    sample_text: str,
) -> None:
    text = flat(sample_text)
    strongest = text[text.index("What went well") : text.index("How this visit compares")]
    assert strongest.count("100%") == 3
    assert "How clearly were the differences between models explained" in strongest
    assert "how your people handled each exchange" in strongest
    assert "everything the customer met without staff" in strongest
    assert "7 makes a passive" in strongest


def test_benchmarks_compare_with_region_brand_and_trend(sample_text: str) -> None:
    text = flat(sample_text)
    assert "30 points below the region average (70, 37 approved audits in North West)" in text
    assert "35 points below the brand average (75, 412 approved audits)" in text
    assert "Down 32 points since the previous audit on 5 December 2024." in text
    # three or more earlier visits: one line per touchpoint too
    assert "Each touchpoint over the same visits" in text


def test_trend_points_are_spaced_by_date_not_by_index() -> None:
    xs = date_positions([date(2024, 1, 1), date(2024, 1, 11), date(2024, 12, 31)], 0, 365)
    assert xs[0] == 0 and xs[-1] == 365
    assert 9 < xs[1] < 11  # ten days in, not half-way


def test_detail_lists_visible_items_with_answers_comments_and_na(sample_text: str) -> None:
    text = flat(sample_text)
    # The row's cells in order (the column heads may be read in between at a page top).
    assert re.search(
        r"Seconds until a person answered your inquiry call 38 seconds"
        r" (WEIGHT POINTS )?2 1\.4 of 2",
        text,
    )
    assert "The number you called for your inquiry (312) 555-0142" in text  # a fact, in its cell
    assert "Shopper's comment: Only the national hotline was listed on the store page." in text
    assert "N/A Not applicable" in text
    assert "Critical item, failed" in text
    # hidden by show_if after the refused restroom: not in the report at all
    assert "How clean was the restroom?" not in text
    assert "How was the damage handled?" not in text


def test_every_page_has_running_header_and_page_x_of_y(sample_pdf: bytes) -> None:
    pages = pdf_text(sample_pdf).split("\f")
    pages = [p for p in pages if p.strip()]
    total = len(pages)
    assert 6 <= total <= 16
    for number, page in enumerate(pages[1:], start=2):
        assert "Brightline Riverside Plaza · 14 March 2025" in page
        assert f"Page {number} of {total}" in page
        assert "How scores are computed" in flat(page)


def test_report_without_benchmarks_trend_or_recommendation_says_so(photo_dir: Path) -> None:
    answers = {k: v for k, v in SAMPLE_ANSWERS.items() if k != "recommend"}
    data = dataclasses.replace(
        sample_report_data(photo_dir, answers=answers), benchmarks=Benchmarks(), trend=()
    )
    text = flat(pdf_text(render_report_pdf(data)))
    assert "No other location has an approved audit with this checklist" in text
    assert "This is the first approved audit of Brightline Riverside Plaza" in text
    assert "The shopper did not answer whether they would recommend you." in text
    assert "not answered" in text


# -- anonymity


def test_report_names_no_auditor_anywhere(sample: ReportData, sample_pdf: bytes) -> None:
    record = json.loads((FIXTURES / "audit-record.json").read_text())
    fields = {f.name for f in dataclasses.fields(ReportData)}
    assert not {f for f in fields if re.search("auditor|user|email|name$", f)} - {"location_name"}
    everything = decompressed(sample_pdf).lower()
    for secret in (
        record["auditor"]["name"],
        record["auditor"]["email"],
        "Quarrington",
        "12:47",  # the time of the visit
    ):
        assert secret.lower().encode() not in everything
    with pikepdf.open(BytesIO(sample_pdf)) as doc:
        info = {str(k): str(v) for k, v in doc.docinfo.items()}
        assert info["/Author"] == "Brightline Electronics"
        assert info["/Creator"].startswith("audit report ")
        with doc.open_metadata() as meta:
            assert meta.get("dc:creator") == ["Brightline Electronics"]


def test_pdf_holds_no_local_file_paths(sample: ReportData, sample_pdf: bytes) -> None:
    everything = decompressed(sample_pdf)
    for path in sample.photo_paths():
        assert str(path.parent).encode() not in everything
    assert str(FONTS_DIR).encode() not in everything


# -- injection


@pytest.fixture
def trap() -> Any:
    """A listening socket on loopback: any fetch of its URL would connect to it."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.setblocking(False)
        yield server


def test_comments_with_markup_print_as_text_and_fetch_nothing(photo_dir: Path, trap: Any) -> None:
    port = str(trap.getsockname()[1])
    hostile = json.loads((FIXTURES / "hostile-answers.json").read_text().replace("PORT", port))
    answers = {k: dict(v) for k, v in SAMPLE_ANSWERS.items()}
    for item_id, comment in hostile["comments"].items():
        answers[item_id]["comment"] = comment
    data = dataclasses.replace(
        sample_report_data(photo_dir, answers=answers), location_name=hostile["location_name"]
    )
    fetcher = ReportURLFetcher(photos=data.photo_paths())
    pdf = render_report_pdf(data, fetcher=fetcher)

    allowed = {p.absolute().as_uri() for p in data.photo_paths()}
    assert fetcher.refused == []
    assert set(fetcher.requested) <= allowed
    with pytest.raises(BlockingIOError):
        trap.accept()  # nobody knocked
    text = flat(pdf_text(pdf))
    for comment in hostile["comments"].values():
        assert flat(comment) in text
    assert "<b>Riverside</b> & Sons" in text
    assert "{{ 7*7 }}" in text
    html = render_report_html(data)
    assert '<img src="http' not in html and "<script>" not in html and "<link" not in html


def test_fetcher_refuses_everything_but_listed_photos_fonts_and_data(tmp_path: Path) -> None:
    photo = tmp_path / "ok.jpg"
    photo.write_bytes(draw_photo("ok", (90, 90, 90), 1, size=(64, 48)))
    other = tmp_path / "other.jpg"
    other.write_bytes(photo.read_bytes())
    link = tmp_path / "link.jpg"
    link.symlink_to(Path("/etc/passwd"))
    fetcher = ReportURLFetcher(photos=[photo, link])

    assert fetcher.fetch(photo.as_uri()).read().startswith(b"\xff\xd8")
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    assert fetcher.fetch((FONTS_DIR / "Inter-Regular.otf").as_uri()).read()[:4] == b"OTTO"
    for url in (
        "http://127.0.0.1:9/x.png",
        "https://example.com/x.png",
        "ftp://127.0.0.1/x",
        "file:///etc/passwd",
        other.as_uri(),
        photo.as_uri() + "?x=1",
        f"file://evil.example{photo}",
        (FONTS_DIR / ".." / "report.css").as_uri(),
        (FONTS_DIR / "OFL.txt").as_uri(),
    ):
        with pytest.raises(URLRefused):
            fetcher.fetch(url)
    with pytest.raises(OSError):  # listed, but a symlink now
        fetcher.fetch(link.as_uri())
    assert len(fetcher.refused) == 9


# -- photos


def jpeg_with_gps(size: tuple[int, int] = (480, 360)) -> bytes:
    image = Image.new("RGB", size, (120, 140, 160))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "SecretCam 1.0"  # Software
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 12.5)
    gps[3], gps[4] = "W", (0.0, 7.0, 39.0)
    out = BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"shot by p.quarrington")
    return out.getvalue()


def test_photos_in_the_pdf_carry_no_exif_or_gps(photo_dir: Path, tmp_path: Path) -> None:
    tainted = tmp_path / "tainted-thumb.jpg"
    tainted.write_bytes(jpeg_with_gps())
    assert b"Exif" in tainted.read_bytes()
    data = sample_report_data(photo_dir)
    data = dataclasses.replace(
        data,
        photos={**data.photos, "storefront_photo": (tainted,)},
        images={**data.images, "storefront_photo": (tainted,)},
    )
    pdf = render_report_pdf(data)

    images = images_in(pdf)
    assert len(images) == 5  # the four clean sample photos left, plus the tainted one
    for raw in images:
        assert raw.startswith(b"\xff\xd8")
        with Image.open(BytesIO(raw)) as img:
            assert not img.getexif()
            assert "comment" not in img.info
    everything = decompressed(pdf)
    for secret in (b"Exif", b"SecretCam", b"PhoneMaker", b"quarrington"):
        assert secret not in everything


def test_jpeg_stripping_keeps_pixels_and_drops_metadata() -> None:
    original = draw_photo("strip", (100, 120, 140), 3, size=(200, 150))
    with Image.open(BytesIO(original)) as img:
        exif = Image.Exif()
        exif[0x0131] = "SecretCam"
        out = BytesIO()
        img.save(out, "JPEG", quality=90, exif=exif.tobytes(), comment=b"secret", progressive=True)
    stripped, had_exif = strip_jpeg_metadata(out.getvalue())
    assert had_exif
    assert b"SecretCam" not in stripped and b"secret" not in stripped
    with Image.open(BytesIO(stripped)) as a, Image.open(BytesIO(out.getvalue())) as b:
        assert a.tobytes() == b.tobytes()
    with pytest.raises(ValueError):
        strip_jpeg_metadata(b"\xff\xd8\xff\xe1\x00")


# -- PDF/A, tags, structure


def test_pdf_is_pdfa_3b_and_tagged(sample_pdf: bytes) -> None:
    with pikepdf.open(BytesIO(sample_pdf)) as doc:
        with doc.open_metadata() as meta:
            assert meta.pdfa_status == "3B"
        assert "/StructTreeRoot" in doc.Root
        assert doc.Root.MarkInfo.Marked is True
        assert str(doc.Root.Lang) == "en"
        assert "/OutputIntents" in doc.Root
        assert len(doc.pages) >= 6


def test_qpdf_check_finds_no_errors(sample_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(sample_pdf)
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


def test_megabyte_comment_is_shortened_and_stays_inside_the_page(photo_dir: Path) -> None:
    checklist = sample_checklist()
    raw = {k: {kk: vv for kk, vv in v.items() if kk != "photos"} for k, v in SAMPLE_ANSWERS.items()}
    answers = dict(parse_answers(checklist, raw))
    # Past the validator (imported or older data): one unbroken word and a flood of text.
    huge = "A" * 300_000 + " " + "blah " * 140_000
    answers["web_store_hours"] = Answer(value=True, comment=huge)
    answers["store_notes"] = Answer(value="x" * 1_000_000)  # a text the owner reads
    data = dataclasses.replace(
        sample_report_data(photo_dir), scorecard=score_answers(checklist, answers)
    )
    pdf = render_report_pdf(data)
    text = flat(pdf_text(pdf))
    assert f"shortened from {len(huge.strip()):,} characters" in text
    assert "shortened from 1,000,000 characters" in text
    with pikepdf.open(BytesIO(pdf)) as doc:
        # the six photos of the appendix and the consistency findings included
        assert len(doc.pages) <= 22
    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    page_width = float(re.search(r'<page width="([\d.]+)"', bbox).group(1))  # type: ignore[union-attr]
    right_edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox)]
    assert max(right_edges) <= page_width - 20  # inside the right margin


# -- cache key, cache, pool


def test_cache_key_changes_with_inputs_and_template_version(
    sample: ReportData, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = report_cache_key(sample)
    assert key == report_cache_key(dataclasses.replace(sample))
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    changed = [
        dataclasses.replace(sample, location_name="Elsewhere"),
        dataclasses.replace(sample, benchmarks=Benchmarks(brand_avg=50.0, brand_count=3)),
        dataclasses.replace(sample, trend=sample.trend[1:]),
        dataclasses.replace(sample, generated_at=date(2025, 4, 1)),
    ]
    answers = {k: dict(v) for k, v in SAMPLE_ANSWERS.items()}
    answers["floor_clean"]["comment"] = "a new comment"
    changed.append(sample_report_data(next(iter(sample.photos.values()))[0].parent, answers))
    for other in changed:
        assert report_cache_key(other) != key
    monkeypatch.setattr(report_render, "TEMPLATE_VERSION", "next")
    assert report_cache_key(sample) != key


def test_cache_returns_identical_bytes_without_rendering_again(
    sample: ReportData, sample_pdf: bytes, tmp_path: Path
) -> None:
    class CountingPool:
        calls = 0

        async def render(self, data: ReportData, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
            self.calls += 1
            return sample_pdf

    pool = CountingPool()
    cache = ReportCache(tmp_path / "cache")
    first, key = asyncio.run(cached_report_pdf(sample, cache, pool))  # type: ignore[arg-type]
    second, again = asyncio.run(cached_report_pdf(sample, cache, pool))  # type: ignore[arg-type]
    assert first == second == sample_pdf and key == again
    assert pool.calls == 1
    assert cache.get(key) == sample_pdf
    assert not list(cache.path(key).parent.glob(".tmp-*"))
    with pytest.raises(ValueError):
        cache.path("../../etc/passwd")


def test_pool_renders_and_a_render_past_its_time_limit_raises(sample: ReportData) -> None:
    pool = RenderPool(workers=1, timeout=60)
    try:

        async def scenario() -> tuple[bytes, bytes]:
            with pytest.raises(RenderTimeout, match=r"longer than 0\.001 s"):
                await pool.render(sample, timeout=0.001)
            # the killed pool was replaced; renders go on
            first, second = await asyncio.gather(pool.render(sample), pool.render(sample))
            return first, second

        first, second = asyncio.run(scenario())
        assert first.startswith(b"%PDF-1.7") and second.startswith(b"%PDF-1.7")
        assert "Brightline Riverside Plaza" in pdf_text(first)
    finally:
        pool.close()
    assert report_pool.RenderError in RenderTimeout.__mro__


def test_batch_renders_every_report_to_its_file_and_reports_failures(
    sample: ReportData, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where a folder should be")
    jobs = [(sample, tmp_path / "out" / "a.pdf"), (sample, blocked / "b.pdf")]
    seen: list[tuple[Path, BaseException | None]] = []

    async def lazily() -> Any:
        for job in jobs:
            yield job

    results = asyncio.run(
        render_batch(lazily(), workers=1, on_done=lambda p, e: seen.append((p, e)))
    )
    assert sorted(str(p) for p, _ in results) == sorted(str(p) for _, p in jobs)
    assert sorted(seen, key=str) == sorted(results, key=str)
    errors = {p.name: e for p, e in results}
    assert errors["a.pdf"] is None and isinstance(errors["b.pdf"], OSError)
    assert (tmp_path / "out" / "a.pdf").read_bytes().startswith(b"%PDF-1.7")
