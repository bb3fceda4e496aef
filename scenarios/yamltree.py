"""YAML text to plain values plus the line of every field, from the composed node tree.

``yaml.safe_load`` forgets where things were; errors must name the line. So the
text is composed once (``yaml.compose``) and the node tree is walked here: each
mapping key and sequence item gets its 1-based line under its field path
(a tuple of keys and indexes). Duplicate keys, which PyYAML silently lets the
last one win, are reported: a doubled ``until:`` is a typo worth a stop.

Hostile documents end as problems too, never as a traceback: nesting deeper than
:data:`MAX_DEPTH` is refused from the event stream before anything recursive
(PyYAML's composer recurses once per level), an alias bomb is bounded by the
number of nodes walked, and any tag but YAML's plain types (``!!python/object``,
``!custom``) is refused where it stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from scenarios.problems import Problem, ScenarioError

__all__ = ["MAX_DEPTH", "FieldPath", "Located", "format_path", "parse_yaml"]

FieldPath = tuple[str | int, ...]

# An alias bomb ("billion laughs") expands exponentially when walked; bound the walk.
_MAX_NODES = 200_000
#: a scenario nests a handful of levels; far below the interpreter's recursion limit
MAX_DEPTH = 64
_YAML = "tag:yaml.org,2002:"
#: the tags of plain data: a scenario is never an object graph
_PLAIN_TAGS = frozenset(
    _YAML + t for t in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp", "merge")
)


def format_path(path: Sequence[str | int]) -> str:
    """``("load", "stages", 1, "rate")`` → ``load.stages[1].rate``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True, slots=True)
class Located:
    """A parsed document: its plain value and the line of every field path."""

    value: Any
    lines: dict[FieldPath, int]

    def line(self, path: Sequence[str | int]) -> int:
        """The line of ``path`` or of its nearest existing ancestor (missing keys are reported there)."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), 1)


class _Walker:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[FieldPath, int] = {}
        self.problems: list[Problem] = []
        self.visited = 0
        self.constructor = yaml.SafeLoader("")

    def walk(self, node: yaml.Node, path: FieldPath) -> Any:
        self.visited += 1
        if node.tag not in _PLAIN_TAGS:
            self.problems.append(_tag_problem(self.file, node, format_path(path)))
            return None
        if self.visited > _MAX_NODES:
            raise ScenarioError(
                [
                    Problem(
                        self.file,
                        node.start_mark.line + 1,
                        format_path(path),
                        f"document too large (more than {_MAX_NODES} nodes; alias expansion?)",
                    )
                ]
            )
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            merged: list[tuple[int, Any]] = []
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults`; explicit keys win
                    merged.append((line, self.walk(value_node, path)))
                    continue
                # YAML 1.1 reads `on:`/`yes:` as booleans and `1:` as an int; field names are their text.
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else self.scalar(key_node, path)
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    self.problems.append(
                        Problem(
                            self.file,
                            line,
                            format_path((*path, key)),
                            f"duplicate key {key!r} (first at line {self.lines[(*path, key)]})",
                        )
                    )
                    continue
                self.lines[(*path, key)] = line
                out[key] = self.walk(value_node, (*path, key))
            for line, value in merged:
                for source in value if isinstance(value, list) else [value]:
                    for key, item in source.items() if isinstance(source, dict) else ():
                        if key not in out:
                            out[key] = item
                            self.lines[(*path, key)] = line
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = item.start_mark.line + 1
                items.append(self.walk(item, (*path, index)))
            return items
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: FieldPath) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            # e.g. `2026-13-45` matches the timestamp pattern but is no date
            self.problems.append(
                Problem(self.file, node.start_mark.line + 1, format_path(path), f"unreadable value: {exc}")
            )
            return None


def _tag_problem(file: str, node: yaml.Node, field: str) -> Problem:
    tag = "!!" + node.tag[len(_YAML) :] if node.tag.startswith(_YAML) else node.tag
    return Problem(
        file,
        node.start_mark.line + 1,
        field,
        f"tag {tag} is not allowed: a scenario holds plain YAML values (mappings, lists, text, numbers)",
    )


def _depth_problem(text: str, file: str) -> Problem | None:
    """The first collection nested deeper than MAX_DEPTH, read from the (iterative) event stream."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark is not None else 1
                return Problem(file, line, "", f"nesting deeper than {MAX_DEPTH} levels; a scenario needs a few")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _tab_problem(text: str, file: str) -> Problem | None:
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            return Problem(file, number, "", "tab character in indentation; YAML indents with spaces only")
    return None


def parse_yaml(text: str, file: str) -> Located:
    """Compose ``text`` and return its value with field lines; every failure is a :class:`ScenarioError`."""
    try:
        deep = _depth_problem(text, file)
        if deep is not None:
            raise ScenarioError([deep])
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        # Tabs are legal inside block scalars, so they are blamed only when the parse fails.
        tab = _tab_problem(text, file)
        if tab is not None:
            raise ScenarioError([tab]) from None
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError([Problem(file, line, "", f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(file, 1, "", f"YAML error: {exc}")]) from None
    except RecursionError:   # the depth check makes this unreachable; a traceback is never the answer
        raise ScenarioError([Problem(file, 1, "", f"nesting deeper than {MAX_DEPTH} levels")]) from None
    if node is None:
        raise ScenarioError(
            [Problem(file, 1, "", "file is empty; a scenario is a YAML mapping with name, duration, load...")]
        )
    walker = _Walker(file)
    try:
        value = walker.walk(node, ())
    except yaml.YAMLError as exc:  # a bad scalar tag, e.g. an invalid !!timestamp
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError([Problem(file, mark.line + 1 if mark else 1, "", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise ScenarioError([Problem(file, 1, "", "document nests too deeply")]) from None
    if walker.problems:
        raise ScenarioError(walker.problems)
    lines = walker.lines
    lines[()] = node.start_mark.line + 1
    return Located(value, lines)
