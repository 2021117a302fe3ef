"""What a crash leaves behind, cleared by the service itself (audit.housekeeping)."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

import audit.housekeeping
from audit.app import create_app
from audit.auth import new_token, token_hash
from audit.media import STALE_UPLOAD_SECONDS, remove_stale_uploads
from audit.models import LoginThrottle, Session, User
from audit.report.pool import report_cache
from audit.settings import Settings
from audit.store.accounts import (
    THROTTLE_WINDOW,
    delete_expired_sessions,
    delete_spent_throttles,
    now,
    open_session,
    session_principal,
)


def _file(path: Path, age_seconds: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8 half a photo")
    stamp = time.time() - age_seconds
    os.utime(path, (stamp, stamp))
    return path


def _left_over_uploads(media: Path) -> dict[str, Path]:
    """What a kill -9 in the middle of uploads leaves, beside what must stay."""
    return {
        "old upload": _file(media / "3f" / ".upload-k2j4h1", STALE_UPLOAD_SECONDS + 60),
        "old upload at the top": _file(media / ".upload-a8d0x9", 2 * 86400),
        "upload in progress": _file(media / "3f" / ".upload-q7w2e5", 5),
        "upload just under the age": _file(media / "c0" / ".upload-z1", STALE_UPLOAD_SECONDS - 60),
        "old photo": _file(media / "3f" / "3f9a.jpg", 30 * 86400),
        "old thumbnail": _file(media / "3f" / "3f9a-thumb.jpg", 30 * 86400),
        "old file named like an upload elsewhere": _file(
            media / "3f" / "upload-k2j4h1", STALE_UPLOAD_SECONDS + 60
        ),
    }


STALE = {"old upload", "old upload at the top"}


def test_only_upload_files_older_than_an_hour_are_removed(tmp_path: Path) -> None:
    files = _left_over_uploads(tmp_path / "media")

    removed = remove_stale_uploads(tmp_path / "media")

    assert removed == len(STALE)
    assert {name for name, path in files.items() if not path.exists()} == STALE


def test_a_missing_media_directory_removes_nothing(tmp_path: Path) -> None:
    assert remove_stale_uploads(tmp_path / "nowhere") == 0


async def test_the_service_start_removes_uploads_a_killed_process_left(
    settings: Settings,
) -> None:
    files = _left_over_uploads(settings.media_dir)
    cache = report_cache(settings).directory
    files["old cached PDF being written"] = _file(cache / "ab" / ".tmp-x1.pdf", 2 * 86400)
    files["cached PDF being written now"] = _file(cache / "ab" / ".tmp-x2.pdf", 5)
    files["old cached PDF"] = _file(cache / "ab" / "ab12.pdf", 30 * 86400)
    stale = {*STALE, "old cached PDF being written"}
    app = create_app(settings)

    async with app.router.lifespan_context(app):
        # The sweep runs in the background: the service answers meanwhile.
        for _ in range(200):
            if not any(files[name].exists() for name in stale):
                break
            await asyncio.sleep(0.025)

    assert {name for name, path in files.items() if not path.exists()} == stale


async def _user(email: str = "ann@x.test") -> User:
    return await User.create(email=email, role="auditor", password_hash="-")


async def _session(user: User, expires_in: timedelta) -> str:
    token = new_token()
    await Session.create(
        token_hash=token_hash(token),
        user=user,
        csrf_token=new_token(),
        expires_at=now() + expires_in,
    )
    return token


async def test_expired_sessions_are_deleted_and_live_ones_kept(db: Settings) -> None:
    ann, bob = await _user(), await _user("bob@x.test")
    live, _ = await open_session(ann)
    ending_soon = await _session(bob, timedelta(minutes=1))
    expired = [
        await _session(ann, -timedelta(seconds=1)),
        await _session(bob, -timedelta(days=30)),
    ]

    assert await delete_expired_sessions() == 2

    left = {row.token_hash for row in await Session.all()}
    assert left == {token_hash(live), token_hash(ending_soon)}
    assert not {token_hash(t) for t in expired} & left
    principal = await session_principal(live)
    assert principal is not None and principal.email == "ann@x.test"


async def test_spent_throttle_rows_are_deleted_and_the_ones_that_count_kept(
    db: Settings,
) -> None:
    stamp = now()
    past = stamp - THROTTLE_WINDOW - timedelta(minutes=1)
    rows = {
        "spent": dict(window_start=past, locked_until=None),
        "spent, its lock over": dict(window_start=past, locked_until=stamp - timedelta(seconds=1)),
        "window passed, still locked": dict(
            window_start=past, locked_until=stamp + timedelta(minutes=5)
        ),
        "window running": dict(window_start=stamp - timedelta(minutes=1), locked_until=None),
    }
    for key, fields in rows.items():
        await LoginThrottle.create(key=key, failures=3, **fields)

    assert await delete_spent_throttles() == 2

    assert sorted(r.key for r in await LoginThrottle.all()) == [
        "window passed, still locked",
        "window running",
    ]


async def test_the_service_deletes_expired_sessions_at_start_and_then_every_interval(
    db: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit.housekeeping, "DATABASE_SWEEP_SECONDS", 0.05)
    ann = await _user()
    live = await _session(ann, timedelta(days=1))
    await _session(ann, -timedelta(days=1))
    await LoginThrottle.create(
        key="email:ann@x.test", failures=9, window_start=now() - 2 * THROTTLE_WINDOW
    )
    app = create_app(db, manage_database=False)

    async def swept() -> tuple[set[str], int]:
        # The sweeps run in the background: the service answers meanwhile.
        for _ in range(200):
            state = (
                {row.token_hash for row in await Session.all()},
                await LoginThrottle.all().count(),
            )
            if state == ({token_hash(live)}, 0):
                break
            await asyncio.sleep(0.025)
        return state

    async with app.router.lifespan_context(app):
        assert await swept() == ({token_hash(live)}, 0)
        # A session that expires while the service runs goes at a later round.
        await _session(ann, timedelta(milliseconds=100))
        assert await swept() == ({token_hash(live)}, 0)
