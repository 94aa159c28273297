"""Client-side search: Pagefind indexes of the story pages, in shards.

Only story pages are indexed (their `<article data-pagefind-body>`), so a search
returns stories. The stories are split into shards of about SHARD_SIZE pages by
a stable hash of their slug; each shard is its own Pagefind bundle under
`search/index/<n>/`, and the search page merges them in the browser
(Pagefind's `mergeIndex`). Each shard is cached under the hash of its pages, so
editing one excerpt re-indexes one shard, not the whole site.
"""
from __future__ import annotations

import asyncio
import hashlib
import math
import os
import tempfile
import threading
from pathlib import Path

from ..errors import RenderError
from .cache import Cache, digest

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


def _run(coro) -> None:
    """asyncio.run, also from code that is itself inside an event loop (a thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    failure: list[BaseException] = []

    def worker():
        try:
            asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=worker, name="storygen-pagefind")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


async def _index(jobs: list[tuple[Path, Path]], language: str) -> None:
    """Index each (site folder, bundle folder) pair with one Pagefind service."""
    from pagefind.index import IndexConfig
    from pagefind.service import PagefindService

    async with PagefindService() as service:
        for site, bundle in jobs:
            config = IndexConfig(force_language=language, write_playground=False)
            index = await service.create_index(config)
            # One request per folder: adding pages one by one costs ~0.1 s each in
            # the service round trip, the folder walk ~1 ms a page.
            await index.add_directory(str(site), glob="stories/*/index.html")
            await index.write_files(output_path=str(bundle))
            await index.delete_index()


def search_index(out, language: str, cache: Cache, shards: int) -> int:
    """Write `search/index/<n>/` for every shard; returns how many shards were re-indexed."""
    lang = _language(language)
    stories = sorted(path for path in out.page_keys
                     if path.startswith("stories/") and path.count("/") == 2)
    members: list[list[str]] = [[] for _ in range(shards)]
    for path in stories:
        members[shard_of(path.split("/")[1], shards)].append(path)
    keys = [digest("pagefind", lang, shards, n, [(p, out.page_keys[p]) for p in paths])
            for n, paths in enumerate(members)]
    todo = [n for n, key in enumerate(keys) if cache.get_dir("pagefind", key) is None]
    if todo:
        # Beside the output folder, so the pages can be hard-linked rather than copied.
        with tempfile.TemporaryDirectory(prefix=".storygen-pagefind-", dir=out.root.parent) as tmp:
            jobs = []
            for n in todo:
                site = Path(tmp) / f"site-{n}"
                for path in members[n]:
                    # Pagefind reads the pages as written (links in a scratch folder).
                    target = site / path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    _link_or_copy(out.root / path, target)
                (site / "stories").mkdir(parents=True, exist_ok=True)
                jobs.append((site, Path(tmp) / f"bundle-{n}"))
            try:
                _run(_index(jobs, lang))
            except Exception as exc:  # the service reports failures as plain exceptions
                raise RenderError(f"the search index could not be built: {exc}",
                                  hint="check that the pagefind package is installed "
                                       "(pip install 'pagefind[bin]')") from None
            for n, (_, bundle) in zip(todo, jobs):
                if not (bundle / "pagefind.js").is_file():
                    raise RenderError("the search index was not written",
                                      hint="reinstall pagefind: pip install 'pagefind[bin]'")
                cache.put_dir("pagefind", keys[n], bundle)
                if cache.root is None:  # caching disabled: copy straight from the scratch folder
                    _copy_tree(bundle, out, f"{BUNDLES}/{n}")
    for n, key in enumerate(keys):
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
