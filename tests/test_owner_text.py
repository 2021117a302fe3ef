"""HQ's owner-facing copy of free text: flagged words wait for HQ in every owner output."""

from __future__ import annotations

from typing import Any

import pytest

from audit.report.sample import SAMPLE_ANSWERS, draw_photo
from audit.settings import Settings
from tests.helpers import ROOT, Session, new_uuid, seed
from tests.test_report import flat, pdf_text

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

NOTES = "Alex, the shopper, was served by Sam at 3:15pm"
FLAGGED_COMMENT = "Seen at about 11am near the demo wall"
CLEAN_COMMENT = "Two soundbars on the demo wall had no power."


def answers() -> dict[str, Any]:
    out = {k: {kk: vv for kk, vv in v.items() if kk != "photos"} for k, v in SAMPLE_ANSWERS.items()}
    out["store_notes"] = {"value": NOTES}
    out["prices_labeled"] = {"value": False, "comment": FLAGGED_COMMENT}
    out["demo_units_faulty"] = {"value": 2, "comment": CLEAN_COMMENT}
    out["arrival_appointment_ready"].pop("comment", None)
    return out


async def submitted_audit(login: Any) -> tuple[str, Session]:
    await seed(ROOT / "checklists")
    auditor = await login("auditor@x.test")
    uid = new_uuid()
    body = {"checklist": "electronics-store", "location": "S1", "answers": answers()}
    r = await auditor.put(f"/api/audits/{uid}", json=body)
    assert r.status_code == 201, r.text
    for item_id in ("storefront_photo", "checkout_charged_correctly"):
        image = draw_photo(item_id, (90, 110, 140), 7, size=(320, 240))
        r = await auditor.put(
            f"/api/audits/{uid}/photos/{new_uuid()}?item={item_id}", content=image
        )
        assert r.status_code == 201, r.text
    r = await auditor.post(f"/api/audits/{uid}/submit")
    assert r.status_code == 200, r.text
    return uid, auditor


async def approve(hq: Session, uid: str) -> None:
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve"})
    assert r.status_code == 200, r.text


async def test_hq_sees_the_flags_beside_the_auditors_words(login: Any, db: Settings) -> None:
    uid, _ = await submitted_audit(login)
    hq = await login("hq@x.test")
    view = (await hq.get(f"/api/audits/{uid}")).json()
    texts = {(t["item"], t["field"]): t for t in view["owner_text"]}
    notes = texts[("store_notes", "value")]
    assert notes["original"] == NOTES
    assert [(f["kind"], f["text"]) for f in notes["flags"]] == [
        ("name", "Alex"),
        ("name", "Sam"),
        ("time", "3:15pm"),
    ]
    assert notes["released"] is False
    assert texts[("demo_units_faulty", "comment")]["released"] is True
    assert view["answers"]["store_notes"]["value"] == NOTES  # HQ keeps the original


async def test_flagged_text_reaches_no_owner_output_until_hq_edits_or_clears_it(
    login: Any, db: Settings
) -> None:
    uid, _ = await submitted_audit(login)
    hq = await login("hq@x.test")
    await approve(hq, uid)
    owner = await login("owner@x.test")
    r = await owner.get(f"/api/audits/{uid}")
    assert "value" not in r.json()["answers"]["store_notes"]
    assert "comment" not in r.json()["answers"]["prices_labeled"]
    assert r.json()["answers"]["demo_units_faulty"]["comment"] == CLEAN_COMMENT
    assert "owner_text" not in r.json()
    for secret in ("3:15pm", "Sam", "11am"):
        assert secret not in r.text
    pdf = flat(pdf_text((await owner.get(f"/api/audits/{uid}/report.pdf")).content))
    assert "3:15pm" not in pdf and "11am" not in pdf and "served by Sam" not in pdf
    assert "soundbars on the demo wall" in pdf
    assert "11am" not in (await owner.get(f"/api/audits/{uid}/report.json")).text

    r = await hq.put(
        f"/api/audits/{uid}/owner-text/store_notes", json={"text": "The shopper was served."}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["released"], r.json()["edited"], r.json()["original"]) == (True, True, NOTES)
    r = await hq.put(f"/api/audits/{uid}/owner-text/prices_labeled", json={"cleared": True})
    assert r.status_code == 200, r.text

    answers = (await owner.get(f"/api/audits/{uid}")).json()["answers"]
    assert answers["store_notes"]["value"] == "The shopper was served."
    assert answers["prices_labeled"]["comment"] == FLAGGED_COMMENT
    pdf = flat(pdf_text((await owner.get(f"/api/audits/{uid}/report.pdf")).content))
    assert "The shopper was served." in pdf and "Seen at about 11am" in pdf

    view = (await hq.get(f"/api/audits/{uid}")).json()
    assert view["answers"]["store_notes"]["value"] == NOTES
    events = [e for e in view["review_history"] if e["action"] == "owner_text"]
    assert [e["note"] for e in events] == [
        "Owner's copy of the answer on store_notes: edited for the owner: The shopper was served.",
        "Owner's copy of the comment on prices_labeled: cleared for the owner",
    ]


async def test_an_edit_that_keeps_a_flag_still_withholds_it(login: Any, db: Settings) -> None:
    uid, _ = await submitted_audit(login)
    hq = await login("hq@x.test")
    r = await hq.put(f"/api/audits/{uid}/owner-text/store_notes", json={"text": "Sam helped."})
    assert r.status_code == 200
    assert r.json()["released"] is False
    assert [f["text"] for f in r.json()["flags"]] == ["Sam"]


async def test_only_hq_may_edit_and_others_get_404(login: Any, db: Settings) -> None:
    uid, auditor = await submitted_audit(login)
    hq = await login("hq@x.test")
    await approve(hq, uid)
    owner = await login("owner@x.test")
    for who in (auditor, owner):
        r = await who.put(f"/api/audits/{uid}/owner-text/store_notes", json={"cleared": True})
        assert r.status_code == 404, r.text
    r = await hq.get(f"/api/audits/{uid}")
    assert all(e["action"] != "owner_text" for e in r.json()["review_history"])


async def test_bad_bodies_items_and_statuses_are_refused(login: Any, db: Settings) -> None:
    uid, _ = await submitted_audit(login)
    hq = await login("hq@x.test")
    url = f"/api/audits/{uid}/owner-text"
    r = await hq.put(f"{url}/store_notes", json={"text": 5, "cleared": "yes", "colour": 1})
    assert r.status_code == 422
    assert set(r.json()["fields"]) == {"text", "cleared", "colour"}
    r = await hq.put(f"{url}/store_notes", json={"field": "photo"})
    assert r.status_code == 422 and "field" in r.json()["fields"]
    assert (await hq.put(f"{url}/no_such_item", json={"cleared": True})).status_code == 404
    # An item answered without a comment has nothing to edit.
    assert (await hq.put(f"{url}/arrival_greeting_seconds", json={})).status_code == 404
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "return", "note": "Fix"})
    assert r.status_code == 200
    r = await hq.put(f"{url}/store_notes", json={"cleared": True})
    assert r.status_code == 409


async def test_the_review_page_highlights_flags_and_offers_the_edit(
    login: Any, db: Settings
) -> None:
    uid, _ = await submitted_audit(login)
    hq = await login("hq@x.test")
    r = await hq.get(f"/hq/audits/{uid}")
    assert r.status_code == 200
    html = r.text
    assert '<mark class="flag-text flag-time" title="time of day">3:15pm</mark>' in html
    assert '<mark class="flag-text flag-name" title="name">Sam</mark>' in html
    assert "Withheld from the owner" in html
    assert 'data-item="store_notes" data-field="value"' in html
    assert "/static/hq/owner-text.js" in html
