"""Every message of the report has its French (audit.catalogue, audit.locale.fr)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from audit.catalogue import CATALOGUES, Words, gettext, ngettext
from audit.locale.fr import FRENCH

PACKAGE = Path(__file__).resolve().parent.parent / "audit"
# Where messages are written: _("…") and n_("…", "…", n) in the templates and
# with a Words object, gettext(language, "…") and ngettext(language, "…", "…", n),
# and N_("…") where a message is defined before it is translated.
KEYWORDS = {
    "_": None,
    "N_": None,
    "n_": (1, 2),
    "plural": (1, 2),
    "gettext": (2,),
    "ngettext": (2, 3),
}
METHODS = [("**.py", "python"), ("report/**.html", "jinja2.ext:babel_extract")]


def messages() -> dict[str, str]:
    """Every message of the package → where it is first used."""
    found: dict[str, str] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        PACKAGE, METHODS, keywords=KEYWORDS, options_map={"report/**.html": {}}
    ):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found.setdefault(text, f"audit/{filename}:{line}")
    return found


def test_the_extraction_sees_the_report_and_its_wording() -> None:
    found = messages()
    # One of each way a message is written, so an extraction that finds
    # nothing cannot pass the test below.
    assert "The visit in detail" in found  # a template
    assert "{n} approved audits" in found  # a template's plural
    assert "Consultation" in found  # N_ in presentation
    assert "Brand average" in found  # gettext(language, …) in charts
    assert "{n} points" in found  # Words.plural in view
    assert (
        "{fixed} of the {n} items that failed or were weak at the visit of {day} are fixed" in found
    )
    assert len(found) > 150


def test_every_message_has_its_french() -> None:
    missing = [
        f"{where}: {message!r}" for message, where in messages().items() if message not in FRENCH
    ]
    assert missing == [], "no French for:\n" + "\n".join(missing)


def test_the_french_keeps_every_field_and_names_no_other() -> None:
    wrong = []
    for english, french in FRENCH.items():
        fields = sorted(re.findall(r"\{(\w*)\}", english))
        if sorted(re.findall(r"\{(\w*)\}", french)) != fields:
            wrong.append(f"{english!r} → {french!r}")
    assert wrong == []


def test_the_catalogue_holds_no_message_nothing_uses() -> None:
    assert sorted(set(FRENCH) - set(messages())) == []


def test_french_plurals_follow_the_french_rule() -> None:
    assert ngettext("fr", "{n} point", "{n} points", 0) == FRENCH["{n} point"]
    assert ngettext("fr", "{n} point", "{n} points", 1) == FRENCH["{n} point"]
    assert ngettext("fr", "{n} point", "{n} points", 2) == FRENCH["{n} points"]
    assert ngettext("en", "{n} point", "{n} points", 0) == "{n} points"
    assert Words("fr").plural("{n} promoter", "{n} promoters", 1200) == "1\u202f200 promoteurs"


def test_english_is_its_own_catalogue() -> None:
    assert "en" not in CATALOGUES
    assert gettext("en", "Overall score") == "Overall score"
    assert gettext("fr", "Overall score") == FRENCH["Overall score"]
