"""Evidence photos for the demo that look like what an auditor uploads (Pillow drawing).

A receipt (white paper, lines of items, a total), a storefront (a facade with
a lit sign and windows), a phone screenshot of a web page, or a shelf of
products: never flat colour, so the report's evidence appendix reads like a
real one. Which one an item gets follows its id and text.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

SIZE = (1200, 900)
_ITEMS = ("Jersey, home, M", "Cap, navy", "HDMI cable 2 m", "Wall bracket", "Batteries AA x4")


def photo_kind(item_id: str, text: str) -> str:
    words = f"{item_id} {text}".lower()
    if any(w in words for w in ("receipt", "charged", "invoice", "price", "contract")):
        return "receipt"
    if any(w in words for w in ("screenshot", "website", "web_", "confirmation")):
        return "screenshot"
    if any(w in words for w in ("storefront", "showroom", "entrance", "facade")):
        return "storefront"
    return "shelf"


def demo_photo(kind: str, store_name: str, rng: random.Random) -> bytes:
    """A JPEG of ``kind`` (receipt | storefront | screenshot | shelf)."""
    draw_kind = {
        "receipt": _receipt,
        "storefront": _storefront,
        "screenshot": _screenshot,
    }.get(kind, _shelf)
    image = draw_kind(store_name, rng)
    # A little blur and grain, as a phone camera gives.
    image = image.filter(ImageFilter.GaussianBlur(0.8))
    noise = Image.effect_noise(SIZE, 12).convert("RGB")
    image = Image.blend(image, noise, 0.05)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def _receipt(store_name: str, rng: random.Random) -> Image.Image:
    w, h = SIZE
    image = Image.new("RGB", SIZE, (92, 74, 60))  # a wooden counter
    draw = ImageDraw.Draw(image)
    left, right = w // 2 - 230, w // 2 + 230
    draw.rectangle((left, 30, right, h - 30), fill=(250, 250, 246))
    y = 60
    draw.text((left + 30, y), store_name.upper(), fill=(20, 20, 20), font_size=34)
    y += 60
    draw.text((left + 30, y), "Receipt  ·  thank you for shopping", fill=(60, 60, 60), font_size=22)
    y += 50
    total = 0.0
    for name in rng.sample(_ITEMS, 3):
        price = rng.randrange(300, 4000) / 100
        total += price
        draw.text((left + 30, y), name, fill=(30, 30, 30), font_size=26)
        draw.text((right - 130, y), f"{price:8.2f}", fill=(30, 30, 30), font_size=26)
        y += 44
    draw.line((left + 30, y + 10, right - 30, y + 10), fill=(40, 40, 40), width=2)
    y += 30
    draw.text((left + 30, y), "TOTAL", fill=(0, 0, 0), font_size=34)
    draw.text((right - 160, y), f"{total:8.2f}", fill=(0, 0, 0), font_size=34)
    y += 70
    draw.text((left + 30, y), "Card payment approved", fill=(60, 60, 60), font_size=22)
    for x in range(left + 30, right - 30, 7):  # a barcode
        if rng.random() < 0.6:
            draw.line((x, h - 160, x, h - 70), fill=(0, 0, 0), width=rng.choice((2, 3, 4)))
    return image


def _storefront(store_name: str, rng: random.Random) -> Image.Image:
    w, h = SIZE
    image = Image.new("RGB", SIZE, (170, 200, 230))  # sky
    draw = ImageDraw.Draw(image)
    wall = (rng.randrange(150, 200), rng.randrange(140, 180), rng.randrange(120, 160))
    draw.rectangle((0, 120, w, h - 120), fill=wall)
    draw.rectangle((0, h - 120, w, h), fill=(110, 110, 115))  # pavement
    sign = (rng.randrange(20, 60), rng.randrange(60, 120), rng.randrange(120, 180))
    draw.rectangle((120, 160, w - 120, 290), fill=sign)
    draw.text((160, 190), store_name, fill=(255, 255, 255), font_size=64)
    for x in (120, 460, 800):  # windows with displays behind them
        draw.rectangle((x, 340, x + 280, h - 160), fill=(60, 80, 95))
        for _ in range(4):
            px, py = x + rng.randrange(10, 220), rng.randrange(400, h - 220)
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            draw.rectangle((px, py, px + 50, py + 60), fill=colour)
    draw.rectangle((520, 480, 680, h - 120), fill=(40, 40, 45))  # the door
    return image


def _screenshot(store_name: str, rng: random.Random) -> Image.Image:
    w = SIZE[0]
    image = Image.new("RGB", SIZE, (245, 246, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, w, 90), fill=(30, 60, 110))
    draw.text((40, 24), store_name, fill=(255, 255, 255), font_size=40)
    draw.rectangle((40, 130, w - 40, 180), fill=(225, 228, 235))
    draw.text(
        (60, 138), "Store finder  >  Opening hours and contact", fill=(40, 40, 40), font_size=26
    )
    y = 220
    for label in ("Mon-Fri 9:00-20:00", "Sat 9:00-18:00", "Sun closed", "Call the store"):
        draw.text((60, y), label, fill=(30, 30, 30), font_size=30)
        y += 60
    for _ in range(6):
        draw.rectangle((60, y, 60 + rng.randrange(400, 1000), y + 18), fill=(200, 204, 212))
        y += 40
    return image


def _shelf(store_name: str, rng: random.Random) -> Image.Image:
    w = SIZE[0]
    image = Image.new("RGB", SIZE, (225, 222, 215))
    draw = ImageDraw.Draw(image)
    for shelf_y in (250, 500, 750):
        draw.rectangle((40, shelf_y, w - 40, shelf_y + 16), fill=(120, 100, 80))
        x = 60
        while x < w - 140:
            bw, bh = rng.randrange(60, 130), rng.randrange(90, 200)
            colour = (rng.randrange(40, 230), rng.randrange(40, 230), rng.randrange(40, 230))
            draw.rectangle((x, shelf_y - bh, x + bw, shelf_y), fill=colour)
            x += bw + rng.randrange(6, 20)
    draw.text((50, 20), store_name, fill=(80, 80, 80), font_size=28)
    return image
