"""GET /api/audits/{uuid}/report.json: the PDF's figures as data, for the PDF's readers.

The JSON and the PDF are two formats of one ReportData: the tests read both
for the same audit and compare what the PDF prints with what the JSON says.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from audit.models import Audit
from audit.presentation import format_score, touchpoint_label
from audit.report.sample import SAMPLE_ANSWERS, sample_report_data
from audit.report.twin import report_document
from audit.report.view import report_context
from audit.store.locations import add_location
from tests.helpers import Session, audit_body, image_bytes, new_uuid, seed
from tests.test_report import flat, pdf_text

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

Login = Callable[[str], Awaitable[Session]]

GOOD = {
    "answered": {"value": True},
    "rings": {"value": 2},
    "needed_restroom": {"value": False},
    "clean": {"value": 5},
    "recommend": {"value": 10},
}
# A failed critical item (the restroom refused), an unanswered phone, a dirty store.
POOR = {
    "answered": {"value": False},
    "rings": {"value": 4, "comment": "voicemail first"},
    "needed_restroom": {"value": True},
    "restroom": {"value": "refused"},
    "clean": {"value": 2},
    "recommend": {"value": 6},
    "notes": {"value": "Sent to the café next door."},
}
KEYS = {
    "uuid",
    "location",
    "visited_at",
    "overall",
    "service",
    "experience",
    "nps",
    "critical_failures",
    "touchpoints",
    "fixes",
    "benchmarks",
}
AUDITOR_IDENTITY = ("auditor@x.test", "Ann Auditor", "auditor2", "Bob Auditor", "10:00")


class Audits:
    def __init__(self, auditor: Session, hq: Session) -> None:
        self.auditor = auditor
        self.hq = hq

    async def make(
        self, location: str, day: str, answers: dict[str, Any], *, status: str = "approved"
    ) -> str:
        uid = new_uuid()
        body = audit_body(answers, location=location, visited_at=f"{day}T10:00:00Z")
        r = await self.auditor.put(f"/api/audits/{uid}", json=body)
        assert r.status_code == 201, r.text
        if status in ("submitted", "approved"):
            r = await self.auditor.post(f"/api/audits/{uid}/submit")
            assert r.status_code == 200, r.text
        if status == "approved":
            r = await self.hq.post(
                f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""}
            )
            assert r.status_code == 200, r.text
        return uid


@pytest.fixture
async def audits(db: Any, app: Any, login: Login) -> Audits:
    await seed()
    await add_location("S3", "Northgate", "North")
    return Audits(await login("auditor@x.test"), await login("hq@x.test"))


async def stored_overall(uid: str) -> float:
    audit = await Audit.get(uuid=uid)
    assert audit.overall is not None
    return audit.overall


async def test_report_json_has_the_contract_shape_with_unrounded_scores(
    audits: Audits,
) -> None:
    north = await audits.make("S3", "2026-11-01", GOOD)
    south = await audits.make("S2", "2026-10-15", POOR)
    uid = await audits.make("S1", "2026-11-20", POOR)

    r = await audits.hq.get(f"/api/audits/{uid}/report.json")

    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert set(doc) >= KEYS
    assert doc["uuid"] == uid and doc["location"] == "S1" and doc["visited_at"] == "2026-11-20"
    assert doc["location_name"] == "Riverside Mall" and doc["region"] == "North"
    audit = await Audit.get(uuid=uid)
    assert (doc["overall"], doc["service"], doc["experience"], doc["nps"]) == (
        audit.overall,
        audit.service,
        audit.experience,
        6,
    )
    # phone 0.5 of 4, facilities 1.25 of 3 (section weights 2 and 1); below the cap of 40
    assert doc["overall"] == pytest.approx((2 * 12.5 + 1 * 125 / 3) / 3)
    assert doc["experience"] == pytest.approx(100 * (0.5 + 1 + 0.25) / 3)  # not rounded
    assert doc["service"] == 0.0
    assert doc["critical_failures"] == ["restroom"]
    assert doc["touchpoints"] == [
        {"id": "phone", "label": "Phone", "score": pytest.approx(100 * 0.5 / 4)},
        {"id": "facilities", "label": "Facilities", "score": pytest.approx(100 * 1.25 / 3)},
        {"id": "checkout", "label": touchpoint_label("checkout"), "score": None},
    ]
    # The failed critical item first, then the heaviest item with no points.
    assert [(f["item"], f["touchpoint"], f["points"]) for f in doc["fixes"]] == [
        ("restroom", "facilities", 0.0),
        ("answered", "phone", 0.0),
    ]
    assert doc["fixes"][0]["label"] == "How staff responded"
    today = datetime.now(UTC).date().isoformat()
    assert doc["benchmarks"]["region"] == {
        "overall": await stored_overall(north),
        "audits": 1,
        "as_of": today,
        "touchpoints": {
            "phone": pytest.approx(100.0),
            "facilities": pytest.approx(50.0),  # "needed the restroom: no" earns 0
            "checkout": None,
        },
    }
    brand = doc["benchmarks"]["brand"]
    assert brand["audits"] == 2 and brand["as_of"] == today
    assert brand["overall"] == pytest.approx(
        (await stored_overall(north) + await stored_overall(south)) / 2
    )
    for secret in AUDITOR_IDENTITY:
        assert secret.lower() not in r.text.lower()


async def test_benchmarks_leave_out_the_audit_its_location_and_later_visits(
    audits: Audits,
) -> None:
    await audits.make("S1", "2026-10-01", GOOD)  # its own location
    await audits.make("S3", "2026-11-21", GOOD)  # the day after the visit
    await audits.make("S2", "2026-11-19", POOR, status="submitted")  # not approved
    uid = await audits.make("S1", "2026-11-20", POOR)

    r = await audits.hq.get(f"/api/audits/{uid}/report.json")

    assert r.json()["benchmarks"] == {"region": None, "brand": None}
    assert len(r.json()["trend"]) == 2  # its own earlier audit is its trend instead


async def test_report_json_has_exactly_the_pdfs_readers(audits: Audits, login: Login) -> None:
    """HQ once submitted, the location's owner once approved; everyone else 404, never 403."""
    sessions = {
        "hq": audits.hq,
        "auditor": audits.auditor,
        "other_auditor": await login("auditor2@x.test"),
        "owner": await login("owner@x.test"),
        "other_owner": await login("owner2@x.test"),
    }
    expected = {
        "draft": {"hq": 404, "auditor": 404, "other_auditor": 404, "owner": 404},
        "submitted": {"hq": 200, "auditor": 404, "other_auditor": 404, "owner": 404},
        "approved": {"hq": 200, "auditor": 404, "other_auditor": 404, "owner": 200},
    }
    for status, allowed in expected.items():
        uid = await audits.make("S1", "2026-11-20", GOOD, status=status)
        for role, session in sessions.items():
            want = allowed.get(role, 404)  # another location's owner never
            json_r = await session.get(f"/api/audits/{uid}/report.json")
            pdf_r = await session.get(f"/api/audits/{uid}/report.pdf")
            assert (json_r.status_code, pdf_r.status_code) == (want, want), (status, role)
            if want == 404:
                assert json_r.json()["error"]
    r = await audits.hq.get("/api/audits/not-a-uuid/report.json")
    assert r.status_code == 422 and "uuid" in r.json()["fields"]


def date_text(iso: str) -> str:
    day = datetime.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


async def test_the_pdf_prints_the_fixes_and_benchmarks_the_json_gives(audits: Audits) -> None:
    await audits.make("S3", "2026-11-01", GOOD)
    await audits.make("S3", "2026-09-01", POOR)
    await audits.make("S2", "2026-10-15", POOR)
    uid = await audits.make("S1", "2026-11-20", POOR)

    doc = (await audits.hq.get(f"/api/audits/{uid}/report.json")).json()
    pdf = await audits.hq.get(f"/api/audits/{uid}/report.pdf")
    text = flat(pdf_text(pdf.content))

    fixes = text[text.index("What to fix first") : text.index("How this visit compares")]
    positions = [fixes.find(f["label"]) for f in doc["fixes"]]
    assert -1 not in positions and positions == sorted(positions)
    assert [touchpoint_label(f["touchpoint"]) in fixes for f in doc["fixes"]] == [True, True]
    region, brand = doc["benchmarks"]["region"], doc["benchmarks"]["brand"]
    assert (region["audits"], brand["audits"]) == (2, 3)
    printed_region = re.search(r"\((\d+), (\d+) approved audits? in North\)", text)
    printed_brand = re.search(r"\((\d+), (\d+) approved audits?\)", text)
    assert printed_region is not None and printed_brand is not None, text
    assert printed_region.groups() == (format_score(region["overall"]), str(region["audits"]))
    assert printed_brand.groups() == (format_score(brand["overall"]), str(brand["audits"]))
    assert f"Benchmarks as of {date_text(brand['as_of'])}" in text
    assert f"Overall {format_score(doc['overall'])}" in text


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"prices_labeled": {"value": True}, "web_store_phone": {"value": True}},
        {"restroom_access": {"value": "offered"}, "callback_received": {"value": True}},
    ],
)
def test_fixes_are_the_summary_pages_what_to_fix_first(
    tmp_path: Path, changes: dict[str, Any]
) -> None:
    # Pure: the same ReportData gives the same list to the JSON and the page.
    answers = {**{k: dict(v) for k, v in SAMPLE_ANSWERS.items()}, **changes}
    data = sample_report_data(tmp_path, answers=answers)
    doc = report_document(data)
    weakest = report_context(data)["weakest"]
    assert [f["label"] for f in doc["fixes"]] == [h.text for h in weakest]
    assert [touchpoint_label(f["touchpoint"]) for f in doc["fixes"]] == [
        h.touchpoint for h in weakest
    ]
    assert doc["benchmarks"]["brand"]["overall"] == data.benchmarks.brand_avg
    assert doc["benchmarks"]["region"]["audits"] == data.benchmarks.region_count


async def test_rank_and_location_nps_are_in_report_json_beside_the_contract_keys(
    audits: Audits,
) -> None:
    await audits.make("S3", "2026-11-01", GOOD)  # North, better
    await audits.make("S2", "2026-10-15", POOR)  # South, the same score
    await audits.make("S1", "2026-09-01", GOOD)  # this location's earlier visit: a promoter
    uid = await audits.make("S1", "2026-11-20", POOR)  # a detractor

    doc = (await audits.hq.get(f"/api/audits/{uid}/report.json")).json()

    assert set(doc) >= KEYS | {"rank", "location_nps"}
    # Region: S3 is ahead. Brand: S3 ahead, S2 level (a tie shares the place).
    assert doc["rank"] == {
        "region": {"position": 2, "of": 2, "name": "North"},
        "brand": {"position": 2, "of": 3, "name": doc["brand"]},
    }
    assert doc["location_nps"] == {
        "value": 0.0,
        "promoters": 1,
        "detractors": 1,
        "answers": 2,
        "visits": 2,
    }
    text = flat(pdf_text((await audits.hq.get(f"/api/audits/{uid}/report.pdf")).content))
    first_page = text[: text.index("What went well")]
    assert "Rank by overall score: 2nd of 2 in North; 2nd of 3 in the brand." in first_page
    assert "Shopper NPS of this location: ±0 over the last 2 visits (n = 2" in first_page


async def test_submit_refuses_a_photo_on_an_item_answered_na(
    db: Any, app: Any, login: Login, tmp_path: Path
) -> None:
    shop = (Path(__file__).parent / "fixtures" / "api" / "shop.yaml").read_text()
    (tmp_path / "shop.yaml").write_text(
        shop.replace(
            "        unit: rings\n        na: true\n",
            "        unit: rings\n        na: true\n        photo: optional\n",
        )
    )
    await seed(tmp_path)
    auditor = await login("auditor@x.test")
    uid = new_uuid()
    answers = {**GOOD, "rings": {"na": True}}
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(answers))
    assert r.status_code == 201, r.text
    r = await auditor.put(
        f"/api/audits/{uid}/photos/{new_uuid()}?item=rings",
        content=image_bytes("JPEG", (64, 48)),
        headers={"Content-Type": "image/jpeg"},
    )
    assert r.status_code in (200, 201), r.text

    r = await auditor.post(f"/api/audits/{uid}/submit")

    assert r.status_code == 422, r.text
    assert r.json()["fields"] == {"answers.rings": "has a photo but is answered not applicable"}
    assert (await Audit.get(uuid=uid)).status == "draft"
