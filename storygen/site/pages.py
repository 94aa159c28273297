"""HTML pages: which pages the site has, their inputs, and rendering them (cached).

Each page is described by plain public data (see `public.py`). Its cache key is
the hash of that data, the site-wide context and every template, so a page is
re-rendered exactly when something it shows changed: an edited excerpt
re-renders the story that quotes it and the theme page that features it, and
no other page.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..parallel import pmap_shared
from .cache import Cache, digest
from .env import markdown, render
from ..public import paragraphs, slugify

# Ids the story template uses itself; chapter anchors must not collide with them.
RESERVED_IDS = {"main", "story-title", "content-note", "disclosure", "persona-heading",
                "toc-heading", "video", "video-heading", "transcript", "transcript-heading",
                "themes-heading", "share-heading", "copy-status"}


@dataclass
class PageSpec:
    path: str                 # file in the site, e.g. "stories/x/index.html"
    template: str
    title: str
    description: str
    data: dict = field(default_factory=dict)
    og_type: str = "website"
    image: dict | None = None  # share image: {"path", "width", "height", "alt"}
    kind: str = "page"         # story | theme | home | about | stories | themes | search | 404

    @property
    def url(self) -> str:
        """The page's address relative to the site root ("" for the home page)."""
        return self.path[: -len("index.html")] if self.path.endswith("index.html") else self.path

    @property
    def root(self) -> str:
        depth = self.path.count("/")
        return "../" * depth if depth else "./"


class PageRenderer:
    """Renders PageSpecs with one environment and one set of site-wide values."""

    def __init__(self, env, cache: Cache, site: dict, globals_: dict, fingerprint: str):
        self.env = env
        self.cache = cache
        self.site = site
        self.globals = globals_
        self.md = markdown()
        self.base_key = digest("page", fingerprint, site, globals_)
        self.rendered = 0

    def render_all(self, pages: list[tuple[PageSpec, str | None]], out) -> None:
        """Write every (spec, root_override): cache hits copied, the rest rendered, in order.

        A cold build renders the pages over the CPUs (templates and Markdown are pure
        Python); a page whose rendering fails there is rendered again here, which
        raises its error exactly as a one-process build would.
        """
        keys = [digest(self.base_key, spec.path, spec.template, spec.title, spec.description,
                       spec.og_type, spec.image, spec.data, root_override) for spec, root_override in pages]
        cached = [self.cache.get("page", key, ".html") for key in keys]
        todo = [i for i, hit in enumerate(cached) if hit is None]
        html = dict(zip(todo, pmap_shared(_render_one, self, [pages[i] for i in todo])))
        for i, ((spec, root_override), key) in enumerate(zip(pages, keys)):
            if cached[i] is not None:
                out.cached_page(spec.path, cached[i], key)
                continue
            text = html[i]
            if text is None:
                text = self._html(spec, root_override)
            self.rendered += 1
            self.cache.put("page", key, text.encode("utf-8"), ".html")
            out.page(spec.path, text, key)

    def _html(self, spec: PageSpec, root_override: str | None) -> str:
        return render(self.env, spec.template, self.context(spec, root_override), spec.path)

    def context(self, spec: PageSpec, root_override: str | None) -> dict:
        base = self.site["base_url"]
        page = {
            "title": spec.title, "description": spec.description, "og_type": spec.og_type,
            "lang": self.site["language"], "url": spec.url,
            "canonical": "" if spec.kind == "404" else base + spec.url,
            "noindex": self.globals["drafts"] or spec.kind in ("404", "search"),
            "image": None if spec.image is None else {
                "url": base + spec.image["path"], "width": spec.image["width"],
                "height": spec.image["height"], "alt": spec.image["alt"]},
        }
        context = dict(self.globals)
        context.update(site=self.site, page=page, root=root_override or spec.root)
        data = dict(spec.data)
        if spec.kind == "story":
            data["story"] = self.story_view(data["story"])
        elif spec.kind == "about" and data.get("method_statement"):
            from markupsafe import Markup
            data["method_html"] = Markup(self.md.render(data.pop("method_statement")))
        data.pop("method_statement", None)
        data.setdefault("method_html", "")
        context.update(data)
        return context

    def story_view(self, story: dict) -> dict:
        """Turn a story's public record into what the template shows: anchors, HTML, images."""
        from markupsafe import Markup

        used = set(RESERVED_IDS)

        def anchor(text: str) -> str:
            base = slugify(text)
            candidate, n = base, 2
            while candidate in used or candidate.startswith("quote-"):
                candidate, n = f"{base}-{n}", n + 1
            used.add(candidate)
            return candidate

        blocks, chapters, quote_no = [], [], 0
        extra_images = list(story.get("images", []))
        headings_seen = 0
        for block in story["blocks"]:
            if block["kind"] == "heading":
                headings_seen += 1
                # Further pictures go before the chapters, one each, in order.
                if headings_seen > 1 and extra_images:
                    blocks.append({"kind": "image", "image": extra_images.pop(0)})
                item = dict(block, anchor=anchor(block["text"]))
                if item["level"] == 2:
                    chapters.append(item)
                blocks.append(item)
            elif block["kind"] == "bridge":
                blocks.append({"kind": "bridge", "html": Markup(self.bridge_html(block["text"], anchor))})
            elif block["kind"] == "quote":
                quote_no += 1
                blocks.append({"kind": "quote", "anchor": f"quote-{quote_no}",
                               "paragraphs": block["paragraphs"]})
        blocks.extend({"kind": "image", "image": img} for img in extra_images)
        view = dict(story, blocks=blocks, chapters=chapters)
        view["date_text"] = story["date"]
        view.setdefault("hero", None)
        view.setdefault("video", None)
        return view

    def bridge_html(self, text: str, anchor) -> str:
        """Markdown (raw HTML off) with ids on any headings the team wrote inline."""
        tokens = self.md.parse(text)
        for i, token in enumerate(tokens):
            if token.type == "heading_open":
                inline = tokens[i + 1]
                token.attrSet("id", anchor(inline.content))
                # Headings in bridge text sit under the story's h1.
                if token.tag == "h1":
                    token.tag = "h2"
                    tokens[i + 2].tag = "h2"
        return self.md.renderer.render(tokens, self.md.options, {})


def _render_one(renderer: PageRenderer, page: tuple[PageSpec, str | None]) -> str | None:
    try:
        return renderer._html(*page)
    except Exception:     # rendered again in the parent, which reports it properly
        return None


def story_pages(records: list[dict]) -> list[PageSpec]:
    return [PageSpec(path=f"stories/{r['slug']}/index.html", template="story.html",
                     title=r["title"], description=r["summary"], data={"story": r},
                     og_type="article", image=r.get("card"), kind="story")
            for r in records]


def summary_of(record: dict) -> dict:
    """What a story card in a list shows (so lists do not change when a quote does)."""
    keys = ("slug", "url", "title", "summary", "persona", "status", "contributors", "accent", "date")
    return {k: record[k] for k in keys}


def index_pages(site: dict, records: list[dict], themes: list[dict], totals: dict,
                rules: dict, method_statement: str, search: dict) -> list[PageSpec]:
    """Home, all stories, themes, each theme, about, search and 404."""
    cards = [summary_of(r) for r in records]
    pages = [
        PageSpec(path="index.html", template="home.html", title=site["title"],
                 description=site["description"], kind="home",
                 data={"featured": cards[:3], "themes": [_theme_summary(t) for t in themes],
                       "more": len(cards) > 3, "total": len(cards)}),
        PageSpec(path="stories/index.html", template="stories.html", title="All stories",
                 description=f"All {len(cards)} stories on {site['title']}.", kind="stories",
                 data={"stories": cards}),
        PageSpec(path="themes/index.html", template="themes.html", title="Themes",
                 description=f"The themes of {site['title']}.", kind="themes",
                 data={"themes": [_theme_summary(t) for t in themes]}),
        PageSpec(path="about/index.html", template="about.html",
                 title="How these stories were made",
                 description="How the composite stories on this site were made.", kind="about",
                 data={"totals": totals, "rules": rules, "method_statement": method_statement}),
        PageSpec(path="search/index.html", template="search.html", title="Search",
                 description=f"Search {site['title']}.", kind="search", data={"search": search}),
        PageSpec(path="404.html", template="404.html", title="Page not found",
                 description="There is no page at this address.", kind="404"),
    ]
    for theme in themes:
        pages.append(PageSpec(path=f"{theme['url']}index.html", template="theme.html",
                              title=theme["name"], description=theme["description"] or theme["name"],
                              kind="theme", data={"theme": theme}))
    return pages


def _theme_summary(theme: dict) -> dict:
    return {k: theme[k] for k in ("id", "slug", "name", "url", "colour", "description", "count")}


def theme_record(code, subcodes, stories: list[dict], quotes: list[dict]) -> dict:
    """The public data of one theme page."""
    from ..public import theme_ref

    ref = theme_ref(code)
    return dict(ref, description=code.description,
                subthemes=[{"name": s.name, "description": s.description,
                            "anchor": "sub-" + slugify(s.id.split("/", 1)[1])} for s in subcodes],
                stories=[summary_of(s) for s in stories], count=len(stories),
                quotes=quotes, feed=f"{ref['url']}feed.xml")


__all__ = ["PageSpec", "PageRenderer", "story_pages", "index_pages", "theme_record",
           "paragraphs"]
