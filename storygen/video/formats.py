"""Video formats and quality presets: frame sizes, safe areas, encoder settings.

A format is laid out for its own frame, never cropped from another: each one has
its own size and its own safe area (the rectangle text must stay inside).
Vertical formats keep the top and bottom 14 % clear, where social apps draw
their own buttons and captions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import RenderError

# aspect ratio (w, h) per format; the tag is what goes into file names
ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5)}

# Platform caps (seconds). 9:16 is aimed at Shorts/Reels (3 minutes); the others at
# the web and feeds, where a digital story is 2-5 minutes; 10 minutes is a hard stop.
DEFAULT_CAPS = {"16:9": 600.0, "1:1": 600.0, "4:5": 600.0, "9:16": 180.0}

VERTICAL_CLEAR = 0.14     # share of the height kept free of text, top and bottom


@dataclass(frozen=True)
class Quality:
    name: str
    short_side: int        # pixels on the frame's short side
    preset: str            # x264 preset
    crf: int
    audio_bitrate: str
    x264_params: str = ""  # on top of the preset


QUALITIES = {
    # superfast with macroblock-tree rate control put back on. Measured on the 60-s
    # benchmark's moving 1080p frames at CRF 20 (x264 CPU seconds, MB, SSIM, PSNR):
    #   medium 114 s, 18.4 MB, 0.9892, 47.0 dB;  veryfast 47 s, 14.9 MB, 0.9864, 45.5 dB;
    #   superfast+mbtree 30 s, 15.3 MB, 0.9861, 45.5 dB.
    # mbtree is what keeps slow pans small: plain superfast made a 34 MB file.
    # Two sliced threads, fixed: x264's output depends on its thread count, so a fixed
    # count makes the bytes the same on every machine; slices (unlike frame threads)
    # hold no extra frames: encoder memory 322 -> 261 MB at 1080p, SSIM 0.98670 -> 0.98668.
    "final": Quality("final", 1080, "superfast", 20, "192k", "mbtree=1:sliced-threads=1:threads=2"),
    # draft: half size and a fast preset, for previews in review meetings
    "draft": Quality("draft", 540, "veryfast", 28, "128k", "sliced-threads=1:threads=2"),
}


def normalise_format(name: str) -> str:
    """Accept "16:9", "16x9" or "16/9"; return the canonical "16:9"."""
    key = str(name).strip().lower().replace("x", ":").replace("/", ":")
    if key not in ASPECTS:
        raise RenderError(f"unknown video format {name!r}",
                          hint=f"use one of {', '.join(ASPECTS)}")
    return key


def format_tag(name: str) -> str:
    """The file-name form of a format: "16:9" -> "16x9"."""
    return normalise_format(name).replace(":", "x")


def _even(value: float) -> int:
    # yuv420p needs even dimensions
    return max(2, int(round(value / 2.0)) * 2)


@dataclass(frozen=True)
class Frame:
    """One format at one size: everything the layout and the encoder need."""

    format: str            # "16:9"
    width: int
    height: int
    fps: int
    quality: Quality

    @property
    def tag(self) -> str:
        return format_tag(self.format)

    @property
    def vertical(self) -> bool:
        return self.height > self.width

    @property
    def unit(self) -> float:
        """Type sizes are fractions of this (the short side), so layouts scale."""
        return float(min(self.width, self.height))

    @property
    def safe(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1): text must stay inside this rectangle."""
        if self.vertical:
            mx = math.ceil(self.width * 0.08)
            my = math.ceil(self.height * (VERTICAL_CLEAR + 0.01))
        else:
            mx = math.ceil(self.width * 0.07)
            my = math.ceil(self.height * 0.07)
        return mx, my, self.width - mx, self.height - my


def make_frame(fmt: str, quality: str, fps: int, short_side: int = 0) -> Frame:
    """The frame for a format; `short_side` (pixels) overrides the preset's size."""
    fmt = normalise_format(fmt)
    if quality not in QUALITIES:
        raise RenderError(f"unknown video quality {quality!r}", hint="use final or draft")
    q = QUALITIES[quality]
    side = short_side or q.short_side
    aw, ah = ASPECTS[fmt]
    if aw >= ah:
        w, h = _even(side * aw / ah), _even(side)
    else:
        w, h = _even(side), _even(side * ah / aw)
    return Frame(fmt, w, h, fps, q)
