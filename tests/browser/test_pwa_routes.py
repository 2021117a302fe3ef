"""audit/pwa.py: the shell's routes and headers (no browser needed)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import httpx
from starlette.applications import Starlette

from audit.pwa import build_shell, pwa_routes

STATIC = Path(__file__).resolve().parents[2] / "static"


def client(static_dir: Path) -> httpx.AsyncClient:
    app = Starlette(routes=pwa_routes(static_dir))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def sw_version(text: str) -> str:
    match = re.search(r"const VERSION = '([0-9a-f]+)';", text)
    assert match, text[:500]
    return match.group(1)


async def test_index_is_served_no_cache() -> None:
    async with client(STATIC) as app:
        response = await app.get("/")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/js/app.js">' in response.text


async def test_service_worker_has_the_shell_version_and_files_injected() -> None:
    async with client(STATIC) as app:
        response = await app.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(sw_version(response.text)) == 12
    assert "__SHELL" not in response.text
    listed = re.search(r"const SHELL = (\[.*?\]);", response.text)
    assert listed
    files = json.loads(listed.group(1))
    assert {"/", "/manifest.webmanifest", "/static/js/app.js", "/static/css/app.css"} <= set(files)
    assert "/static/sw.js" not in files
    # Every language's catalogue: the app works offline in each.
    assert {"/static/i18n/en.json", "/static/i18n/fr.json"} <= set(files)
    assert all(
        f in ("/", "/manifest.webmanifest")
        or f.startswith(("/static/js/", "/static/css/", "/static/icons/", "/static/i18n/"))
        for f in files
    )
    async with client(STATIC) as app:
        again = await app.get("/sw.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


async def test_every_shell_file_is_served() -> None:
    async with client(STATIC) as app:
        for url in build_shell(STATIC).urls:
            response = await app.get(url)
            assert response.status_code == 200, url
            assert response.headers["cache-control"] == "no-cache", url


async def test_manifest_is_installable() -> None:
    async with client(STATIC) as app:
        response = await app.get("/manifest.webmanifest")
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["display"] == "standalone"
    assert manifest["name"] and manifest["theme_color"] and manifest["start_url"] == "/"
    purposes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes


def test_changing_any_shell_file_changes_the_version(tmp_path: Path) -> None:
    copy = tmp_path / "static"
    shutil.copytree(STATIC, copy)
    before = build_shell(copy).version
    assert build_shell(copy).version == before
    css = copy / "css" / "app.css"
    css.write_text(css.read_text() + "\n/* changed */\n")
    changed = build_shell(copy).version
    assert changed != before
    # Files outside the auditor's app are not part of its shell.
    (copy / "other").mkdir()
    (copy / "other" / "page.js").write_text("// another page")
    assert build_shell(copy).version == changed


def test_static_files_do_not_use_inline_scripts_or_style_attributes() -> None:
    # The server's CSP forbids both; the app builds its DOM without them.
    html = (STATIC / "index.html").read_text()
    assert "<script>" not in html and "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    for path in (STATIC / "js").rglob("*.js"):
        text = path.read_text()
        assert "innerHTML" not in text, path
        assert "'style'" not in text and '"style"' not in text, path
