"""Configuration problems, one line each: pydantic's errors said in the file's terms.

Every line names the file, the line, the key and the problem:

    HANDOFF_CONFIG /etc/bot.yaml, line 12: scenarios[1].steps[0].choices[0].goto: no step 'foo' in …

pydantic reports each problem with a location (`loc`, the keys and list positions that lead to
the value), a `type` and a message. The location finds the line (through the places
`yaml_source` noted); the type and the schema's markers at that location (`Expected`, `Says`)
give the wording. Checks the models make themselves (a `goto` to no step, a duplicate ID) raise
`rule(...)`, which names the key to blame below the model that checks it.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

if TYPE_CHECKING:
    from handoff_slack.config.yaml_source import Document

Loc = tuple[str | int, ...]  # keys and list positions from the top of the file to a value

RULE = "config_rule"  # the error type of a model's own checks
NO_VALUE = "no_value"  # an optional key written with nothing after it (`ask:`)
OTHER = "\0"  # in a rule's text, where the path of the other entry goes (YAML text cannot hold a NUL)
# Context keys of a rule; the hyphen keeps pydantic from filling them into `{word}`s of user text.
_AT, _ON_KEY, _OTHER = "config-at", "config-on-key", "config-other"


class ConfigError(ValueError):
    """The configuration file is unreadable or invalid: one problem per line, each naming the key and line."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    line: int | None
    loc: Loc  # the key the problem is about; () for the file as a whole
    text: str

    def said(self, source: str) -> str:
        where = f"HANDOFF_CONFIG {source}" + (f", line {self.line}" if self.line is not None else "")
        key = f"{path_of(self.loc)}: " if self.loc else ""
        return f"{where}: {key}{one_line(self.text)}"


@dataclass(frozen=True)
class Expected:
    """Schema marker: what a value must be, as the messages say it ("text", "an ID")."""

    what: str
    choices: tuple[str, ...] = ()  # the allowed words, for "unknown value 'x'; expected one of: …"

    @classmethod
    def one_of(cls, kind: type[StrEnum]) -> Expected:
        choices = tuple(member.value for member in kind)
        return cls(f"one of {', '.join(choices)}", choices)


@dataclass(frozen=True)
class Says:
    """Schema marker: a key's own wording for a length or range problem; `{max_length}`,
    `{actual_length}` and `{value}` are filled in."""

    too_short: str = ""
    too_long: str = ""
    out_of_range: str = ""


def rule(problem: str, at: Loc = (), *, on_key: bool = False, other: Loc | None = None) -> PydanticCustomError:
    """A problem found by a model's own check. `at` leads from the checking model to the value to
    blame (to its key's line with `on_key`); `other` to the entry whose path replaces OTHER."""
    return PydanticCustomError(RULE, problem, {_AT: at, _ON_KEY: on_key, _OTHER: other})


def problems_from(error: ValidationError, document: Document, model: type[BaseModel]) -> list[Problem]:
    details = error.errors()
    # After an unknown key, the mapping's other problems are what the misspelt key left out
    # (Old `tittle` makes `title` missing): the problem is the key. The top level reads on.
    misspelt = {tuple(d["loc"][:-1]) for d in details if d["type"] == "extra_forbidden" and len(d["loc"]) > 1}
    problems = []
    for detail in details:
        loc = tuple(detail["loc"])
        owner = loc[:-1] if detail["type"] == "extra_forbidden" else loc
        if loc in document.cut:
            continue
        if any(owner[: len(m)] == m and (owner != m or detail["type"] != "extra_forbidden") for m in misspelt):
            continue
        problems.append(_problem(detail, loc, document, model))
    return problems


def _problem(detail: ErrorDetails, loc: Loc, document: Document, model: type[BaseModel]) -> Problem:
    kind, ctx = detail["type"], detail.get("ctx", {})
    if kind == RULE:
        at = (*loc, *ctx[_AT])
        text = detail["msg"]
        if ctx[_OTHER] is not None:
            text = text.replace(OTHER, path_of((*loc, *ctx[_OTHER])))
        place = document.places.get(at)
        line = None if place is None else place.key_line if ctx[_ON_KEY] else place.line
        return Problem(line, at, text)
    if kind in ("extra_forbidden", "missing"):
        parent, key = loc[:-1], str(loc[-1])
        if kind == "missing":
            return Problem(_line(document, parent), parent, f"missing required key {key!r}")
        allowed = _keys(_schema_at(model, parent)[0])
        place = document.places.get(loc)
        line = place.key_line if place is not None else None
        return Problem(
            line, parent, f"unknown key {key!r}{did_you_mean(key, allowed)}; expected one of: {allowed_list(allowed)}"
        )
    place = document.places.get(loc)
    value = place.value if place is not None else detail["input"]
    annotation, metadata = _schema_at(model, loc)
    return Problem(_line(document, loc), loc, _wording(kind, ctx, value, annotation, metadata, loc) or detail["msg"])


def _wording(
    kind: str, ctx: Mapping[str, Any], value: object, annotation: Any, metadata: Sequence[Any], loc: Loc
) -> str | None:
    expected = next((m for m in metadata if isinstance(m, Expected)), Expected("text"))
    says = next((m for m in metadata if isinstance(m, Says)), Says())
    if kind in ("model_type", "dict_type"):
        what = "must be" if loc else "the top level must be"
        return f"{what} a mapping with keys ({allowed_list(_keys(annotation))}), got {describe(value)}"
    if kind in ("tuple_type", "list_type"):
        return f"must be a list, got {describe(value)}"
    if kind in ("too_short", "too_long"):
        wording = says.too_short if kind == "too_short" else says.too_long
        return wording.format(**ctx) if wording else None
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is {len(str(value).strip())} characters long; at most {ctx['max_length']} fit here"
    if kind == "string_pattern_mismatch":
        return f"IDs are 1 to 40 lower-case letters, digits or underscores, got {str(value)!r}"
    if kind in ("greater_than_equal", "less_than_equal", "finite_number"):
        if says.out_of_range:
            return says.out_of_range.format(value=value)
        return f"must be at least {ctx['ge']}, got {value}" if "ge" in ctx else None
    if value is None:
        return f"has no value; expected {expected.what}"
    if kind == "enum" and isinstance(value, str):
        word = str(value)
        choices = expected.choices
        return f"unknown value {word!r}{did_you_mean(word, choices)}; expected one of: {allowed_list(choices)}"
    if kind.endswith("_type") or kind == "enum":
        return f"must be {expected.what}, got {describe(value)}"
    return None


def describe(value: object) -> str:
    """What the file holds where something else was expected, for "must be X, got Y"."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, tuple | list):
        return "a list"
    if value is None:
        return "nothing"
    if getattr(value, "is_text", True):
        return f"text {str(value)!r}"
    return repr(str(value))


def path_of(loc: Loc) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else part
    return path


def one_line(text: str) -> str:
    return " ".join(text.split())


def allowed_list(allowed: Iterable[str]) -> str:
    return ", ".join(allowed)


def did_you_mean(word: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _line(document: Document, loc: Loc) -> int | None:
    place = document.places.get(loc)
    return place.line if place is not None else None


def _schema_at(model: type[BaseModel], loc: Loc) -> tuple[Any, list[Any]]:
    """The type the schema expects at `loc`, and the markers (`Annotated` extras) on it."""
    annotation: Any = model
    metadata: list[Any] = []
    for part in loc:
        annotation, metadata = _unwrapped(annotation, metadata)
        if isinstance(part, int):  # tuple[Item, ...]
            annotation, metadata = (get_args(annotation) or (Any,))[0], []
            continue
        if get_origin(annotation) is dict:  # dict[str, Value]: `part` is a key
            annotation, metadata = (get_args(annotation) or (Any, Any))[1], []
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return Any, []
        field = next((f for name, f in annotation.model_fields.items() if (f.alias or name) == part), None)
        if field is None:
            return Any, []
        annotation, metadata = field.annotation, list(field.metadata)
    return _unwrapped(annotation, metadata)


def _unwrapped(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """Through `Annotated[...]` (collecting its extras) and `X | None`, to the type itself."""
    metadata = list(metadata)
    while True:
        if get_origin(annotation) is Annotated:
            annotation, *extras = get_args(annotation)
            metadata.extend(extras)
        elif get_origin(annotation) in (Union, types.UnionType):
            annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
        else:
            return annotation, metadata


def _keys(model: Any) -> list[str]:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [field.alias or name for name, field in model.model_fields.items()]
