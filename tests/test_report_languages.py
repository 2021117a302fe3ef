"""The report in the owner's language: English as before, French throughout."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from audit.report.render import (
    TEMPLATE_VERSION,
    render_report_html,
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
