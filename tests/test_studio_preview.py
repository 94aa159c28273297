"""The studio's previews and publishing against the real server (uvicorn on 127.0.0.1):
the story page as the site publishes it (compared byte for byte with a real build), the
video storyboard from the render's own timeline, a real draft render (ffmpeg, tiny frames)
into the cache, and "Build the site" running the real `storygen build`."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from click.testing import CliRunner  # noqa: E402
from projectkit import edit, write_project  # noqa: E402
from studiokit import Client, running  # noqa: E402

from storygen.cli import main  # noqa: E402
from storygen.video.qc import read_boxes  # noqa: E402

STORY_PAGE = Path("build") / "site" / "stories" / "time-to-listen" / "index.html"
# Tiny, short test videos: 144-pixel frames at the draft preset (a 2-minute story renders in seconds).
SMALL_VIDEO = '\n[video]\nsize = 144\nquality = "draft"\n'


def small_project(root: Path) -> Path:
    write_project(root)
    with open(root / "storygen.toml", "a", encoding="utf-8") as config:
        config.write(SMALL_VIDEO)
    return root


@pytest.fixture
def project(tmp_path):
    return small_project(tmp_path / "proj")


def wait_for(client: Client, path: str, seconds: float = 240) -> dict:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        status, _, body = client.get(path)
        assert status == 200, body
        data = json.loads(body)
        if data["state"] != "running":
            return data
        time.sleep(0.3)
    raise AssertionError(f"{path} still running after {seconds} s")


def test_preview_is_the_page_a_real_build_publishes(project):
    result = CliRunner().invoke(main, ["build", "--project", str(project), "--only", "site"])
    assert result.exit_code == 0, result.output
    with running(project) as studio:
        client = Client(studio)
        status, _, page = client.get("/stories/time-to-listen/preview")
        assert status == 200, page
        assert '<iframe class="site-preview" src="/preview/published/stories/time-to-listen/"' in page
        assert "exactly as <code>storygen build</code> would publish it" in page
        status, headers, html = client.get("/preview/published/stories/time-to-listen/")
        assert status == 200
        assert html == (project / STORY_PAGE).read_text(encoding="utf-8")
        assert "livereload" not in html and "DRAFT" not in html
        # the frame may draw itself but fetch nothing, post nothing, and be framed only by the studio
        policy = headers["content-security-policy"]
        assert "connect-src 'none'" in policy and "form-action 'none'" in policy
        assert "frame-ancestors 'self'" in policy
        # its style sheet and the rest of the site are served from the same preview folder
        css = html.split('<link rel="stylesheet" href="')[1].split('"')[0]
        status, headers, _ = client.get(urljoin("/preview/published/stories/time-to-listen/", css))
        assert status == 200 and headers["content-type"].startswith("text/css")
        # the preview was built in the project's cache, never in build/
        assert list((project / ".storygen-cache" / "studio").glob("site-published-*/site/index.html"))


def test_a_draft_is_previewed_as_the_site_shows_drafts(project):
    edit(project / "narratives" / "stories" / "time-to-listen.md", "status: approved", "status: draft")
    with running(project) as studio:
        client = Client(studio)
        status, _, page = client.get("/stories/time-to-listen/preview")
        assert status == 200 and "/preview/drafts/stories/time-to-listen/" in page
        status, _, html = client.get("/preview/drafts/stories/time-to-listen/")
        assert status == 200 and "DRAFT PREVIEW" in html and "Time to listen" in html
        assert not (project / "build").exists()


def test_the_preview_follows_a_save(project):
    story = project / "narratives" / "stories" / "time-to-listen.md"
    with running(project) as studio:
        client = Client(studio)
        _, _, before = client.get("/preview/version")
        _, _, html = client.get("/preview/published/stories/time-to-listen/")
        assert "Robin has worked on the front desk for years." in html
        edit(story, "Robin has worked on the front desk for years.", "Robin has answered the phones for years.")
        _, _, after = client.get("/preview/version")
        assert json.loads(after)["version"] != json.loads(before)["version"]
        _, _, html = client.get("/preview/published/stories/time-to-listen/")
        assert "Robin has answered the phones for years." in html


TRAVERSALS = ["/preview/published/../../storygen.toml", "/preview/published/%2e%2e/%2e%2e/storygen.toml",
              "/preview/published/..%2f..%2fstorygen.toml", "/preview/elsewhere/index.html",
              "/render/files/..%2f..%2fstorygen.toml", "/render/files/storygen.toml"]


def test_only_files_inside_the_preview_folders_are_served(project):
    with running(project) as studio:
        client = Client(studio)
        for path in TRAVERSALS:
            status, _, body = client.get(path)
            assert status in (404, 400), (path, status, body)
            assert "[site]" not in body, path


def test_previews_need_the_studio_key(project):
    with running(project) as studio:
        stranger = Client(studio, login=False)
        for path in ("/stories/time-to-listen/preview", "/preview/published/index.html", "/preview/version",
                     "/stories/time-to-listen/storyboard", "/render/status", "/publish/status"):
            assert stranger.get(path)[0] == 403, path


def test_render_and_publish_are_refused_without_csrf_or_from_another_site(project):
    with running(project) as studio:
        client = Client(studio)
        csrf = studio.studio.keys.csrf
        for path, form in (("/stories/time-to-listen/render", {"format": "16:9"}), ("/publish", {})):
            status, _, body = client.post(path, form)
            assert status == 403 and "CSRF" in body
            status, _, _ = client.post(path, {**form, "csrf": "wrong"})
            assert status == 403
            status, _, _ = client.post(path, {**form, "csrf": csrf}, headers={"Origin": "http://evil.example"})
            assert status == 403
        assert studio.studio.renderer.current.state == "idle"
        assert studio.studio.publisher.current.state == "idle"
        assert not (project / "build").exists()


def test_storyboard_shows_each_format_slides_with_timings(project):
    edit(project / "narratives" / "stories" / "time-to-listen.md", "media: [site, video]",
         'media: [site, video]\nvideo_formats: ["16:9", "9:16"]')
    with running(project) as studio:
        status, _, page = Client(studio).get("/stories/time-to-listen/storyboard")
    assert status == 200, page
    assert '<h2 id="board-16x9">16:9 video</h2>' in page and '<h2 id="board-9x16">9:16 video</h2>' in page
    # the title card first, on the clock from zero, its words as caption cues
    first = page.split("<tbody>")[1].split("</tr>")[0]
    assert "1 <span class=\"meta\">title</span>" in first and "<td>0:00.0</td>" in first
    assert "<bdi>Time to listen</bdi>" in first and "<bdi>What changed when the targets went.</bdi>" in first
    assert "Robin has worked on the front desk for years." in page


def test_hostile_excerpt_text_is_escaped_in_the_storyboard(project):
    hostile = "<script>alert(1)</script> {{ 7 * 7 }} \u202eevil"
    path = project / "narratives" / "excerpts" / "S01.yaml"
    text = path.read_text()
    first = text.split("    text: |\n      ", 1)
    path.write_text(first[0] + "    text: |\n      " + hostile + " " + first[1])
    with running(project) as studio:
        status, _, page = Client(studio).get("/stories/time-to-listen/storyboard")
    assert status == 200, page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{ 7 * 7 }}" in page and ">49<" not in page


def test_draft_render_runs_once_at_a_time_into_the_cache_and_plays_with_captions(project):
    with running(project) as studio:
        client = Client(studio)
        csrf = studio.studio.keys.csrf
        status, headers, _ = client.post("/stories/time-to-listen/render", {"format": "16:9", "csrf": csrf})
        assert status == 303 and headers["location"] == "/stories/time-to-listen/storyboard#render"
        status, _, body = client.post("/stories/time-to-listen/render", {"format": "16:9", "csrf": csrf})
        assert status == 409 and "already being rendered" in body
        done = wait_for(client, "/render/status")
        assert done["state"] == "done", done
        assert done["done"] == done["total"] > 1 and done["percent"] == 100
        status, headers, _ = client.get(done["video"])
        assert status == 200 and headers["content-type"] == "video/mp4"
        status, headers, vtt = client.get(done["captions"])
        assert status == 200 and vtt.startswith("WEBVTT") and "Time to listen" in vtt
        _, _, page = client.get("/stories/time-to-listen/storyboard")
        assert f'<video controls preload="metadata" src="{done["video"]}">' in page
        assert f'<track kind="captions" src="{done["captions"]}"' in page
    videos = project / ".storygen-cache" / "studio" / "videos"
    mp4 = videos / "time-to-listen-16x9.mp4"
    assert mp4.is_file() and not (project / "build").exists()
    facts = read_boxes(mp4)                  # the MP4's own boxes, as the render's quality check reads them
    assert (facts.video.width, facts.video.height) == (256, 144)      # the project's small size


def test_build_the_site_runs_storygen_build_and_shows_the_result(project):
    with running(project) as studio:
        client = Client(studio)
        csrf = studio.studio.keys.csrf
        status, headers, _ = client.post("/publish", {"csrf": csrf})
        assert status == 303 and headers["location"] == "/stories#publish"
        status, _, body = client.post("/publish", {"csrf": csrf})
        assert status == 409 and "A build is already running" in body
        done = wait_for(client, "/publish/status")
        assert done["state"] == "done" and done["code"] == 0, done
        assert done["lines"][-1] == "built 1 story into build/"
        _, _, page = client.get("/stories")
        assert "1 story is on the site:" in page
        assert "<code>build/site/stories/time-to-listen/index.html</code>" in page
    assert (project / STORY_PAGE).is_file()
    assert (project / "build" / "video" / "time-to-listen-16x9.mp4").is_file()


def test_a_build_that_stops_shows_exactly_what_storygen_build_prints(project):
    # an approved story whose picture is missing: the build stops before writing anything
    edit(project / "narratives" / "stories" / "time-to-listen.md", "media: [site, video]",
         "media: [site, video]\nimages:\n  - {image: missing.jpg, alt: A kitchen table}")
    printed = subprocess.run([sys.executable, "-m", "storygen", "build", "--project", str(project)],
                             capture_output=True, text=True)
    assert printed.returncode == 2, printed.stderr
    with running(project) as studio:
        client = Client(studio)
        client.post("/publish", {"csrf": studio.studio.keys.csrf})
        done = wait_for(client, "/publish/status")
        assert done["state"] == "failed" and done["code"] == 2
        assert "\n".join(done["lines"]) + "\n" == printed.stderr
        _, _, page = client.get("/stories")
    assert "The build stopped (exit 2): nothing was published" in page
    assert not (project / "build").exists()
