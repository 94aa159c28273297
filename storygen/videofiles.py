"""A story's video files, named once, and the transcript's format.

The video output writes them (storygen/video/render.py) and the site reads them
(storygen/site/media.py); the two never import each other, so what they agree
on lives here.
"""
from __future__ import annotations

# The files of one video: `<slug>-<format tag><suffix>`, e.g. time-to-listen-16x9.vtt.
SUFFIXES = {"video": ".mp4", "vtt": ".vtt", "srt": ".srt", "transcript": ".txt",
            "poster": "-poster.jpg", "contact": "-contact.png"}
# The format and files a story page embeds (a page never points at a missing caption track).
WEB_TAG = "16x9"
WEB_PARTS = ("video", "vtt", "poster", "transcript")


def file_names(slug: str, tag: str, parts=tuple(SUFFIXES)) -> dict[str, str]:
    """part -> file name, for the video of story `slug` in the format tagged `tag`."""
    return {part: f"{slug}-{tag}{SUFFIXES[part]}" for part in parts}


def transcript_text(groups: list[list[str]]) -> str:
    """The transcript: one spoken or shown item per line, a blank line after each group
    (the title and disclosure, then each unit of the video)."""
    lines = [line for group in groups for line in [*group, ""]]
    return "\n".join(lines).rstrip() + "\n"


def transcript_paragraphs(text: str) -> list[str]:
    """A transcript read back: each item a paragraph, its spacing tidied, blank lines dropped."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]
