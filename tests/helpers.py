"""Small helpers for API tests: seed users and locations, sign in, write with CSRF,
make audit bodies and images."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from audit.store.accounts import add_user
from audit.store.checklists import import_checklists, read_checklist_dir
from audit.store.locations import add_location

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
VISITED_AT = "2026-11-20T14:30:00Z"


async def seed(checklist_dir: Path | None = None) -> None:
    """Two locations in two regions, one auditor each role, the project's checklists."""
    found, problems = read_checklist_dir(checklist_dir or ROOT / "tests" / "fixtures" / "api")
    assert not problems, problems
    await import_checklists(found)
    await add_location("S1", "Riverside Mall", "North")
    await add_location("S2", "Hillcrest Plaza", "South")
    await add_user("auditor@x.test", "auditor", PASSWORD, "Ann Auditor")
    await add_user("auditor2@x.test", "auditor", PASSWORD, "Bob Auditor")
    await add_user("owner@x.test", "owner", PASSWORD, "Olga Owner", ["S1"])
    await add_user("owner2@x.test", "owner", PASSWORD, "Otto Owner", ["S2"])
    await add_user("hq@x.test", "hq", PASSWORD, "Hal HQ")


class Session:
    """A signed-in client that adds X-CSRF-Token to writes."""

    def __init__(self, client: httpx.AsyncClient, csrf: str, role: str) -> None:
        self.client = client
        self.csrf = csrf
        self.role = role

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.get(url, **kw)

    async def put(self, url: str, **kw: Any) -> httpx.Response:
        kw.setdefault("headers", {})["X-CSRF-Token"] = self.csrf
        return await self.client.put(url, **kw)

    async def post(self, url: str, **kw: Any) -> httpx.Response:
        kw.setdefault("headers", {})["X-CSRF-Token"] = self.csrf
        return await self.client.post(url, **kw)

    async def patch(self, url: str, **kw: Any) -> httpx.Response:
        kw.setdefault("headers", {})["X-CSRF-Token"] = self.csrf
        return await self.client.patch(url, **kw)

    async def delete(self, url: str, **kw: Any) -> httpx.Response:
        kw.setdefault("headers", {})["X-CSRF-Token"] = self.csrf
        return await self.client.delete(url, **kw)


async def sign_in(client: httpx.AsyncClient, email: str) -> Session:
    r = await client.post("/api/session", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return Session(client, r.json()["csrf_token"], r.json()["role"])


def new_uuid() -> str:
    return str(uuid.uuid4())


def audit_body(answers: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A draft (or submission) of the fixtures' ``shop`` checklist at S1; ``changes`` override."""
    return {
        "checklist": "shop",
        "location": "S1",
        "visited_at": VISITED_AT,
        "answers": answers,
        **changes,
    }


def image_bytes(fmt: str, size: tuple[int, int] = (60, 40), colour=(255, 0, 0), **save) -> bytes:
    mode = "RGBA" if fmt == "PNG" else "RGB"
    img = Image.new(mode, size, colour)
    out = io.BytesIO()
    img.save(out, fmt, **save)
    return out.getvalue()
