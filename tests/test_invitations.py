"""Invitations and password resets (issue 16, part 2), on SQLite and PostgreSQL: single-use,
expiring links through the mail queue, a reset that never tells whether an address has
an account, and HQ's users page (filters, re-activation, invitations)."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import re
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from audit.app import create_app
from audit.auth import token_hash
from audit.models import AccountToken, Session, User
from audit.settings import Settings
from audit.store.accounts import add_user, now
from audit.workflow import onboarding
from audit.workflow.account_mail import AccountMailer
from tests.conftest import make_client
from tests.helpers import PASSWORD, seed, sign_in

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

NEW_PASSWORD = "lantern orchard seventeen"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
        )
        return "250 OK"

    def links(self) -> list[str]:
        return [
            re.search(r"#/password/([A-Za-z0-9_-]+)", m.get_content()).group(1)  # type: ignore[union-attr]
            for m in self.messages
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(db: Settings, inbox: tuple[Inbox, int]) -> Settings:
    return dataclasses.replace(
        db,
        smtp_url=f"smtp://127.0.0.1:{inbox[1]}",
        smtp_from="audit@agency.test",
        public_url="https://audit.agency.test",
    )


@pytest.fixture
async def mail_app(mail_settings: Settings) -> Any:
    mail_settings.media_dir.mkdir(parents=True, exist_ok=True)
    await seed()
    return create_app(mail_settings, manage_database=False)


@pytest.fixture
async def anon(mail_app: Any) -> AsyncIterator[Any]:
    async with make_client(mail_app) as client:
        yield client


@pytest.fixture
async def hq(mail_app: Any) -> AsyncIterator[Any]:
    async with make_client(mail_app) as client:
        yield await sign_in(client, "hq@x.test")


async def send(settings: Settings) -> int:
    return await AccountMailer(settings).send_due()


async def test_an_invitation_e_mails_a_link_that_sets_the_password_once_and_signs_in(
    hq, anon, mail_settings, inbox
) -> None:
    box, _ = inbox
    r = await hq.post(
        "/hq/users/invite", json={"email": "Nia@X.test", "role": "auditor", "name": "Nia"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["link"] is None  # e-mailed, not shown
    assert r.json()["email"] == "nia@x.test"

    assert await send(mail_settings) == 1
    [message] = box.messages
    assert message["To"] == "nia@x.test"
    assert "https://audit.agency.test/#/password/" in message.get_content()
    [token] = box.links()
    row = await AccountToken.get(user__email="nia@x.test")
    # Only its digest is stored; the nonce alone makes nothing without the key.
    assert row.token_hash == token_hash(token) and token not in (row.nonce, row.token_hash)

    described = await anon.post("/api/password-link", json={"token": token})
    assert described.status_code == 200
    assert described.json()["email"] == "nia@x.test"
    assert described.json()["purpose"] == "invite"
    # Still no password: the invited user cannot sign in.
    refused = await anon.post("/api/session", json={"email": "nia@x.test", "password": ""})
    assert refused.status_code in (401, 422)

    weak = await anon.post("/api/password", json={"token": token, "password": "password1"})
    assert weak.status_code == 422
    assert "password" in weak.json()["fields"]

    r = await anon.post("/api/password", json={"token": token, "password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "auditor"
    assert (await anon.get("/api/session")).json()["email"] == "nia@x.test"

    again = await anon.post("/api/password", json={"token": token, "password": NEW_PASSWORD})
    assert again.status_code == 404
    async with make_client(anon._transport.app) as other:
        ok = await other.post(
            "/api/session", json={"email": "nia@x.test", "password": NEW_PASSWORD}
        )
        assert ok.status_code == 200


async def test_of_two_uses_of_one_link_at_once_exactly_one_wins(hq, mail_app, mail_settings, inbox):
    await hq.post("/hq/users/invite", json={"email": "race@x.test", "role": "owner"})
    await send(mail_settings)
    [token] = inbox[0].links()

    async def use(password: str) -> int:
        async with make_client(mail_app) as client:
            r = await client.post("/api/password", json={"token": token, "password": password})
            return r.status_code

    codes = await asyncio.gather(use(NEW_PASSWORD), use("another fine passphrase"))

    assert sorted(codes) == [200, 404]
    assert await Session.filter(user__email="race@x.test").count() == 1


async def test_an_expired_link_opens_nothing_and_an_unsent_one_is_dropped(
    hq, anon, mail_settings, inbox
) -> None:
    await hq.post("/hq/users/invite", json={"email": "late@x.test", "role": "auditor"})
    await send(mail_settings)
    [token] = inbox[0].links()
    await hq.post("/hq/users/invite", json={"email": "later@x.test", "role": "auditor"})
    await AccountToken.all().update(expires_at=now() - timedelta(seconds=1))

    assert (await anon.post("/api/password-link", json={"token": token})).status_code == 404
    r = await anon.post("/api/password", json={"token": token, "password": NEW_PASSWORD})
    assert r.status_code == 404
    assert r.json()["fields"] == {"token": "expired or used"}
    assert await send(mail_settings) == 0
    assert (await AccountToken.get(user__email="later@x.test")).mail_status == "dropped"
    assert len(inbox[0].messages) == 1


async def test_a_new_invitation_replaces_the_last_and_an_account_with_a_password_is_refused(
    hq, anon, mail_settings, inbox
) -> None:
    await hq.post("/hq/users/invite", json={"email": "twice@x.test", "role": "auditor"})
    await send(mail_settings)
    user = await User.get(email="twice@x.test")
    r = await hq.post(f"/hq/users/{user.id}/invite")
    assert r.status_code == 200, r.text
    await send(mail_settings)
    first, second = inbox[0].links()

    assert (await anon.post("/api/password-link", json={"token": first})).status_code == 404
    assert (await anon.post("/api/password-link", json={"token": second})).status_code == 200

    r = await hq.post("/hq/users/invite", json={"email": "auditor@x.test", "role": "auditor"})
    assert r.status_code == 409
    assert r.json()["fields"] == {"email": "already has an account"}
    r = await hq.post("/hq/users/invite", json={"email": "x", "role": "boss", "locations": "S1"})
    assert r.status_code == 422
    assert set(r.json()["fields"]) == {"email", "role"}


async def test_a_reset_request_answers_alike_whether_or_not_the_address_has_an_account(
    anon, mail_settings, inbox
) -> None:
    await add_user("gone@x.test", "auditor", PASSWORD)
    await User.filter(email="gone@x.test").update(active=False)
    answers = [
        await anon.post("/api/password-reset", json={"email": address})
        for address in ("owner@x.test", "nobody@x.test", "gone@x.test")
    ]

    assert {r.status_code for r in answers} == {202}
    assert len({r.content for r in answers}) == 1
    assert len({tuple(sorted(r.headers.keys())) for r in answers}) == 1
    assert await send(mail_settings) == 1
    [message] = inbox[0].messages
    assert message["To"] == "owner@x.test"
    assert "asked for a new password" in message.get_content()


async def test_reset_requests_are_throttled_alike_for_known_and_unknown_addresses(anon) -> None:
    for address in ("owner@x.test", "nobody@x.test"):
        codes = [
            (await anon.post("/api/password-reset", json={"email": address})).status_code
            for _ in range(6)
        ]
        assert codes == [202] * 5 + [429]


async def test_a_used_reset_link_ends_every_other_session_and_the_old_password(
    mail_app, anon, mail_settings, inbox
) -> None:
    async with make_client(mail_app) as phone, make_client(mail_app) as laptop:
        await sign_in(phone, "owner@x.test")
        await sign_in(laptop, "owner@x.test")
        await anon.post("/api/password-reset", json={"email": "OWNER@x.test"})
        await send(mail_settings)
        [token] = inbox[0].links()
        assert (await anon.post("/api/password-link", json={"token": token})).json()[
            "purpose"
        ] == "reset"

        r = await anon.post("/api/password", json={"token": token, "password": NEW_PASSWORD})

        assert r.status_code == 200
        assert (await phone.get("/api/session")).status_code == 401
        assert (await laptop.get("/api/session")).status_code == 401
        assert (await anon.get("/api/session")).status_code == 200
        old = await phone.post("/api/session", json={"email": "owner@x.test", "password": PASSWORD})
        assert old.status_code == 401


async def test_an_import_invites_the_users_it_adds_once(mail_settings, inbox) -> None:
    await seed()
    text = b"email,name,location codes\nnew1@x.test,One,S1\nnew2@x.test,Two,S2\nowner@x.test,,S1\n"

    first = await onboarding.apply("owners", "o.csv", text, settings=mail_settings)
    again = await onboarding.apply("owners", "o.csv", text, settings=mail_settings)

    assert (first.invited, again.invited) == (2, 0)
    assert again.plan.summary() == "0 added, 0 changed, 3 unchanged"
    assert await send(mail_settings) == 2
    assert sorted(m["To"] for m in inbox[0].messages) == ["new1@x.test", "new2@x.test"]


async def test_hq_filters_users_by_role_and_state_and_reactivates_one(hq, anon) -> None:
    await hq.post(
        "/hq/users/invite", json={"email": "inv@x.test", "role": "owner", "locations": "S1"}
    )
    auditor = await User.get(email="auditor@x.test")
    await hq.post(f"/hq/users/{auditor.id}/deactivate")

    invited = (await hq.get("/hq/users?state=invited")).text
    assert "inv@x.test" in invited and "auditor@x.test" not in invited
    assert "Invitation valid until" in invited
    deactivated = (await hq.get("/hq/users?state=deactivated&role=auditor")).text
    assert "auditor@x.test" in deactivated and "owner@x.test" not in deactivated
    assert f"/hq/users/{auditor.id}/reactivate" in deactivated
    assert (await hq.get("/hq/users?state=gone")).status_code == 422

    r = await hq.post(f"/hq/users/{auditor.id}/reactivate")
    assert r.status_code == 200
    back = await anon.post("/api/session", json={"email": "auditor@x.test", "password": PASSWORD})
    assert back.status_code == 200


async def test_a_mail_server_that_refuses_leaves_the_invitation_to_be_retried(
    hq, mail_settings
) -> None:
    down = dataclasses.replace(mail_settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    await hq.post("/hq/users/invite", json={"email": "retry@x.test", "role": "auditor"})

    assert await send(down) == 0

    row = await AccountToken.get(user__email="retry@x.test")
    assert (row.mail_status, row.mail_attempts) == ("failed", 1)
    assert row.mail_next_at is not None and row.mail_next_at > now()
    assert row.mail_error
    # Due again once its retry time has come, and then it goes out.
    await AccountToken.filter(id=row.id).update(mail_next_at=now() - timedelta(seconds=1))
    assert await send(mail_settings) == 1
    assert (await AccountToken.get(id=row.id)).mail_status == "sent"


async def test_housekeeping_deletes_links_a_month_after_they_expired(hq) -> None:
    from audit.housekeeping import sweep_database

    await hq.post("/hq/users/invite", json={"email": "old@x.test", "role": "auditor"})
    await hq.post("/hq/users/invite", json={"email": "fresh@x.test", "role": "auditor"})
    await AccountToken.filter(user__email="old@x.test").update(
        expires_at=now() - timedelta(days=31)
    )

    assert await sweep_database()

    assert not await AccountToken.exists(user__email="old@x.test")
    assert await AccountToken.exists(user__email="fresh@x.test")
