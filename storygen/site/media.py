"""The story's video on its page: copy the 16:9 outputs in, describe them for the template.

The video build writes the files storygen/videofiles.py names into its own
folder; a story's page embeds them only when all are present, so a page never
points at a missing caption track.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import RenderError
from ..videofiles import WEB_PARTS, WEB_TAG, file_names, transcript_paragraphs

# The template's names for the files (story.video.mp4, .vtt, .poster).
TEMPLATE_KEYS = {"video": "mp4", "vtt": "vtt", "poster": "poster"}


def _jpeg_size(path: Path) -> tuple[int, int] | None:
    from PIL import Image
    try:
        with Image.open(path) as im:
            return im.size
    except OSError:
        return None


def check_video(slug: str, video_dir: Path) -> dict[str, Path] | None:
    """The story's web video files in `video_dir`; None when it has no video there.
    RenderError when the video is there but incomplete."""
    files = {part: video_dir / name for part, name in file_names(slug, WEB_TAG, WEB_PARTS).items()}
    if not files["video"].is_file():
        return None
    missing = [p.name for part, p in files.items() if not p.is_file()]
    if missing:
        raise RenderError(f"the video for story {slug!r} is incomplete: missing {', '.join(missing)}",
                          path=video_dir,
                          hint="rebuild the video (`storygen build --only video`); a video is only "
                               "published with its captions, poster and transcript")
    return files


def story_video(slug: str, video_dir: Path | None, out) -> dict | None:
    """Copy the story's 16:9 video files into `media/`; None when it has no video."""
    files = check_video(slug, video_dir) if video_dir is not None else None
    if files is None:
        return None
    try:
        transcript = files["transcript"].read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RenderError("transcript is not UTF-8 text", path=files["transcript"]) from None
    descriptor = {"transcript": transcript_paragraphs(transcript)}
    for part, path in files.items():
        rel = f"media/{path.name}"
        out.copy(rel, path)
        if part in TEMPLATE_KEYS:
            descriptor[TEMPLATE_KEYS[part]] = rel
    size = _jpeg_size(files["poster"]) or (1920, 1080)
    descriptor["width"], descriptor["height"] = size
    return descriptor
