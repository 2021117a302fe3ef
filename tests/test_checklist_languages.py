"""Checklist text per language: the format, its validation, and what the API serves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.checklist import ChecklistError, load_checklist, parse_checklist
from audit.store.checklists import import_checklists, read_checklist_dir
from tests.helpers import seed

ROOT = Path(__file__).resolve().parent.parent
BILINGUAL = ROOT / "tests" / "fixtures" / "languages" / "bilingual.yaml"
# What GET /api/checklists[/{id}] answered before checklists had languages
# (made with the code of commit 3c734a3 from checklists/, tests/fixtures/checklists/valid
# and tests/fixtures/api).
GOLDEN = json.loads((ROOT / "tests" / "fixtures" / "golden" / "checklist_api.json").read_text())

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def problems(text: str) -> list[str]:
    with pytest.raises(ChecklistError) as raised:
        parse_checklist(text, "c.yaml")
    return raised.value.lines()


BASE = """\
id: c
title: {title}
{top}sections:
  - id: s
    touchpoint: service
    items:
      - id: a
        type: yes_no
        text: {text}
"""


def checklist_text(title: str = "T", text: str = "A", top: str = "") -> str:
    return BASE.format(title=title, text=text, top=top)


def test_texts_may_be_given_per_language_and_the_model_keeps_its_own() -> None:
    checklist = load_checklist(BILINGUAL)

    assert checklist.language == "en"
    assert checklist.title == "Shop visit"
    assert checklist.languages == ("en", "fr")
    assert checklist.translated
    item = checklist.item_map()["answered"]
    assert (item.text, item.help) == ("A person answered within three rings", "Count the rings")


def test_a_localized_checklist_has_one_string_per_text_falling_back_to_its_own() -> None:
    french = load_checklist(BILINGUAL).localized("fr")

    assert french.language == "fr"
    assert french.title == "Visite de la boutique"
    assert french.scenario.startswith("Appelez d'abord")
    assert french.sections[0].title == "Appel téléphonique"
    assert french.sections[1].title == "Restroom"  # one string: the same for everyone
    items = french.item_map()
    assert items["answered"].help == "Comptez les sonneries"
    assert [o.label for o in items["restroom"].options] == ["Proposées sans hésiter", "Refused"]
    assert items["clean"].text == "How clean was the store"
    assert not french.translated
    assert "fr" not in json.dumps(french.to_dict()["sections"][0]["items"][0]["text"])


def test_a_plain_checklist_is_its_own_localization_and_keeps_its_hash() -> None:
    plain = parse_checklist(checklist_text())
    assert plain.localized("fr") is plain
    assert plain.languages == ("en",)
    assert "language" not in plain.to_dict()
    assert parse_checklist(checklist_text(top="language: en\n")).content_hash == plain.content_hash


def test_a_translation_is_a_content_change_and_round_trips() -> None:
    plain = parse_checklist(checklist_text(text="A"))
    translated = parse_checklist(checklist_text(text="{en: A, fr: Un}"))

    assert translated.content_hash != plain.content_hash
    assert translated.to_dict()["sections"][0]["items"][0]["text"] == {"en": "A", "fr": "Un"}
    again = parse_checklist(json.dumps(translated.to_dict()))
    assert again.content_hash == translated.content_hash
    assert again.localized("fr").item_map()["a"].text == "Un"


def test_a_checklist_written_in_french_names_its_language() -> None:
    french = parse_checklist(checklist_text(title="{fr: Visite, en: Visit}", top="language: fr\n"))

    assert french.language == "fr"
    assert french.title == "Visite"
    assert french.languages == ("fr", "en")
    assert french.localized("en").title == "Visit"
    assert french.to_dict()["language"] == "fr"
    # Asked for a language it does not have at all, it stays in its own.
    plain_fr = parse_checklist(checklist_text(title="Visite", top="language: fr\n"))
    assert plain_fr.localized("en").language == "fr"


@pytest.mark.parametrize(
    ("title", "text", "top", "expected"),
    [
        (
            "{fr: Visite}",
            "A",
            "",
            "c.yaml:2: 'title' has no en text, the checklist's language (add 'en: ...',"
            " or name the checklist's language with 'language:')",
        ),
        (
            "T",
            "{en: A, de: Ein}",
            "",
            "c.yaml:9: unknown language 'de' in 'text' (the languages are en, fr)",
        ),
        ("T", "{en: A, fr: ''}", "", "c.yaml:9: 'text' in fr must not be empty"),
        ("T", "{en: A, fr: [x]}", "", "c.yaml:9: 'text' in fr must be text, not a list"),
        ("T", "{en: A, fr: 3}", "", "c.yaml:9: 'text' in fr must be text, not 3"),
        (
            "{en: Visit}",
            "A",
            "language: fr\n",
            "c.yaml:2: 'title' has no fr text, the checklist's language (add 'fr: ...',"
            " or name the checklist's language with 'language:')",
        ),
        ("T", "A", "language: de\n", "c.yaml:3: 'language' must be one of en, fr, not 'de'"),
        (
            "[T]",
            "A",
            "",
            "c.yaml:2: 'title' must be text (or one text per language, such as"
            " {en: ..., fr: ...}), not a list",
        ),
    ],
)
def test_bad_texts_per_language_are_reported_with_file_and_line(title, text, top, expected):
    assert problems(checklist_text(title=title, text=text, top=top)) == [expected]


def test_every_option_label_and_help_is_checked_too() -> None:
    text = """\
id: c
title: T
sections:
  - id: s
    touchpoint: service
    items:
      - id: a
        type: choice
        help: {fr: Aide}
        options:
          - {value: x, label: {en: X, it: Ics}, points: 1}
"""
    assert problems(text) == [
        "c.yaml:9: 'help' has no en text, the checklist's language (add 'en: ...',"
        " or name the checklist's language with 'language:')",
        "c.yaml:11: unknown language 'it' in 'label' (the languages are en, fr)",
    ]


def texts_of(body: dict) -> list[object]:
    """Every text people read in a checklist's JSON."""
    found: list[object] = [body["title"], body["scenario"]]
    for section in body["sections"]:
        found.append(section["title"])
        for item in section["items"]:
            found += [item["text"], item.get("help", "")]
            found += [option["label"] for option in item.get("options", [])]
    return found


async def test_the_api_serves_one_language_and_names_it(login, db):
    await seed()
    found, bad = read_checklist_dir(BILINGUAL.parent)
    assert not bad
    await import_checklists(found)
    owner = await login("owner@x.test")

    english = (await owner.get("/api/checklists/bilingual-shop")).json()
    french = (await owner.get("/api/checklists/bilingual-shop?lang=fr")).json()

    assert (english["language"], english["languages"]) == ("en", ["en", "fr"])
    assert (french["language"], french["languages"]) == ("fr", ["en", "fr"])
    assert english["title"] == "Shop visit"
    assert french["title"] == "Visite de la boutique"
    assert french["sections"][0]["items"][0]["help"] == "Comptez les sonneries"
    assert french["sections"][1]["items"][0]["options"][1]["label"] == "Refused"
    assert english["hash"] == french["hash"]
    # Never a mapping: every text is a string, as before languages.
    for body in (english, french):
        assert all(isinstance(text, str) for text in texts_of(body))
    # The user's choice, then the browser's, decide when ?lang= does not.
    browser = {"Accept-Language": "fr-FR,fr;q=0.9"}
    r = await owner.get("/api/checklists/bilingual-shop", headers=browser)
    assert r.json()["language"] == "fr"
    await owner.patch("/api/session", json={"language": "en"})
    r = await owner.get("/api/checklists/bilingual-shop", headers=browser)
    assert r.json()["language"] == "en"
    listed = await owner.get("/api/checklists?lang=fr")
    assert {"id": "bilingual-shop", "title": "Visite de la boutique"}.items() <= next(
        row for row in listed.json() if row["id"] == "bilingual-shop"
    ).items()


async def test_an_unknown_lang_is_422_naming_it(login, db):
    await seed()
    auditor = await login("auditor@x.test")
    for url in ("/api/checklists/shop?lang=de", "/api/checklists?lang=xx"):
        r = await auditor.get(url)
        assert r.status_code == 422
        assert r.json()["fields"] == {"lang": "must be one of en, fr, not " + repr(url[-2:])}


async def test_plain_checklists_are_served_byte_for_byte_as_before(login, db):
    for directory in ("tests/fixtures/checklists/valid", "tests/fixtures/api"):
        found, bad = read_checklist_dir(ROOT / directory)
        assert not bad
        await import_checklists(found)
    await seed()
    hq = await login("hq@x.test")
    for slug, before in GOLDEN.items():
        if slug.startswith("/") or slug not in {
            "cafe-visit",
            "retail-store",
            "shop",
            "touchpoint-consistency",
        }:
            continue
        for lang in ("", "?lang=fr"):
            r = await hq.get(f"/api/checklists/{slug}{lang}")
            # The same bytes, then the two keys languages added.
            assert r.text == before[:-1] + ',"language":"en","languages":["en"]}', slug


def test_the_json_schema_takes_texts_per_language_and_refuses_unknown_ones() -> None:
    from audit.schema import checklist_schema
    from audit.yamlsource import load_yaml

    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(checklist_schema())
    document = load_yaml(BILINGUAL.read_text("utf-8"))
    assert list(validator.iter_errors(document)) == []
    document["title"] = {"en": "Visit", "de": "Besuch"}
    assert list(validator.iter_errors(document))


async def test_a_shipped_checklist_speaks_french_and_its_english_is_what_it_was(login, db):
    found, bad = read_checklist_dir(ROOT / "checklists")
    assert not bad
    await import_checklists(found)
    await seed()
    auditor = await login("auditor@x.test")
    for slug in ("sporting-goods", "electronics-store", "home-improvement"):
        before = json.loads(GOLDEN[slug])
        r = await auditor.get(f"/api/checklists/{slug}?lang=en")
        now = r.json()
        if now["languages"] == ["en"]:
            assert r.text == GOLDEN[slug][:-1] + ',"language":"en","languages":["en"]}', slug
            continue
        # Translated since: a new version whose English reads exactly as before.
        assert now["hash"] != before["hash"]
        assert {**now, "hash": None} == {
            **before,
            "hash": None,
            "language": "en",
            "languages": ["en", "fr"],
        }
        french = (await auditor.get(f"/api/checklists/{slug}?lang=fr")).json()
        assert french["language"] == "fr"
        english_texts, french_texts = texts_of(now), texts_of(french)
        untranslated = [
            en for en, fr in zip(english_texts, french_texts, strict=True) if en and en == fr
        ]
        assert untranslated == []
    assert (await auditor.get("/api/checklists/sporting-goods?lang=fr")).json()["title"] == (
        "Visite d'un magasin d'articles de sport"
    )
