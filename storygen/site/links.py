"""Build-time checks on the written site: internal links and anchors, and
that no private provenance reached a published file.

A broken internal link is an error naming the page and the link; external
links are not fetched (a build must not depend on the network).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from lxml import etree

from ..errors import RenderError
from ..model import provenance_ids
from .cache import Cache, digest

_LINK_ATTRS = {"a": ("href",), "link": ("href",), "img": ("src", "srcset"),
               "source": ("src", "srcset"), "script": ("src",), "video": ("poster", "src"),
               "track": ("src",), "iframe": ("src",), "form": ("action",)}


def extract(html: str) -> dict:
    """The ids a page defines and the internal references it makes."""
    parser = etree.HTMLParser(recover=True)
    tree = etree.fromstring(html.encode("utf-8"), parser)
    ids, refs = [], []
    if tree is None:
        return {"ids": ids, "refs": refs}
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("id"):
            ids.append(el.get("id"))
        for attr in _LINK_ATTRS.get(el.tag, ()):
            value = el.get(attr)
            if not value:
                continue
            if attr == "srcset":
                refs.extend(part.strip().split(" ")[0] for part in value.split(",") if part.strip())
            else:
                refs.append(value.strip())
    return {"ids": ids, "refs": refs}


def _resolve(page: str, ref: str, base_path: str) -> tuple[str, str] | None:
    """(site path, fragment) for an internal reference, or None when external.

    Plain string work rather than posixpath: a large site has tens of thousands
    of references and this runs for each.
    """
    if ":" in ref.split("/", 1)[0] or ref.startswith("//"):
        return None  # a scheme (https:, mailto:, data:…) or protocol-relative: external
    path, _, fragment = ref.partition("#")
    path = path.partition("?")[0]
    if "%" in path:
        path = unquote(path)
    if path == "":
        return page, fragment
    if path.startswith("/"):
        # Root-relative (the 404 page): relative to where the site is published.
        if not path.startswith(base_path):
            return ("\0outside:" + path, fragment)
        parts: list[str] = []
        path = path[len(base_path):]
    else:
        parts = page.split("/")[:-1]
    for segment in path.split("/"):
        if segment == "..":
            if not parts:
                return ("\0outside:" + ref, fragment)
            parts.pop()
        elif segment not in ("", "."):
            parts.append(segment)
    target = "/".join(parts)
    if path.endswith("/") or path in ("", ".", "..") or path.endswith(("/.", "/..")) or not target:
        target = f"{target}/index.html" if target else "index.html"
    return target, fragment


def check_links(out, cache: Cache, base_path: str) -> int:
    """Every internal link and anchor must resolve; returns the number checked."""
    index = cache.load_index("links")
    found, fresh = {}, {}
    verdict_before = index.pop("verdict", None)
    for path in sorted(out.page_keys):
        key = out.page_keys[path]
        info = index.get(key)
        if info is None:
            info = extract(out.text(path))
        fresh[key] = info
        found[path] = info
    index["verdict"] = verdict_before
    # The same pages over the same files were all checked last time: nothing to do.
    verdict = digest("links-ok", base_path, sorted(out.page_keys.items()), sorted(out.files))
    if index.get("verdict") == verdict:
        return 0
    ids = {path: set(info["ids"]) for path, info in found.items()}
    checked = 0
    for path in sorted(found):
        for ref in found[path]["refs"]:
            resolved = _resolve(path, ref, base_path)
            if resolved is None:
                continue
            checked += 1
            target, fragment = resolved
            if target not in out.files:
                raise RenderError(f"broken internal link on page {path}: {ref!r} "
                                  f"(no file {target})",
                                  hint="fix the link in the story's bridge text or the template")
            if fragment and target.endswith(".html") and fragment not in ids.get(target, ()):
                raise RenderError(f"broken anchor on page {path}: {ref!r} "
                                  f"(no id {fragment!r} on {target})",
                                  hint="link to a heading that exists; chapter anchors are "
                                       "made from the heading text")
    # Only this build's pages are kept, so the table never grows.
    cache.save_index("links", {**fresh, "verdict": verdict})
    return checked


def provenance_tokens(project, composites) -> set[str]:
    """Every private identifier that must never appear in a published file: the same values
    the privacy output scan searches for (model.provenance_ids defines them for both)."""
    return set(provenance_ids(project, composites))


_WORD = re.compile(r"[\w-]+")


@dataclass
class ScanMemory:
    """What the id scan remembers between builds in one process (the site's memory on the
    build context): per cache folder, the ids searched last time and the pages found clean."""

    last_clean: dict[str, tuple[frozenset, frozenset]] = field(default_factory=dict)


def scan_provenance(out, tokens: set[str], cache: Cache | None = None, memory: ScanMemory | None = None) -> None:
    """Refuse to publish if any private id occurs in a written file's name or text.

    Ids are matched as whole words (letters, digits, '-' and '_'), by set
    intersection rather than one huge regex, so 10,000 ids scan in linear time.
    A page already found clean, with the same inputs and the same ids, is not
    read again; in the same process, one found clean with the same inputs is
    searched only for the ids added since (with `memory`). The Pagefind bundle
    is built from the scanned pages.
    """
    if not tokens:
        return
    simple = {t for t in tokens if _WORD.fullmatch(t)}
    odd = sorted(tokens - simple, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(t) for t in odd)) if odd else None
    token_key = digest("tokens", sorted(tokens))
    clean = cache.load_index("scan") if cache is not None else {}
    if clean.get("tokens") != token_key:
        clean = {}
    passed = {}
    # In a long-running process (`storygen serve`) an edit adds a text hash or two: pages
    # found clean last time need searching only for the ids added since.
    remembered = memory is not None and cache is not None and cache.root is not None
    last = memory.last_clean.get(str(cache.root)) if remembered else None
    added = tokens - last[0] if last is not None else None

    def hits(text: str, only: set[str] | None = None) -> str | None:
        if only is not None:        # a few ids: a substring test first, words only on a match
            for token in sorted(only):
                if token in text and (token not in simple or token in _WORD.findall(text)):
                    return token
            return None
        found = simple.intersection(_WORD.findall(text))
        if found:
            return sorted(found)[0]
        m = pattern.search(text) if pattern else None
        return m.group(0) if m else None

    for rel in sorted(out.files):
        hit = hits(rel)
        if hit:
            raise RenderError(f"private identifier {hit!r} reached the published file name {rel!r}",
                              hint="this is a bug in the theme or renderer; do not publish")
        if rel.startswith("search/index/") or not rel.endswith(
                (".html", ".xml", ".txt", ".vtt", ".css", ".js", ".json")):
            continue
        page_key = out.page_keys.get(rel)
        if page_key is not None and page_key in clean:
            passed[page_key] = 1
            continue
        only = added if last is not None and page_key is not None and page_key in last[1] else None
        hit = hits(out.text(rel), only) if only is None or only else None
        if hit:
            raise RenderError(
                f"private identifier {hit!r} found in published file {rel}",
                hint="provenance ids must never be published: remove it from the template "
                     "override or bridge text (if it is a real word in an excerpt, rename "
                     "the id so it cannot be mistaken for one)")
        if page_key is not None:
            passed[page_key] = 1
    if cache is not None and passed.keys() != (clean.keys() - {"tokens"}):
        cache.save_index("scan", {**passed, "tokens": token_key})
    if remembered:
        memory.last_clean[str(cache.root)] = (frozenset(tokens), frozenset(passed))
