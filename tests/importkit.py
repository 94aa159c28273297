"""Helpers shared by the importer tests: snapshots, fixture paths, quiet runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from storygen.importers.commands import run_import
from storygen.project import load_project

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO.parent / "shared" / "fixtures"
REFI = FIXTURES / "refi-qda"


def refi_fixture(name: str) -> Path:
    """A real third-party file from ../shared/fixtures (never copied into the repo)."""
    path = REFI / name
    if not path.is_file():
        pytest.skip(f"third-party fixture {path} is absent (expected next to the repository)")
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the project, as bytes, to prove nothing changed."""
    # .storygen-cache/ holds rebuildable caches (the guard's clean-text hashes), not project content.
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".storygen-cache" not in p.relative_to(root).parts}


def quiet_import(root: Path, fmt: str, file: Path, **options):
    lines: list[str] = []
    summary = run_import(root, fmt, file, echo=lines.append, **options)
    summary.output = "\n".join(lines)
    return summary


def empty_project(root: Path) -> Path:
    """A project with settings and nothing else: what `import` into a new project sees."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "storygen.toml").write_text('[site]\ntitle = "Imported"\n', encoding="utf-8")
    return root


def loaded(root: Path):
    return load_project(root)
