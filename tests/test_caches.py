"""Every cache is declared in storygen/cache.py, docs/caching.md is generated from it, and no
module keeps project state of its own: in-memory caches live on the build context.

The scan reads each module's top level with `ast`: a module-level name bound to an empty
container (a dict, list or set to fill later), a function remembered with lru_cache or
cache, and a `global` statement are each either declared in storygen/cache.py (a pure
memo, or a privacy cache still to move) or listed below with the reason it is no cache.
"""
from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

from storygen import cache
from storygen.context import BuildContext

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "storygen"

# Module-level state that is not a cache, with why.
NOT_CACHES = {
    "storygen.parallel._SHARED": "hands live state to forked workers while pmap_shared runs; emptied after",
}


def _declared_names() -> set[str]:
    specs = cache.PURE_MEMOS + cache.PRIVACY_MEMOS
    return {spec.name for spec in specs}


def _privacy_module(module: str) -> bool:
    return module.startswith("storygen.privacy")


def module_state() -> dict[str, str]:
    """Qualified name -> kind, for every piece of module-level mutable state in the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            targets, value = [], None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            if value is not None and _empty_container(value):
                for target in targets:
                    if isinstance(target, ast.Name):
                        found[f"{module}.{target.id}"] = "empty container"
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Global):
                        for name in inner.names:
                            found[f"{module}.{name}"] = "global statement"
            if isinstance(node, ast.FunctionDef) and any(_memo_decorator(d) for d in node.decorator_list):
                found[f"{module}.{node.name}"] = "lru_cache"
    return found


def _empty_container(value: ast.expr) -> bool:
    if isinstance(value, (ast.Dict, ast.List, ast.Set)):
        return not getattr(value, "keys", None) and not getattr(value, "elts", None)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id in {"dict", "list", "set", "defaultdict", "OrderedDict", "Counter"} and not value.args
    return False


def _memo_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in {"lru_cache", "cache"}


def test_the_scan_finds_module_state():
    """It can fail: the pure memos it must find are found."""
    state = module_state()
    assert "storygen.public.slugify" in state and "storygen.parallel._SHARED" in state


def test_no_module_keeps_a_cache_of_its_own():
    declared = _declared_names()
    undeclared = []
    for name, kind in module_state().items():
        if name in declared or name in NOT_CACHES:
            continue
        if _privacy_module(name) and "storygen.privacy lru caches" in declared and kind == "lru_cache":
            continue
        undeclared.append(f"{name} ({kind})")
    assert not undeclared, ("module-level state outside the build context; put it on "
                            "storygen/context.BuildContext or declare it in storygen/cache.py: "
                            + ", ".join(undeclared))


def test_pure_memos_are_still_there():
    """A declared memo that no longer exists is a stale declaration."""
    state = module_state()
    for spec in cache.PURE_MEMOS:
        assert spec.name in state, f"{spec.name} is declared in storygen/cache.py but not found"


def test_every_context_attribute_is_declared():
    declared = {spec.name for spec in cache.IN_MEMORY}
    for f in fields(BuildContext):
        if f.name in ("builds", "compose_basis"):
            continue
        assert any(name.startswith(f"BuildContext.{f.name}") for name in declared), f.name


def test_docs_caching_md_is_generated_from_the_declarations():
    docs = (REPO / "docs" / "caching.md").read_text(encoding="utf-8")
    assert docs == cache.caching_markdown(), "run `python -m storygen.cache > docs/caching.md`"


def test_cache_folders_are_only_those_declared(tmp_path):
    for spec in cache.ON_DISK:
        assert cache.cache_folder(tmp_path, spec.name) == cache.cache_root(tmp_path) / spec.name
    try:
        cache.cache_folder(tmp_path, "thumbnails")
    except ValueError as exc:
        assert "declare it" in str(exc)
    else:
        raise AssertionError("an undeclared cache folder was handed out")


# Modules that use the cache root as a whole: the fingerprint leaves it out of the project's
# inputs, the output-folder guard refuses it as an output.
WHOLE_ROOT = ("storygen/cache.py", "storygen/uptodate.py", "storygen/outdir.py")


def test_only_the_cache_module_and_privacy_name_cache_folders():
    """Every other module asks cache_folder() for a declared folder (privacy moves with issue 11)."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel in WHOLE_ROOT or rel.startswith("storygen/privacy/"):
            continue
        if "cache_root(" in path.read_text(encoding="utf-8"):
            offenders.append(rel)
    assert not offenders, offenders
