"""Read YAML the way people who edit text files expect, remembering lines.

Two deliberate departures from plain `yaml.safe_load`:
- every scalar stays the text you typed (`no`, `010`, `1.10` are strings); the
  schema code decides what is a yes/no or a number, so YAML's surprises (the
  "Norway problem") cannot turn a code id into `False`;
- every mapping and list remembers the line it starts on, and every key its
  line, so an error deep in a file with hundreds of excerpts points at the
  right line. Duplicate keys are an error, not a silent overwrite.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .errors import ProjectError

# libyaml's parser when PyYAML was built with it (the wheels are): about ten times faster, same marks.
_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

TRUE_WORDS = {"yes", "true", "y", "on", "1"}
FALSE_WORDS = {"no", "false", "n", "off", "0", ""}


class Map(dict):
    """A mapping that knows its own line and each key's line (1-based)."""

    line: int = 0
    key_lines: dict

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines = {}         # an empty document's Map has none (found by benchmarks/fuzz_bench.py)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Seq(list):
    """A list that knows its own line and each item's line (1-based)."""

    line: int = 0
    item_lines: list


def read_text(path: Path, *, shown: Path | None = None) -> str:
    """Read a project text file as UTF-8, with a clear error otherwise.

    `shown` is the path to name in errors (project-relative), when it differs from `path`.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProjectError(
            f"not UTF-8 text (byte {exc.start} cannot be decoded)", path=shown or path, line=line,
            hint="re-save the file as UTF-8 (in most editors: Save As… → Encoding: UTF-8)",
        ) from None
    return text.replace("\r\n", "\n")


class TreeMemory:
    """Parsed trees kept between loads in one process (`storygen serve`), so a load
    re-parses only the files whose text changed.

    The trees live in a dict the build context owns (BuildContext.yaml_trees), by
    (file, line offset): (text, tree). Sharing a tree between loads is safe because
    nothing modifies one after parsing (Fields only reads). After a load,
    `forget_unseen()` drops the files that load did not read (deleted or renamed).
    """

    def __init__(self, trees: dict):
        self.trees = trees
        self.seen: set = set()

    def recall(self, key, text: str):
        self.seen.add(key)
        known = self.trees.get(key)
        return known[1] if known is not None and known[0] == text else None

    def keep(self, key, text: str, tree) -> None:
        self.trees[key] = (text, tree)

    def forget_unseen(self) -> None:
        for key in [k for k in self.trees if k not in self.seen]:
            del self.trees[key]


def load_yaml(path: Path, text: str | None = None, *, line_offset: int = 0, shown: Path | None = None,
              memory: TreeMemory | None = None):
    """Parse a YAML document into Map/Seq/str, keeping line numbers.

    `line_offset` shifts reported lines, for YAML embedded in a larger file
    (a story's front matter); `shown` is the path errors name (project-relative).
    With `memory`, a tree parsed from the same file and text before is reused
    (the tree must then never be modified).
    """
    if text is None:
        text = read_text(path, shown=shown)
    key = (str(path), line_offset)
    if memory is not None:
        known = memory.recall(key, text)
        if known is not None:
            return known
    tree = _parse(text, shown or path, line_offset)
    if memory is not None:
        memory.keep(key, text, tree)
    return tree


# Deeper than any project file needs (an excerpt sits at depth 4); a deeper tree is a
# mistake or an attack, and would otherwise end in a RecursionError.
MAX_DEPTH = 40
_ALIAS_HINT = ("write the value out in full where it is used; anchors (`&name`) and aliases "
               "(`*name`) are not allowed in project files")


def _parse(text: str, path: Path, line_offset: int):
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        problem = exc.problem or str(exc)
        raise ProjectError(
            f"YAML syntax error: {problem}" + (f" ({exc.context})" if exc.context else ""),
            path=path, line=line,
            hint="check indentation (spaces, not tabs) and that text with a `:` or `#` is quoted",
        ) from None
    except yaml.reader.ReaderError as exc:        # a character YAML does not allow, e.g. NUL
        line = text[: exc.position].count("\n") + 1 + line_offset
        raise ProjectError(f"YAML syntax error: character {exc.character!r} is not allowed in YAML",
                           path=path, line=line,
                           hint="delete the invisible control character (re-typing the line removes it)") from None
    except yaml.YAMLError as exc:
        raise ProjectError(f"YAML error: {exc}", path=path) from None
    except RecursionError:
        raise ProjectError(f"the YAML is nested more than {MAX_DEPTH} levels deep", path=path,
                           hint="project files need only a few levels; check the brackets and indentation"
                           ) from None
    if node is None:                # an empty document: errors about it point at its first line
        empty = Map()
        empty.line = 1 + line_offset
        return empty
    return _Converter(path, line_offset).convert(node, 0)


class _Converter:
    """Composed YAML nodes -> Map/Seq/str with lines.

    An alias makes the composer hand back the same node again; converting it again
    is how a few hundred bytes (`&a [x, x, …]`, `&b [*a, *a, …]`, …) expand to
    gigabytes, and `&a [*a]` never ends. Project files have no use for aliases, so a
    node met twice is refused rather than expanded (a repeated plain value costs nothing
    and is allowed).
    """

    def __init__(self, path: Path, offset: int):
        self.path = path
        self.offset = offset
        self.seen: set[int] = set()

    def line(self, node) -> int:
        return node.start_mark.line + 1 + self.offset

    def convert(self, node, depth: int):
        if isinstance(node, yaml.ScalarNode):
            return node.value
        if id(node) in self.seen:
            raise ProjectError("a YAML alias repeats the list or mapping anchored on this line",
                               path=self.path, line=self.line(node), hint=_ALIAS_HINT)
        self.seen.add(id(node))
        if depth >= MAX_DEPTH:
            raise ProjectError(f"the YAML is nested more than {MAX_DEPTH} levels deep", path=self.path,
                               line=self.line(node), hint="project files need only a few levels; "
                               "check the brackets and indentation")
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, depth)
        result = Seq(self.convert(item, depth + 1) for item in node.value)
        result.line = self.line(node)
        result.item_lines = [self.line(item) for item in node.value]
        return result

    def mapping(self, node, depth: int) -> Map:
        result = Map()
        result.line = self.line(node)
        result.key_lines = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ProjectError("a key must be plain text", path=self.path, line=self.line(key_node))
            key = key_node.value
            key_line = self.line(key_node)
            if key in result:
                raise ProjectError(
                    f"`{key}` appears twice (first on line {result.key_lines[key]})",
                    path=self.path, line=key_line, hint="remove or rename one of them")
            result[key] = self.convert(value_node, depth + 1)
            result.key_lines[key] = key_line
        return result


class Fields:
    """Typed access to one YAML mapping, with errors that name file, line and key."""

    def __init__(self, mapping, path: Path, what: str):
        if not isinstance(mapping, Map):
            line = getattr(mapping, "line", None)
            raise ProjectError(f"{what} should be a set of `key: value` lines", path=path, line=line)
        self.map = mapping
        self.path = path
        self.what = what
        self.used: set[str] = set()

    @property
    def line(self) -> int:
        return self.map.line

    def error(self, key: str | None, message: str, hint: str | None = None) -> ProjectError:
        line = self.map.line_of(key) if key else self.map.line
        return ProjectError(message, path=self.path, line=line, hint=hint)

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str:
        self.used.add(key)
        if key not in self.map:
            if required:
                raise self.error(None, f"{self.what} has no `{key}`", hint=f"add a line `{key}: …`")
            return default if default is not None else ""
        value = self.map[key]
        if not isinstance(value, str):
            raise self.error(key, f"`{key}` should be text, not a list or mapping")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        self.used.add(key)
        if key not in self.map:
            return default
        value = self.map[key]
        word = value.strip().lower() if isinstance(value, str) else None
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise self.error(key, f"`{key}` should be yes or no, got {value!r}", hint=f"write `{key}: yes` or `{key}: no`")

    def words(self, key: str) -> tuple[str, ...]:
        """A list of short texts, written as `[a, b]`, a YAML list, or one `a; b` line."""
        self.used.add(key)
        value = self.map.get(key)
        if value is None or value == "":
            return ()
        if isinstance(value, str):
            return tuple(part.strip() for part in value.replace(";", ",").split(",") if part.strip())
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(v.strip() for v in value if v.strip())
        raise self.error(key, f"`{key}` should be a list of text, like [a, b]")

    def table(self, key: str):
        self.used.add(key)
        value = self.map.get(key)
        if value is None or value == "":
            empty = Map()
            empty.line = self.map.line_of(key)
            empty.key_lines = {}
            return empty
        if not isinstance(value, Map):
            raise self.error(key, f"`{key}` should be a set of `key: value` lines")
        return value

    def reject_unknown(self, known: set[str]) -> None:
        import difflib

        for key in self.map:
            if key not in known:
                guess = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f"did you mean `{guess[0]}`?" if guess else f"known fields: {', '.join(sorted(known))}"
                raise self.error(key, f"unknown field `{key}` in {self.what}", hint=hint)
