"""docs/importing.md keeps up with the import/export commands (no option goes undocumented)."""
from __future__ import annotations

from importkit import REPO
from storygen.cli import main
from storygen.importers.commands import FORMATS


def test_every_import_option_and_format_is_documented():
    docs = (REPO / "docs" / "importing.md").read_text(encoding="utf-8")
    command = main.commands["import"]
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert f"`{opt}" in docs, f"{opt} is not documented in docs/importing.md"
    for fmt in FORMATS:
        assert f"\n## {fmt}" in docs, f"no section for `import {fmt}`"
    assert "\n## export refi" in docs
