"""The e-mail to an auditor when HQ gives them a visit, through the report mailer's SMTP queue."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from audit.app import create_app
from audit.models import AssignmentNotice
from audit.settings import Settings
from audit.workflow.delivery import ReportMailer
from tests.conftest import make_client
from tests.helpers import seed, sign_in
from tests.test_invitations import Inbox, inbox  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def mail_settings(db: Settings, inbox: tuple[Inbox, int]) -> Settings:  # noqa: F811
    return dataclasses.replace(
        db, smtp_url=f"smtp://127.0.0.1:{inbox[1]}", smtp_from="audit@agency.test"
    )


@pytest.fixture
async def hq(mail_settings: Settings) -> AsyncIterator[Any]:
    mail_settings.media_dir.mkdir(parents=True, exist_ok=True)
    await seed()
    async with make_client(create_app(mail_settings, manage_database=False)) as client:
        yield await sign_in(client, "hq@x.test")


async def test_a_visit_given_to_an_auditor_is_e_mailed_to_them_once(
    hq,
    mail_settings,
    inbox,  # noqa: F811
) -> None:
    box, _ = inbox
    body = {
        "location": "S1",
        "checklist": "shop",
        "auditor": "auditor@x.test",
        "due": "2030-01-31",
        "notes": "Ask for the loyalty card.",
    }
    r = await hq.post("/api/assignments", json=body)
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    # Given to her again: the same visit, no second e-mail.
    assert (await hq.post(f"/api/assignments/{aid}/assign", json={"auditor": None})).is_success
    r = await hq.post(f"/api/assignments/{aid}/assign", json={"auditor": "auditor@x.test"})
    assert r.status_code == 200
    assert await ReportMailer(mail_settings).send_due() == 1
    [message] = box.messages
    assert message["To"] == "auditor@x.test"
    assert message["Subject"] == "New visit for you: Riverside Mall, due 31 January 2030"
    text = message.get_content()
    assert "Head office has given you a visit to Riverside Mall (S1)." in text
    assert "Ask for the loyalty card." in text
    assert "Due: 31 January 2030" in text
    assert await ReportMailer(mail_settings).send_due() == 0


async def test_a_visit_given_to_someone_else_before_sending_is_not_e_mailed(
    hq,
    mail_settings,
    inbox,  # noqa: F811
) -> None:
    box, _ = inbox
    r = await hq.post("/api/assignments", json={"location": "S2", "checklist": "shop"})
    aid = r.json()["id"]
    assert await AssignmentNotice.all().count() == 0  # open on the job board: nobody to tell
    await hq.post(f"/api/assignments/{aid}/assign", json={"auditor": "auditor@x.test"})
    await hq.post(f"/api/assignments/{aid}/assign", json={"auditor": "auditor2@x.test"})
    assert await ReportMailer(mail_settings).send_due() == 1
    assert [m["To"] for m in box.messages] == ["auditor2@x.test"]
    statuses = dict(await AssignmentNotice.all().values_list("recipient", "status"))
    assert statuses == {"auditor@x.test": "skipped", "auditor2@x.test": "sent"}


async def test_without_a_mail_server_nothing_is_queued(login) -> None:
    await seed()
    hq = await login("hq@x.test")
    body = {"location": "S1", "checklist": "shop", "auditor": "auditor@x.test"}
    assert (await hq.post("/api/assignments", json=body)).status_code == 201
    assert await AssignmentNotice.all().count() == 0
