"""The build-time check on the written site's internal links and anchors.

A broken internal link is an error naming the page and the link; external
links are not fetched (a build must not depend on the network). (That no
private id reached a published file is checked after every output has
rendered, by storygen/privacy/ids.py.)
"""
from __future__ import annotations

from urllib.parse import unquote

from lxml import etree

from ..errors import RenderError
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
