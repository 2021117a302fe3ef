"""A realistic report without a database: for tests, the benchmark and previews.

One visit of the electronics-store checklist with mixed answers, comments, a
critical failure (the restroom refused, as in the story every mystery shopper
knows), six evidence photos drawn with Pillow and passed through the real
photo pipeline, benchmarks and a trend of five earlier audits.
"""

from __future__ import annotations

import random
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

from audit.answers import parse_answers
from audit.checklist import Checklist, load_checklist
from audit.photos import process_photo
from audit.report.data import (
    Benchmarks,
    LocationNps,
    Rank,
    ReportData,
    TrendPoint,
    without_hq_items,
    without_unshown_evidence,
)
from audit.scoring import score_answers

CHECKLISTS_DIR = Path(__file__).resolve().parents[2] / "checklists"

SAMPLE_ANSWERS: dict[str, dict[str, Any]] = {
    "web_store_hours": {"value": True},
    "web_hours_today": {"value": {"from": "10:00", "to": "21:00"}},
    "web_store_phone": {
        "value": False,
        "comment": "Only the national hotline was listed on the store page.",
    },
    "web_phone_number": {"na": True},
    "web_minutes_to_info": {"value": 4},
    "web_stock_info": {"value": "online_only"},
    "web_tv_price": {"value": {"amount": "1099.00", "currency": "USD"}},
    "web_mobile_ease": {"value": 4},
    "inquiry_seconds_to_person": {"value": 38, "comment": "A recorded menu first, then a person."},
    "inquiry_number_dialled": {"value": "(312) 555-0142"},
    "inquiry_greeting": {"value": True},
    "inquiry_needs_asked": {"value": True},
    "inquiry_answers_quality": {
        "value": 4,
        "comment": "Clear advice on two models; unsure about the wall-mount price.",
    },
    "inquiry_patient": {"value": True},
    "inquiry_contact_taken": {"value": True},
    "inquiry_visit_invited": {"value": False},
    "callback_received": {
        "value": False,
        "comment": "No call within three business days; I booked the visit myself on day four.",
    },
    "confirmation_received": {"value": True},
    "confirmation_contact_name": {"value": True},
    "confirmation_address": {"value": True},
    "confirmation_screenshot": {},
    "arrival_found_easily": {"value": True},
    "door_hours": {"value": {"from": "10:00", "to": "20:00"}},
    "arrival_parking": {"na": True, "comment": "Arrived by bus."},
    "storefront_photo": {},
    "arrival_greeting_seconds": {"value": 25},
    "arrival_appointment_ready": {
        "value": "covered",
        "comment": "Daniel was off sick; Priya had the booking and took over straight away.",
    },
    "floor_clean": {"value": 4},
    "demo_units_faulty": {"value": 2, "comment": "Two soundbars on the demo wall had no power."},
    "prices_labeled": {"value": False, "comment": "Two 65-inch models had no price label."},
    "shelf_tv_price": {"value": {"amount": "1149.00", "currency": "USD"}},
    "restroom_access": {
        "value": "refused",
        "comment": "Told the restroom is staff only and sent to the café across the car park.",
    },
    "demo_needs_recap": {"value": True},
    "demo_models_shown": {"value": 3},
    "demo_differences_clear": {
        "value": 5,
        "comment": "Excellent side-by-side comparison in the dimmed demo room.",
    },
    "demo_questions_answered": {"value": True},
    "demo_addons": {"value": "relevant"},
    "demo_delivery_explained": {"value": True},
    "staff_courteous": {"value": True},
    "store_notes": {
        "value": (
            "Priya was knowledgeable and relaxed; she let me compare picture modes for as long"
            " as I wanted.\nThe store was busy around noon but never felt chaotic."
        )
    },
    "checkout_wait_minutes": {"value": 6},
    "checkout_charged_correctly": {"value": True},
    "checkout_receipt_itemized": {"value": True},
    "receipt_tv_price": {"value": {"amount": "1149.00", "currency": "USD"}},
    "receipt_phone_number": {"value": "312-555-0142"},
    "checkout_delivery_booked": {"value": True},
    "checkout_aftersales_explained": {"value": False},
    "checkout_thanked": {"value": True},
    "order_message": {"value": True},
    "delivery_updates": {"value": True},
    "delivery_scheduling_call": {"value": True},
    "delivery_minutes_late": {"value": 20},
    "delivery_home_protected": {"value": True},
    "installation_working": {"value": True},
    "installation_demonstrated": {
        "value": False,
        "comment": "The installers left as soon as the picture came on.",
    },
    "delivery_damage_free": {"value": True},
    "followup_call_received": {"value": False},
    "followup_contact_given": {"value": True},
    "followup_question_handling": {"value": "callback_late"},
    "recommend": {"value": 7},
    "final_notes": {
        "value": (
            "Good product advice and a smooth delivery; the weak points were the missing"
            " call-back, the refused restroom and no follow-up after installation."
        )
    },
}

# item id → (caption drawn in the picture, base colour)
SAMPLE_PHOTOS: dict[str, list[tuple[str, tuple[int, int, int]]]] = {
    "confirmation_screenshot": [("Booking confirmation", (226, 232, 240))],
    "storefront_photo": [("Storefront", (92, 120, 150)), ("Entrance signage", (120, 110, 96))],
    "prices_labeled": [("Demo wall, 65-inch", (40, 44, 56)), ("Missing price label", (70, 76, 90))],
    "checkout_charged_correctly": [("Receipt", (238, 236, 228))],
}


def sample_checklist() -> Checklist:
    return load_checklist(CHECKLISTS_DIR / "electronics-store.yaml")


def draw_photo(
    caption: str, colour: tuple[int, int, int], seed: int, size: tuple[int, int] = (1600, 1200)
) -> bytes:
    """A photo-like JPEG: soft shapes and noise, so it compresses like a real one."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    w, h = size
    for _ in range(18):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = x0 + rng.randrange(w // 20, w // 2), y0 + rng.randrange(h // 20, h // 2)
        shade = tuple(max(0, min(255, c + rng.randrange(-60, 61))) for c in colour)
        draw.rectangle((x0, y0, x1, y1), fill=shade)
    image = image.filter(ImageFilter.GaussianBlur(6))
    noise = Image.effect_noise(size, 18).convert("RGB")
    image = Image.blend(image, noise, 0.08)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, h * 7 // 8, w, h), fill=(20, 24, 30))
    draw.text((w // 40, h * 9 // 10), caption, fill=(255, 255, 255), font_size=max(8, h // 17))
    out = BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def write_sample_photos(
    photo_dir: Path,
) -> tuple[dict[str, tuple[Path, ...]], dict[str, tuple[Path, ...]]]:
    """The six sample photos as the service stores them: thumbnails and full images."""
    photo_dir.mkdir(parents=True, exist_ok=True)
    thumbs: dict[str, tuple[Path, ...]] = {}
    images: dict[str, tuple[Path, ...]] = {}
    seed = 0
    for item_id, shots in SAMPLE_PHOTOS.items():
        thumb_paths, image_paths = [], []
        for caption, colour in shots:
            seed += 1
            thumb = photo_dir / f"{item_id}-{seed}-thumb.jpg"
            image = photo_dir / f"{item_id}-{seed}.jpg"
            if not (thumb.exists() and image.exists()):
                processed = process_photo(draw_photo(caption, colour, seed))
                thumb.write_bytes(processed.thumbnail)
                image.write_bytes(processed.image)
            thumb_paths.append(thumb)
            image_paths.append(image)
        thumbs[item_id] = tuple(thumb_paths)
        images[item_id] = tuple(image_paths)
    return thumbs, images


def sample_report_data(
    photo_dir: Path,
    answers: dict[str, dict[str, Any]] | None = None,
    checklist: Checklist | None = None,
) -> ReportData:
    checklist = checklist or sample_checklist()
    raw = {k: dict(v) for k, v in (answers or SAMPLE_ANSWERS).items()}
    photos, images = (
        write_sample_photos(photo_dir) if checklist.id == "electronics-store" else ({}, {})
    )
    for item_id, paths in photos.items():
        if item_id in raw:
            raw[item_id]["photos"] = [p.stem for p in paths]
    parsed = parse_answers(checklist, raw)
    scorecard = score_answers(checklist, parsed)
    touchpoints = checklist.touchpoints()
    brand_tp = dict(
        zip(touchpoints, (78.5, 71.0, 83.2, 76.4, 80.1, 88.0, 74.9, 58.3), strict=False)
    )
    region_tp = dict(
        zip(touchpoints, (75.0, 66.4, 80.0, 72.5, 77.7, 85.2, 70.3, 52.0), strict=False)
    )
    report = ReportData(
        brand="Brightline Electronics",
        location_code="BL-0142",
        location_name="Brightline Riverside Plaza",
        region="North West",
        visit_date=date(2025, 3, 14),
        checklist=checklist,
        scorecard=scorecard,
        photos=photos,
        images=images,
        benchmarks=Benchmarks(
            brand_avg=74.6,
            brand_count=412,
            region_avg=70.2,
            region_count=37,
            brand_touchpoints=brand_tp,
            region_touchpoints=region_tp,
        ),
        region_rank=Rank(9, 14),
        brand_rank=Rank(96, 131),
        location_nps=LocationNps(-20.0, 1, 2, 5, 5),
        trend=(
            *(
                TrendPoint(day, overall, _earlier_touchpoints(scorecard.touchpoints, i))
                for i, (day, overall) in enumerate(SAMPLE_TREND)
            ),
            TrendPoint(date(2025, 3, 14), scorecard.overall, dict(scorecard.touchpoints)),
        ),
        generated_at=date(2025, 3, 20),
        reference="5f0c2a9e-7d1b-4c3e-9a7f-2b8d6e4c1a03",
    )
    return without_unshown_evidence(without_hq_items(report))


# Earlier visits of the sample location, unevenly spaced as real ones are.
SAMPLE_TREND = (
    (date(2024, 3, 8), 61.2),
    (date(2024, 4, 2), 66.8),
    (date(2024, 9, 12), 69.5),
    (date(2024, 12, 5), 72.4),
)


def _earlier_touchpoints(now: dict[str, float | None], visits_ago: int) -> dict[str, float | None]:
    """Touchpoint scores of an earlier sample visit: this visit's, somewhat lower."""
    rng = random.Random(visits_ago)
    return {
        tp: None
        if score is None
        else max(0.0, min(100.0, score - 12 + 3 * visits_ago + rng.uniform(-8, 8)))
        for tp, score in now.items()
    }
