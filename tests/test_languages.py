"""Languages: negotiation, the user's choice through /api/session."""

from __future__ import annotations

import pytest

from audit.i18n import LANGUAGES, from_accept_language, language_problem, negotiate
from audit.models import User
from audit.settings import Settings
from tests.helpers import seed

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def test_the_service_speaks_english_and_french() -> None:
    assert LANGUAGES == ("en", "fr")
    assert language_problem("fr") is None
    assert language_problem("de") == "must be one of en, fr, not 'de'"
    assert language_problem(None) == "must be one of en, fr, not null"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("de-DE,de;q=0.9,en-GB;q=0.5", "en"),
        ("de, it", None),
        ("en;q=0.4, fr;q=0.6", "fr"),
        ("fr;q=0, en;q=0.1", "en"),
        ("FR", "fr"),
        ("*", None),
        ("", None),
        (None, None),
        ("fr;q=abc, en", "en"),
    ],
)
def test_accept_language_gives_the_most_wanted_spoken_language(header, expected) -> None:
    assert from_accept_language(header) == expected


def test_negotiation_takes_the_explicit_choice_then_the_user_then_the_browser() -> None:
    assert negotiate("fr", "en", "en", "en") == "fr"
    assert negotiate(None, "fr", "en", "en") == "fr"
    assert negotiate(None, None, "fr-BE", "en") == "fr"
    assert negotiate(None, None, "de", "fr") == "fr"
    assert negotiate(None, None, None) == "en"


def test_audit_language_is_read_and_checked(monkeypatch) -> None:
    monkeypatch.setenv("AUDIT_SECRET_KEY", "x")
    monkeypatch.delenv("AUDIT_LANGUAGE", raising=False)
    assert Settings.from_env().language == "en"
    monkeypatch.setenv("AUDIT_LANGUAGE", "FR")
    assert Settings.from_env().language == "fr"
    monkeypatch.setenv("AUDIT_LANGUAGE", "de")
    with pytest.raises(ValueError, match="AUDIT_LANGUAGE must be one of en, fr, not 'de'"):
        Settings.from_env()


async def test_the_session_names_the_chosen_language_and_the_spoken_ones(login, db):
    await seed()
    owner = await login("owner@x.test")

    r = await owner.get("/api/session")
    assert r.status_code == 200
    assert r.json()["language"] is None
    assert r.json()["languages"] == ["en", "fr"]

    r = await owner.patch("/api/session", json={"language": "fr"})
    assert r.status_code == 200, r.text
    assert r.json()["language"] == "fr"
    assert r.json()["role"] == "owner"
    assert r.json()["csrf_token"] == owner.csrf
    assert (await User.get(email="owner@x.test")).language == "fr"
    assert (await owner.get("/api/session")).json()["language"] == "fr"

    r = await owner.patch("/api/session", json={"language": None})
    assert r.status_code == 200
    assert r.json()["language"] is None
    assert (await User.get(email="owner@x.test")).language is None


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"language": "de"}, "language", "must be one of en, fr, not 'de'"),
        ({"language": 3}, "language", "must be one of en, fr, not 3"),
        ({"language": ""}, "language", "must be one of en, fr, not ''"),
        ({}, "language", "is required"),
        ({"language": "fr", "role": "hq"}, "role", "is not a session setting"),
        (["fr"], "body", "must be a JSON object"),
    ],
)
async def test_a_bad_language_is_422_naming_the_field_and_changes_nothing(
    login, db, body, field, message
):
    await seed()
    auditor = await login("auditor@x.test")
    await auditor.patch("/api/session", json={"language": "fr"})

    r = await auditor.patch("/api/session", json=body)

    assert r.status_code == 422, r.text
    assert r.json()["fields"] == {field: message}
    assert field in r.json()["error"]
    assert (await User.get(email="auditor@x.test")).language == "fr"


async def test_choosing_a_language_needs_the_csrf_token(login, db):
    await seed()
    hq = await login("hq@x.test")

    r = await hq.client.patch("/api/session", json={"language": "fr"})

    assert r.status_code == 403
    assert (await User.get(email="hq@x.test")).language is None


async def test_sign_in_answers_the_users_language(client, db):
    await seed()
    await User.filter(email="hq@x.test").update(language="fr")
    r = await client.post(
        "/api/session", json={"email": "hq@x.test", "password": "correct horse battery"}
    )
    assert r.json()["language"] == "fr"
    assert r.json()["languages"] == ["en", "fr"]
