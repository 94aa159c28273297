"""The output scan: a clean site scans clean; a value planted in any channel is caught.

Real files throughout: HTML, Atom, JSON, WebVTT, SRT, text, a JPEG with real EXIF, a PNG
with a compressed text chunk, an MP4 made by ffmpeg with container metadata.
"""
from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from privacy_fixtures import CLEAN, in_one_and_two_processes, make_project

from storygen.privacy import scan_output, strip_image_metadata, strip_media_metadata
from storygen.privacy.scan import OutputScanner
from storygen.privacy.media import ffmpeg_exe, image_metadata, media_metadata

PHONE = "07700 900123"
PSEUDONYMS = "people:\n  - real: Margaret Holloway\n    also: [Maggie]\n    pseudonym: Jean\n"


def _mp4(path: Path, *metadata: str) -> None:
    args = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
            "-i", "color=c=black:s=64x64:d=0.2:r=10", "-c:v", "libx264", "-pix_fmt", "yuv420p"]
    for m in metadata:
        args += ["-metadata", m]
    subprocess.run(args + [str(path)], check=True, capture_output=True, timeout=60)


def build_clean_site(root: Path) -> Path:
    """A small site as a renderer would write it, full of legitimate look-alikes."""
    site = root / "site"
    story = site / "time-to-listen"
    (site / "assets").mkdir(parents=True)
    story.mkdir()
    (site / "assets" / "style.3f2a9c1b.css").write_text(
        "body{color:#1f6f8b;background:#fafafa}.sec1{margin:0 0 1.5rem}@media (min-width:700px){}", "utf-8")
    (site / "assets" / "app.8d7e6f5a.js").write_text("const v='1.2.3';let t=1000;console.log(v,t)", "utf-8")
    body = "".join(f"<p>{t}</p>" for t in CLEAN)
    (story / "index.html").write_text(
        "<!doctype html><html lang=en-GB><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        "<title>Time to listen — Stories</title><meta name=description content='A support worker on change.'>"
        "<meta property='og:url' content='https://example.org/stories/time-to-listen/'>"
        "<link rel=stylesheet href='../assets/style.3f2a9c1b.css'><style>h1{color:#333}</style></head>"
        "<body><nav><a href='../'>Home</a> <a href='../about/'>About</a></nav>"
        "<h1>Time to listen</h1><p class=note>A composite story drawn from 4 accounts; names and details "
        "changed.</p><p>Sam has worked on the front desk for years.</p>"
        f"{body}<figure><img src='kitchen-table.640.jpg' alt='Two mugs on a kitchen table.'>"
        "<figcaption>Illustration by the comms team</figcaption></figure>"
        "<video src='time-to-listen.mp4'><track src='time-to-listen.vtt' kind=captions srclang=en></video>"
        "<footer>Published 25 November 2026 · storygen 0.1.0 · Version 1.2.3</footer>"
        "<script src='../assets/app.8d7e6f5a.js'></script></body></html>", "utf-8")
    (site / "feed.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Stories</title><id>https://example.org/stories/</id><updated>2026-11-25T12:00:00Z</updated>"
        "<entry><title>Time to listen</title><id>https://example.org/stories/time-to-listen/</id>"
        "<updated>2026-11-25T12:00:00Z</updated><link href='https://example.org/stories/time-to-listen/'/>"
        "<summary>A support worker on change. A composite of 4 accounts.</summary>"
        f"<content type='html'>&lt;p&gt;{CLEAN[0]}&lt;/p&gt;</content></entry></feed>", "utf-8")
    (site / "search.json").write_text(json.dumps([{"url": "/stories/time-to-listen/", "title": "Time to listen",
                                                   "text": " ".join(CLEAN), "hash": "3f2a9c1b"}]), "utf-8")
    cues = [(1, "00:00:01.000", "00:00:04.000", CLEAN[0]), (2, "00:00:04.000", "00:00:08.500", CLEAN[2])]
    (story / "time-to-listen.vtt").write_text(
        "WEBVTT\n\nNOTE A composite story; names and details changed.\n\n"
        + "".join(f"{a} --> {b}\n{t}\n\n" for _, a, b, t in cues), "utf-8")
    (story / "time-to-listen.srt").write_text(
        "".join(f"{i}\n{a.replace('.', ',')} --> {b.replace('.', ',')}\n{t}\n\n" for i, a, b, t in cues), "utf-8")
    (story / "time-to-listen.txt").write_text("Time to listen\n\n" + "\n\n".join(CLEAN) + "\n", "utf-8")
    Image.new("RGB", (32, 24), (200, 180, 150)).save(story / "kitchen-table.640.jpg", quality=80)
    Image.new("RGB", (16, 16), (31, 111, 139)).save(site / "favicon.png")
    _mp4(story / "time-to-listen.mp4")
    # Pagefind's search index: hashed names, gzip'd fragments ("pagefind_dcd" + JSON).
    (site / "pagefind" / "fragment").mkdir(parents=True)
    (site / "pagefind" / "index").mkdir()
    fragment = b"pagefind_dcd" + json.dumps({"url": "/time-to-listen/", "content": " ".join(CLEAN),
                                             "meta": {"title": "Time to listen"}}).encode()
    (site / "pagefind" / "fragment" / "en_427688f.pf_fragment").write_bytes(gzip.compress(fragment, mtime=0))
    (site / "pagefind" / "index" / "en_582841b.pf_index").write_bytes(gzip.compress(b"\x00\x01listen", mtime=0))
    (site / "pagefind" / "pagefind.en_4e2b3127a3.pf_meta").write_bytes(gzip.compress(b"\x00meta", mtime=0))
    (site / "robots.txt").write_text("User-agent: *\nSitemap: https://example.org/stories/sitemap.xml\n", "utf-8")
    return site


@pytest.fixture(scope="module")
def clean_site(tmp_path_factory):
    return build_clean_site(tmp_path_factory.mktemp("clean"))


@pytest.fixture
def setup(tmp_path, clean_site):
    project, composites = make_project(tmp_path / "project", private={"pseudonyms.yaml": PSEUDONYMS})
    site = tmp_path / "site"
    shutil.copytree(clean_site, site)
    return project, composites, site


def spans(findings):
    return {(str(f.origin), f.span) for f in findings}


def test_clean_site_scans_clean(setup):
    project, composites, site = setup
    assert [f.format() for f in scan_output(site, project, composites)] == []


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


CHANNELS = {
    "html text": ("time-to-listen/index.html", "<p>Sam has worked", f"<p>Ring {PHONE}.</p><p>Sam has worked"),
    "alt attribute": ("time-to-listen/index.html", "alt='Two mugs", f"alt='Ring {PHONE}. Two mugs"),
    "atom feed": ("feed.xml", "<summary>A support", f"<summary>Ring {PHONE}. A support"),
    "escaped html in feed": ("feed.xml", "&lt;p&gt;", f"&lt;p&gt;Ring {PHONE}. "),
    "json index": ("search.json", '"title": "Time to listen"', f'"title": "Ring {PHONE}"'),
    "webvtt": ("time-to-listen/time-to-listen.vtt", CLEAN[2], f"Ring {PHONE}."),
    "srt": ("time-to-listen/time-to-listen.srt", CLEAN[2], f"Ring {PHONE}."),
    "transcript": ("time-to-listen/time-to-listen.txt", CLEAN[1], f"Ring {PHONE}."),
}


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_planted_phone_is_caught_in_text_channels(setup, channel):
    project, composites, site = setup
    rel, old, new = CHANNELS[channel]
    _edit(site / rel, old, new)
    findings = scan_output(site, project, composites)
    assert (rel, PHONE) in spans(findings), [f.format() for f in findings]
    assert all(f.action == "block" for f in findings)


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_planted_real_name_is_caught_in_text_channels(setup, channel):
    project, composites, site = setup
    rel, old, new = CHANNELS[channel]
    _edit(site / rel, old, new.replace(f"Ring {PHONE}", "Ask Maggie"))
    found = [f for f in scan_output(site, project, composites) if f.rule == "R5"]
    assert (rel, "Maggie") in spans(found)


def test_compressed_search_index_fragment(setup):
    project, composites, site = setup
    path = site / "pagefind" / "fragment" / "en_427688f.pf_fragment"
    data = gzip.decompress(path.read_bytes()).replace(b"We share one record", f"Ring {PHONE}. We".encode())
    path.write_bytes(gzip.compress(data, mtime=0))
    assert ("pagefind/fragment/en_427688f.pf_fragment", PHONE) in spans(scan_output(site, project, composites))


def _fragment(site: Path, content: str) -> str:
    path = site / "pagefind" / "fragment" / "en_427688f.pf_fragment"
    record = json.loads(gzip.decompress(path.read_bytes())[len(b"pagefind_dcd"):])
    record["content"] = content
    path.write_bytes(gzip.compress(b"pagefind_dcd" + json.dumps(record).encode(), mtime=0))
    return content


def _texts_detected(site, project, composites, monkeypatch) -> list[str]:
    """Every text the detectors are asked about while the site is scanned."""
    scanner = OutputScanner(project, composites)
    asked, scan = [], scanner.detector.scan
    monkeypatch.setattr(scanner.detector, "scan", lambda text: asked.append(text) or scan(text))
    assert scanner.scan(site) == []
    return asked


def test_search_fragment_of_blocks_the_page_shows_is_not_detected_twice(setup, monkeypatch):
    # The fragment's content is five of the page's paragraphs, in order, as Pagefind joins them.
    project, composites, site = setup
    content = _fragment(site, " ".join(["Sam has worked on the front desk for years.", *CLEAN]))
    asked = _texts_detected(site, project, composites, monkeypatch)
    assert content not in asked
    assert CLEAN[1] in asked                  # the page's own paragraph was looked at


@pytest.mark.parametrize("content", [
    " ".join(reversed(CLEAN)),                # the page's blocks, out of order
    CLEAN[0] + " " + CLEAN[1].split(",")[0],  # part of a block: words the page never shows alone
    CLEAN[0] + " Sunnyside Ward " + CLEAN[1],  # words the page does not show
])
def test_search_fragment_unlike_its_page_is_scanned_whole(setup, monkeypatch, content):
    project, composites, site = setup
    _fragment(site, content)
    assert content in _texts_detected(site, project, composites, monkeypatch)


def test_search_fragment_is_scanned_whole_when_its_page_was_not_read(setup, monkeypatch):
    project, composites, site = setup
    content = _fragment(site, " ".join(CLEAN))
    (site / "time-to-listen" / "index.html").unlink()
    assert content in _texts_detected(site, project, composites, monkeypatch)


def test_phone_in_a_page_block_is_caught_on_the_page_and_in_its_fragment(setup):
    project, composites, site = setup
    _edit(site / "time-to-listen" / "index.html", f"<p>{CLEAN[2]}</p>", f"<p>Ring {PHONE}.</p><p>{CLEAN[2]}</p>")
    _fragment(site, " ".join(CLEAN[:2] + [f"Ring {PHONE}."] + CLEAN[2:]))
    got = spans(scan_output(site, project, composites))
    assert ("time-to-listen/index.html", PHONE) in got


def test_source_and_excerpt_ids_are_caught_even_in_comments_and_css(setup):
    project, composites, site = setup
    _edit(site / "time-to-listen" / "index.html", "<h1>", "<!-- from S02-01 --><h1>")
    _edit(site / "assets" / "style.3f2a9c1b.css", ".sec1{", ".sec1{}/* S03 */.x{")
    findings = scan_output(site, project, composites)
    assert ("time-to-listen/index.html", "S02-01") in spans(findings)
    assert ("assets/style.3f2a9c1b.css", "S03") in spans(findings)


def test_text_hash_of_an_excerpt_is_caught(setup):
    project, composites, site = setup
    secret = composites[0].excerpt_segments[0].text_hash
    _edit(site / "search.json", '"hash": "3f2a9c1b"', f'"hash": "{secret}"')
    assert ("search.json", secret) in spans(scan_output(site, project, composites))


def test_file_name_and_folder_name(setup):
    project, composites, site = setup
    (site / "assets" / "07700-900123.png").write_bytes((site / "favicon.png").read_bytes())
    (site / "maggie-remembers").mkdir()
    (site / "maggie-remembers" / "index.html").write_text("<p>Hello.</p>", "utf-8")
    (site / "sarah-okafor").mkdir()
    findings = scan_output(site, project, composites)
    got = spans(findings)
    assert ("assets/07700-900123.png", "07700 900123") in got
    assert ("maggie-remembers", "Maggie") in got
    assert ("sarah-okafor", "Sarah Okafor") in got


def test_jpeg_exif(setup):
    project, composites, site = setup
    path = site / "time-to-listen" / "kitchen-table.640.jpg"
    im = Image.open(path)
    exif = Image.Exif()
    exif[0x010E] = f"Call {PHONE}"                           # ImageDescription
    exif[0x9C9C] = "Taken at Maggie's house".encode("utf-16-le")  # XPComment (UTF-16)
    exif[0x013B] = "Sarah Holloway"                          # Artist
    im.save(path, exif=exif, quality=80)
    im.close()
    got = spans(scan_output(site, project, composites))
    rel = "time-to-listen/kitchen-table.640.jpg"
    assert (rel, PHONE) in got and (rel, "Maggie") in got and (rel, "Sarah Holloway") in got


def test_jpeg_gps_is_refused(setup):
    project, composites, site = setup
    path = site / "time-to-listen" / "kitchen-table.640.jpg"
    im = Image.open(path)
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (54.0, 34.0, 12.0)
    im.save(path, exif=exif)
    im.close()
    assert (Path(path).relative_to(site).as_posix(), "GPS") in spans(scan_output(site, project, composites))


def test_png_compressed_text_chunk(setup):
    project, composites, site = setup
    info = PngInfo()
    info.add_text("Comment", f"Ring {PHONE}", zip=True)       # zTXt: invisible to a byte search
    info.add_itxt("Author", "Maggie", zip=True)
    Image.new("RGB", (16, 16), (1, 2, 3)).save(site / "favicon.png", pnginfo=info)
    assert b"07700" not in (site / "favicon.png").read_bytes()
    got = spans(scan_output(site, project, composites))
    assert ("favicon.png", PHONE) in got and ("favicon.png", "Maggie") in got


def test_mp4_container_metadata(setup):
    project, composites, site = setup
    path = site / "time-to-listen" / "time-to-listen.mp4"
    _mp4(path, f"comment=Ring {PHONE}", "artist=Maggie", "title=Time to listen")
    got = spans(scan_output(site, project, composites))
    rel = "time-to-listen/time-to-listen.mp4"
    assert (rel, PHONE) in got and (rel, "Maggie") in got


def test_mp4_subtitle_track(setup, tmp_path):
    project, composites, site = setup
    srt = tmp_path / "s.srt"
    srt.write_text(f"1\n00:00:00,000 --> 00:00:00,200\nRing {PHONE}\n\n", "utf-8")
    plain = tmp_path / "plain.mp4"
    _mp4(plain)
    out = site / "time-to-listen" / "time-to-listen.mp4"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(plain), "-i", str(srt),
                    "-map", "0", "-map", "1", "-c", "copy", "-c:s", "mov_text", str(out)], check=True, timeout=60)
    assert ("time-to-listen/time-to-listen.mp4", PHONE) in spans(scan_output(site, project, composites))


def test_strip_image_metadata_removes_exif_and_text(tmp_path):
    jpg = tmp_path / "a.jpg"
    exif = Image.Exif()
    exif[0x010E] = f"Call {PHONE}"
    exif[0x0112] = 6                                          # orientation: rotate on display
    Image.new("RGB", (40, 20), (9, 9, 9)).save(jpg, exif=exif)
    png = tmp_path / "a.png"
    info = PngInfo()
    info.add_text("Comment", f"Ring {PHONE}", zip=True)
    Image.new("RGB", (8, 8)).save(png, pnginfo=info)
    assert image_metadata(jpg)[0] and image_metadata(png)[0]
    strip_image_metadata(jpg)
    strip_image_metadata(png)
    assert image_metadata(jpg) == ([], False)
    assert image_metadata(png) == ([], False)
    with Image.open(jpg) as im:
        assert im.size == (20, 40)                            # orientation applied before stripping


def test_strip_media_metadata(tmp_path):
    mp4 = tmp_path / "v.mp4"
    _mp4(mp4, f"comment=Ring {PHONE}", "artist=Maggie")
    assert any(k == "comment" for k, _ in media_metadata(mp4)[0])
    strip_media_metadata(mp4)
    keys = {k for k, _ in media_metadata(mp4)[0]}
    assert "comment" not in keys and "artist" not in keys


def test_many_pages_scan_clean(setup):
    """1,000 story pages scan clean (how fast is measured by benchmarks/latency_bench.py)."""
    project, composites, site = setup
    page = (site / "time-to-listen" / "index.html").read_text("utf-8")
    for i in range(1000):
        d = site / f"story-{i:04d}"
        d.mkdir()
        (d / "index.html").write_text(page.replace("Time to listen", f"Story number {i}"), "utf-8")
    assert scan_output(site, project, composites) == []


def test_strip_keeps_palette_transparency(tmp_path):
    png = tmp_path / "p.png"
    im = Image.new("P", (4, 4), 0)
    im.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    info = PngInfo()
    info.add_text("Author", "Maggie")
    im.save(png, transparency=0, pnginfo=info)
    strip_image_metadata(png)
    with Image.open(png) as out:
        assert out.info.get("transparency") == 0
        assert "Author" not in out.info


def test_scan_over_several_processes_finds_what_one_finds(setup, monkeypatch, tmp_path):
    """Files are read through on every CPU on a cold build: the findings are the same, in order."""
    project, composites, site = setup
    page = (site / "time-to-listen" / "index.html").read_text("utf-8")
    for i in range(40):        # enough files for a process pool (parallel.MIN_ITEMS)
        extra = f"<p>Ring {PHONE} about S01-01.</p>" if i in (7, 31) else ""
        (site / f"page-{i:02d}.html").write_text(page.replace("</body>", extra + "</body>"), "utf-8")
    results, pools = in_one_and_two_processes(
        monkeypatch, tmp_path, lambda: [f.format() for f in scan_output(site, project, composites)])
    assert results[0] == results[1] and pools     # the second run did use a pool
    assert sum(PHONE in line for line in results[0]) == 2 and sum("excerpt id" in line for line in results[0]) == 2


def test_page_text_is_read_to_the_end_of_a_very_long_page():
    from storygen.privacy.extract import html_text

    chunks = html_text("<p>" + "word " * 2_400_000 + f"ring {PHONE}</p><p>After.</p>").chunks
    assert chunks[0].endswith(f"ring {PHONE}") and chunks[1] == "After."


def test_the_output_scan_searches_for_every_private_id(tmp_path):
    """The output scan searches for privacy.ids' private values (every excerpt's text hash
    included, quoted or not), the values the id search uses with the guard off."""
    from privacy_fixtures import make_project

    from storygen.privacy.ids import private_ids
    from storygen.privacy.scan import OutputScanner

    project, composites = make_project(tmp_path)
    ids = private_ids(project, composites)
    assert {ex.text_hash for ex in project.excerpts.values()} <= set(ids)
    assert set(project.sources) | set(project.excerpts) <= set(ids)
    scanner = OutputScanner(project, composites)
    assert set(ids) <= set(scanner._secrets)
