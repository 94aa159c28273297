"""Slow pan and zoom ("Ken Burns") with sub-pixel precision.

ffmpeg's zoompan rounds the crop to whole pixels and visibly jitters; here the
crop box has fractional coordinates and Pillow resamples it (`resize(box=…)`),
so the motion is smooth at any speed. The picture is scaled once, up front, to
cover the frame with room to move; each frame is then one resample of a box
from that copy, always a slight downscale (sharp, never blown up).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import AssetError

ROOM = 1.15          # the prepared picture covers the frame with 15 % to spare
ZOOM_OUT, ZOOM_IN = 1.12, 1.02   # source pixels per frame pixel at the two ends of a move
# (dx, zoom direction) per slide, cycling: the moves vary but are deterministic
MOVES = [(+1, +1), (-1, -1), (-1, +1), (+1, -1)]


def load_picture(path: Path, width: int, height: int, story: str,
                 max_upscale: float = 1.0) -> Image.Image:
    """Open, orient and check a picture; return it scaled to cover the frame with ROOM."""
    if not path.is_file():
        raise AssetError(f"image not found [story {story}]", path=path,
                         hint="check `images:` in the story (paths are relative to assets/)")
    try:
        with Image.open(path) as im:
            im.load()
            im = ImageOps.exif_transpose(im).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise AssetError(f"cannot read image ({exc}) [story {story}]", path=path,
                         hint="re-save it as JPEG or PNG") from None
    need = max(width / im.width, height / im.height)
    if need > max_upscale + 1e-9:
        raise AssetError(
            f"image is {im.width}×{im.height}, smaller than the {width}×{height} video frame "
            f"[story {story}]", path=path,
            hint=f"use a picture at least {int(im.width * need + 0.5)}×{int(im.height * need + 0.5)} "
                 "pixels (final quality needs about twice what draft needs)")
    scale = max(width * ROOM / im.width, height * ROOM / im.height)
    size = (max(width, round(im.width * scale)), max(height, round(im.height * scale)))
    # one high-quality resample now; per-frame resamples are then small and cheap
    return im.resize(size, Image.LANCZOS, reducing_gap=3.0)


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

    def render(self, src: Image.Image, p: float) -> Image.Image:
        return src.resize((self.width, self.height), Image.BILINEAR, box=self.box(p))
