"""A strict YAML reader that remembers where every value came from.

PyYAML's safe loader still accepts anchors and aliases (the "billion laughs"
expansion), silently keeps the last of two duplicate keys and loses line
numbers.  Checklists are written by hand and validated with `FILE:LINE:`
messages, so this reader composes the node tree itself and:

- refuses anchors, aliases and explicit tags (``!!python/object`` and friends);
- refuses duplicate mapping keys;
- reads booleans and numbers by YAML 1.2 rules, as editors and JSON do;
- returns :class:`LocatedMap` / :class:`LocatedList` that carry the line of the
  mapping and of each key or list entry.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# A checklist of 60 items is ~10 KB; anything past 1 MB is a mistake or an attack.
MAX_SOURCE_BYTES = 1_000_000
# The deepest honest checklist (show_if with all/any inside any) nests about a
# dozen levels; Python's stack takes some 300 of PyYAML's.
MAX_DEPTH = 64

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class SourceError(Exception):
    """A problem at one line of a source file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class LocatedMap(dict[str, Any]):
    line: int
    key_lines: dict[str, int]


class LocatedList(list[Any]):
    line: int
    item_lines: list[int]


class _StrictLoader(yaml.SafeLoader):
    # YAML 1.2 core schema for booleans and numbers: PyYAML's 1.1 rules turn
    # `yes`, `no`, `on` and `off` into booleans (so `equals: yes` would silently
    # mean `true`), read `1:30` as 90 and `017` as 15, and leave `1e-05` as
    # text, while editors (yaml-language-server) and JSON read them as numbers.
    # Dates stay text.  (Replaced in the class below, not on SafeLoader itself.)
    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}

    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, AliasEvent):
            raise SourceError(line, "YAML aliases (*name) are not allowed in checklists")
        if isinstance(event, ScalarEvent | CollectionStartEvent) and event.anchor is not None:
            raise SourceError(line, "YAML anchors (&name) are not allowed in checklists")
        # PyYAML composes (and we convert) nested collections recursively: a
        # file of 50,000 "[" would end in a RecursionError, not a line number.
        if self.depth >= MAX_DEPTH:
            raise SourceError(line, f"nested more than {MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# PyYAML's YAML 1.1 resolvers, dropped (timestamp, value) or replaced below.
_YAML_11_RESOLVERS = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:value",
}
for _first, _resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
    _StrictLoader.yaml_implicit_resolvers[_first] = [
        (tag, regexp) for tag, regexp in _resolvers if tag not in _YAML_11_RESOLVERS
    ]
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
# Resolvers are tried in order of registration: int before float.
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _construct_int(loader: yaml.SafeLoader, node: Node) -> int:
    # PyYAML's own constructor reads a leading 0 as octal and `1:30` as base 60.
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _convert(node: Node, loader: _StrictLoader) -> Any:
    line = node.start_mark.line + 1
    if node.tag not in _PLAIN_TAGS:
        raise SourceError(line, f"unsupported YAML tag {node.tag!r}")
    if isinstance(node, ScalarNode):
        try:
            return loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:  # ValueError: an int of 5,000 digits
            raise SourceError(line, f"bad value: {exc}") from None
    if isinstance(node, SequenceNode):
        seq = LocatedList(_convert(child, loader) for child in node.value)
        seq.line = line
        seq.item_lines = [child.start_mark.line + 1 for child in node.value]
        return seq
    if isinstance(node, MappingNode):
        mapping = LocatedMap()
        mapping.line = line
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SourceError(key_line, "YAML merge keys (<<) are not allowed in checklists")
            key = _convert(key_node, loader)
            if not isinstance(key, str):
                raise SourceError(key_line, f"keys must be text, not {key!r}")
            if key in mapping:
                raise SourceError(
                    key_line, f"duplicate key {key!r} (first at line {mapping.key_lines[key]})"
                )
            mapping[key] = _convert(value_node, loader)
            mapping.key_lines[key] = key_line
        return mapping
    raise SourceError(line, "unsupported YAML node")


def load_yaml(text: str) -> Any:
    """Parse one YAML document strictly; raise :class:`SourceError` on any problem."""
    if len(text.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        raise SourceError(1, f"file is larger than {MAX_SOURCE_BYTES:,} bytes")
    try:
        # The reader refuses control characters (NUL and friends) here already.
        loader = _StrictLoader(text)
    except yaml.reader.ReaderError as exc:
        raise SourceError(_line_at(text, exc.position), _reader_message(exc)) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise SourceError(1, "the file is empty")
        return _convert(node, loader)
    except yaml.reader.ReaderError as exc:  # past the first chunk the reader checked
        raise SourceError(_line_at(text, exc.position), _reader_message(exc)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise SourceError(line, f"YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise SourceError(1, f"YAML error: {exc}") from None
    finally:
        loader.dispose()


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _reader_message(exc: yaml.reader.ReaderError) -> str:
    character = exc.character
    code = ord(character) if isinstance(character, str) else int(character)
    return f"character U+{code:04X} is not allowed in YAML (control characters such as NUL)"
