"""The report in the owner's language: English as before, French throughout."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from audit.report.render import (
    HOW_SCORES_ARE_COMPUTED,
    TEMPLATE_VERSION,
    language_stylesheet,
    render_report_html,
    report_cache_key,
)
from audit.report.twin import report_document
from tests.report_variants import report_variants

ROOT = Path(__file__).resolve().parent.parent
# Made by tests/fixtures/golden/make_report_html.py with the code before languages.
GOLDEN = json.loads((ROOT / "tests" / "fixtures" / "golden" / "report_html.json").read_text())
GOLDEN_PHOTOS = "/tmp/audit-golden-photos"


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory):
    return report_variants(tmp_path_factory.mktemp("photos"))


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_an_english_report_is_the_html_and_json_it_was(variants, name: str) -> None:
    data = variants[name]
    photo_dir = str(next(iter(data.photos.values()))[0].parent) if data.photos else None
    html = render_report_html(data).replace(TEMPLATE_VERSION, "TEMPLATE_VERSION")
    if photo_dir:
        html = html.replace(photo_dir, GOLDEN_PHOTOS)
    assert html == GOLDEN[name]["html"]
    document = json.loads(json.dumps(report_document(data), default=str))
    assert document == GOLDEN[name]["json"]


# ---- through the API: who reads which language


BILINGUAL_DIR = ROOT / "tests" / "fixtures" / "languages"
ANSWERS = {
    "answered": {"value": False, "comment": "Messagerie vocale."},
    "restroom": {"value": "refused"},
    "clean": {"value": 4},
}


@pytest.fixture
async def approved(db, login):
    from audit.store.checklists import import_checklists, read_checklist_dir
    from tests.helpers import new_uuid, seed

    await seed()
    found, bad = read_checklist_dir(BILINGUAL_DIR)
    assert not bad
    await import_checklists(found)
    auditor, hq = await login("auditor@x.test"), await login("hq@x.test")
    uid = new_uuid()
    body = {
        "checklist": "bilingual-shop",
        "location": "S1",
        "visited_at": "2026-11-03T10:00:00Z",
        "answers": ANSWERS,
    }
    assert (await auditor.put(f"/api/audits/{uid}", json=body)).status_code == 201
    assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200, r.text
    return uid, hq


pytestmark_api = pytest.mark.usefixtures("cheap_password_hashing")


@pytestmark_api
async def test_an_owner_who_chose_french_reads_a_french_pdf(approved, login) -> None:
    uid, _hq = approved
    owner = await login("owner@x.test")
    assert (await owner.patch("/api/session", json={"language": "fr"})).status_code == 200

    r = await owner.get(f"/api/audits/{uid}/report.pdf")

    assert r.status_code == 200
    text = pdf_text(r.content)
    for french in (
        "3 novembre 2026",
        "Rapport d'expérience client",
        "La visite en détail",
        "À corriger en priorité",
        "Visite de la boutique",  # the checklist's own French
        "Une personne a répondu avant la troisième sonnerie",
        "Réponse : Non",  # pdf_text makes the thin no-break space a space
        "Page 2 sur 2",  # the cover has no footer
        "Calcul des notes",
    ):
        assert french in text, french
    for english in ("November", "Overall score", "What to fix first", "Answer: No"):
        assert english not in text, english
    # Where the checklist has no French, its own English is printed.
    assert "How clean was the store" in text


@pytestmark_api
async def test_report_json_keeps_its_keys_and_numbers_and_only_labels_change(approved) -> None:
    uid, hq = approved
    english = (await hq.get(f"/api/audits/{uid}/report.json?lang=en")).json()
    french = (await hq.get(f"/api/audits/{uid}/report.json?lang=fr")).json()

    def numbers(doc: dict) -> dict:
        return {
            k: v
            for k, v in doc.items()
            if k not in ("touchpoints", "fixes", "appeals", "since_last_visit", "consistency")
        }

    assert numbers(english) == numbers(french)
    assert [(t["id"], t["score"]) for t in english["touchpoints"]] == [
        (t["id"], t["score"]) for t in french["touchpoints"]
    ]
    assert [t["label"] for t in english["touchpoints"]] == ["Phone", "Facilities"]
    assert [t["label"] for t in french["touchpoints"]] == ["Téléphone", "Équipements"]
    assert [{**f, "label": None} for f in english["fixes"]] == [
        {**f, "label": None} for f in french["fixes"]
    ]


@pytestmark_api
async def test_hq_reads_the_owners_language_unless_it_asks_for_one(approved, login) -> None:
    uid, hq = approved
    # No one chose: AUDIT_LANGUAGE (en).
    r = await hq.get(f"/api/audits/{uid}/report.json")
    assert r.json()["touchpoints"][0]["label"] == "Phone"
    english_pdf = await hq.get(f"/api/audits/{uid}/report.pdf")
    # The location's owner chose French: the owner's report is French for HQ too.
    owner = await login("owner@x.test")
    await owner.patch("/api/session", json={"language": "fr"})
    r = await hq.get(f"/api/audits/{uid}/report.json")
    assert r.json()["touchpoints"][0]["label"] == "Téléphone"
    french_pdf = await hq.get(f"/api/audits/{uid}/report.pdf")
    assert french_pdf.headers["etag"] != english_pdf.headers["etag"]
    assert "3 novembre 2026" in pdf_text(french_pdf.content)
    # ?lang= wins.
    r = await hq.get(f"/api/audits/{uid}/report.json?lang=en")
    assert r.json()["touchpoints"][0]["label"] == "Phone"
    r = await hq.get(f"/api/audits/{uid}/report.pdf?lang=de")
    assert r.status_code == 422
    assert r.json()["fields"] == {"lang": "must be one of en, fr, not 'de'"}


def test_the_french_stylesheet_words_replace_those_of_report_css() -> None:
    css = (ROOT / "audit" / "report" / "report.css").read_text()
    assert f'"{HOW_SCORES_ARE_COMPUTED}"' in css
    assert '"Page " counter(page) " of " counter(pages)' in css
    assert language_stylesheet("en") == ""
    french = language_stylesheet("fr")
    assert '"Page " counter(page) " sur " counter(pages)' in french
    assert '"Calcul des notes' in french


def test_the_cache_key_and_the_html_change_with_the_language(variants) -> None:
    data = variants["sample"]
    french = replace(data, language="fr")
    assert report_cache_key(french) != report_cache_key(data)
    assert '<html lang="fr">' in render_report_html(french)
    assert re.search(r"14 mars 2025", render_report_html(french))
