"""The site's pipeline: composites in, a complete static site out.

`render_site` reads top to bottom as phases (MkDocs' `build()` is the model):
gather public data → static files → images → share cards → video → pages →
feeds and sitemap → search index → link and anchor check. (The search for
private ids in what it wrote is the build's, after every output: privacy/ids.py.)
Everything is gathered before anything is written, which is what makes theme
pages, feeds and the link check correct. Expensive artefacts are cached by the
hash of their inputs (see `cache.py`), so rebuilds redo only what changed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..cache import cache_folder
from ..errors import RenderError
from ..model import Composite, Project
from ..outputs import LivePreview
from ..timings import Timings
from .. import public
from . import cards, feeds, images, links, media, pages, search
from .cache import Cache, file_digest
from .env import FONTS, STATIC, make_env, theme_fingerprint
from .output import Output


@dataclass
class SiteStats:
    """What a site render redid rather than took from the cache (the preview prints it)."""

    pages_rendered: int = 0
    pages_total: int = 0
    cards_drawn: int = 0
    search_rebuilt: int = 0            # search shards re-indexed
    files: int = 0


def default_cache_dir(project: Project) -> Path:
    """Where the site cache lives: beside the build output, never inside it (storygen/cache.py)."""
    return cache_folder(project.root, "site")


def render_site(project: Project, composites: list[Composite], out: Path, *,
                drafts: bool = False, video_dir: Path | None = None,
                cache_dir: Path | None | bool = True, live: LivePreview | None = None,
                timings: Timings | None = None) -> SiteStats:
    """Write the whole site for `composites` into the empty folder `out`; returns what it redid.

    `composites` are the stories to publish, already checked; those whose
    story's `media` lacks "site" are left out. `drafts` marks the site as a
    preview (banner, noindex). `video_dir` holds the video build's outputs.
    `cache_dir`: True for the default cache folder, a path, or None to disable
    caching. `live` renders for `storygen serve`: the reload script, the
    notices in the DRAFT banner, and cached files hard-linked rather than
    copied (the preview's folders are private; see `Output`). `timings` gets
    the site's phases as sub-phases. The caller searches what was written for
    private ids (storygen.build does, with storygen/privacy/ids.py).
    """
    timings = timings or Timings()
    config = project.config.site
    if cache_dir is True:
        cache_dir = default_cache_dir(project)
    cache = Cache(cache_dir or None)
    out.mkdir(parents=True, exist_ok=True)
    output = Output(out, link=live is not None)
    base_url = config.base_url if config.base_url.endswith("/") else config.base_url + "/"
    site = {"title": config.title, "description": config.description, "base_url": base_url,
            "language": config.language, "author": config.author}

    def phase(name: str):
        return timings.phase(name, sub=True)

    with phase("site.gather"):
        shown = [c for c in composites if "site" in c.story.media]
        check_slugs(shown)
        records = [public.story_record(project, c) for c in shown]
        # Newest first; slug breaks ties so the order never depends on input order.
        order = sorted(range(len(records)), key=lambda i: (records[i]["date"], records[i]["slug"]))
        order.reverse()
        records = [records[i] for i in order]
        shown = [shown[i] for i in order]
        env = make_env(project.root / "templates")
        fingerprint = theme_fingerprint(project.root / "templates")

    with phase("site.static"):
        assets = _static(output, cache)

    with phase("site.images"):
        assets_dir = project.root / "assets"
        jobs = []
        for composite in shown:
            jobs.append([images.plan(assets_dir, p, story_file(composite), cache) for p in composite.story.images])
        manifests = images.build_all([j for story_jobs in jobs for j in story_jobs], cache, output)
        for record, composite, story_jobs in zip(records, shown, jobs):
            pics = [images.descriptor(p, manifests[j.key])
                    for p, j in zip(composite.story.images, story_jobs)]
            record["hero"] = pics[0] if pics else None
            record["images"] = pics[1:]

    with phase("site.cards"):
        cards.share_cards(records, site["title"], cache, output)

    with phase("site.media"):
        for record in records:
            record["video"] = media.story_video(record["slug"], video_dir, output)

    with phase("site.pages"):
        themes = _themes(project, shown, records)
        totals = _totals(project, shown, themes)
        rules = {"min_sources": project.config.rules.min_sources,
                 "max_share": round(project.config.rules.max_source_share * 100)}
        globals_ = {"drafts": drafts, "live_reload": live is not None and live.reload, "assets": assets,
                    "notices": list(live.notices) if live is not None and drafts else []}
        renderer = pages.PageRenderer(env, cache, site, globals_, fingerprint)
        specs = pages.story_pages(records) + pages.index_pages(
            site, records, themes, totals, rules, config.method_statement,
            {"index": search.BUNDLES + "/", "shards": search.plan([r["slug"] for r in records])})
        base_path = urlsplit(base_url).path or "/"
        # The 404 page is served at any depth, so its links are root-relative.
        renderer.render_all([(spec, base_path if spec.kind == "404" else None) for spec in specs], output)

    with phase("site.feeds"):
        md = renderer.md
        output.write_bytes("feed.xml", feeds.atom(site, records, path="feed.xml",
                                                  title=site["title"], page_url="", md=md))
        for theme in themes:
            theme_records = [r for r in records if any(t["id"] == theme["id"] for t in r["themes"])]
            output.write_bytes(theme["feed"], feeds.atom(
                site, theme_records, path=theme["feed"], title=f"{theme['name']} · {site['title']}",
                page_url=theme["url"], md=md))
        output.write_bytes("sitemap.xml", feeds.sitemap(site, specs))
        output.write_text("robots.txt", feeds.robots(site, drafts))

    with phase("site.search"):
        search_rebuilt = search.search_index(output, site["language"], cache)

    with phase("site.links"):
        links.check_links(output, cache, base_path)

    _stamp_files(output)
    cache.prune()
    return SiteStats(pages_rendered=renderer.rendered, pages_total=len(specs),
                     cards_drawn=cards.drawn(cache), search_rebuilt=search_rebuilt, files=len(output.files))


def story_file(composite: Composite) -> str:
    """The story's file, as errors about it name it."""
    return composite.story.file


def check_slugs(composites: list[Composite]) -> None:
    seen: dict[str, Composite] = {}
    for c in composites:
        slug = c.story.slug
        if not slug or "/" in slug or "\\" in slug or slug.startswith("."):
            raise RenderError(f"story slug {slug!r} cannot be a web address",
                              path=c.story.origin.path if c.story.origin else None,
                              hint="rename the story file to lower-case words and dashes")
        if slug in seen:
            raise RenderError(f"two stories share the slug {slug!r}",
                              path=c.story.origin.path if c.story.origin else None,
                              hint="rename one of the story files")
        seen[slug] = c


def _static(output: Output, cache: Cache) -> dict:
    """Copy the theme's CSS, JS and fonts; file names carry a content hash (cache forever)."""
    assets = {}
    for name in ("style.css", "site.js", "search.js", "livereload.js"):
        path = STATIC / name
        stem, ext = name.rsplit(".", 1)
        rel = f"static/{stem}.{file_digest(path)[:10]}.{ext}"
        output.copy(rel, path)
        assets[{"style": "css", "site": "js", "search": "search", "livereload": "livereload"}[stem]] = rel
    for font in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        output.copy(f"static/fonts/{font}", FONTS / font)
    return assets


def _themes(project: Project, shown: list[Composite], records: list[dict]) -> list[dict]:
    result = []
    quotes_by_theme = public.theme_quotes(project, shown)
    for code in public.top_themes(project):
        subs = sorted((c for c in project.codes.values() if c.parent_id and c.top_id == code.id),
                      key=lambda c: (c.order, c.id))
        stories = [r for r in records if any(t["id"] == code.id for t in r["themes"])]
        quotes = quotes_by_theme.get(code.id, [])
        result.append(pages.theme_record(code, subs, stories, quotes))
    return result


def _totals(project: Project, shown: list[Composite], themes: list[dict]) -> dict:
    """Counts for the about page: totals only, never who said what."""
    live = {s.id for s in project.sources.values() if not s.withdrawn}
    return {
        "sources": len(live),
        "excerpts": sum(1 for e in project.excerpts.values() if e.source_id in live),
        "themes": len(themes),
        "stories": len(shown),
        "quoted": sum(len(c.excerpt_segments) for c in shown),
    }


def _stamp_files(output: Output) -> None:
    """With SOURCE_DATE_EPOCH set, give every file that time (reproducible archives)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch.isdigit() or output.link:
        return      # (linked files are the cache's own: their times say when it last used them)
    stamp = int(epoch)
    for rel in output.files:
        os.utime(output.root / rel, (stamp, stamp))


