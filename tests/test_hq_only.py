"""`audience: hq` items and review correspondence never reach the owner.

An audit of the shipped electronics checklist goes through a return and a
second submission: HQ's return note, the shopper's reply typed into the
HQ-only "Anything else headquarters should know" item, and HQ's approval
note. Every output the owner receives (the audit JSON, the list, report.json,
the PDF as text and the e-mail with its attachment) is searched for those
texts; HQ still reads the reply.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from audit.checklist import parse_checklist
from audit.report.sample import SAMPLE_ANSWERS, draw_photo
from audit.settings import Settings
from audit.workflow.delivery import ReportMailer
from tests.helpers import ROOT, Session, new_uuid, seed
from tests.test_report import pdf_text
from tests.test_store_reports import free_port, smtp_server

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

HQ_NOTE = "Stockroom door left open HQ-ONLY-7731"
RETURN_NOTE = "Please recheck the queue time RETURN-NOTE-4410"
REPLY = "Rechecked: the queue was 12 minutes SHOPPER-REPLY-9052"
APPROVAL_NOTE = "Thanks for the recheck APPROVAL-NOTE-2286"
SECRETS = ("HQ-ONLY-7731", "RETURN-NOTE-4410", "SHOPPER-REPLY-9052", "APPROVAL-NOTE-2286")
OWNER_TEXT = "Tidy demo tables OWNER-READS-1204"


def answers(final_notes: str) -> dict[str, Any]:
    out = {k: {kk: vv for kk, vv in v.items() if kk != "photos"} for k, v in SAMPLE_ANSWERS.items()}
    out["final_notes"] = {"value": final_notes}
    out["store_notes"] = {"value": OWNER_TEXT}
    return out


async def put_and_submit(auditor: Session, uid: str, final_notes: str) -> None:
    body = {"checklist": "electronics-store", "location": "S1", "answers": answers(final_notes)}
    r = await auditor.put(f"/api/audits/{uid}", json=body)
    assert r.status_code in (200, 201), r.text
    r = await auditor.post(f"/api/audits/{uid}/submit")
    assert r.status_code == 200, r.text


def assert_none_of_the_secrets(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} in the owner's {where}"


@pytest.fixture
async def approved(login: Any, db: Settings) -> str:
    await seed(ROOT / "checklists")
    auditor = await login("auditor@x.test")
    uid = new_uuid()
    body = {"checklist": "electronics-store", "location": "S1", "answers": answers(HQ_NOTE)}
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

    hq = await login("hq@x.test")
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "return", "note": RETURN_NOTE})
    assert r.status_code == 200, r.text
    await put_and_submit(auditor, uid, f"{HQ_NOTE}. {REPLY}")
    r = await hq.get(f"/api/audits/{uid}")
    assert r.json()["answers"]["final_notes"]["value"] == f"{HQ_NOTE}. {REPLY}"  # HQ reads it
    r = await hq.post(
        f"/api/audits/{uid}/review", json={"decision": "approve", "note": APPROVAL_NOTE}
    )
    assert r.status_code == 200, r.text
    assert RETURN_NOTE in json.dumps((await hq.get(f"/api/audits/{uid}")).json())
    return uid


async def test_owner_json_report_and_pdf_hold_no_hq_only_answer_or_review_note(
    login: Any, approved: str
) -> None:
    owner = await login("owner@x.test")
    r = await owner.get(f"/api/audits/{approved}")
    assert r.status_code == 200
    view = r.json()
    assert "final_notes" not in view["answers"]
    assert view["answers"]["store_notes"]["value"] == OWNER_TEXT
    assert_none_of_the_secrets("audit JSON", r.text)
    r = await owner.get("/api/audits")
    assert_none_of_the_secrets("audit list", r.text)
    r = await owner.get(f"/api/audits/{approved}/report.json")
    assert r.status_code == 200
    assert_none_of_the_secrets("report.json", r.text)
    r = await owner.get(f"/api/audits/{approved}/report.pdf")
    assert r.status_code == 200
    text = pdf_text(r.content)
    assert "OWNER-READS-1204" in text  # the owner's own texts are printed
    assert "headquarters should know" not in text
    assert_none_of_the_secrets("PDF", text)


async def test_hq_previews_the_same_report_without_hq_only_items(login: Any, approved: str) -> None:
    hq = await login("hq@x.test")
    owner = await login("owner@x.test")
    hq_json = (await hq.get(f"/api/audits/{approved}/report.json")).json()
    assert hq_json == (await owner.get(f"/api/audits/{approved}/report.json")).json()
    assert_none_of_the_secrets(
        "report as HQ previews it",
        pdf_text((await hq.get(f"/api/audits/{approved}/report.pdf")).content),
    )


async def test_the_report_email_holds_no_hq_only_answer_or_review_note(
    db: Settings, approved: str
) -> None:
    port = free_port()
    controller, inbox = smtp_server(port)
    try:
        settings = dataclasses.replace(db, smtp_url=f"smtp://127.0.0.1:{port}")
        mailer = ReportMailer(settings)
        assert [d.recipient for d in await mailer.queue(approved)] == ["owner@x.test"]
        assert await mailer.send_due() == 1
    finally:
        controller.stop()
    [message] = inbox.messages
    assert_none_of_the_secrets("e-mail", message.get_body(("plain",)).get_content())
    assert_none_of_the_secrets("e-mail headers", str(message["Subject"]))
    [attachment] = list(message.iter_attachments())
    text = pdf_text(attachment.get_payload(decode=True))
    assert "OWNER-READS-1204" in text
    assert_none_of_the_secrets("e-mailed PDF", text)


def test_owners_checklist_drops_hq_items_and_sections_left_empty() -> None:
    checklist = parse_checklist(
        "id: c\ntitle: C\nsections:\n"
        "  - id: phone\n    items:\n"
        "      - {id: answered, type: yes_no}\n"
        "      - {id: phone_notes, type: text, audience: hq}\n"
        "  - id: follow_up\n    items:\n"
        "      - {id: hq_notes, type: text, audience: hq}\n"
        "      - {id: hq_photo, type: photo, audience: hq}\n"
    )
    assert checklist.hq_item_ids() == {"phone_notes", "hq_notes", "hq_photo"}
    owners = checklist.for_owners()
    assert [s.id for s in owners.sections] == ["phone"]
    assert [i.id for i in owners.items()] == ["answered"]
    assert checklist.to_dict()["sections"][1]["items"][0]["audience"] == "hq"
    assert "audience" not in checklist.to_dict()["sections"][0]["items"][0]


def test_audience_all_keeps_the_content_hash_of_a_checklist_without_it() -> None:
    plain = "id: c\ntitle: C\nsections:\n  - id: phone\n    items:\n      - {id: n, type: text}\n"
    spelled = plain.replace("type: text}", "type: text, audience: all}")
    hq = plain.replace("type: text}", "type: text, audience: hq}")
    assert parse_checklist(plain).content_hash == parse_checklist(spelled).content_hash
    assert parse_checklist(plain).content_hash != parse_checklist(hq).content_hash


def test_every_shipped_checklist_marks_its_headquarters_item_hq_only() -> None:
    for path in sorted((ROOT / "checklists").glob("*.yaml")):
        checklist = parse_checklist(path.read_text(encoding="utf-8"), str(path))
        hq_items = [i for i in checklist.items() if "headquarters" in i.text.lower()]
        assert hq_items and all(i.hq_only for i in hq_items), path.name
