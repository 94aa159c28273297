"""Client-side search: a Pagefind index of the story pages, written into `pagefind/`.

Only story pages are indexed (their `<article data-pagefind-body>`), so a search
returns stories. Pagefind reads the pages just written to the output folder,
and is re-run only when an indexed page changed: the whole bundle is cached under the
hash of every indexed page.
"""
from __future__ import annotations

import asyncio
import tempfile
import threading
from pathlib import Path

from ..errors import RenderError
from .cache import Cache, digest


def _language(lang: str) -> str:
    return (lang or "en").split("-")[0].lower()


GLOB = "stories/*/index.html"


async def _index(site: Path, language: str, target: Path) -> None:
    from pagefind.index import IndexConfig, PagefindIndex

    config = IndexConfig(force_language=language, write_playground=False,
                         output_path=str(target))
    async with PagefindIndex(config=config) as index:
        # One request for the folder: adding pages one by one costs ~0.1 s each in
        # the service round trip, the folder walk ~1 ms a page.
        await index.add_directory(str(site), glob=GLOB)


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


def search_index(out, language: str, cache: Cache) -> int:
    """Index the story pages in `out`; returns how many pages were indexed."""
    pages = sorted(("/" + path[: -len("index.html")], html)
                   for path, html in out.pages.items() if path.startswith("stories/")
                   and path != "stories/index.html")
    key = digest("pagefind", _language(language), pages)
    cached = cache.get_dir("pagefind", key)
    if cached is None:
        with tempfile.TemporaryDirectory(prefix="storygen-pagefind-") as tmp:
            bundle = Path(tmp) / "pagefind"
            try:
                _run(_index(out.root, _language(language), bundle))
            except Exception as exc:  # the service reports failures as plain exceptions
                raise RenderError(f"the search index could not be built: {exc}",
                                  hint="check that the pagefind package is installed "
                                       "(pip install 'pagefind[bin]')") from None
            if not (bundle / "pagefind.js").is_file():
                raise RenderError("the search index was not written",
                                  hint="reinstall pagefind: pip install 'pagefind[bin]'")
            cache.put_dir("pagefind", key, bundle)
            cached = cache.get_dir("pagefind", key)
            if cached is None:  # caching disabled: copy straight from the temporary folder
                _copy_tree(bundle, out)
                return len(pages)
    _copy_tree(cached, out)
    return len(pages)


def _copy_tree(bundle: Path, out) -> None:
    for path in sorted(bundle.rglob("*")):
        if path.is_file() and path.name != ".complete":
            out.copy("pagefind/" + path.relative_to(bundle).as_posix(), path)
