"""The story site, browserless layer: structure, links, feeds, privacy, determinism.

Every test builds a real site from a small fixture project (model objects in a
temporary folder) with the real renderers: Jinja2, Pillow, Pagefind, lxml and
feedparser. Nothing is mocked.
"""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import re
import sys
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from site_fixture import HOSTILE, make_project, make_video  # noqa: E402

from storygen.errors import AssetError, RenderError, StorygenError  # noqa: E402
from storygen.model import Composite, Excerpt, Picture, Segment  # noqa: E402
from storygen.site import render_site  # noqa: E402
from storygen.site.links import extract  # noqa: E402
from storygen.timings import Timings  # noqa: E402

BASE = "https://example.org/stories/"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture site, built once with a video for the first story."""
    root = tmp_path_factory.mktemp("site")
    project, composites = make_project(root / "project")
    make_video(root / "video", "time-to-listen")
    out = root / "out"
    timings = Timings()
    render_site(project, composites, out, video_dir=root / "video", timings=timings,
                cache_dir=root / "cache")
    return {"root": root, "out": out, "project": project, "composites": composites,
            "timings": timings}


def html_pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if "index" not in p.relative_to(out).parts[1:2])


def all_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_every_page_type_is_written(built):
    out = built["out"]
    for rel in ("index.html", "stories/index.html", "stories/time-to-listen/index.html",
                "stories/time-for-us/index.html", "themes/index.html",
                "themes/turning-off-targets/index.html", "themes/working-together/index.html",
                "themes/caring-about-staff/index.html", "about/index.html", "search/index.html",
                "404.html", "feed.xml", "themes/caring-about-staff/feed.xml", "sitemap.xml",
                "robots.txt", "cards/time-to-listen.png", "search/index/0/pagefind.js"):
        assert (out / rel).is_file(), rel
    assert {name.strip() for name in built["timings"].phases} >= {"site.pages", "site.cards", "site.images", "site.search",
                                     "site.links", "site.feeds"}


def test_pages_are_well_formed_and_have_lang(built):
    # The theme writes polyglot markup, so every page must parse as strict XML.
    for page in html_pages(built["out"]):
        tree = etree.fromstring(page.read_bytes(), etree.XMLParser(resolve_entities=False))
        assert tree.tag == "html", page
        assert tree.get("lang") == "en-GB", page
        assert len(tree.findall(".//main")) == 1, page
        assert len(tree.findall(".//h1")) == 1, page


def test_internal_links_and_anchors_resolve(built):
    out = built["out"]
    checked = 0
    for page in html_pages(out):
        rel = page.relative_to(out).as_posix()
        info = extract(page.read_text(encoding="utf-8"))
        for ref in info["refs"]:
            if ref.startswith(("http:", "https:")):
                continue
            path, _, fragment = ref.partition("#")
            if rel == "404.html":  # root-relative, under the base path
                target = out / path.removeprefix("/stories/")
            else:
                target = (page.parent / path) if path else page
            if path.endswith("/") or target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{rel}: {ref}"
            if fragment:
                ids = extract(target.read_text(encoding="utf-8"))["ids"]
                assert fragment in ids, f"{rel}: {ref}"
            checked += 1
    assert checked > 100


def test_canonical_and_social_meta_are_absolute(built):
    story = (built["out"] / "stories/time-to-listen/index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{BASE}stories/time-to-listen/" />' in story
    for prop in ("og:url", "og:image", "twitter:image"):
        value = re.search(rf'(?:property|name)="{prop}" content="([^"]+)"', story).group(1)
        assert value.startswith(BASE), prop
    assert f'content="{BASE}cards/time-to-listen.png"' in story
    home = (built["out"] / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{BASE}" />' in home


def test_feeds_parse_with_a_real_feed_parser(built):
    out = built["out"]
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "Stories of change"
    assert [e.link for e in feed.entries] == [f"{BASE}stories/time-for-us/",
                                              f"{BASE}stories/time-to-listen/"]
    for entry in feed.entries:
        assert "composite of 3 accounts; names and details changed" in entry.content[0].value
        assert entry.updated_parsed is not None
    theme = feedparser.parse((out / "themes/caring-about-staff/feed.xml").read_bytes())
    assert not theme.bozo
    assert [e.title for e in theme.entries] == ["Time for us"]
    # Hostile excerpt text is escaped inside the feed's HTML content too.
    listen = next(e for e in feed.entries if e.title == "Time to listen")
    assert "<script>" not in listen.content[0].value
    assert "&lt;script&gt;" in listen.content[0].value


def test_sitemap_and_robots(built):
    out = built["out"]
    tree = etree.fromstring((out / "sitemap.xml").read_bytes())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text for e in tree.findall("s:url/s:loc", ns)]
    assert f"{BASE}stories/time-to-listen/" in locs and f"{BASE}" in locs
    assert all(loc.startswith(BASE) for loc in locs)
    assert not any("404" in loc or "search" in loc for loc in locs)
    robots = (out / "robots.txt").read_text()
    assert f"Sitemap: {BASE}sitemap.xml" in robots


def test_no_provenance_anywhere_in_the_output(built):
    """No excerpt id, source id or text hash in any file's name or bytes (search index included)."""
    tokens = set()
    for composite in built["composites"]:
        for s in composite.excerpt_segments:
            tokens |= {s.excerpt_id, s.source_id, s.text_hash}
    tokens |= set(built["project"].sources) | set(built["project"].excerpts)
    assert "S01-01" in tokens and len(tokens) > 10
    for rel, data in all_files(built["out"]).items():
        if rel.endswith((".pf_fragment", ".pf_index", ".pf_meta", ".pagefind")):
            try:
                data = gzip.decompress(data)
            except OSError:
                pass
        words = set(re.findall(rb"[\w-]+", data)) | set(re.findall(r"[\w-]+", rel))
        for token in tokens:
            assert token.encode() not in words and token not in words, (token, rel)


def test_hostile_excerpt_text_is_escaped_never_run(built):
    story = (built["out"] / "stories/time-to-listen/index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in story
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in story
    assert "{{ 7*7 }}" in story and ">49<" not in story
    # Raw HTML in bridge Markdown stays text.
    assert "<b>raw html" not in story and "&lt;b&gt;raw html stays text&lt;/b&gt;" in story


def test_story_page_contents(built):
    story = (built["out"] / "stories/time-to-listen/index.html").read_text(encoding="utf-8")
    assert "A composite of 3 accounts; names and details changed." in story
    assert "Content note:</strong> Mentions money worries." in story
    assert 'id="before"' in story and 'id="before-2"' in story  # repeated heading, unique anchors
    assert '<figure class="pull-quote" id="quote-1">' in story
    assert "Meet Sam" in story
    # The hero: eager, with alt, credit and caption; later pictures lazy; decorative gets alt="".
    assert 'alt="Two mugs on a kitchen table." fetchpriority="high"' in story
    assert 'alt="" loading="lazy"' in story
    assert "Photo by the comms team" in story
    assert 'type="image/webp"' in story and re.search(r'width="\d+" height="\d+"', story)
    # The video: captions track on by default, poster, visible transcript.
    assert '<track kind="captions" src="../../media/time-to-listen-16x9.vtt"' in story
    assert 'default="default"' in story and "poster=" in story
    assert 'id="transcript"' in story
    assert (built["out"] / "media/time-to-listen-16x9.mp4").stat().st_size > 1000
    # The second story has no video: no player.
    other = (built["out"] / "stories/time-for-us/index.html").read_text(encoding="utf-8")
    assert "<video" not in other


def test_theme_page_lists_stories_and_featured_quotes(built):
    page = (built["out"] / "themes/working-together/index.html").read_text(encoding="utf-8")
    assert "Time to listen" in page and "Time for us" not in page
    assert 'id="sub-shared-records"' in page
    assert "Nobody had to tell their story three times" in page
    assert 'href="../../stories/time-to-listen/#quote-2"' in page


def test_about_page_gives_totals_only(built):
    page = (built["out"] / "about/index.html").read_text(encoding="utf-8")
    assert "We held 4 interviews and coded what people said into 6 excerpts across 3 themes" in page
    assert "quote 6 of those excerpts" in page
    assert "<em>spoke</em>" in page  # the project's method statement, Markdown


def test_share_card_is_a_deterministic_1200x630_png_without_metadata(built):
    data = (built["out"] / "cards/time-to-listen.png").read_bytes()
    im = Image.open(io.BytesIO(data))
    assert im.size == (1200, 630) and im.format == "PNG"
    assert not im.info.keys() - {"dpi"}, im.info  # no text chunks, no timestamps
    from storygen.site.cards import card_inputs, draw_card
    record = {"title": "Time to listen", "contributors": 3,
              "persona": {"name": "Sam", "role": "support worker",
                          "setting": "a council in the north of England"},
              "themes": [{"colour": "#8b1f3f", "name": "Turning off targets"},
                         {"colour": "#1f6f8b", "name": "Working together"}]}
    assert draw_card(card_inputs(record, "Stories of change")) == data


def test_image_variants_carry_no_metadata(built):
    for path in (built["out"] / "images").iterdir():
        im = Image.open(path)
        assert "exif" not in im.info and "icc_profile" not in im.info, path
        assert im.width in (480, 800, 960, 1600)


def test_build_twice_is_byte_identical_with_and_without_cache(built, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    project, composites = built["project"], built["composites"]
    video = built["root"] / "video"
    render_site(project, composites, tmp_path / "a", video_dir=video, cache_dir=None)
    render_site(project, composites, tmp_path / "b", video_dir=video, cache_dir=tmp_path / "c")
    render_site(project, composites, tmp_path / "d", video_dir=video, cache_dir=tmp_path / "c")
    a, b, d = (all_files(tmp_path / x) for x in "abd")
    assert a.keys() == b.keys() == d.keys()
    for rel in a:
        assert a[rel] == b[rel] == d[rel], rel
    assert (tmp_path / "a" / "index.html").stat().st_mtime == 1700000000


def test_rebuild_redoes_only_what_an_edited_excerpt_affects(built, tmp_path):
    project, composites = built["project"], built["composites"]
    cache = tmp_path / "cache"
    render_site(project, composites, tmp_path / "one", cache_dir=cache)
    stats = render_site(project, composites, tmp_path / "two", cache_dir=cache)
    assert stats.pages_rendered == 0 and stats.cards_drawn == 0 and stats.search_rebuilt == 0
    # Edit the featured excerpt of "working-together" in the first story.
    first = composites[0]
    segments = tuple(dataclasses.replace(s, text="Nobody had to repeat themselves any more.")
                     if s.excerpt_id == "S02-01" else s for s in first.segments)
    edited = [Composite(first.story, segments, first.stats), composites[1]]
    stats = render_site(project, edited, tmp_path / "three", cache_dir=cache)
    # The story that quotes it and the theme page that features it; feeds and search follow.
    assert stats.pages_rendered == 2, stats
    assert stats.search_rebuilt == 1 and stats.cards_drawn == 0  # one shard re-indexed
    page = (tmp_path / "three" / "themes/working-together/index.html").read_text(encoding="utf-8")
    assert "Nobody had to repeat themselves any more." in page
    assert "repeat themselves" in (tmp_path / "three" / "feed.xml").read_text(encoding="utf-8")
    assert (tmp_path / "two" / "index.html").read_bytes() == (tmp_path / "three" / "index.html").read_bytes()


def test_drafts_get_a_banner_and_are_never_indexed(built, tmp_path):
    project, composites = built["project"], built["composites"]
    draft = dataclasses.replace(composites[1].story, status="draft")
    render_site(project, [composites[0], Composite(draft, composites[1].segments, composites[1].stats)],
                tmp_path / "out", drafts=True, cache_dir=None)
    page = (tmp_path / "out" / "stories/time-for-us/index.html").read_text(encoding="utf-8")
    assert "DRAFT PREVIEW" in page and "DRAFT · status: draft" in page
    assert '<meta name="robots" content="noindex" />' in page
    assert (tmp_path / "out" / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"


def test_stories_not_for_the_site_are_left_out(built, tmp_path):
    project, composites = built["project"], built["composites"]
    video_only = dataclasses.replace(composites[0].story, media=("video",))
    render_site(project, [Composite(video_only, composites[0].segments, composites[0].stats),
                          composites[1]], tmp_path / "out", cache_dir=None)
    assert not (tmp_path / "out" / "stories/time-to-listen").exists()
    assert "Time to listen" not in (tmp_path / "out" / "feed.xml").read_text(encoding="utf-8")
    # …and a link to a story that is not on the site is caught as broken.
    video_only_2 = dataclasses.replace(composites[1].story, media=("video",))
    with pytest.raises(RenderError, match="time-for-us"):
        render_site(project, [composites[0], Composite(video_only_2, composites[1].segments,
                                                       composites[1].stats)],
                    tmp_path / "out2", cache_dir=None)


def _with_bridge(composites, text):
    first = composites[0]
    return [Composite(first.story, first.segments + (Segment("bridge", text),), first.stats),
            composites[1]]


def test_broken_internal_link_is_an_error_naming_the_page(built, tmp_path):
    project, composites = built["project"], built["composites"]
    with pytest.raises(RenderError, match=r"broken internal link on page stories/time-to-listen/index.html.*no-such-story"):
        render_site(project, _with_bridge(composites, "See [this](../no-such-story/)."),
                    tmp_path / "a", cache_dir=None)
    with pytest.raises(RenderError, match=r"broken anchor on page stories/time-to-listen/index.html.*nowhere"):
        render_site(project, _with_bridge(composites, "See [this](#nowhere)."),
                    tmp_path / "b", cache_dir=None)


def test_missing_alt_text_names_the_story_file_and_image(built, tmp_path):
    project, composites = built["project"], built["composites"]
    story = dataclasses.replace(composites[1].story, images=(Picture("photos/desk.png", "  "),))
    with pytest.raises(RenderError) as err:
        render_site(project, [composites[0], Composite(story, composites[1].segments, composites[1].stats)],
                    tmp_path / "a", cache_dir=None)
    message = err.value.format_message()
    assert "narratives/stories/time-for-us.md" in message and "photos/desk.png" in message
    assert "alt" in message and "decorative" in message


def test_missing_image_is_an_asset_error(built, tmp_path):
    project, composites = built["project"], built["composites"]
    story = dataclasses.replace(composites[1].story, images=(Picture("photos/gone.jpg", "Gone."),))
    with pytest.raises(AssetError, match="photos/gone.jpg"):
        render_site(project, [composites[0], Composite(story, composites[1].segments, composites[1].stats)],
                    tmp_path / "a", cache_dir=None)


def test_project_templates_override_block_by_block(built, tmp_path):
    project, composites = built["project"], built["composites"]
    templates = project.root / "templates"
    templates.mkdir(exist_ok=True)
    try:
        (templates / "story.html").write_text(
            '{% extends "!default/story.html" %}\n'
            '{% block persona %}<p class="custom">Hello {{ story.persona.name }}</p>{% endblock %}\n',
            encoding="utf-8")
        render_site(project, composites, tmp_path / "a", cache_dir=tmp_path / "cache")
        page = (tmp_path / "a" / "stories/time-to-listen/index.html").read_text(encoding="utf-8")
        assert '<p class="custom">Hello Sam</p>' in page and "Meet Sam" not in page
        assert "A composite of 3 accounts" in page  # the rest of the built-in page is intact
        # An undefined variable in an override is an error naming the template and line.
        (templates / "story.html").write_text(
            '{% extends "!default/story.html" %}\n{% block persona %}\n{{ story.nickname }}{% endblock %}\n',
            encoding="utf-8")
        with pytest.raises(RenderError) as err:
            render_site(project, composites, tmp_path / "b", cache_dir=tmp_path / "cache")
        assert "story.html:3" in err.value.format_message() and "nickname" in err.value.format_message()
        (templates / "story.html").write_text('{% extends "!default/story.html" %}{% block x %}', encoding="utf-8")
        with pytest.raises(StorygenError, match="syntax"):
            render_site(project, composites, tmp_path / "c", cache_dir=None)
    finally:
        (templates / "story.html").unlink()


def test_404_page_links_work_at_any_depth(built):
    page = (built["out"] / "404.html").read_text(encoding="utf-8")
    assert 'href="/stories/static/' in page and 'href="/stories/search/"' in page
    assert "canonical" not in page


def test_search_index_holds_only_story_pages(built):
    entry = (built["out"] / "search/index/0/pagefind-entry.json").read_text()
    assert '"page_count":2' in entry.replace(" ", "")
    assert not (built["out"] / "search/index/1").exists()  # two stories: one shard
    fragments = [gzip.decompress(p.read_bytes()) for p in (built["out"] / "search/index/0/fragment").iterdir()]
    urls = sorted(re.search(rb'"url":"([^"]+)"', f).group(1).decode() for f in fragments)
    assert urls == ["/stories/time-for-us/", "/stories/time-to-listen/"]
    # Navigation, share and theme lists are not indexed, story text is.
    listen = next(f for f in fragments if b"time-to-listen" in f)
    assert b"Nobody had to tell their story" in listen and b"Copy link" not in listen


def test_excerpt_used_nowhere_else_never_reaches_the_site(built, tmp_path):
    """Theme pages quote only excerpts already in published stories (consent, C10)."""
    project, composites = built["project"], built["composites"]
    extra = Excerpt("S04-01", "S04", "An unpublished featured sentence.", ("caring-about-staff",), True)
    project2 = dataclasses.replace(project, excerpts={**project.excerpts, extra.id: extra})
    render_site(project2, composites, tmp_path / "a", cache_dir=None)
    for rel, data in all_files(tmp_path / "a").items():
        assert b"unpublished featured" not in data, rel


def test_same_stories_in_any_input_order_give_the_same_site(built, tmp_path):
    project, composites = built["project"], built["composites"]
    render_site(project, composites, tmp_path / "a", cache_dir=None)
    render_site(project, list(reversed(composites)), tmp_path / "b", cache_dir=None)
    a, b = all_files(tmp_path / "a"), all_files(tmp_path / "b")
    assert {k: hashlib.sha256(v).hexdigest() for k, v in a.items()} == \
           {k: hashlib.sha256(v).hexdigest() for k, v in b.items()}


def test_hostile_fixture_text_is_really_hostile():
    # Guard against the fixture being "fixed" into something harmless.
    assert "<script>" in HOSTILE and "{{ 7*7 }}" in HOSTILE


def test_search_shards_reindex_only_the_edited_story(built, tmp_path, monkeypatch):
    from storygen.site import search

    monkeypatch.setattr(search, "SHARD_SIZE", 1)  # one story per shard
    project, composites = built["project"], built["composites"]
    cache = tmp_path / "cache"
    stats = render_site(project, composites, tmp_path / "a", cache_dir=cache)
    assert stats.search_rebuilt == 2
    for n in (0, 1):
        assert (tmp_path / "a" / f"search/index/{n}/pagefind.js").is_file()
    assert 'data-shards="0,1"' in (tmp_path / "a" / "search/index.html").read_text(encoding="utf-8")
    second = composites[1]
    segments = tuple(dataclasses.replace(s, text=s.text + " Extra words.") if s.kind == "excerpt" else s
                     for s in second.segments)
    stats = render_site(project, [composites[0], Composite(second.story, segments, second.stats)],
                        tmp_path / "b", cache_dir=cache)
    assert stats.search_rebuilt == 1


def test_a_project_with_no_published_stories_still_builds(built, tmp_path):
    render_site(built["project"], [], tmp_path / "a", cache_dir=None)
    page = (tmp_path / "a" / "search/index.html").read_text(encoding="utf-8")
    assert "There are no stories to search yet." in page and 'data-shards=""' in page
    assert not (tmp_path / "a" / "search/index").exists()
    feed = feedparser.parse((tmp_path / "a" / "feed.xml").read_bytes())
    assert not feed.bozo and feed.entries == []


@pytest.mark.parametrize("page, ref, expected", [
    ("stories/a/index.html", "../../static/x.css", ("static/x.css", "")),
    ("stories/a/index.html", "../b/#quote-2", ("stories/b/index.html", "quote-2")),
    ("stories/a/index.html", "./", ("stories/a/index.html", "")),
    ("stories/a/index.html", "../../", ("index.html", "")),
    ("stories/a/index.html", "#before", ("stories/a/index.html", "before")),
    ("index.html", "./", ("index.html", "")),
    ("index.html", "stories/", ("stories/index.html", "")),
    ("index.html", "feed.xml?x=1", ("feed.xml", "")),
    ("404.html", "/stories/static/x.css", ("static/x.css", "")),
    ("404.html", "/stories/", ("index.html", "")),
    ("404.html", "/elsewhere/", ("\0outside:/elsewhere/", "")),
    ("index.html", "../x", ("\0outside:../x", "")),
    ("index.html", "caf%C3%A9/", ("café/index.html", "")),
    ("index.html", "https://example.org/", None),
    ("index.html", "mailto:a@example.org", None),
    ("index.html", "//cdn.example.org/x.js", None),
])
def test_internal_references_resolve_like_a_browser(page, ref, expected):
    from storygen.site.links import _resolve
    assert _resolve(page, ref, "/stories/") == expected


def test_cards_drawn_in_worker_processes_are_identical(monkeypatch):
    """Cold builds spread cards over processes; the bytes must not depend on it."""
    import threading

    from storygen.site.cards import card_inputs, draw_card
    from storygen.parallel import MIN_ITEMS, pmap

    monkeypatch.setenv("STORYGEN_JOBS", "2")
    if threading.active_count() > 1:
        pytest.skip("another thread is running in this test process: workers are not forked")
    inputs = [card_inputs({"title": f"Story {i} with a title long enough to wrap onto a second line",
                           "contributors": 3 + i % 4,
                           "persona": {"name": "Sam", "role": "support worker", "setting": "a council"},
                           "themes": [{"colour": "#1f6f8b", "name": "x"}]}, "Site") for i in range(MIN_ITEMS)]
    assert pmap(draw_card, inputs) == [draw_card(i) for i in inputs]


def test_pages_rendered_over_several_processes_are_the_pages_one_renders(built, tmp_path, monkeypatch):
    """A cold build renders pages on every CPU: the site comes out byte for byte the same."""
    from privacy_fixtures import in_one_and_two_processes

    project, composites = built["project"], built["composites"]
    many = composites + [dataclasses.replace(c, story=dataclasses.replace(c.story, slug=f"{c.story.slug}-{i:02d}"))
                         for c in composites for i in range(15)]

    def run():
        out = tmp_path / f"out-{len(list(tmp_path.glob('out-*')))}"
        render_site(project, many, out, cache_dir=None)
        return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(out.rglob("*")) if p.is_file()}

    sites, pools = in_one_and_two_processes(monkeypatch, tmp_path, run)
    assert sites[0] == sites[1] and pools     # the second run did use a pool
    assert sum(1 for path in sites[0] if path.startswith("stories/") and path.endswith("index.html")) >= 30
