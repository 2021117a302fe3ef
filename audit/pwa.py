"""The auditor's app (``static/``): its shell, service worker and manifest.

The service worker caches the app shell under a version made from a hash of
the shell's files, so a changed file is a new cache and the old one is
dropped on activate.  The version and the list of files are injected into
``sw.js`` once at start-up; everything that decides whether a browser sees a
new app (``/``, ``/sw.js``, the manifest, the files) is served ``no-cache``,
which still lets the browser revalidate cheaply with ETags.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

NO_CACHE = "no-cache"
VERSION_PLACEHOLDER = "__SHELL_VERSION__"
FILES_PLACEHOLDER = '"__SHELL_FILES__"'
# What the service worker precaches: the auditor's app. Anything else under
# static/ (other pages' assets, a README) is served but not part of the shell,
# so changing it neither grows the offline cache nor makes a new app version.
SHELL_FILES = ("index.html", "manifest.webmanifest")
# i18n/ holds the catalogues of the app's words: every language works offline.
SHELL_DIRS = ("css", "js", "icons", "i18n")
SHELL_SUFFIXES = frozenset({".css", ".js", ".png", ".svg", ".json"})
# Twelve hex digits: collisions between two releases are not a practical concern.
VERSION_LENGTH = 12


class NoCacheStaticFiles(StaticFiles):
    """StaticFiles whose answers are always revalidated (the service worker caches)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = NO_CACHE
        return response


@dataclass(frozen=True)
class Shell:
    version: str
    urls: tuple[str, ...]
    service_worker: bytes


def shell_files(static_dir: Path) -> list[Path]:
    """The shell's files in a stable order (``sw.js`` itself excluded)."""
    found = [static_dir / name for name in SHELL_FILES]
    for folder in SHELL_DIRS:
        found += (
            path
            for path in (static_dir / folder).rglob("*")
            if path.is_file() and path.suffix in SHELL_SUFFIXES
        )
    return sorted(found)


def build_shell(static_dir: Path) -> Shell:
    """Hash the shell and render ``sw.js`` with its version and file list."""
    digest = hashlib.sha256()
    urls: list[str] = ["/", "/manifest.webmanifest"]
    template_path = static_dir / "sw.js"
    template = template_path.read_bytes()
    for path in [*shell_files(static_dir), template_path]:
        relative = path.relative_to(static_dir).as_posix()
        # The name is hashed too, so renaming a file is a new version.
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
        if path != template_path and relative not in ("index.html", "manifest.webmanifest"):
            urls.append(f"/static/{relative}")
    version = digest.hexdigest()[:VERSION_LENGTH]
    rendered = template.replace(VERSION_PLACEHOLDER.encode(), version.encode()).replace(
        FILES_PLACEHOLDER.encode(), json.dumps(urls).encode()
    )
    return Shell(version=version, urls=tuple(urls), service_worker=rendered)


def pwa_routes(static_dir: Path) -> list[BaseRoute]:
    """``/``, ``/sw.js``, ``/manifest.webmanifest`` and ``/static/...``."""
    static_dir = Path(static_dir)
    shell = build_shell(static_dir)
    index_path = static_dir / "index.html"
    manifest_path = static_dir / "manifest.webmanifest"

    async def index(request: Request) -> Response:
        return FileResponse(index_path, media_type="text/html", headers={"Cache-Control": NO_CACHE})

    etag = f'"{shell.version}"'
    sw_headers = {"Cache-Control": NO_CACHE, "Service-Worker-Allowed": "/", "ETag": etag}

    async def service_worker(request: Request) -> Response:
        # Browsers check for a new worker on every navigation: usually a 304.
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=sw_headers)
        return Response(shell.service_worker, media_type="text/javascript", headers=sw_headers)

    async def manifest(request: Request) -> Response:
        return FileResponse(
            manifest_path,
            media_type="application/manifest+json",
            headers={"Cache-Control": NO_CACHE},
        )

    return [
        Route("/", index, name="pwa_index"),
        Route("/sw.js", service_worker, name="pwa_service_worker"),
        Route("/manifest.webmanifest", manifest, name="pwa_manifest"),
        Mount("/static", app=NoCacheStaticFiles(directory=static_dir), name="static"),
    ]
