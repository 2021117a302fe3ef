"""Decode slots: caps per auditor and in all, fair between auditors (audit.decoding)."""

from __future__ import annotations

import asyncio

import pytest

from audit.decoding import DecodeSlots, PhotoDecoder, Slot
from audit.errors import ServiceUnavailable, TooManyRequests
from audit.photos import PhotoError
from tests.test_photos import encode, photo, png_of_zero_rows

ANN, BOB, CAT = 1, 2, 3
SHORT = 0.05  # seconds: how long a refused acquire waits here
SMALL, LARGE = 300_000, 5_000_000  # bytes: the PWA's 1600 px JPEG; a 40 MP PNG


async def test_an_auditor_at_the_cap_waits_briefly_then_gets_429_while_others_go_on() -> None:
    # Ann's third waits only over_cap_wait; Bob's first would wait the long `wait`.
    slots = DecodeSlots(total=4, per_user=2)
    await slots.acquire(ANN)
    await slots.acquire(ANN)

    with pytest.raises(TooManyRequests) as refused:
        await slots.acquire(ANN, over_cap_wait=SHORT)
    await asyncio.wait_for(slots.acquire(BOB), 1)

    assert refused.value.headers["Retry-After"]
    assert "body" in refused.value.fields
    assert (slots.running(ANN), slots.running(BOB)) == (2, 1)


async def test_a_server_with_every_slot_busy_answers_503_after_the_wait() -> None:
    slots = DecodeSlots(total=2, per_user=2, express=1)
    await slots.acquire(ANN, LARGE)
    await slots.acquire(BOB, LARGE)

    with pytest.raises(ServiceUnavailable) as refused:
        await slots.acquire(CAT, LARGE, wait=SHORT)  # too large for the express slot

    assert refused.value.headers["Retry-After"]
    assert slots.running(CAT) == 0


async def test_one_auditor_never_holds_every_slot() -> None:
    slots = DecodeSlots(total=2, per_user=2, express=0)  # two cores
    await slots.acquire(ANN)

    with pytest.raises(TooManyRequests):
        await slots.acquire(ANN, over_cap_wait=SHORT)
    await asyncio.wait_for(slots.acquire(BOB, wait=SHORT), 1)


async def test_a_small_photo_takes_the_express_slot_while_large_ones_fill_the_others() -> None:
    slots = DecodeSlots(total=2, per_user=2, express=1)
    await slots.acquire(ANN, LARGE)
    await slots.acquire(BOB, LARGE)
    queued = asyncio.create_task(slots.acquire(ANN, LARGE, wait=5))
    await asyncio.sleep(0)

    small = await asyncio.wait_for(slots.acquire(CAT, SMALL, wait=SHORT), 1)
    with pytest.raises(ServiceUnavailable):  # the express slot is Cat's now
        await slots.acquire(BOB + 10, SMALL, wait=SHORT)

    assert small.express
    assert not queued.done()
    queued.cancel()


async def test_a_freed_slot_goes_to_the_auditor_with_fewest_running_then_least_decoded() -> None:
    slots = DecodeSlots(total=3, per_user=2, express=0)
    for user in (ANN, ANN, BOB):
        await slots.acquire(user, LARGE)
    ann_third = asyncio.create_task(slots.acquire(ANN, LARGE, wait=5))  # first, Ann at her cap
    bob_second = asyncio.create_task(slots.acquire(BOB, LARGE, wait=5))
    cat_first = asyncio.create_task(slots.acquire(CAT, SMALL, wait=5))
    await asyncio.sleep(0)

    slots.release(Slot(BOB, express=False))  # Bob and Cat have none running; Cat decoded less
    cat = await asyncio.wait_for(cat_first, 1)
    assert not bob_second.done()
    slots.release(Slot(ANN, express=False))  # Bob (0 running) before Ann (1), who asked first
    await asyncio.wait_for(bob_second, 1)
    assert not ann_third.done()
    slots.release(cat)
    await asyncio.wait_for(ann_third, 1)

    assert (slots.running(ANN), slots.running(BOB), slots.running(CAT)) == (2, 1, 0)


async def test_a_cancelled_wait_leaves_no_slot_taken() -> None:
    slots = DecodeSlots(total=1, express=0)
    ann = await slots.acquire(ANN)
    waiting = asyncio.create_task(slots.acquire(BOB, wait=5))
    await asyncio.sleep(0)

    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    slots.release(ann)

    await asyncio.wait_for(slots.acquire(CAT, wait=SHORT), 1)
    assert slots.running(BOB) == 0


async def test_the_decoder_processes_photos_in_its_workers_and_refuses_bombs() -> None:
    decoder = PhotoDecoder(workers=2)
    try:
        processed, refused = await asyncio.gather(
            decoder.process(ANN, encode(photo((640, 480)), "PNG")),
            decoder.process(BOB, png_of_zero_rows(8192, 6400, bit_depth=8, color_type=2)),
            return_exceptions=True,
        )
    finally:
        await asyncio.to_thread(decoder.close)

    assert not isinstance(processed, BaseException)
    assert (processed.width, processed.height) == (640, 480)
    assert isinstance(refused, PhotoError)
    assert refused.status == 422
    assert "decompression bomb" in refused.message
