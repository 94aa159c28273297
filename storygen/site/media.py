"""The story's video on its page: copy the 16:9 outputs in, describe them for the template.

The video build writes `<slug>-16x9.mp4`, `.vtt`, `-poster.jpg` and `.txt`
(transcript) into its own folder; a story's page embeds them only when all are
present, so a page never points at a missing caption track.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import RenderError

FORMAT = "16x9"
PARTS = {"mp4": f"-{FORMAT}.mp4", "vtt": f"-{FORMAT}.vtt", "poster": f"-{FORMAT}-poster.jpg",
         "transcript": f"-{FORMAT}.txt"}


def _jpeg_size(path: Path) -> tuple[int, int] | None:
    from PIL import Image
    try:
        with Image.open(path) as im:
            return im.size
    except OSError:
        return None


def story_video(slug: str, video_dir: Path | None, out) -> dict | None:
    """Copy the story's 16:9 video files into `media/`; None when it has no video."""
    if video_dir is None:
        return None
    files = {part: video_dir / f"{slug}{suffix}" for part, suffix in PARTS.items()}
    if not files["mp4"].is_file():
        return None
    missing = [p.name for part, p in files.items() if not p.is_file()]
    if missing:
        raise RenderError(f"the video for story {slug!r} is incomplete: missing {', '.join(missing)}",
                          path=video_dir,
                          hint="rebuild the video (`storygen build --only video`); a video is only "
                               "published with its captions, poster and transcript")
    try:
        transcript = files["transcript"].read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RenderError("transcript is not UTF-8 text", path=files["transcript"]) from None
    # The video build writes one spoken or shown item per line: keep each as a paragraph.
    descriptor = {"transcript": [" ".join(line.split()) for line in transcript.splitlines() if line.strip()]}
    for part, path in files.items():
        rel = f"media/{path.name}"
        out.copy(rel, path)
        if part != "transcript":
            descriptor[part] = rel
    size = _jpeg_size(files["poster"]) or (1920, 1080)
    descriptor["width"], descriptor["height"] = size
    return descriptor
