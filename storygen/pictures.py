"""Finding a story's pictures: one rule for every output.

A story names its pictures relative to assets/. Whether such a file exists and stays
inside assets/ is a property of the project, not of the site or the video, so both
ask here and a missing picture is reported once, in the same words, by `check`.
"""
from __future__ import annotations

from pathlib import Path

from .errors import AssetError


def locate_picture(assets: Path, image: str, story_file: str) -> Path:
    """The picture's file under `assets`, or an AssetError naming the story's file and the fix."""
    source = (assets / image).resolve()
    if not source.is_relative_to(assets.resolve()):
        raise AssetError(f"image {image!r} is outside assets/", path=story_file,
                         hint="images must live in the project's assets/ folder")
    if not source.is_file():
        raise AssetError(f"image {image!r} not found in assets/", path=story_file,
                         hint=f"add the file at assets/{image} or fix the path")
    return source
