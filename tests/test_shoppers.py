"""HQ's shoppers: each auditor's grades, return and rejection rates, and the review
queue narrowed by them; the review page's editor controls."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import Audit, User
from audit.settings import Settings
from tests.helpers import Session, seed
from tests.test_editor_qa import answers, decide, submitted

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
async def record(login: Any, db: Settings) -> dict[str, Any]:
    """Ann: approved (4), returned (2) then approved (3), rejected, one waiting.
    Bob: approved (5), one waiting."""
    await seed()
    ann, bob, hq = [await login(e) for e in ("auditor@x.test", "auditor2@x.test", "hq@x.test")]
    first = await submitted(ann, day="2026-10-01")
    await decide(hq, first, decision="approve", grade=4, grade_note="Clear photos")
    second = await submitted(ann, day="2026-10-02")
    await decide(hq, second, decision="return", note="Add the receipt", grade=2)
    body = {"checklist": "shop", "location": "S1", "answers": answers()}
    assert (await ann.post(f"/api/audits/{second}/submit", json=body)).status_code == 200
    await decide(hq, second, decision="approve", grade=3)
    third = await submitted(ann, day="2026-10-03")
    await decide(hq, third, decision="reject", note="Receipt from another store")
    ann_waiting = await submitted(ann, day="2026-10-04")
    fifth = await submitted(bob, location="S2", day="2026-10-01")
    await decide(hq, fifth, decision="approve", grade=5)
    bob_waiting = await submitted(bob, location="S2", day="2026-10-05")
    ids = {u.email: u.id for u in await User.all()}
    return {
        "hq": hq,
        "ann": ids["auditor@x.test"],
        "bob": ids["auditor2@x.test"],
        "hq_id": ids["hq@x.test"],
        "ann_waiting": ann_waiting,
        "bob_waiting": bob_waiting,
        "rejected": third,
        "login": login,
    }


async def test_each_shoppers_record_counts_grades_returns_and_rejections(
    record: dict[str, Any],
) -> None:
    hq: Session = record["hq"]
    rows = {r["id"]: r for r in (await hq.get("/api/shoppers")).json()}
    ann, bob = rows[record["ann"]], rows[record["bob"]]
    assert (ann["visits"], ann["reviewed"], ann["returned"], ann["rejected"]) == (4, 3, 1, 1)
    assert (ann["graded"], ann["grade"]) == (2, 3.5)  # each report's latest grade: 4 and 3
    assert ann["return_rate"] == pytest.approx(1 / 3)
    assert ann["rejection_rate"] == pytest.approx(1 / 3)
    assert (bob["visits"], bob["grade"], bob["return_rate"], bob["rejection_rate"]) == (
        2,
        5.0,
        0.0,
        0.0,
    )
    assert record["hq_id"] not in rows  # HQ users are no shoppers
    one = (await hq.get(f"/api/shoppers/{record['ann']}")).json()
    assert one["grade"] == 3.5 and len(one["audits"]) == 4
    by_status = {a["status"]: a for a in one["audits"]}
    assert by_status["rejected"]["review_note"] == "Receipt from another store"
    assert sorted(a["returns"] for a in one["audits"]) == [0, 0, 0, 1]
    assert (await hq.get(f"/api/shoppers/{record['hq_id']}")).status_code == 404
    assert (await hq.get("/api/shoppers/ann")).status_code == 422


async def test_shoppers_are_hq_only(record: dict[str, Any]) -> None:
    login = record["login"]
    for email in ("auditor2@x.test", "owner@x.test"):  # neither may read Ann's record
        other = await login(email)
        for url in ("/api/shoppers", f"/api/shoppers/{record['ann']}"):
            assert (await other.get(url)).status_code == 404
        for url in ("/hq/shoppers", f"/hq/shoppers/{record['ann']}"):
            r = await other.get(url)
            assert r.status_code == 404 and "Ann Auditor" not in r.text


async def test_the_review_queue_filters_by_shopper_grade_and_return_rate(
    record: dict[str, Any],
) -> None:
    hq: Session = record["hq"]

    async def queue(query: str) -> set[str]:
        r = await hq.get(f"/api/review-queue{query}")
        assert r.status_code == 200, r.text
        return {a["uuid"] for a in r.json()["audits"]}

    both = {record["ann_waiting"], record["bob_waiting"]}
    assert await queue("") == both
    assert await queue(f"?shopper={record['ann']}") == {record["ann_waiting"]}
    assert await queue("?grade_below=4") == {record["ann_waiting"]}  # 3.5 below 4, 5.0 not
    assert await queue("?grade_below=3.5") == set()  # strictly below, as printed
    assert await queue("?return_rate=33") == {record["ann_waiting"]}  # 33% as printed
    assert await queue("?return_rate=34") == set()
    assert await queue("?return_rate=0") == both
    assert await queue(f"?shopper={record['bob']}&grade_below=4") == set()
    for query, field in (
        ("?grade_below=9", "grade_below"),
        ("?grade_below=x", "grade_below"),
        ("?return_rate=101", "return_rate"),
        ("?shopper=-3", "shopper"),
    ):
        r = await hq.get(f"/api/review-queue{query}")
        assert r.status_code == 422 and field in r.json()["fields"], r.text
    page = (await hq.get("/hq/review?grade_below=4")).text
    assert f"/hq/audits/{record['ann_waiting']}" in page
    assert f"/hq/audits/{record['bob_waiting']}" not in page
    assert (await hq.get("/hq/review?return_rate=200")).status_code == 422


async def test_shopper_pages_show_the_record_grades_and_visits(record: dict[str, Any]) -> None:
    hq: Session = record["hq"]
    page = (await hq.get("/hq/shoppers")).text
    assert "Ann Auditor" in page and "3.5" in page and "33%" in page
    assert f'href="/hq/review?shopper={record["ann"]}"' in page
    page = (await hq.get(f"/hq/shoppers/{record['ann']}")).text
    assert "Clear photos" in page  # the note of the grade 4
    assert "Receipt from another store" in page and "status-rejected" in page
    assert f"/hq/audits/{record['rejected']}" in page
    # The review page says who made the visit and their record so far.
    page = (await hq.get(f"/hq/audits/{record['ann_waiting']}")).text
    assert "Average grade 3.5 · returned 33% · rejected 33% of 3 decided" in page
    assert (await hq.get("/hq/shoppers/999999")).status_code == 404


async def test_the_review_page_offers_grade_reject_and_notes_per_item(
    login: Any, db: Settings
) -> None:
    await seed()
    auditor, hq = await login("auditor@x.test"), await login("hq@x.test")
    uid = await submitted(auditor)
    page = (await hq.get(f"/hq/audits/{uid}")).text
    assert 'data-decision="reject"' in page and 'name="grade" value="5"' in page
    assert 'data-item-note="clean"' in page and 'data-item-note="restroom"' not in page  # hidden
    assert "/hq/shoppers/" in page
    await hq.put(f"/api/audits/{uid}/owner-text/clean", json={"text": "Floor sticky."})
    await decide(
        hq, uid, decision="return", note="Check two items", item_notes={"clean": "Which till?"}
    )
    page = (await hq.get(f"/hq/audits/{uid}")).text
    assert "review-form" not in page
    assert "Which till?" in page
    assert "Which till?" in page and "Check two items" in page
    # The history: the owner's copy before and after, the return with its item notes.
    assert "Floor was sticky by the tills." in page and "Floor sticky." in page
    assert "How clean was the store:</span> Which till?" in page
    # Sent again after a return that graded it: that grade is the form's choice until changed.
    body = {"checklist": "shop", "location": "S1", "answers": answers(clean=3)}
    assert (await auditor.post(f"/api/audits/{uid}/submit", json=body)).status_code == 200
    page = (await hq.get(f"/hq/audits/{uid}")).text
    assert 'name="grade" value="" checked' in page and "Given when it was returned" not in page
    await decide(hq, uid, decision="return", note="Once more", grade=2, grade_note="Thin")
    assert (await auditor.post(f"/api/audits/{uid}/submit", json=body)).status_code == 200
    page = (await hq.get(f"/hq/audits/{uid}")).text
    assert 'name="grade" value="2" checked' in page and "Given when it was returned" in page
    assert (
        '<textarea id="grade-note" name="grade_note" rows="2" maxlength="4000">Thin</textarea>'
        in page
    )


async def test_a_shoppers_visit_trust_is_on_their_record_and_page(record: dict[str, Any]) -> None:
    hq: Session = record["hq"]
    visits = await Audit.filter(auditor_id=record["ann"]).order_by("visit_date")
    # Scored at submission (audit.trust); a visit from before proof of visit has none.
    for audit, score in zip(visits, (90, 40, 75, None), strict=True):
        await Audit.filter(id=audit.id).update(trust_score=score)
    one = (await hq.get(f"/api/shoppers/{record['ann']}")).json()
    assert (one["trusted"], one["low_trust"]) == (3, 2)  # 40 and 75 are under 80
    assert one["trust"] == pytest.approx(205 / 3)
    assert {a["trust_score"] for a in one["audits"]} == {90, 40, 75, None}
    scores = {a["uuid"]: (a["trust_score"], a["trust_label"]) for a in one["audits"]}
    assert scores[visits[0].uuid] == (90, "Trusted")
    assert scores[visits[1].uuid] == (40, "Suspicious")
    page = (await hq.get(f"/hq/shoppers/{record['ann']}")).text
    assert "Visit trust score of each of Ann Auditor" in page and "<polyline" in page
    assert "2 of 3 under 80" in page
    listed = (await hq.get("/hq/shoppers")).text
    assert "2 low" in listed
    await Audit.filter(auditor_id=record["ann"]).update(trust_score=None)
    page = (await hq.get(f"/hq/shoppers/{record['ann']}")).text
    assert "None of this shopper" in page and "<polyline" not in page
