"""Safe YAML loading that remembers where every value came from.

Only the standard YAML tags are accepted, the number of nodes an alias may expand to is
bounded (so a "billion laughs" document is refused quickly), nesting is bounded, and files
are read through :mod:`sim.files` (regular files only, size-limited) and must be UTF-8.
Each value's line and column is kept so that errors can name them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim import files
from sim.errors import InputError

FieldPath = tuple[str | int, ...]

MAX_BYTES = 1_000_000
MAX_NODES = 200_000
MAX_DEPTH = 64

_STANDARD_TAGS = frozenset(
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)

# The safe constructors of the scalar tags, which return the value itself.
_SCALAR_CONSTRUCTORS = {
    "tag:yaml.org,2002:" + name: yaml.SafeLoader.yaml_constructors["tag:yaml.org,2002:" + name]
    for name in ("str", "int", "float", "bool", "null", "timestamp")
}

try:  # the C loader is much faster for large datasets
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


def format_field(path: FieldPath) -> str:
    """Format a field path as ``policies[0].sector``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass(frozen=True)
class Document:
    """A loaded YAML document with the position of each of its values.

    Attributes
    ----------
    data : object
        The plain Python value (dicts, lists, str, int, float, bool, None, dates).
    path : Path
        The file it was read from.
    positions : dict
        Field path -> (line, column), one-based, of each value.
    key_positions : dict
        Field path -> (line, column) of the mapping key that introduced the value.
    """

    data: Any
    path: Path
    positions: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)

    def error(self, field_path: FieldPath, message: str, *, at_key: bool = False) -> InputError:
        """Build an :class:`InputError` located at ``field_path``.

        Parameters
        ----------
        field_path : tuple
            The offending field; the nearest enclosing field with a known position is used.
        message : str
            What is wrong.
        at_key : bool
            Point at the mapping key rather than at its value (for unknown keys).
        """
        table = self.key_positions if at_key else self.positions
        probe = field_path
        while probe not in table and probe:
            probe = probe[:-1]
        line, column = table.get(probe, self.positions.get(probe, (None, None)))
        return InputError(
            message,
            path=self.path,
            line=line,
            column=column,
            field=format_field(field_path) or None,
        )


def read_text(path: Path, *, max_bytes: int = MAX_BYTES, what: str = "file") -> str:
    """Read a UTF-8 text file, refusing missing, special, oversized, binary or empty files."""
    text = files.read_text(path, max_bytes=max_bytes, what=what)
    if "\x00" in text:
        raise InputError(
            f"{what} contains NUL bytes; is it a binary file?",
            path=path,
            line=1 + text[: text.index("\x00")].count("\n"),
        )
    if not text.strip():
        raise InputError(f"{what} is empty", path=path, line=1)
    return text


def load_yaml(path: Path, *, max_bytes: int = MAX_BYTES, what: str = "file") -> Document:
    """Load one YAML document safely, keeping the position of each value.

    Parameters
    ----------
    path : Path
        File to read.
    max_bytes : int
        Files larger than this are refused.
    what : str
        Word used for the file in error messages ("scenario", "dataset").

    Returns
    -------
    Document

    Raises
    ------
    InputError
        For unreadable, oversized, non-UTF-8 or empty files, YAML syntax errors, non-standard
        tags, and documents that expand to too many nodes.
    """
    with _no_collection():
        return _load(path, read_text(path, max_bytes=max_bytes, what=what), what)


@contextmanager
def _no_collection() -> Iterator[None]:
    """The cyclic garbage collector paused, as it was before afterwards.

    Loading a document allocates a container object per node and value, and none of them
    becomes garbage on the way: the collections their number sets off find nothing (0.06 s
    of the 0.4 s load of a 141 x 65 synthetic dataset).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(path: Path, text: str, what: str) -> Document:
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        raise InputError(
            f"YAML syntax error: {problem}", path=path, line=line, column=column
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML error: {exc}", path=path) from None
    if not nodes:
        raise InputError(f"{what} is empty (comments only)", path=path, line=1)
    if len(nodes) != 1:
        second = nodes[1].start_mark.line + 1
        raise InputError(
            f"expected one YAML document, found {len(nodes)} ('---' separates them)",
            path=path,
            line=second,
        )
    builder = _Builder(path)
    data = builder.build(nodes[0], ())
    return Document(data, path, builder.positions, builder.key_positions)


class _Builder:
    """Turn a composed node tree into plain values, checking tags and size."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self.positions: dict[FieldPath, tuple[int, int]] = {}
        self.key_positions: dict[FieldPath, tuple[int, int]] = {}
        self._scalars = yaml.SafeLoader("")

    def _fail(self, node: yaml.Node, message: str, where: FieldPath = ()) -> InputError:
        mark = node.start_mark
        return InputError(
            message,
            path=self.path,
            line=mark.line + 1,
            column=mark.column + 1,
            field=format_field(where) or None,
        )

    def build(self, node: yaml.Node, where: FieldPath) -> Any:
        if len(where) > MAX_DEPTH:
            raise self._fail(node, f"values nested more than {MAX_DEPTH} levels deep")
        self.count += 1
        if self.count > MAX_NODES:
            raise self._fail(
                node, f"document expands to more than {MAX_NODES} values (alias bomb?)"
            )
        if node.tag not in _STANDARD_TAGS:
            raise self._fail(node, f"YAML tag '{node.tag}' is not allowed; use plain values")
        self.positions.setdefault(where, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self._fail(key_node, "YAML merge keys ('<<') are not supported")
                key = self.build(key_node, (*where, "<key>"))
                if not isinstance(key, str | int):
                    raise self._fail(key_node, "mapping keys must be plain strings")
                key = str(key)
                if key in result:
                    raise self._fail(key_node, f"duplicate key '{key}'")
                child = (*where, key)
                self.key_positions[child] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*where, index)) for index, item in enumerate(node.value)]
        try:
            scalar = _SCALAR_CONSTRUCTORS.get(node.tag)
            if scalar is not None:
                # called directly: construct_object would also keep every node in its
                # cache, a cycle the garbage collector then walks (25 ms for a 141 x 65
                # dataset's 33,000 values)
                return scalar(self._scalars, node)
            return self._scalars.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            raise self._fail(node, f"invalid value {node.value!r}: {exc}", where) from None
