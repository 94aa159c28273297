"""The documentation keeps up with the code (Datasette's test_docs.py is the model).

- every rule code the source uses (C… integrity, R… privacy) is defined in docs/rules.md;
- every storygen.toml setting has a row, under its section, in docs/project-format.md;
- every key of the video theme (templates/video/theme.toml) is shown in docs/video.md;
- every command, and every option of `build`, is in the README.
"""
from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from storygen.cli import main
from storygen.config import Config
from storygen.video.theme import Theme

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
RULE_CODE = re.compile(r"\b([CR]\d{1,2})\b")


def _source_files():
    package = REPO / "storygen"
    return sorted(p for p in package.rglob("*") if p.suffix in {".py", ".html", ".xml", ".js"})


def rule_codes_in_source() -> dict[str, str]:
    """Every C/R code the package mentions, with one place it does."""
    found: dict[str, str] = {}
    for path in _source_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for code in RULE_CODE.findall(line):
                found.setdefault(code, f"{path.relative_to(REPO)}:{number}")
    return found


def defined_rules() -> set[str]:
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| ([CR]\d{1,2}) \|", text, flags=re.M))


def test_the_source_uses_rule_codes():
    """The scan below finds what it should (C1, C14 and C16 were once defined nowhere)."""
    used = rule_codes_in_source()
    assert {"C1", "C4", "C14", "C16", "R5", "R17"} <= used.keys()


@pytest.mark.parametrize("code", sorted(rule_codes_in_source(), key=lambda c: (c[0], int(c[1:]))))
def test_every_rule_code_is_defined(code):
    assert code in defined_rules(), f"{code} (used at {rule_codes_in_source()[code]}) is not defined in docs/rules.md"


def test_rules_are_defined_once_and_in_order():
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([CR])(\d{1,2}) \|", text, flags=re.M)
    for letter in "CR":
        numbers = [int(n) for l, n in rows if l == letter]
        assert numbers == sorted(set(numbers)), f"{letter} codes repeated or out of order: {numbers}"


def settings(config=None, prefix="") -> list[tuple[str, str]]:
    """(section, key) for every leaf setting of storygen.toml."""
    config = config or Config()
    found = []
    for f in fields(config):
        value = getattr(config, f.name)
        if is_dataclass(value):
            found += [(f.name, key) for _, key in settings(value, f.name)]
        else:
            found.append((prefix, f.name))
    return found


def documented_settings() -> dict[str, set[str]]:
    text = (DOCS / "project-format.md").read_text(encoding="utf-8")
    reference = text[text.index("## Settings — `storygen.toml`"):]
    sections = re.split(r"^### `\[([a-z]+)\]`$", reference, flags=re.M)
    return {name: set(re.findall(r"^\| `([a-z_]+)` \|", body, flags=re.M))
            for name, body in zip(sections[1::2], sections[2::2])}


def test_every_setting_is_documented():
    documented = documented_settings()
    missing = [f"{section}.{key}" for section, key in settings() if key not in documented.get(section, set())]
    assert not missing, f"settings missing from docs/project-format.md: {', '.join(missing)}"


def test_no_documented_setting_is_unknown():
    known = set(settings())
    extra = [f"{section}.{key}" for section, keys in documented_settings().items() for key in keys
             if (section, key) not in known]
    assert not extra, f"docs/project-format.md documents settings storygen does not have: {extra}"


def test_every_video_theme_key_is_documented():
    text = (DOCS / "video.md").read_text(encoding="utf-8")
    look = text[text.index("## Look — `templates/video/theme.toml`"):]
    look = look[:look.index("\n## ", 1)]
    missing = [f.name for f in fields(Theme) if not re.search(rf"^{f.name} = ", look, flags=re.M)]
    assert not missing, f"theme keys missing from docs/video.md: {missing}"


def test_every_command_and_build_option_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"storygen {name}" in readme, f"`storygen {name}` is not in the README"
    for param in main.commands["build"].params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help" and opt != "--project":
                assert opt in readme, f"build option {opt} is not in the README"
