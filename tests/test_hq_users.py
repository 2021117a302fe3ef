"""HQ's users page (end a user's sessions, deactivate them) and error pages that show
nothing of HQ to owners and auditors (issue 13, items 2 and 4)."""

from __future__ import annotations

import re

import pytest

from audit.models import Session, User
from tests.conftest import make_client
from tests.helpers import PASSWORD, sign_in
from tests.test_hq_api import make_audit, seed_hq
from tests.test_hq_pages import assert_csp_clean

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
async def hq(app, db):
    await seed_hq()
    async with make_client(app) as client:
        yield await sign_in(client, "hq@x.test")


async def user_id(email: str) -> int:
    return (await User.get(email=email)).id


async def test_the_users_page_lists_users_with_their_live_sessions(hq, login):
    await login("auditor@x.test")
    await login("auditor@x.test")

    r = await hq.get("/hq/users")

    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert_csp_clean(r.text)
    row = re.search(
        r"<tr>\s*<th scope=\"row\">[^<]*</th>\s*<td>auditor@x\.test</td>.*?</tr>", r.text, re.S
    )
    assert row is not None
    assert '<td class="num">2</td>' in row.group(0)
    assert (
        f'data-user-action="/hq/users/{await user_id("auditor@x.test")}/deactivate"' in row.group(0)
    )
    # HQ cannot deactivate itself from here.
    assert f"/hq/users/{await user_id('hq@x.test')}/deactivate" not in r.text


async def test_hq_ends_a_users_sessions_on_every_device(hq, login):
    phone = await login("auditor@x.test")
    tablet = await login("auditor@x.test")

    r = await hq.post(f"/hq/users/{await user_id('auditor@x.test')}/end-sessions")

    assert r.status_code == 200, r.text
    assert r.json() == {"email": "auditor@x.test", "sessions_ended": 2}
    assert (await phone.get("/api/session")).status_code == 401
    assert (await tablet.get("/api/session")).status_code == 401
    assert (await hq.get("/api/session")).status_code == 200
    # Not deactivated: the auditor signs in again.
    assert (await login("auditor@x.test")).role == "auditor"


async def test_hq_deactivates_a_user_who_is_signed_out_and_cannot_sign_in(hq, login, client):
    phone = await login("owner@x.test")

    r = await hq.post(f"/hq/users/{await user_id('owner@x.test')}/deactivate")

    assert r.status_code == 200, r.text
    assert r.json() == {"email": "owner@x.test", "active": False, "sessions_ended": 1}
    assert (await phone.get("/api/audits")).status_code == 401
    again = await client.post("/api/session", json={"email": "owner@x.test", "password": PASSWORD})
    assert again.status_code == 401
    assert not (await User.get(email="owner@x.test")).active
    assert "deactivated" in (await hq.get("/hq/users")).text


async def test_hq_cannot_deactivate_itself_and_unknown_users_are_404(hq):
    own = await hq.post(f"/hq/users/{await user_id('hq@x.test')}/deactivate")
    unknown = await hq.post("/hq/users/999999/deactivate")
    garbage = await hq.post("/hq/users/x1/end-sessions")

    assert own.status_code == 409
    assert (await User.get(email="hq@x.test")).active
    assert unknown.status_code == 404
    assert garbage.status_code == 404


async def test_user_actions_need_the_csrf_token_and_are_hqs_alone(hq, app, login):
    target = await user_id("owner2@x.test")
    await login("owner2@x.test")

    forged = await hq.client.post(f"/hq/users/{target}/deactivate")
    assert forged.status_code == 403
    for email in ("owner@x.test", "auditor@x.test"):
        other = await login(email)
        for action in ("deactivate", "end-sessions"):
            r = await other.post(f"/hq/users/{target}/{action}")
            assert r.status_code == 404, (email, action)
        assert (await other.get("/hq/users")).status_code == 404
    assert (await User.get(id=target)).active
    assert await Session.filter(user_id=target).count() == 1


@pytest.mark.parametrize("email", ["owner@x.test", "auditor@x.test"])
async def test_an_error_page_for_an_owner_or_auditor_shows_nothing_of_hq(hq, login, email):
    for n in range(3):
        await make_audit("S1", status="submitted", visit=f"2026-03-1{n}")
    assert "3 waiting" in (await hq.get("/hq/review")).text
    other = await login(email)

    for path in ("/hq", "/hq/review", "/hq/users", "/hq/locations/S1"):
        r = await other.get(path)

        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert "waiting" not in r.text
        assert "Review queue" not in r.text
        assert 'aria-label="HQ"' not in r.text
        assert 'href="/hq' not in r.text  # no link into HQ's pages
        assert "There is no such page." in r.text
