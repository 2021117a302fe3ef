"""The Origin check compares scheme, host and port; HSTS with AUDIT_HTTPS=1; photos and
reports are kept by no cache (issue 13, item 9)."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from audit.app import create_app
from audit.auth import COOKIE_NAME
from audit.models import Audit
from tests.helpers import PASSWORD, audit_body, new_uuid, seed
from tests.test_api_flow import ANSWERS
from tests.test_api_photos import phone_jpeg

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def client_for(app: Any, base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


async def write_with_origin(client: httpx.AsyncClient, origin: str) -> int:
    r = await client.post("/api/session", json={"email": "auditor@x.test", "password": PASSWORD})
    assert r.status_code == 200, r.text
    # Sent by hand: a Secure cookie (AUDIT_HTTPS=1) would not go out over the
    # plain-http leg a TLS proxy uses.
    cookie = f"{COOKIE_NAME}={r.cookies[COOKIE_NAME]}"
    r = await client.put(
        f"/api/audits/{new_uuid()}",
        json=audit_body(ANSWERS),
        headers={"Origin": origin, "X-CSRF-Token": r.json()["csrf_token"], "Cookie": cookie},
    )
    return r.status_code


@pytest.mark.parametrize(
    "origin",
    [
        "ftp://testserver",
        "https://testserver",  # the request came over http
        "http://testserver:8080",
        "http://testserver:443",
        "ws://testserver",
        "http://testserver.evil.example",
        "http://testserver@evil.example",
        "http://[testserver",
        "http://testserver:99999",
        "testserver",
        "null",
    ],
)
async def test_an_origin_of_another_scheme_or_port_is_403(client, db, origin):
    await seed()

    assert await write_with_origin(client, origin) == 403
    login = await client.post(
        "/api/session",
        json={"email": "hq@x.test", "password": PASSWORD},
        headers={"Origin": origin},
    )
    assert login.status_code == 403
    assert await Audit.all().count() == 0


@pytest.mark.parametrize(
    "origin",
    ["http://testserver", "http://testserver:80", "HTTP://TestServer", "http://testserver/"],
)
async def test_the_requests_own_origin_passes_however_it_is_spelled(client, db, origin):
    await seed()

    assert await write_with_origin(client, origin) == 201


async def test_over_https_only_the_https_origin_of_the_same_port_passes(app, db):
    await seed()
    async with client_for(app, "https://testserver") as https:
        assert await write_with_origin(https, "http://testserver") == 403
        assert await write_with_origin(https, "https://testserver:8443") == 403
        assert await write_with_origin(https, "https://testserver") == 201
    async with client_for(app, "https://testserver:8443") as other_port:
        assert await write_with_origin(other_port, "https://testserver") == 403
        assert await write_with_origin(other_port, "https://testserver:8443") == 201


async def test_behind_a_tls_proxy_audit_https_makes_the_https_origin_the_own_one(db):
    await seed()
    # The proxy speaks plain http to the service; the browser's origin is https.
    app = create_app(dataclasses.replace(db, https_only=True), manage_database=False)
    async with client_for(app, "http://testserver") as behind_proxy:
        assert await write_with_origin(behind_proxy, "https://testserver") == 201
        assert await write_with_origin(behind_proxy, "http://testserver") == 403
        assert await write_with_origin(behind_proxy, "ftp://testserver") == 403


async def test_hsts_is_sent_with_audit_https_only(app, db):
    await seed()
    secure = create_app(dataclasses.replace(db, https_only=True), manage_database=False)
    for path in ("/", "/api/session", "/healthz", "/hq"):
        async with client_for(secure, "https://testserver") as c:
            r = await c.get(path)
            assert r.headers["strict-transport-security"] == "max-age=31536000", path
        async with client_for(app, "http://testserver") as c:
            assert "strict-transport-security" not in (await c.get(path)).headers, path


async def test_photos_and_reports_are_private_and_not_stored(login, db):
    await seed()
    auditor = await login("auditor@x.test")
    uid, photo = new_uuid(), new_uuid()
    assert (await auditor.put(f"/api/audits/{uid}", json=audit_body(ANSWERS))).status_code == 201
    r = await auditor.put(f"/api/audits/{uid}/photos/{photo}?item=clean", content=phone_jpeg())
    assert r.status_code == 201, r.text
    assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200
    hq = await login("hq@x.test")
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200, r.text
    owner = await login("owner@x.test")

    for who in (auditor, hq, owner):
        for size in ("", "?size=thumb"):
            r = await who.get(f"/api/audits/{uid}/photos/{photo}{size}")
            assert r.status_code == 200
            assert r.headers["cache-control"] == "private, no-store"
    for who in (hq, owner):
        pdf = await who.get(f"/api/audits/{uid}/report.pdf")
        assert pdf.status_code == 200
        assert pdf.headers["cache-control"] == "private, no-store"
        assert pdf.headers["etag"]
        data = await who.get(f"/api/audits/{uid}/report.json")
        assert "no-store" in data.headers["cache-control"]
