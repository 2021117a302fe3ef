"""Brands as tenants of the agency (docs/brands.md): what belongs to a brand, and
an HQ user limited to brands seeing nothing of another brand's, anywhere.

Two brands: "Audit" (S1, S2, where seed() puts its locations) and "Other"
(O1).  Each has one approved audit; "Other" also has one submitted.  Every
list, page, export and aggregate an HQ user of "Other" reads must name O1
and never S1 or S2, and figures must count only O1's audits.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from audit.checklist import ChecklistError, parse_checklist
from audit.demo import DEMO_PASSWORD, DemoSize, fill_demo
from audit.models import (
    Assignment,
    Audit,
    ChecklistVersion,
    User,
    UserBrand,
    Wave,
    WebhookDelivery,
    WebhookEndpoint,
)
from audit.store.accounts import add_user
from audit.store.checklists import import_checklists
from audit.store.locations import add_location
from tests.conftest import make_client
from tests.helpers import audit_body, new_uuid, seed

ANSWERS: dict[str, Any] = {
    "answered": {"value": True},
    "rings": {"value": 2},
    "needed_restroom": {"value": False},
    "clean": {"value": 5},
    "recommend": {"value": 10},
    "notes": {"value": "Fine."},
}
OTHER_YAML = """\
id: other-visit
title: Other brand visit
brand: Other
sections:
  - id: phone
    title: Phone
    touchpoint: phone
    items:
      - id: answered
        text: Answered
        type: yes_no
"""
# What names the "Audit" brand's rows in any answer.
AUDIT_BRAND_WORDS = (
    *(f"{q}{code}{end}".encode() for code in ("S1", "S2") for q, end in ('""', "><", "\n,")),
    b"Riverside Mall",
    b"Hillcrest Plaza",
    b"Audit wave",
    b"owner@x.test",
    b"brand-hq@x.test",
)


async def _audit(auditor, hq, location: str, *, approve: bool) -> str:
    uuid = new_uuid()
    r = await auditor.put(f"/api/audits/{uuid}", json=audit_body(ANSWERS, location=location))
    assert r.status_code == 201, r.text
    r = await auditor.post(f"/api/audits/{uuid}/submit")
    assert r.status_code == 200, r.text
    if approve:
        r = await hq.post(f"/api/audits/{uuid}/review", json={"decision": "approve", "note": ""})
        assert r.status_code == 200, r.text
    return uuid


@pytest.fixture
async def tenants(db, login):
    await seed()
    await add_location("O1", "Other Brand Store", "North", brand="Other")
    await import_checklists([("other.yaml", parse_checklist(OTHER_YAML, "other.yaml"))])
    await add_user("other-hq@x.test", "hq", "correct horse battery", "Oz Other", brands=["Other"])
    await add_user("brand-hq@x.test", "hq", "correct horse battery", "Bea Brand", brands=["Audit"])
    await add_user(
        "other-auditor@x.test", "auditor", "correct horse battery", "Oli", brands=["Other"]
    )
    hq, auditor = await login("hq@x.test"), await login("auditor@x.test")
    audits = {
        "S1": await _audit(auditor, hq, "S1", approve=True),
        "O1": await _audit(auditor, hq, "O1", approve=True),
        "O1-queued": await _audit(auditor, hq, "O1", approve=False),
        "S2-queued": await _audit(auditor, hq, "S2", approve=False),
    }
    for code in ("S1", "O1"):
        r = await hq.post("/api/assignments", json={"location": code, "checklist": "shop"})
        assert r.status_code == 201, r.text
    for name, code in (("Audit wave", "S1"), ("Other wave", "O1")):
        r = await hq.post(
            "/api/waves",
            json={
                "name": name,
                "checklist": "shop",
                "locations": [code],
                "from": "2026-06-01",
                "to": "2026-06-30",
            },
        )
        assert r.status_code == 201, r.text
    return audits, hq, await login("other-hq@x.test")


def assert_only_other_brand(body: bytes, label: str) -> None:
    for word in AUDIT_BRAND_WORDS:
        assert word not in body, f"{label} names {word.decode()!r} of the other brand"


READS = [
    "/api/locations",
    "/api/audits",
    "/api/audits?status=submitted",
    "/api/compare?checklist=shop&from=",
    "/api/compare.csv?checklist=shop&from=",
    "/api/heatmap?checklist=shop&group=location&from=",
    "/api/trends?checklist=shop&from=2026-01-01",
    "/api/weakest-items?checklist=shop&from=",
    "/api/review-queue",
    "/api/audits.csv?status=all",
    "/api/answers.csv?status=all",
    "/api/assignments",
    "/api/waves",
    "/api/appeals",
    "/api/actions",
    "/hq?checklist=shop&from=",
    "/hq/heatmap?checklist=shop&group=location&from=",
    "/hq/review",
    "/hq/assignments",
    "/hq/waves",
    "/hq/users",
    "/hq/trends?location=O1",
]


# Answers that name no location (figures only), or are empty in this world.
NAMELESS = (
    "/api/trends",
    "/api/weakest",
    "/api/appeals",
    "/api/actions",
    "/hq/users",
    "/hq/trends",
)


@pytest.mark.parametrize("url", READS)
async def test_a_brand_limited_hq_user_reads_only_their_brands_rows(tenants, url):
    _, hq, other = tenants
    r = await other.get(url)
    assert r.status_code == 200, (url, r.text)
    assert_only_other_brand(r.content, url)
    # The control: the agency's HQ user sees the other brand's rows there.
    if not url.startswith(NAMELESS):
        theirs = await hq.get(url)
        assert any(w in theirs.content for w in AUDIT_BRAND_WORDS), url


async def test_figures_count_only_their_brands_audits(tenants):
    _, hq, other = tenants
    rows = (await other.get("/api/compare?checklist=shop&from=")).json()
    assert [r["code"] for r in rows] == ["O1"]
    assert rows[0]["audits"] == 1
    everyone = (await hq.get("/api/compare?checklist=shop&from=")).json()
    assert sorted(r["code"] for r in everyone) == ["O1", "S1"]
    queue = (await other.get("/api/review-queue")).json()
    assert queue["total"] == 1 and queue["audits"][0]["location"] == "O1"
    shoppers = (await other.get("/api/shoppers")).json()
    assert shoppers == [] or all(s["email"] != "auditor@x.test" for s in shoppers)
    assert [s["email"] for s in shoppers] == ["other-auditor@x.test"]
    assert shoppers[0]["visits"] == 0
    waves = (await other.get("/api/waves")).json()
    assert [w["name"] for w in waves] == ["Other wave"]
    locations = (await other.get("/api/locations")).json()
    assert [loc["code"] for loc in locations] == ["O1"]
    checklists = {c["id"] for c in (await other.get("/api/checklists")).json()}
    assert checklists == {"shop", "other-visit"}
    brand_hq = (await hq.get("/api/checklists")).json()
    assert {c["id"] for c in brand_hq} == {"shop", "other-visit"}


async def test_another_brands_records_are_404(tenants, login):
    audits, _, other = tenants
    s1 = audits["S1"]
    for url in (
        f"/api/audits/{s1}",
        f"/api/audits/{s1}/report.pdf",
        f"/api/audits/{s1}/report.json",
        f"/hq/audits/{s1}",
        "/hq/locations/S1",
        "/api/locations/S1/place",
        "/api/audits.csv?location=S1",
    ):
        r = await other.get(url)
        assert r.status_code == 404, (url, r.text)
    assert (await other.get(f"/api/audits/{audits['O1']}")).status_code == 200
    r = await other.post(f"/api/audits/{audits['S2-queued']}/review", json={"decision": "approve"})
    assert r.status_code == 404
    assert await Audit.get(uuid=audits["S2-queued"]).values_list("status", flat=True) == (
        "submitted"
    )
    brand_hq = await login("brand-hq@x.test")
    assert (await brand_hq.get(f"/api/audits/{s1}")).status_code == 200
    assert (await brand_hq.get(f"/api/audits/{audits['O1']}")).status_code == 404


async def test_a_brands_checklist_is_used_only_at_its_locations(tenants, login):
    _, hq, other = tenants
    version = await ChecklistVersion.get(slug="other-visit")
    assert version.brand_id is not None  # type: ignore[attr-defined]
    auditor = await login("auditor@x.test")
    body = {"checklist": "other-visit", "location": "S1", "answers": {}}
    r = await auditor.put(f"/api/audits/{new_uuid()}", json=body)
    assert r.status_code == 422
    assert "another brand" in r.json()["fields"]["checklist"]
    r = await auditor.put(f"/api/audits/{new_uuid()}", json={**body, "location": "O1"})
    assert r.status_code == 201, r.text
    before = await Assignment.all().count()
    r = await hq.post("/api/assignments", json={"location": "S1", "checklist": "other-visit"})
    assert r.status_code == 422 and "checklist" in r.json()["fields"]
    wave = {
        "name": "Mixed",
        "checklist": "other-visit",
        "locations": ["S1", "O1"],
        "from": "2026-06-01",
        "to": "2026-06-30",
    }
    r = await hq.post("/api/waves", json=wave)
    assert r.status_code == 422
    assert "'S1'" in r.json()["fields"]["locations"]
    assert await Assignment.all().count() == before
    assert not await Wave.exists(name="Mixed")
    # A brand-limited user does not see the other brand's checklist at all.
    brand_hq = await login("brand-hq@x.test")
    assert (await brand_hq.get("/api/checklists/other-visit")).status_code == 404
    r = await other.post("/api/waves", json={**wave, "locations": ["O1"]})
    assert r.status_code == 201, r.text


async def test_a_brand_limited_auditor_sees_only_their_brands_jobs_and_checklists(tenants, login):
    auditor = await login("other-auditor@x.test")
    board = (await auditor.get("/api/assignments")).json()
    assert [a["location"] for a in board] == ["O1", "O1"]
    assert [loc["code"] for loc in (await auditor.get("/api/locations")).json()] == ["O1"]
    r = await auditor.put(f"/api/audits/{new_uuid()}", json=audit_body(ANSWERS, location="S1"))
    assert r.status_code == 422 and "location" in r.json()["fields"]
    theirs = await Assignment.filter(location__code="S1", wave_id=None).first()
    assert theirs is not None
    r = await auditor.post(f"/api/assignments/{theirs.id}/claim")
    assert r.status_code == 404


async def test_brands_of_a_user_are_edited_within_ones_own(tenants, login):
    _, hq, other = tenants
    auditor = await User.get(email="auditor2@x.test")
    r = await hq.post(f"/hq/users/{auditor.id}/brands", json={"brands": "Audit; Other"})
    assert r.status_code == 200, r.text
    assert r.json()["brands"] == ["Audit", "Other"]
    # The other brand's HQ user manages them now (they are of "Other") but keeps "Audit".
    r = await other.post(f"/hq/users/{auditor.id}/brands", json={"brands": []})
    assert r.status_code == 200, r.text
    assert r.json()["brands"] == ["Audit"]
    r = await other.post(f"/hq/users/{auditor.id}/brands", json={"brands": ["Audit"]})
    assert r.status_code == 404  # no longer one of theirs
    owner = await User.get(email="owner@x.test")
    r = await other.post(f"/hq/users/{owner.id}/brands", json={"brands": ["Other"]})
    assert r.status_code == 404
    r = await hq.post(f"/hq/users/{owner.id}/brands", json={"brands": ["Other"]})
    assert r.status_code == 422 and "brands" in r.json()["fields"]
    r = await hq.post(f"/hq/users/{auditor.id}/brands", json={"brands": ["Nope"]})
    assert r.status_code == 422 and "Nope" in r.json()["fields"]["brands"]
    agency_hq = await User.get(email="hq@x.test")
    r = await other.post(f"/hq/users/{agency_hq.id}/deactivate")
    assert r.status_code == 404
    assert (await User.get(email="hq@x.test")).active


async def test_a_brand_limited_hq_user_invites_only_into_their_brands(tenants):
    _, _, other = tenants
    r = await other.post("/hq/users/invite", json={"email": "new@x.test", "role": "auditor"})
    assert r.status_code == 201, r.text
    new = await UserBrand.filter(user__email="new@x.test").values_list("brand__name", flat=True)
    assert list(new) == ["Other"]
    r = await other.post(
        "/hq/users/invite", json={"email": "n2@x.test", "role": "hq", "brands": "Audit"}
    )
    assert r.status_code == 422 and "brands" in r.json()["fields"]
    r = await other.post(
        "/hq/users/invite", json={"email": "n3@x.test", "role": "owner", "locations": "S1"}
    )
    assert r.status_code == 422 and "locations" in r.json()["fields"]


async def test_a_brand_limited_users_webhooks_hear_only_their_brands_events(tenants, login):
    audits, hq, other = tenants
    for who in (hq, other):
        r = await who.post(
            "/hq/webhooks",
            json={"url": "https://example.com/hook", "events": ["audit.approved"]},
        )
        assert r.status_code == 201, r.text
    for key in ("S2-queued", "O1-queued"):
        r = await hq.post(f"/api/audits/{audits[key]}/review", json={"decision": "approve"})
        assert r.status_code == 200, r.text
    mine = await WebhookEndpoint.get(created_by__email="other-hq@x.test")
    agency = await WebhookEndpoint.get(created_by__email="hq@x.test")
    assert await WebhookDelivery.filter(endpoint_id=agency.id).count() == 2
    heard = await WebhookDelivery.filter(endpoint_id=mine.id).values_list(
        "event__audit_uuid", flat=True
    )
    assert list(heard) == [audits["O1-queued"]]
    assert (await other.get(f"/hq/webhooks/{agency.id}")).status_code == 404


async def test_an_import_by_a_brand_limited_user_stays_in_their_brands(tenants):
    _, _, other = tenants
    csv = b"code,name\nO2,Second Other\nS1,Taken over\n"
    r = await other.post("/hq/import?kind=locations&name=l.csv", content=csv)
    assert r.status_code == 201
    r = await other.get(r.json()["url"])
    assert r.status_code == 200
    assert "is already used" in r.text
    r = await other.post("/hq/import?kind=auditors&name=a.csv", content=b"email\na9@x.test\n")
    page = await other.get(r.json()["url"])
    found = re.search(r'id="apply-import" data-url="([^"]+)" data-plan="([0-9a-f]{64})"', page.text)
    assert found is not None, page.text
    r = await other.post(html.unescape(found[1]), json={"plan": found[2]})
    assert r.status_code == 200, r.text
    brands = await UserBrand.filter(user__email="a9@x.test").values_list("brand__name", flat=True)
    assert list(brands) == ["Other"]


def test_the_brand_key_is_validated_with_its_line(tmp_path: Path):
    with pytest.raises(ChecklistError) as found:
        parse_checklist(OTHER_YAML.replace("brand: Other", "brand: 12"), "x.yaml")
    assert "x.yaml:3:" in str(found.value)
    with pytest.raises(ChecklistError) as found:
        parse_checklist(OTHER_YAML.replace("brand: Other", 'brand: "  "'), "x.yaml")
    assert "x.yaml:3:" in str(found.value)
    without = parse_checklist(OTHER_YAML.replace("brand: Other\n", ""), "x.yaml")
    assert without.brand is None and "brand" not in without.to_dict()
    assert parse_checklist(OTHER_YAML, "x.yaml").brand == "Other"


async def test_the_demo_shows_tenancy_with_two_brand_limited_hq_logins(db, app):
    await fill_demo(db, DemoSize(locations=6, audits=40), seed=2)

    async def login(email: str) -> httpx.AsyncClient:
        client = make_client(app)
        r = await client.post("/api/session", json={"email": email, "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        return client

    limits = await UserBrand.all().order_by("user__email").values_list("user__email", "brand__name")
    assert list(limits) == [("brand@demo.test", "Audit"), ("harbour@demo.test", "Harbour Outlets")]
    brand, harbour, agency = (
        await login("brand@demo.test"),
        await login("harbour@demo.test"),
        await login("hq@demo.test"),
    )
    everything = (await agency.get("/api/audits?limit=1000")).json()
    assert everything and (await brand.get("/api/audits?limit=1000")).json() == everything
    assert (await harbour.get("/api/audits")).json() == []
    assert (await harbour.get("/api/locations")).json() == []
    assert (await harbour.get(f"/api/audits/{everything[0]['uuid']}")).status_code == 404
    for client in (brand, harbour, agency):
        await client.aclose()
