"""Slow pan and zoom ("Ken Burns") with sub-pixel precision.

ffmpeg's zoompan rounds the crop to whole pixels and visibly jitters; here the
crop box has fractional coordinates and is resampled bilinearly (OpenCV's
warpAffine, positioned to 1/32 pixel), so the motion is smooth at any speed.
The picture is scaled once, up front, to cover the frame with room to move;
each frame is then one resample of a box from that copy, always a slight
downscale (sharp, never blown up). Frames are warped from the picture's YUV
planes (planes.warp); stills are those frames converted back to RGB.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import AssetError
from .planes import Planes, blank, to_rgb, warp

ROOM = 1.15          # the prepared picture covers the frame with 15 % to spare
ZOOM_OUT, ZOOM_IN = 1.12, 1.02   # source pixels per frame pixel at the two ends of a move
# (dx, zoom direction) per slide, cycling: the moves vary but are deterministic
MOVES = [(+1, +1), (-1, -1), (-1, +1), (+1, -1)]


def _open(path: Path, story: str, reduce_to: tuple[int, int] | None = None) -> Image.Image:
    if not path.is_file():
        raise AssetError(f"image not found [story {story}]", path=path,
                         hint="check `images:` in the story (paths are relative to assets/)")
    try:
        with Image.open(path) as im:
            if reduce_to:
                # JPEG can decode at 1/2, 1/4, 1/8 scale: every byte is still
                # decoded (so corruption shows) for a fraction of the memory
                im.draft("RGB", reduce_to)
            im.load()
            # in place and only converted if need be: each copy of a photo is tens of MB
            ImageOps.exif_transpose(im, in_place=True)
            return im if im.mode == "RGB" else im.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AssetError(f"cannot read image ({exc}) [story {story}]", path=path,
                         hint="re-save it as JPEG or PNG") from None


def _oriented_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as im:
        w, h = im.size
        # EXIF orientations 5-8 swap width and height
        return (h, w) if im.getexif().get(0x0112, 1) in (5, 6, 7, 8) else (w, h)


def check_picture(path: Path, width: int, height: int, story: str, max_upscale: float = 1.0) -> None:
    """Raise AssetError unless the picture decodes and covers the frame."""
    _open(path, story, reduce_to=(64, 64))
    w, h = _oriented_size(path)
    need = max(width / w, height / h)
    if need > max_upscale + 1e-9:
        raise AssetError(
            f"image is {w}×{h}, smaller than the {width}×{height} video frame "
            f"[story {story}]", path=path,
            hint=f"use a picture at least {int(w * need + 0.5)}×{int(h * need + 0.5)} "
                 "pixels (final quality needs about twice what draft needs)")


def load_picture(path: Path, width: int, height: int, story: str,
                 max_upscale: float = 1.0) -> np.ndarray:
    """The picture (an RGB array), checked, scaled to cover the frame with ROOM to
    move, and cropped to that: the only pixels any frame of the slide can show."""
    check_picture(path, width, height, story, max_upscale)
    im = _open(path, story, reduce_to=(round(width * ROOM), round(height * ROOM)))
    scale = max(width * ROOM / im.width, height * ROOM / im.height)
    size = (max(width, round(im.width * scale)), max(height, round(im.height * scale)))
    cw, ch = min(size[0], round(width * ROOM)), min(size[1], round(height * ROOM))
    x0, y0 = round((size[0] - cw) / 2 / scale), round((size[1] - ch) / 2 / scale)
    x1, y1 = min(im.width, x0 + round(cw / scale)), min(im.height, y0 + round(ch / scale))
    # One high-quality resample now; per-frame resamples are then small and cheap.
    # OpenCV on a 3-byte array rather than Pillow (4 bytes a pixel, plus a full
    # intermediate image): the peak while a photo loads is ~27 MB instead of ~40.
    rgb = np.asarray(im)
    del im
    area = rgb[y0:y1, x0:x1]
    shrinking = area.shape[1] >= cw
    return cv2.resize(area, (cw, ch), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LANCZOS4)


@dataclass(frozen=True)
class Move:
    """Where the camera is at progress p (0..1) across a slide."""

    src_w: int
    src_h: int
    width: int
    height: int
    variant: int

    def box(self, p: float) -> tuple[float, float, float, float]:
        p = min(1.0, max(0.0, p))
        dx, dz = MOVES[self.variant % len(MOVES)]
        a, b = (ZOOM_OUT, ZOOM_IN) if dz > 0 else (ZOOM_IN, ZOOM_OUT)
        k = a + (b - a) * p                         # linear: constant speed, no jerk
        bw, bh = self.width * k, self.height * k
        bw, bh = min(bw, self.src_w), min(bh, self.src_h)
        u = 0.3 + 0.4 * (p if dx > 0 else 1 - p)    # pan across the middle 40 % of the room
        x0 = (self.src_w - bw) * u
        y0 = (self.src_h - bh) * 0.5
        return (x0, y0, x0 + bw, y0 + bh)

    def warp(self, src: Planes, p: float, out: np.ndarray) -> None:
        """The frame at progress p, drawn into an I420 frame array."""
        warp(src, self.box(p), out)

    def render(self, src: Planes, p: float) -> Image.Image:
        """The frame at progress p as an RGB image (title cards, posters, contact sheets)."""
        out = blank(self.width, self.height)
        self.warp(src, p, out)
        return Image.fromarray(to_rgb(out))
