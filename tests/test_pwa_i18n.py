"""The PWA's catalogues (static/i18n/*.json) are complete, and its views take
every user-facing text from them (static/js/i18n.js, ``t('key', params)``).

The scan of the JavaScript is lexical: comments are dropped and every string
literal (and each fixed part of a template literal) is looked at with what
precedes it. A literal that reads like words for people (a capitalised word,
two words with a space, sentence punctuation) must be a ``t()`` key or sit in a
place that is not shown: an import, a console or Error message, a comparison.
The few that remain legitimately are in ALLOWED with their reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[1] / "static"
CATALOGUES = STATIC / "i18n"
JS = STATIC / "js"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
PLURAL_FORMS = frozenset({"zero", "one", "two", "few", "many", "other"})

# Literals that are shown but are not words of a language, or not the app's own.
ALLOWED = {
    # Each language's name is written in that language, whatever the app shows.
    ("i18n.js", "English"),
    ("i18n.js", "Français"),
}


def catalogue(code: str) -> dict[str, str | dict[str, str]]:
    data: dict[str, str | dict[str, str]] = json.loads(
        (CATALOGUES / f"{code}.json").read_text(encoding="utf-8")
    )
    return data


def registered_languages() -> list[str]:
    source = (JS / "i18n.js").read_text(encoding="utf-8")
    found = re.search(r"export const LANGUAGES = \{(.*?)\};", source, re.S)
    assert found, "LANGUAGES not found in static/js/i18n.js"
    return re.findall(r"(\w+): '", found.group(1))


def forms(entry: str | dict[str, str]) -> list[str]:
    return list(entry.values()) if isinstance(entry, dict) else [entry]


def placeholders(entry: str | dict[str, str]) -> set[str]:
    return {name for text in forms(entry) for name in PLACEHOLDER.findall(text)}


# ---- a small JavaScript lexer: string literals with the code before them


@dataclass(frozen=True)
class Literal:
    file: str
    line: int
    text: str
    before: str  # the code on the literal's line before it (literals blanked out)


REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^") | {""}


def literals(path: Path) -> list[Literal]:
    source = path.read_text(encoding="utf-8")
    found: list[Literal] = []
    code: list[str] = []  # the code read so far, literals and comments blanked
    i = 0
    n = len(source)

    def line_before() -> str:
        text = "".join(code)
        return text[text.rfind("\n") + 1 :]

    def last_significant() -> str:
        text = "".join(code).rstrip()
        if re.search(r"\b(return|typeof|case|of|in)$", text):
            return ""
        return text[-1:] if text else ""

    def read_string(start: int, quote: str) -> int:
        j = start + 1
        chunk: list[str] = []
        while j < n and source[j] != quote:
            if source[j] == "\\":
                chunk.append(source[j : j + 2])
                j += 2
                continue
            chunk.append(source[j])
            j += 1
        line = source.count("\n", 0, start) + 1
        found.append(Literal(path.name, line, "".join(chunk), line_before()))
        code.append('""')
        return j + 1

    def read_template(start: int) -> int:
        j = start + 1
        chunk: list[str] = []
        line = source.count("\n", 0, start) + 1
        before = line_before()
        while j < n and source[j] != "`":
            if source[j] == "\\":
                chunk.append(source[j : j + 2])
                j += 2
            elif source.startswith("${", j):
                found.append(Literal(path.name, line, "".join(chunk), before))
                chunk = []
                depth = 1
                j += 2
                # The expression inside: strings in it are read as literals too.
                while j < n and depth:
                    c = source[j]
                    if c in "'\"":
                        j = read_string(j, c)
                        continue
                    if c == "`":
                        j = read_template(j)
                        continue
                    depth += {"{": 1, "}": -1}.get(c, 0)
                    code.append(c)
                    j += 1
            else:
                chunk.append(source[j])
                j += 1
        found.append(Literal(path.name, line, "".join(chunk), before))
        code.append('""')
        return j + 1

    while i < n:
        c = source[i]
        if source.startswith("//", i):
            i = source.find("\n", i)
            i = n if i < 0 else i
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            code.append("\n" * source.count("\n", i, end))
            i = end + 2
        elif c in "'\"":
            i = read_string(i, c)
        elif c == "`":
            i = read_template(i)
        elif c == "/" and last_significant() in REGEX_BEFORE:
            j = i + 1
            in_class = False
            while j < n and (source[j] != "/" or in_class):
                if source[j] == "\\":
                    j += 1
                elif source[j] == "[":
                    in_class = True
                elif source[j] == "]":
                    in_class = False
                j += 1
            code.append("/re/")
            i = j + 1
        else:
            code.append(c)
            i += 1
    return found


# Words for people: a capitalised word, two words, or sentence punctuation.
PROSE = re.compile(
    r"\b[A-Z][a-z]{2,}\b|[A-Za-z]{2,}[ ][A-Za-z]{2,}|[a-z][.!?…:](\s|$)"
    r"|[\u2019\u201c\u201d\u00ab\u00bb]"
)
# Places where a literal is never shown.
NOT_SHOWN = re.compile(
    r"(\bt\($|\bimport\b|\bfrom\s*$|console\.\w+\($|new Error\($|super\($"
    r"|\b(class|type|id|name|href|rel|for|role|scope|method|accept|autocomplete|inputmode"
    r"|capture|dataset|key|intent|state|status|purpose|verdict|permission|reason|role|mode)\s*:\s*$"
    r"|class:[^,{}]*$|\.name\s*=\s*$|(===|!==|==|!=)\s*$|\.(startsWith|slice|matchMedia|load|endsWith|includes|has|get|set|add|delete|match|test"
    r"|addEventListener|removeEventListener|emit|querySelector|querySelectorAll|getElementById"
    r"|setAttribute|removeAttribute|closest|getMeta|setMeta|transact|createElement|lock|request)\($)"
)


def is_prose(text: str) -> bool:
    if re.fullmatch(r"[A-Z][a-z]+(-[A-Z][a-z]+)+", text):
        return False  # an HTTP header's name
    return bool(PROSE.search(text)) and not text.startswith(("/api/", "/static/", "#/", "http"))


def user_texts() -> list[Literal]:
    shown = []
    for path in sorted(JS.rglob("*.js")):
        for literal in literals(path):
            if not is_prose(literal.text) or NOT_SHOWN.search(literal.before.rstrip()):
                continue
            if (literal.file, literal.text) in ALLOWED:
                continue
            shown.append(literal)
    return shown


def used_keys() -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for path in sorted(JS.rglob("*.js")):
        source = path.read_text(encoding="utf-8")
        for pattern in (
            r"\bt\(\s*'([a-z_0-9]+\.[a-z_0-9.]+)'",
            r"\bt\(\s*\w+\s*\?\s*'([^']+)'\s*:\s*'([^']+)'",
            r"\bkey:\s*'([a-z_]+\.[a-z_0-9.]+)'",
            r"describeCheck\('([^']+)'",
            r"\? '([a-z]+\.[a-z_]+)' : '([a-z]+\.[a-z_]+)'",
        ):
            for match in re.finditer(pattern, source):
                for key in match.groups():
                    keys.setdefault(key, []).append(path.name)
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    for key in re.findall(r'data-i18n(?:-content)?="([^"]+)"', html):
        keys.setdefault(key, []).append("index.html")
    return keys


# ---- the catalogues


def test_every_registered_language_has_a_catalogue_and_every_catalogue_is_registered() -> None:
    files = sorted(path.stem for path in CATALOGUES.glob("*.json"))
    assert sorted(registered_languages()) == files
    assert {"en", "fr"} <= set(files)


@pytest.mark.parametrize("code", ["fr"])
def test_a_catalogue_has_exactly_the_keys_of_the_english_one(code: str) -> None:
    english, other = catalogue("en"), catalogue(code)
    assert sorted(set(english) - set(other)) == [], f"missing in {code}.json"
    assert sorted(set(other) - set(english)) == [], f"only in {code}.json"


@pytest.mark.parametrize("code", ["en", "fr"])
def test_each_text_has_the_placeholders_of_the_english_one(code: str) -> None:
    english, other = catalogue("en"), catalogue(code)
    wrong = {
        key: (sorted(placeholders(english[key])), sorted(placeholders(entry)))
        for key, entry in other.items()
        if key in english and placeholders(entry) != placeholders(english[key])
    }
    assert wrong == {}


@pytest.mark.parametrize("code", ["en", "fr"])
def test_plural_texts_name_known_forms_with_other_and_count(code: str) -> None:
    for key, entry in catalogue(code).items():
        if isinstance(entry, dict):
            assert set(entry) <= PLURAL_FORMS and "other" in entry, key
            assert "one" in entry, key  # both languages have a singular
        else:
            assert isinstance(entry, str) and entry.strip(), key


def test_french_texts_use_french_typography() -> None:
    for key, entry in catalogue("fr").items():
        for text in forms(entry):
            # A no-break space (or a narrow one) before : ; ! ? and », after «.
            assert not re.search(r"[^\u00a0\u202f][:;!?»]", text), (key, text)
            assert not re.search(r"«[^\u00a0\u202f]", text), (key, text)
            assert '"' not in text and "“" not in text, (key, text)


def test_every_key_the_app_uses_is_in_every_catalogue() -> None:
    used = used_keys()
    assert len(used) > 200  # the scan itself finds the app's keys
    for code in registered_languages():
        missing = {key: files for key, files in used.items() if key not in catalogue(code)}
        assert missing == {}, f"not in {code}.json"


def test_no_view_shows_a_bare_english_literal() -> None:
    found = [f"{lit.file}:{lit.line}: {lit.text!r}" for lit in user_texts()]
    assert found == []


def test_the_scan_would_see_a_bare_literal(tmp_path: Path) -> None:
    sample = tmp_path / "sample.js"
    sample.write_text(
        "h('p', { class: 'lead' }, 'Your visits, on your phone.');\n"
        "el.textContent = `Sending ${n} visits…`;\n"
        "t('home.title'); console.warn('Not shown to anyone');\n",
        encoding="utf-8",
    )
    read = [lit for lit in literals(sample) if is_prose(lit.text)]
    shown = [lit.text for lit in read if not NOT_SHOWN.search(lit.before.rstrip())]
    assert "Not shown to anyone" in [lit.text for lit in read]
    assert shown == ["Your visits, on your phone.", "Sending ", " visits…"]
