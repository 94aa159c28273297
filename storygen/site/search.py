"""Client-side search: Pagefind indexes of the story pages, in shards.

Only story pages are indexed (their `<article data-pagefind-body>`), so a search
returns stories. The stories are split into shards of about SHARD_SIZE pages by
a stable hash of their slug; each shard is its own Pagefind bundle under
`search/index/<n>/`, and the search page merges them in the browser
(Pagefind's `mergeIndex`). Each shard is cached under the hash of its pages, so
editing one excerpt re-indexes one shard, not the whole site.
"""
from __future__ import annotations

import hashlib
import math
import os
import re
import subprocess
import tempfile
from pathlib import Path

from ..errors import RenderError
from .cache import Cache, digest
from ..parallel import workers

SHARD_SIZE = 100
MAX_SHARDS = 32
BUNDLES = "search/index"


def _language(lang: str) -> str:
    return (lang or "en").split("-")[0].lower()


def shard_count(n_stories: int) -> int:
    """How many shards for this many story pages (the search page needs it up front)."""
    return max(1, min(MAX_SHARDS, math.ceil(n_stories / SHARD_SIZE)))


def shard_of(slug: str, shards: int) -> int:
    return int(hashlib.sha256(slug.encode("utf-8")).hexdigest()[:8], 16) % shards


def plan(slugs: list[str]) -> list[int]:
    """The shard numbers that will hold at least one story (the search page lists them)."""
    shards = shard_count(len(slugs))
    return sorted({shard_of(slug, shards) for slug in slugs})


# Pagefind's UI bundles: the theme has its own accessible search page, so they are not published.
UNUSED = ("pagefind-ui.", "pagefind-component-ui.", "pagefind-modular-ui.", "pagefind-highlight.")


def _executable() -> str:
    try:
        from pagefind.service import get_executable
        exe = get_executable()
    except ImportError:
        exe = None
    if not exe:
        raise RenderError("the Pagefind indexer is not installed",
                          hint="install it with: pip install 'pagefind[bin]'")
    return str(exe)


def _index(jobs: list[tuple[Path, str, Path]], language: str) -> None:
    """Run the Pagefind indexer once per (site folder, glob, bundle folder), a few at a time.

    The binary is called directly: its Python service polls for each reply every
    0.1 s, which made a one-page re-index take half a second.
    """
    exe = _executable()
    running: list[tuple[subprocess.Popen, Path]] = []

    def finish(proc: subprocess.Popen, bundle: Path) -> None:
        _, err = proc.communicate()
        if proc.returncode != 0 or not (bundle / "pagefind.js").is_file():
            raise RenderError(f"the search index could not be built: {err.decode(errors='replace').strip()}",
                              hint="reinstall pagefind: pip install 'pagefind[bin]'")

    for site, pattern, bundle in jobs:
        if len(running) >= workers():
            finish(*running.pop(0))
        proc = subprocess.Popen([exe, "--site", str(site), "--glob", pattern,
                                 "--output-path", str(bundle), "--force-language", language, "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        running.append((proc, bundle))
    for proc, bundle in running:
        finish(proc, bundle)


_PLAIN = re.compile(r"[A-Za-z0-9_-]+")


def _glob(paths: list[str]) -> str | None:
    """A Pagefind glob matching exactly these story pages, or None if a slug needs escaping."""
    slugs = [p.split("/")[1] for p in paths]
    if not all(_PLAIN.fullmatch(s) for s in slugs):
        return None
    return f"stories/{slugs[0]}/index.html" if len(slugs) == 1 else \
        "stories/{" + ",".join(slugs) + "}/index.html"


def search_index(out, language: str, cache: Cache) -> int:
    """Write `search/index/<n>/` for every non-empty shard; returns how many were re-indexed."""
    lang = _language(language)
    stories = sorted(path for path in out.page_keys
                     if path.startswith("stories/") and path.count("/") == 2)
    shards = shard_count(len(stories))
    members: dict[int, list[str]] = {}
    for path in stories:
        members.setdefault(shard_of(path.split("/")[1], shards), []).append(path)
    keys = {n: digest("pagefind", lang, shards, n, [(p, out.page_keys[p]) for p in paths])
            for n, paths in sorted(members.items())}
    todo = [n for n, key in keys.items() if cache.get_dir("pagefind", key) is None]
    if todo:
        # Beside the output folder, so any scratch pages can be hard links.
        with tempfile.TemporaryDirectory(prefix=".storygen-pagefind-", dir=out.root.parent) as tmp:
            jobs = []
            for n in todo:
                pattern = _glob(members[n])
                site = out.root
                if pattern is None:  # unusual slugs: index a scratch folder of just this shard
                    site, pattern = Path(tmp) / f"site-{n}", "stories/*/index.html"
                    for path in members[n]:
                        (site / path).parent.mkdir(parents=True, exist_ok=True)
                        _link_or_copy(out.root / path, site / path)
                jobs.append((site, pattern, Path(tmp) / f"bundle-{n}"))
            _index(jobs, lang)
            for n, (_, _, bundle) in zip(todo, jobs):
                for unused in bundle.iterdir():
                    if unused.name.startswith(UNUSED):
                        unused.unlink()
                cache.put_dir("pagefind", keys[n], bundle)
                if cache.root is None:  # caching disabled: copy straight from the scratch folder
                    _copy_tree(bundle, out, f"{BUNDLES}/{n}")
    for n, key in keys.items():
        if cache.root is not None:
            _copy_tree(cache.get_dir("pagefind", key), out, f"{BUNDLES}/{n}")
    return len(todo)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        import shutil
        shutil.copyfile(source, target)


def _copy_tree(bundle: Path, out, prefix: str) -> None:
    for path in sorted(bundle.rglob("*")):
        if path.is_file() and path.name != ".complete" and "playground" not in path.parts:
            out.copy(f"{prefix}/{path.relative_to(bundle).as_posix()}", path)
