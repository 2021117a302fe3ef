"""`audit user deactivate`, `audit user sessions revoke`, sessions ending on a password
change, and the password rule (issue 13, item 2), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

from audit.app import create_app
from audit.auth import COOKIE_NAME
from audit.cli import main
from audit.db import tortoise_config
from audit.settings import Settings
from tests.conftest import make_client

PASSWORD = "a long enough password"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, settings: Settings, capsys) -> Callable[..., Any]:
    """Run ``audit …`` on the test's database; (exit status, stdout, stderr)."""
    for name in list(os.environ):
        if name.startswith("AUDIT_") and name != "AUDIT_TEST_POSTGRES":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AUDIT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AUDIT_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("AUDIT_MEDIA_DIR", str(settings.media_dir))
    monkeypatch.setenv("AUDIT_SECRET_KEY", settings.secret_key)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    def run(*argv: str, password: str = PASSWORD) -> tuple[int, str, str]:
        monkeypatch.setenv("AUDIT_PASSWORD", password)
        EXECUTOR_CACHE.clear()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out.strip(), err.strip()

    return run


def with_app(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``work(app)`` against the service, between two commands."""

    async def scenario() -> Any:
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=tortoise_config(settings.database_url))
        try:
            settings.media_dir.mkdir(parents=True, exist_ok=True)
            return await work(create_app(settings, manage_database=False))
        finally:
            await connections.close_all()

    return asyncio.run(scenario())


def sign_in(settings: Settings, email: str, password: str = PASSWORD) -> tuple[int, str]:
    """(status, session cookie) of one sign-in."""

    async def work(app: Any) -> tuple[int, str]:
        async with make_client(app) as client:
            r = await client.post("/api/session", json={"email": email, "password": password})
            return r.status_code, r.cookies.get(COOKIE_NAME, "")

    return with_app(settings, work)


def still_signed_in(settings: Settings, cookie: str) -> bool:
    async def work(app: Any) -> bool:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            cookies={COOKIE_NAME: cookie},
        ) as client:
            return (await client.get("/api/session")).status_code == 200

    return with_app(settings, work)


def test_sessions_revoke_signs_the_user_out_on_every_device(cli, settings):
    assert cli("user", "add", "a@x.test", "--role", "auditor")[0] == 0
    phone = sign_in(settings, "a@x.test")[1]
    tablet = sign_in(settings, "a@x.test")[1]
    assert still_signed_in(settings, phone) and still_signed_in(settings, tablet)

    code, out, err = cli("user", "sessions", "revoke", "A@x.test")

    assert (code, out, err) == (0, "user a@x.test: 2 sessions ended", "")
    assert not still_signed_in(settings, phone)
    assert not still_signed_in(settings, tablet)
    assert sign_in(settings, "a@x.test")[0] == 200  # revoked, not deactivated


def test_deactivate_ends_sessions_and_refuses_sign_in_until_added_again(cli, settings):
    assert cli("user", "add", "o@x.test", "--role", "owner")[0] == 0
    phone = sign_in(settings, "o@x.test")[1]

    code, out, _ = cli("user", "deactivate", "o@x.test")

    assert (code, out) == (0, "user o@x.test deactivated; 1 session ended")
    assert not still_signed_in(settings, phone)
    assert sign_in(settings, "o@x.test")[0] == 401
    # `audit user add` again restores the user.
    assert cli("user", "add", "o@x.test", "--role", "owner")[0] == 0
    assert sign_in(settings, "o@x.test")[0] == 200


def test_a_password_change_ends_every_session_signed_in_with_the_old_one(cli, settings):
    assert cli("user", "add", "h@x.test", "--role", "hq")[0] == 0
    old = sign_in(settings, "h@x.test")[1]

    new_password = "quite another passphrase"
    assert cli("user", "add", "h@x.test", "--role", "hq", password=new_password)[0] == 0

    assert not still_signed_in(settings, old)
    assert sign_in(settings, "h@x.test")[0] == 401
    assert sign_in(settings, "h@x.test", new_password)[0] == 200


@pytest.mark.parametrize("command", [("deactivate",), ("sessions", "revoke")])
def test_an_unknown_user_is_one_line_and_exit_1(cli, command):
    code, out, err = cli("user", *command, "nobody@x.test")

    assert (code, out) == (1, "")
    assert err == "no user 'nobody@x.test'"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", "common password"),
        ("12345678", "common password"),
        ("        ", "Repeats"),
        ("qwertyuiop", "common password"),
        ("ann@x.test", "too easy to guess"),  # the user's own e-mail
        ("Ann Auditor", "too easy to guess"),  # and name
        ("short", "at least 8 characters"),
    ],
)
def test_common_and_guessable_passwords_are_refused_with_one_line(cli, settings, password, reason):
    code, out, err = cli(
        "user", "add", "ann@x.test", "--role", "auditor", "--name", "Ann Auditor", password=password
    )

    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1
    assert reason in err
    assert err.startswith(("the password is too easy to guess:", "the password must"))
    assert sign_in(settings, "ann@x.test", password)[0] == 401


def test_user_add_records_the_language_and_keeps_it_when_not_given(cli, settings):
    assert cli("user", "add", "fr@x.test", "--role", "owner", "--language", "fr")[0] == 0

    async def language(app: Any) -> Any:
        from audit.models import User

        return (await User.get(email="fr@x.test")).language

    assert with_app(settings, language) == "fr"
    assert cli("user", "add", "fr@x.test", "--role", "owner")[0] == 0
    assert with_app(settings, language) == "fr"
    assert cli("user", "add", "fr@x.test", "--role", "owner", "--language", "en")[0] == 0
    assert with_app(settings, language) == "en"


def test_user_add_refuses_a_language_the_service_does_not_speak(cli, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli("user", "add", "de@x.test", "--role", "owner", "--language", "de")
    assert stopped.value.code != 0
    assert "invalid choice: 'de'" in capsys.readouterr().err
