"""A small project built from the model dataclasses, for the site tests.

It has three themes (one with sub-codes), four sources, hostile excerpt text,
two published stories (one with a hero and a second picture) and a video for
one of them, made with the bundled ffmpeg when asked.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from storygen.config import Config
from storygen.model import (Code, Composite, CompositeStats, Consent, Excerpt, Origin, Persona,
                            Picture, Project, Segment, Source, Story)

HOSTILE = "<script>alert('x')</script> and {{ 7*7 }} and {% raw %} & \"quotes\""


def make_project(root: Path) -> tuple[Project, list[Composite]]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "assets" / "photos").mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", (1800, 1000), (40, 90, 120))
    ImageDraw.Draw(img).ellipse([500, 200, 1300, 800], fill=(230, 200, 80))
    img.save(root / "assets" / "photos" / "kitchen-table.jpg", quality=90)
    Image.new("RGB", (800, 600), (200, 120, 60)).save(root / "assets" / "photos" / "desk.png")

    config = Config()
    config.site.title = "Stories of change"
    config.site.base_url = "https://example.org/stories/"
    config.site.author = "Example Council comms team"
    config.site.method_statement = "We thank everyone who *spoke* to us."

    codes = {c.id: c for c in [
        Code("turning-off-targets", "Turning off targets", "Stopping the counting that got in the way.",
             "#8b1f3f", 1),
        Code("working-together", "Working together", "Services sharing what they know.", "#1f6f8b", 2),
        Code("working-together/shared-records", "Shared records", "One record every service can read.",
             "#1f6f8b", 1),
        Code("caring-about-staff", "Caring about staff", "Looking after the people who help.", "#2e7d32", 3),
    ]}
    sources = {s.id: s for s in [
        Source("S01", "staff", "council", Consent(True, True, True)),
        Source("S02", "staff", "health", Consent(True, True, True)),
        Source("S03", "staff", "housing", Consent(True, True, True)),
        Source("S04", "community", "housing", Consent(True, True, False)),
    ]}
    texts = {
        "S01-01": ("S01", "We stopped counting how fast we closed a case.\nWe started asking whether the person would need to come back.", ("turning-off-targets",), True),
        "S02-01": ("S02", "Nobody had to tell their story three times any more. Café culture, naïve hopes: Unicode works.", ("working-together/shared-records",), True),
        "S03-01": ("S03", HOSTILE, ("turning-off-targets",), False),
        "S01-02": ("S01", "My manager asked how I was, and meant it.", ("caring-about-staff",), False),
        "S02-02": ("S02", "We had time to think for the first time in years.", ("caring-about-staff",), True),
        "S03-02": ("S03", "The team rota finally had room for training.\n\nAnd for lunch.", ("caring-about-staff",), False),
    }
    excerpts = {eid: Excerpt(eid, src, text, codes_, featured)
                for eid, (src, text, codes_, featured) in texts.items()}

    def seg(eid: str) -> Segment:
        e = excerpts[eid]
        return Segment("excerpt", e.text, excerpt_id=e.id, source_id=e.source_id,
                       text_hash=e.text_hash, codes=e.codes)

    def stats(segments, themes) -> CompositeStats:
        words: dict[str, int] = {}
        for s in segments:
            if s.kind == "excerpt":
                words[s.source_id] = words.get(s.source_id, 0) + s.words
        quoted = sum(words.values())
        bridge = sum(s.words for s in segments if s.kind != "excerpt")
        return CompositeStats(tuple(sorted(words)), words, quoted, bridge, quoted + bridge,
                              {t: tuple(sorted(words)) for t in themes}, (quoted + bridge) / 2.5)

    s1_segments = (
        Segment("heading", "Before", level=2),
        Segment("bridge", "Sam has worked the front desk for years. See [the other story](../time-for-us/) "
                          "and [the themes](../../themes/)."),
        seg("S01-01"),
        Segment("heading", "After", level=2),
        Segment("bridge", "Then the *targets* went. <b>raw html stays text</b>"),
        seg("S02-01"), seg("S03-01"),
        Segment("heading", "Before", level=2),  # a repeated heading needs a distinct anchor
        Segment("bridge", "And the rest."),
    )
    story1 = Story(
        slug="time-to-listen", title="Time to listen",
        summary="A support worker on what changed when the targets went.",
        persona=Persona("Sam", "support worker", "a council in the north of England"),
        voice="first", themes=("turning-off-targets", "working-together"), status="approved",
        reviewer="Panel", reviewed_on="2026-11-02", media=("site", "video"),
        content_note="Mentions money worries.",
        images=(Picture("photos/kitchen-table.jpg", "Two mugs on a kitchen table.", "Photo by the comms team",
                        "A kitchen table, late afternoon."),
                Picture("photos/desk.png", "", decorative=True)),
        origin=Origin(Path("narratives/stories/time-to-listen.md"), 1))
    s2_segments = (
        Segment("bridge", "Jo manages a small team."),
        seg("S01-02"), seg("S02-02"), seg("S03-02"),
    )
    story2 = Story(
        slug="time-for-us", title="Time for us",
        summary="A team leader on being looked after.",
        persona=Persona("Jo", "team leader", "a housing association"),
        voice="third", themes=("caring-about-staff",), status="approved",
        reviewed_on="2026-11-10", media=("site",),
        origin=Origin(Path("narratives/stories/time-for-us.md"), 1))
    project = Project(root=root, config=config, codes=codes, sources=sources, excerpts=excerpts,
                      stories=[story1, story2])
    composites = [
        Composite(story1, s1_segments, stats(s1_segments, story1.themes)),
        Composite(story2, s2_segments, stats(s2_segments, story2.themes)),
    ]
    return project, composites


def make_video(video_dir: Path, slug: str) -> None:
    """A real, tiny 16:9 H.264 video with captions, poster and transcript."""
    import subprocess

    import imageio_ffmpeg

    video_dir.mkdir(parents=True, exist_ok=True)
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x1f6f8b:s=320x180:d=2:r=10",
                    "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "2",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    "-movflags", "+faststart", str(video_dir / f"{slug}-16x9.mp4")], check=True)
    (video_dir / f"{slug}-16x9.vtt").write_text(
        "WEBVTT\n\nNOTE A composite of 3 accounts; names and details changed.\n\n"
        "00:00:00.000 --> 00:00:01.500\nWe stopped counting how fast we closed a case.\n", encoding="utf-8")
    Image.new("RGB", (320, 180), (31, 111, 139)).save(video_dir / f"{slug}-16x9-poster.jpg")
    (video_dir / f"{slug}-16x9.txt").write_text(
        "We stopped counting how fast we closed a case.\n\nA composite of 3 accounts; names and details changed.\n",
        encoding="utf-8")


def copy_sample(target: Path) -> Path:
    """A copy of the repository's sample project in `target`/project. Returns the project folder."""
    from golden import copy_sample as copy_sample_parts

    return copy_sample_parts(target / "project")


def excerpt_line_on(project: Path, html: str) -> tuple[Path, str]:
    """An excerpt file of `project` and a line of its text that appears on the given page."""
    for path in sorted((project / "narratives" / "excerpts").glob("*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.strip()
            if len(words) > 40 and not words.startswith(("-", "#", "codes", "id", "source", "memo")) \
                    and words.replace("'", "&#39;") in html:
                return path, line
    raise AssertionError("no excerpt line of the sample found on the page")


class ReloadListener:
    """Listen to a preview's live-reload stream as a browser would, noting when each build is announced."""

    def __init__(self, port: int):
        import http.client
        import threading

        from storygen.serve import EVENTS

        self.seen: list[tuple[float, str]] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.conn.request("GET", EVENTS)
        self.response = self.conn.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        import time

        try:
            for line in self.response:
                line = line.decode().strip()
                if line.startswith("data:"):
                    self.seen.append((time.perf_counter(), line[5:].strip()))
        except Exception:
            pass

    def wait_for_new(self, after: int, timeout: float = 10.0) -> float:
        """The time.perf_counter() at which a build after number `after` was announced."""
        import time

        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            for stamp, value in self.seen:
                if int(value) > after:
                    return stamp
            time.sleep(0.01)
        raise AssertionError(f"no new build announced within {timeout} s: {self.seen}")
