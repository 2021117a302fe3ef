"""What a crash leaves behind, cleared by the service itself (audit.housekeeping)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from audit.app import create_app
from audit.settings import Settings
from audit.store.photos import STALE_UPLOAD_SECONDS, remove_stale_uploads


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
    app = create_app(settings)

    async with app.router.lifespan_context(app):
        # The sweep runs in the background: the service answers meanwhile.
        for _ in range(200):
            if not any(files[name].exists() for name in STALE):
                break
            await asyncio.sleep(0.025)

    assert {name for name, path in files.items() if not path.exists()} == STALE
