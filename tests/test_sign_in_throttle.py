"""The sign-in throttle under concurrent bursts, per (account, address), per address and per
account, on SQLite and PostgreSQL (issue 13, item 1)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from audit import auth
from audit.models import LoginThrottle
from audit.store import accounts
from tests.helpers import PASSWORD, seed

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

WRONG = "not the password"


@pytest.fixture
async def from_address(app: Any) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """A client whose requests come from the given IP address."""
    made: list[httpx.AsyncClient] = []

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        c = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        made.append(c)
        return c

    yield client
    for c in made:
        await c.aclose()


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password argon2 checked, in order."""
    seen: list[str] = []
    real = auth._verify

    def counting(password_hash: str, password: str) -> bool:
        seen.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "_verify", counting)
    return seen


async def attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/session", json={"email": email, "password": password})


async def test_a_burst_of_thirty_guesses_and_the_password_checks_at_most_ten(
    from_address, checks, db
):
    await seed()
    attacker = from_address("203.0.113.7")

    responses = await asyncio.gather(
        *(attempt(attacker, "owner@x.test", WRONG) for _ in range(30)),
        attempt(attacker, "owner@x.test", PASSWORD),
    )

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 401, 429}
    # Each attempt is counted before its password is checked: the eleventh and
    # later ones are refused unchecked, however many arrive at once.
    assert statuses[200] + statuses[401] <= accounts.MAX_ATTEMPTS_PER_PAIR
    assert statuses[429] >= 31 - accounts.MAX_ATTEMPTS_PER_PAIR
    assert len(checks) <= accounts.MAX_ATTEMPTS_PER_PAIR
    refused = next(r for r in responses if r.status_code == 429)
    assert 1 <= int(refused.headers["retry-after"]) <= 15 * 60
    assert "set-cookie" not in refused.headers
    # The burst slowed the attacker's address only: the owner elsewhere signs in.
    owner = await attempt(from_address("198.51.100.20"), "owner@x.test", PASSWORD)
    assert owner.status_code == 200, owner.text


async def test_ten_wrong_passwords_in_a_row_throttle_that_address_for_that_account_only(
    from_address, db
):
    await seed()
    attacker = from_address("203.0.113.7")
    for _ in range(accounts.MAX_ATTEMPTS_PER_PAIR):
        assert (await attempt(attacker, "hq@x.test", WRONG)).status_code == 401

    again = await attempt(attacker, "hq@x.test", PASSWORD)
    other_account = await attempt(attacker, "auditor@x.test", PASSWORD)
    real_user = await attempt(from_address("198.51.100.20"), "hq@x.test", PASSWORD)

    assert again.status_code == 429
    assert other_account.status_code == 200
    assert real_user.status_code == 200


async def test_right_passwords_are_not_counted_as_failures(from_address, db):
    await seed()
    phone = from_address("198.51.100.20")

    for _ in range(accounts.MAX_ATTEMPTS_PER_PAIR + 5):
        assert (await attempt(phone, "auditor@x.test", PASSWORD)).status_code == 200

    rows = {r.key: r.failures for r in await LoginThrottle.all()}
    assert rows.get("pair:auditor@x.test|198.51.100.20", 0) == 0
    assert rows.get("client:198.51.100.20", 0) == 0
    assert rows.get("account:auditor@x.test", 0) == 0


async def test_the_right_password_after_typos_forgives_them(from_address, db):
    await seed()
    phone = from_address("198.51.100.20")
    limit = accounts.MAX_ATTEMPTS_PER_PAIR
    for _ in range(limit - 1):
        assert (await attempt(phone, "auditor@x.test", WRONG)).status_code == 401
    assert (await attempt(phone, "auditor@x.test", PASSWORD)).status_code == 200

    # A fresh allowance: the typos before the right password no longer count.
    for _ in range(limit):
        assert (await attempt(phone, "auditor@x.test", WRONG)).status_code == 401
    assert (await attempt(phone, "auditor@x.test", PASSWORD)).status_code == 429


async def test_many_addresses_lock_the_account_for_those_that_failed_not_for_the_user(
    from_address, monkeypatch, checks, db
):
    await seed()
    monkeypatch.setattr(accounts, "ACCOUNT_LOCK_FAILURES", 6)
    botnet = [from_address(f"203.0.113.{n}") for n in range(1, 7)]

    first = await asyncio.gather(*(attempt(bot, "owner@x.test", WRONG) for bot in botnet))
    assert [r.status_code for r in first] == [401] * 6
    checked = len(checks)

    # Locked for the addresses that failed, even with the right password, unchecked.
    blocked = await asyncio.gather(*(attempt(bot, "owner@x.test", PASSWORD) for bot in botnet))
    assert [r.status_code for r in blocked] == [429] * 6
    assert len(checks) == checked
    # An address that has not failed still signs in, and that lifts the lock.
    assert (await attempt(from_address("198.51.100.20"), "owner@x.test", PASSWORD)).status_code == (
        200
    )
    assert (await attempt(botnet[0], "owner@x.test", WRONG)).status_code == 401


async def test_one_address_guessing_many_accounts_is_throttled(
    from_address, monkeypatch, checks, db
):
    await seed()
    monkeypatch.setattr(accounts, "MAX_ATTEMPTS_PER_CLIENT", 5)
    stuffing = from_address("203.0.113.7")
    emails = [f"user{n}@x.test" for n in range(12)]

    responses = await asyncio.gather(*(attempt(stuffing, email, WRONG) for email in emails))

    statuses = Counter(r.status_code for r in responses)
    assert statuses[401] <= 5
    assert statuses[429] >= 7
    assert len(checks) <= 5
    assert (await attempt(stuffing, "hq@x.test", PASSWORD)).status_code == 429
    assert (await attempt(from_address("198.51.100.20"), "hq@x.test", PASSWORD)).status_code == 200


async def test_the_throttle_ends_with_its_window(from_address, db):
    await seed()
    attacker = from_address("203.0.113.7")
    for _ in range(accounts.MAX_ATTEMPTS_PER_PAIR + 1):
        await attempt(attacker, "auditor@x.test", WRONG)
    assert (await attempt(attacker, "auditor@x.test", PASSWORD)).status_code == 429

    past = datetime.now(UTC) - timedelta(minutes=16)
    await LoginThrottle.all().update(window_start=past)

    assert (await attempt(attacker, "auditor@x.test", PASSWORD)).status_code == 200
    assert not await LoginThrottle.filter(key="pair:auditor@x.test|203.0.113.7").exists()
