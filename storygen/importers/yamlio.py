"""Stable YAML for the project files the importers write.

The project loader reads every scalar as a string, so what matters here is
that the text is easy to read and review in git: yes/no unquoted, code lists
on one line, multi-line verbatim text as `|` block scalars, no line folding,
and only the quoting YAML needs. Output is deterministic: same data, same bytes.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import ProjectError
from ..yamlfile import load_yaml


class YesNo:
    """A flag written as a plain `yes`/`no`."""

    __slots__ = ("value",)

    def __init__(self, value: bool):
        self.value = bool(value)


class Flow(list):
    """A list written on one line: `codes: [a, b/c]`."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # never emit &anchors/*aliases
        return True

    def increase_indent(self, flow=False, indentless=False):
        # indent list items under their key ("excerpts:\n  - id: …"), as the docs show
        return super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str):
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(YesNo, lambda d, v: d.represent_scalar("tag:yaml.org,2002:bool",
                                                                "yes" if v.value else "no"))
_Dumper.add_representer(Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v,
                                                                 flow_style=True))


def dump(data) -> str:
    """Serialise project data; checked to read back (as strings) to the same values."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=1_000_000, default_flow_style=False, indent=2)
    if load_text(text, "<generated>") != _plain(data):
        raise AssertionError("generated YAML does not read back to the same data")
    return text


def _plain(data):
    """The value as the string-reading loader will see it."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, YesNo):
        return "yes" if data.value else "no"
    if data is None:
        return ""
    return str(data)


def load_text(text: str, name: str):
    """Read YAML as the project loader does (storygen/yamlfile.py): every scalar a string,
    duplicate keys an error with its line."""
    return load_yaml(Path(name), text)


def load_file(path: Path):
    """Read a project YAML file as the project loader does, or None when it does not exist.

    An empty file reads as an empty mapping."""
    if not path.is_file():
        return None
    try:
        return load_yaml(path)
    except ProjectError as exc:
        raise ProjectError(exc.problem, path=exc.path, line=exc.line,
                           hint="fix the file by hand before importing into it") from None


def explicit_colours(codebook: Path) -> dict[str, str]:
    """Code id -> colour, only where the codebook states one (children inherit otherwise)."""
    out: dict[str, str] = {}

    def walk(tree, prefix):
        for key, entry in (tree or {}).items():
            if not isinstance(entry, dict):
                continue
            cid = f"{prefix}/{key}" if prefix else key
            colour = str(entry.get("colour") or entry.get("color") or "").lower()
            if colour:
                out[cid] = colour
            if isinstance(entry.get("codes"), dict):
                walk(entry["codes"], cid)

    data = load_file(codebook)
    walk(data if isinstance(data, dict) else {}, "")
    return out
