"""The configuration file as plain Python values, with the line every value and key came from.

The file is parsed into YAML *nodes* (PyYAML's safe composer; nothing is constructed from tags)
and turned into dicts, tuples and `Scalar`s. A `Scalar` is the text as written, plus what YAML
would have made of it: text fields take the text (`label: Yes` is the word Yes, not YAML 1.1's
true), number and true/false fields take YAML's value. The pydantic models in `schema.py` check
these values; `errors.py` finds each problem's line through `Document.places`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from handoff_slack.config.errors import ConfigError, Loc, Problem, describe, one_line

STR = "tag:yaml.org,2002:str"
NULL = "tag:yaml.org,2002:null"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
_KEY_TAGS = (STR, INT, BOOL, FLOAT)  # keys are words; `1:` or `yes:` count by their text
_SCALARS = SafeConstructor()  # only its bool/int/float readers are used, on single scalar nodes
_READERS = {
    BOOL: _SCALARS.construct_yaml_bool,
    INT: _SCALARS.construct_yaml_int,
    FLOAT: _SCALARS.construct_yaml_float,
}


class Scalar(str):
    """A scalar as written in the file; `resolved` is YAML's reading of it (a bool, int, float,
    or the text itself for every other tag), `is_text` whether YAML read it as text."""

    resolved: object
    is_text: bool

    def __new__(cls, node: ScalarNode) -> Scalar:
        scalar = super().__new__(cls, node.value)
        reader = _READERS.get(node.tag)
        scalar.resolved = reader(node) if reader is not None else str(node.value)
        scalar.is_text = node.tag == STR
        return scalar


@dataclass(frozen=True)
class Place:
    line: int  # the value's first line (1-based)
    key_line: int | None  # the line of the key that holds it, None for list items and the top
    value: object  # as read, before any model converted it: for "must be X, got Y"


@dataclass
class Document:
    data: object  # None for an empty file
    places: dict[Loc, Place] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # mistakes the models never see (duplicate keys)
    cut: set[Loc] = field(default_factory=set)  # where an alias loop was cut: its problem is already noted


def read_document(text: str, source: str) -> Document:
    """`text` as values with their lines; a YAML syntax error raises `ConfigError` at once."""
    root = _compose(text, source)
    document = Document(data=None)
    if root is not None:
        document.data = _Reader(document).value(root, (), None, frozenset())
    return document


def _compose(text: str, source: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f", line {mark.line + 1}" if mark is not None else ""
        detail = error.problem or "invalid YAML"
        if error.context:
            detail = f"{detail} ({error.context})"
        if error.context and "flow" in error.context:  # `{label: Sure?, …}`: PyYAML stops at the ?
            detail += "; inside { } or [ ], put texts containing ? : , { } [ ] in quotes"
        raise ConfigError(f"HANDOFF_CONFIG {source}{line}: YAML syntax error: {one_line(detail)}") from None
    except yaml.YAMLError as error:  # e.g. a control character the reader refuses
        raise ConfigError(f"HANDOFF_CONFIG {source}: YAML error: {one_line(str(error))}") from None


class _Reader:
    def __init__(self, document: Document) -> None:
        self.document = document

    def value(self, node: Node, loc: Loc, key_node: Node | None, outer: frozenset[int]) -> object:
        value = self.read(node, loc, outer)
        self.document.places[loc] = Place(node.start_mark.line + 1, _line(key_node), value)
        return value

    def read(self, node: Node, loc: Loc, outer: frozenset[int]) -> object:
        if id(node) in outer:  # `a: &x [*x]`: an alias inside the value it names
            self.note(node, loc, "an alias here names a value that contains it")
            self.document.cut.add(loc)
            return None
        if isinstance(node, MappingNode):
            return self.mapping(node, loc, outer | {id(node)})
        if isinstance(node, SequenceNode):
            inner = outer | {id(node)}
            return tuple(self.value(item, (*loc, index), None, inner) for index, item in enumerate(node.value))
        assert isinstance(node, ScalarNode)
        return None if node.tag == NULL else Scalar(node)

    def mapping(self, node: MappingNode, loc: Loc, outer: frozenset[int]) -> dict[str, object]:
        """Duplicate, merge and non-word keys are noted and left out; the rest is read on."""
        values: dict[str, object] = {}
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.note(key_node, loc, "merge keys (<<) are not supported; repeat the keys, or alias a whole value")
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _KEY_TAGS:
                what = describe(Scalar(key_node) if isinstance(key_node, ScalarNode) else _shape(key_node))
                self.note(key_node, loc, f"keys must be words, got {what}")
                continue
            key = str(key_node.value)
            if key in first_lines:
                self.note(key_node, loc, f"duplicate key {key!r} (first on line {first_lines[key]})")
                continue
            first_lines[key] = key_node.start_mark.line + 1
            values[key] = self.value(value_node, (*loc, key), key_node, outer)
        return values

    def note(self, node: Node, loc: Loc, problem: str) -> None:
        self.document.problems.append(Problem(node.start_mark.line + 1, loc, problem))


def _line(node: Node | None) -> int | None:
    return None if node is None else node.start_mark.line + 1


def _shape(node: Node) -> object:
    """A stand-in with the node's shape, for describing a key that is a list or a mapping."""
    return {} if isinstance(node, MappingNode) else ()
