"""Online backups: a consistent copy of the database plus the media files.

SQLite uses its online backup API (readers and the writer carry on while the
copy is made); PostgreSQL uses ``pg_dump --format=custom``.  Media files are
written once and never changed (photos have server-made names), so copying
them after the database snapshot catches every photo the snapshot refers to.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from audit import __version__, migrations
from audit.media import UPLOAD_PREFIX
from audit.settings import Settings
from audit.store.rollups import rebuild_statements

MANIFEST = "backup.json"
SQLITE_FILE = "audit.sqlite3"
PG_FILE = "audit.pgdump"


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupResult:
    path: Path
    database_file: str
    media_files: int


def _sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite://"):
        return Path(url.removeprefix("sqlite://"))
    return None


def backup(settings: Settings, target: Path) -> BackupResult:
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target}: already exists and is not empty")
    target.mkdir(parents=True, exist_ok=True)
    db_path = _sqlite_path(settings.database_url)
    if db_path is not None:
        if not db_path.is_file():
            raise BackupError(f"{db_path}: no database there")
        source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        dest = sqlite3.connect(target / SQLITE_FILE)
        try:
            source.backup(dest)
            check = dest.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dest.close()
            source.close()
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
        database_file = SQLITE_FILE
    else:
        url = settings.database_url.replace("postgres://", "postgresql://", 1)
        try:
            subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", f"--file={target / PG_FILE}", url],
                check=True,
                capture_output=True,
                text=True,
            )
        except FileNotFoundError:
            raise BackupError("pg_dump is not installed") from None
        except subprocess.CalledProcessError as exc:
            raise BackupError(f"pg_dump failed: {exc.stderr.strip()}") from None
        database_file = PG_FILE
    count = 0
    if settings.media_dir.is_dir():
        for root, _, files in os.walk(settings.media_dir):
            for name in files:
                if name.startswith(UPLOAD_PREFIX):
                    continue  # an upload in flight; its row does not exist yet
                src = Path(root) / name
                dst = target / "media" / src.relative_to(settings.media_dir)
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
                count += 1
    manifest = {
        "created_at": datetime.now(UTC).isoformat(),
        "audit_version": __version__,
        "database": database_file,
        "media_files": count,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return BackupResult(target, database_file, count)


def _rebuild_rollups(db: sqlite3.Connection) -> None:
    """Recounts the restored audits into the rollups (audit.store.rollups).

    Only a copy of this version's schema: an older one is migrated when the
    database is next opened, and the migrations that add rollups count its
    audits.  (The copy's own rollups agree with its audits either way: the
    backup is one consistent snapshot.)
    """
    known = {path.stem for path in Path(migrations.__file__).parent.glob("[0-9]*.py")}
    try:
        applied = {
            name
            for (name,) in db.execute("SELECT name FROM tortoise_migrations WHERE app = 'models'")
        }
    except sqlite3.OperationalError:  # not migrated at all
        return
    if not known <= applied:
        return
    with db:  # one transaction
        for statement in rebuild_statements("sqlite"):
            db.execute(statement)


def restore(settings: Settings, source: Path) -> BackupResult:
    """Restore a SQLite backup into the configured (empty) locations."""
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{source}: not a backup (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text())
    db_path = _sqlite_path(settings.database_url)
    if manifest.get("database") != SQLITE_FILE or db_path is None:
        raise BackupError(
            "only SQLite backups restore with this command; for PostgreSQL use "
            f"pg_restore --no-owner -d DATABASE {source / PG_FILE}"
        )
    if db_path.exists():
        raise BackupError(f"{db_path}: a database is already there; move it away first")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source / SQLITE_FILE}?mode=ro", uri=True)
    dest = sqlite3.connect(db_path)
    try:
        src.backup(dest)
        _rebuild_rollups(dest)
    finally:
        dest.close()
        src.close()
    count = 0
    media = source / "media"
    if media.is_dir():
        for root, _, files in os.walk(media):
            for name in files:
                s = Path(root) / name
                d = settings.media_dir / s.relative_to(media)
                d.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(s, d)
                count += 1
    return BackupResult(db_path, SQLITE_FILE, count)
