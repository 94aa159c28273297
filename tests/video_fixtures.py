"""A small, real project for video tests: tiny Pillow pictures, a generated tone
as the music bed, and a composite built directly from the model dataclasses."""
from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image

from storygen.config import Config
from storygen.model import (Composite, CompositeStats, Persona, Picture, Project, Segment,
                            Story)

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()

QUOTES = [
    "We stopped counting how fast we closed a case.",
    "Nobody asked me to tell my story three times any more.",
    "The worker sat with me at the kitchen table and just listened.",
]


def picture(path: Path, size=(576, 360), seed=0) -> None:
    """A smooth gradient with a few shapes: real texture for pan and zoom."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    base = rng.integers(40, 200, size=3)
    img = np.stack([(base[c] + 50 * np.sin(x / (17 + 7 * c) + y / 23.0)) for c in range(3)], axis=-1)
    Image.fromarray(np.clip(img, 0, 255).astype("uint8")).save(path)


def tone(path: Path, seconds: float = 3.0, freq: int = 330) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"sine=frequency={freq}:duration={seconds}:sample_rate=44100",
                    "-af", "volume=0.3", str(path)], check=True)


def make_project(root: Path, *, pictures: int = 2, music: bool = True, size: int = 180,
                 fps: int = 30, **video) -> Project:
    assets = root / "assets"
    (assets / "photos").mkdir(parents=True, exist_ok=True)
    for i in range(pictures):
        picture(assets / "photos" / f"p{i}.png", seed=i)
    config = Config()
    config.video.quality = "draft"
    config.video.size = size
    config.video.fps = fps
    config.video.min_slide_seconds = 1.2
    config.video.words_per_minute = 400   # fast reading keeps test videos short
    if music:
        tone(assets / "bed.mp3")
        config.video.music = "bed.mp3"
        config.video.music_credit = "Test tone"
    for key, value in video.items():
        setattr(config.video, key, value)
    return Project(root=root, config=config, codes={}, sources={}, excerpts={}, stories=[])


def make_composite(*, pictures: int = 2, quotes: list[str] | None = None,
                   formats=("16:9",), bridge: str = "Sam opens the *folder* again.",
                   slug: str = "time-to-listen", **story_kw) -> Composite:
    quotes = QUOTES if quotes is None else quotes
    images = tuple(Picture(f"photos/p{i}.png", alt=f"Test picture {i}", credit="Test credit")
                   for i in range(pictures))
    story = Story(slug=slug, title="Time to listen", summary="What changed.",
                  persona=Persona("Sam", "support worker", "a council"), voice="first",
                  themes=("t",), status="approved", media=("site", "video"), images=images,
                  video_formats=tuple(formats))
    if story_kw:
        story = replace(story, **story_kw)
    segs = [Segment("bridge", bridge)]
    for i, q in enumerate(quotes):
        # provenance that must never reach an output file
        segs.append(Segment("excerpt", q, excerpt_id=f"SECRET-EX-{i}", source_id=f"SECRETSRC{i}",
                            text_hash=f"deadbeef{i:08d}"))
    sources = tuple(f"SECRETSRC{i}" for i in range(len(quotes)))
    stats = CompositeStats(sources=sources, source_words={s: 10 for s in sources},
                           quoted_words=10 * len(sources), bridge_words=5, total_words=35,
                           theme_sources={}, duration_seconds=10.0)
    return Composite(story, tuple(segs), stats)
