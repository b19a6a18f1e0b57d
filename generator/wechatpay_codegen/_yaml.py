"""Safe YAML → JSON-like data, with the 1-based line/column of every node.

Why not ``yaml.safe_load``: we need positions for error messages, and the spec files are input we
do not trust. PyYAML's C composer recurses once per nesting level (a few MB of ``[[[[`` crashes the
interpreter) and aliases let a kilobyte expand into gigabytes once constructed. So we read the
*event* stream (libyaml when available; it keeps its own explicit stack) and build the data here,
iteratively, refusing aliases the moment one appears and any nesting deeper than ``MAX_DEPTH``.

Only JSON-compatible values come out: str keys, str/int/float/bool/None scalars, lists and dicts.
Timestamps stay strings (an OpenAPI ``example: 2025-01-01`` is a string in JSON).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode

Pointer = tuple[str | int, ...]

MAX_DEPTH = 64

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"

# PyYAML's stubs leave these untyped; we only call their scalar converters.
_constructor: Any = SafeConstructor()
_resolver: Any = yaml.resolver.Resolver()
_Scalar: Any = ScalarNode


class YamlError(Exception):
    """A problem that stops reading the file (syntax, alias, depth, tag). 1-based position."""

    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.col = col
        self.message = message


@dataclass
class YamlIssue:
    """A problem that does not stop reading (duplicate or non-string key)."""

    line: int
    col: int
    message: str


@dataclass
class ParsedYaml:
    data: Any
    positions: dict[Pointer, tuple[int, int]]
    refs: list[tuple[Pointer, str]]
    issues: list[YamlIssue] = field(default_factory=list)


_NO_KEY: Any = object()
_BAD_KEY: Any = object()


class _Frame:
    """One open mapping or sequence. ``pointer`` is None inside a discarded subtree."""

    __slots__ = ("is_map", "key", "key_pos", "pointer", "start", "value")

    def __init__(
        self, value: Any, pointer: Pointer | None, is_map: bool, start: tuple[int, int]
    ) -> None:
        self.value = value
        self.pointer = pointer
        self.is_map = is_map
        self.start = start
        self.key: Any = _NO_KEY
        self.key_pos = start


def _scalar_text(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


_plain_cache: dict[str, Any] = {}


def _plain_scalar(value: str) -> Any:
    """Resolve an untagged plain scalar as PyYAML does (YAML 1.1: ``yes`` is True, ``0x1f`` 31)."""
    try:
        return _plain_cache[value]
    except KeyError:
        pass
    tag: str = _resolver.resolve(ScalarNode, value, (True, False))
    result = _tagged_scalar(tag, value)
    if len(_plain_cache) < 100_000:
        _plain_cache[value] = result
    return result


def _tagged_scalar(tag: str, value: str) -> Any:
    if tag == _STR or tag == _TIMESTAMP:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _constructor.construct_yaml_bool(_Scalar(tag, value))
    if tag == _INT or tag == _FLOAT:
        convert = (
            _constructor.construct_yaml_int if tag == _INT else _constructor.construct_yaml_float
        )
        try:
            return convert(_Scalar(tag, value))
        except ValueError:  # e.g. more digits than int() accepts
            raise ValueError(
                f"number {_scalar_text(value)} cannot be read; quote it if it is a string"
            ) from None
    if tag == _MERGE:
        raise ValueError("YAML merge keys (<<) are not supported; write the keys out")
    raise ValueError(f"unsupported YAML tag {tag}; use plain JSON-compatible values")


def _mark(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1)


def parse_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document. Raises ``YamlError``; collects non-fatal ``YamlIssue``s."""
    loader = _Loader(text)
    try:
        return _compose(loader)
    except yaml.MarkedYAMLError as exc:
        raise _from_marked(exc) from None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids: no mark, a position
        position = exc.position
        line = text.count("\n", 0, position) + 1
        col = position - (text.rfind("\n", 0, position) + 1) + 1
        raise YamlError(
            line, col, f"invalid YAML: {_one_line(exc.reason)} (#x{exc.character:04x}); remove it"
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every other error carries a mark
        raise YamlError(1, 1, f"invalid YAML: {_one_line(str(exc))}; fix the file") from None
    finally:
        loader.dispose()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _from_marked(exc: yaml.MarkedYAMLError) -> YamlError:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if "nesting depth" in (exc.problem or ""):
        # PyYAML >= 6.0.4 has its own (deeper) limit in the scanner, which can run ahead of our
        # composer on flow collections; one wording for one problem, whichever check saw it first.
        return _too_deep(line, col)
    problem = _one_line(exc.problem or "syntax error")
    context = ""
    if exc.context and exc.context_mark is not None:
        context = f" ({_one_line(exc.context)} at line {exc.context_mark.line + 1})"
    return YamlError(
        line, col, f"invalid YAML: {problem}{context}; fix the indentation, quoting or brackets"
    )


def _too_deep(line: int, col: int) -> YamlError:
    return YamlError(
        line,
        col,
        f"nesting deeper than {MAX_DEPTH} levels; flatten the document "
        "(move nested schemas to components and $ref them)",
    )


def _compose(loader: Any) -> ParsedYaml:
    get_event = loader.get_event
    event = get_event()  # StreamStartEvent
    event = get_event()
    if isinstance(event, yaml.StreamEndEvent):
        raise YamlError(1, 1, "empty file; expected an OpenAPI document (a mapping)")
    positions: dict[Pointer, tuple[int, int]] = {}
    refs: list[tuple[Pointer, str]] = []
    issues: list[YamlIssue] = []
    stack: list[_Frame] = []
    root: Any = None
    done = False

    def child_pointer(top: _Frame) -> Pointer | None:
        """Pointer of the next value added to ``top`` (None: not kept)."""
        if top.pointer is None:
            return None
        if top.is_map:
            key = top.key
            if key is _NO_KEY or key is _BAD_KEY or key in top.value:
                return None
            return (*top.pointer, key)
        return (*top.pointer, len(top.value))

    def add(value: Any, pos: tuple[int, int]) -> None:
        nonlocal root, done
        if not stack:
            root = value
            positions[()] = pos
            done = True
            return
        top = stack[-1]
        if top.is_map:
            key = top.key
            if key is _NO_KEY:  # ``value`` is a key
                if type(value) is not str:
                    issues.append(
                        YamlIssue(
                            *pos,
                            f"mapping key {_scalar_text(value)} is not a string; "
                            "write it in quotes",
                        )
                    )
                    top.key = _BAD_KEY
                else:
                    top.key = value
                top.key_pos = pos
                return
            top.key = _NO_KEY
            if key is _BAD_KEY or top.pointer is None:
                return
            if key in top.value:
                issues.append(
                    YamlIssue(
                        *top.key_pos,
                        f"duplicate key {key!r}; each key may appear once in a mapping",
                    )
                )
                return
            top.value[key] = value
            pointer = (*top.pointer, key)
            positions[pointer] = top.key_pos
            if key == "$ref" and type(value) is str:
                refs.append((pointer, value))
        else:
            if top.pointer is not None:
                item_pointer = (*top.pointer, len(top.value))
                positions[item_pointer] = pos
            top.value.append(value)

    while not done:
        event = get_event()
        kind = type(event)
        if kind is yaml.ScalarEvent:
            tag = event.tag
            try:
                if tag is None or tag == "!":
                    value = _plain_scalar(event.value) if event.implicit[0] else event.value
                else:
                    value = _tagged_scalar(tag, event.value)
            except ValueError as exc:
                raise YamlError(*_mark(event), str(exc)) from None
            add(value, _mark(event))
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            is_map = kind is yaml.MappingStartEvent
            if event.tag not in (None, "!", _MAP if is_map else _SEQ):
                raise YamlError(
                    *_mark(event),
                    f"unsupported YAML tag {event.tag}; use plain JSON-compatible values",
                )
            if len(stack) >= MAX_DEPTH:
                raise _too_deep(*_mark(event))
            pointer: Pointer | None = child_pointer(stack[-1]) if stack else ()
            stack.append(_Frame({} if is_map else [], pointer, is_map, _mark(event)))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            frame = stack.pop()
            add(frame.value, frame.start)
        elif kind is yaml.AliasEvent:
            raise YamlError(
                *_mark(event),
                f"YAML alias *{event.anchor} is not supported (aliases can expand without "
                "bound); repeat the value or use a $ref",
            )
        else:  # pragma: no cover - the parser only emits the events above inside a document
            raise YamlError(*_mark(event), f"unexpected YAML event {kind.__name__}")

    event = get_event()  # DocumentEndEvent
    event = get_event()
    if not isinstance(event, yaml.StreamEndEvent):
        raise YamlError(
            *_mark(event), "more than one YAML document in the file; keep one document per file"
        )
    return ParsedYaml(root, positions, refs, issues)
