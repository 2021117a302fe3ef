"""Evidence files on disk: written atomically under server-made names, swept after a crash.

The rows that say which files exist are :mod:`audit.store.photos`'; this
module only moves bytes.  Names come from :func:`audit.photos.photo_filenames`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

from audit.photos import ProcessedPhoto

# A photo is written under this prefix, then renamed into place.
UPLOAD_PREFIX = ".upload-"
# A temporary file lives from its creation to its rename: the write and fsync
# of one processed photo, seconds even on a slow network volume.  Another
# worker (on this machine or another one sharing the directory) may be in that
# window right now, so only a file untouched for an hour is taken for one a
# killed process left behind; the hour also covers clocks of machines sharing
# the volume that disagree by minutes.
STALE_UPLOAD_SECONDS = 3600


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=UPLOAD_PREFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def store_files(media_dir: Path, names: tuple[str, str], photo: ProcessedPhoto) -> None:
    """The photo and its thumbnail under ``names``, each complete or not there at all."""
    _write_atomically(media_dir / names[0], photo.image)
    _write_atomically(media_dir / names[1], photo.thumbnail)


def remove_files(media_dir: Path, names: tuple[str, str]) -> None:
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            (media_dir / name).unlink()


def remove_stale_uploads(
    media_dir: Path, older_than: float = STALE_UPLOAD_SECONDS, prefix: str = UPLOAD_PREFIX
) -> int:
    """Delete the temporary files (``prefix``…) a killed process left; return how many."""
    cutoff = time.time() - older_than
    removed = 0
    for root, _, files in os.walk(media_dir):
        for name in files:
            if not name.startswith(prefix):
                continue
            path = Path(root) / name
            # Gone meanwhile: renamed into place, or swept by another worker.
            with contextlib.suppress(FileNotFoundError):
                if path.lstat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
    return removed
