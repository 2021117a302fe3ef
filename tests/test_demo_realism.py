"""The demo's data make benchmarks meaningful: few critical failures, loyalty that follows
quality, the evidence a real audit carries, whole counts and free text without names."""

from __future__ import annotations

import random
import statistics
from io import BytesIO
from typing import Any

import pytest
from PIL import Image, ImageStat

from audit.answers import visible_items
from audit.demo import DemoSize, critical_failure_rate, fill_demo
from audit.demo_photos import demo_photo, photo_kind
from audit.models import Audit, Photo
from audit.redaction import find_flags
from audit.settings import Settings
from audit.store.audits import stored_answers
from audit.store.checklists import parsed


async def test_a_seeded_demo_looks_like_a_real_chain(db: Settings) -> None:
    # One demo for every check: filling it is the slow part.
    db.media_dir.mkdir(parents=True, exist_ok=True)
    await fill_demo(db, DemoSize(locations=20, audits=300), seed=7)
    approved = await Audit.filter(status="approved").prefetch_related("checklist")
    assert len(approved) > 200
    critical_failures_are_a_few_percent_of_visits(approved)
    loyalty_follows_quality_with_noise(approved)
    await every_approved_audit_has_its_required_photos_and_none_on_na(approved)
    counts_are_whole_and_comments_name_no_one(approved)


def critical_failures_are_a_few_percent_of_visits(demo: list[Audit]) -> None:
    share = sum(a.critical_failed for a in demo) / len(demo)
    assert 0.03 <= share <= 0.12, share


def loyalty_follows_quality_with_noise(demo: list[Audit]) -> None:
    pairs = [(a.overall, a.nps) for a in demo if a.overall is not None and a.nps is not None]
    assert len(pairs) > 200
    correlation = statistics.correlation([p[0] for p in pairs], [float(p[1]) for p in pairs])
    assert 0.3 < correlation < 0.98, correlation


async def every_approved_audit_has_its_required_photos_and_none_on_na(
    demo: list[Audit],
) -> None:
    photos: dict[int, set[str]] = {}
    for row in await Photo.all().values("audit_id", "item_id"):
        photos.setdefault(row["audit_id"], set()).add(row["item_id"])
    required = 0
    for audit in demo:
        checklist = parsed(audit.checklist)
        answers = stored_answers(audit)
        have = photos.get(audit.id, set())
        for item in visible_items(checklist, answers):
            answer = answers.get(item.id)
            if answer is not None and answer.na:
                assert item.id not in have, (audit.uuid, item.id)
            elif item.photo == "required" and answer is not None:
                required += 1
                assert item.id in have, (audit.uuid, item.id)
    assert required > 200


def counts_are_whole_and_comments_name_no_one(demo: list[Audit]) -> None:
    texts = 0
    for audit in demo:
        items = parsed(audit.checklist).item_map()
        for item_id, answer in stored_answers(audit).items():
            item = items[item_id]
            if item.integer and answer.value is not None:
                assert isinstance(answer.value, int), (item_id, answer.value)
            # A text fact (the phone number on the receipt) is no free text.
            free = item.type == "text" and item.fact is None
            for text in (answer.comment, answer.value if free else None):
                if isinstance(text, str):
                    texts += 1
                    assert find_flags(text) == [], text
    assert texts > 0


@pytest.mark.parametrize("kind", ["receipt", "storefront", "screenshot", "shelf"])
def test_demo_photos_are_drawn_scenes_not_flat_colour(kind: str) -> None:
    image = Image.open(BytesIO(demo_photo(kind, "Northwind Sports", random.Random(3))))
    assert image.size == (1200, 900)
    spread = ImageStat.Stat(image.convert("L")).stddev[0]
    assert spread > 25, spread
    colours: Any = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colours) > 500


def test_receipts_go_to_charge_items_and_storefronts_to_storefront_items() -> None:
    assert photo_kind("checkout_charged_correctly", "You were charged the shelf price") == "receipt"
    assert photo_kind("storefront_photo", "Photo of the store front") == "storefront"
    assert photo_kind("web_phone_screenshot", "Screenshot of the page") == "screenshot"


def test_the_critical_failure_rate_stays_within_the_realistic_range() -> None:
    assert critical_failure_rate(0.95) == pytest.approx(0.026)
    assert critical_failure_rate(0.1) == 0.12
