"""The frame stream: every frame of the plan, in order, as raw I420 (YUV 4:2:0).

Each slide gets a drawer when its first frame (or crossfade) is due and drops
it once passed, so only two slides are ever alive. Static cards are drawn and
converted once and their frame reused; only crossfade frames blend two slides.
Also here: the poster and the contact sheet, drawn by the same drawers (in RGB)
so they match the video.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageDraw

from . import planes
from .formats import Frame
from .slides import Drawn, PictureSlide, Pictures, draw_card
from .theme import Theme, font
from .timeline import Plan, Slide


class _Card:
    def __init__(self, drawn: Drawn):
        self.image = drawn.image
        self.ink = drawn.ink
        self._frame: np.ndarray | None = None

    def at(self, f: int) -> Image.Image:
        return self.image

    def frame_at(self, f: int) -> np.ndarray:
        if self._frame is None:
            self._frame = planes.i420(np.asarray(self.image))
        return self._frame


def drawer(slide: Slide, plan: Plan, theme: Theme, pictures: Pictures, burn: bool):
    if slide.card:
        return _Card(draw_card(slide, theme, plan.frame, pictures))
    return PictureSlide(slide, theme, plan.frame, pictures, burn, plan.crossfade_frames)


def stream(plan: Plan, theme: Theme, pictures: Pictures, burn: bool) -> Iterator[np.ndarray]:
    """Yield plan.total_frames I420 frame arrays (width*height*3/2 bytes each).

    Frame arrays are preallocated and reused (one per live slide, one for
    crossfades), so drawing allocates nothing per frame and memory stays flat.
    """
    slides = plan.slides
    mixed = planes.blank(plan.frame.width, plan.frame.height)
    xf = plan.crossfade_frames
    half = xf // 2
    live: dict[int, object] = {}

    def get(i: int):
        if i not in live:
            live[i] = drawer(slides[i], plan, theme, pictures, burn)
        return live[i]

    i = 0
    for f in range(plan.total_frames):
        while i + 1 < len(slides) and f >= slides[i + 1].start_frame:
            i += 1
        for k in [k for k in live if k < i - 1]:
            del live[k]                      # passed: free its pictures and overlays
        mix = None
        if i + 1 < len(slides) and f >= slides[i + 1].start_frame - half:
            a, b, w0 = i, i + 1, slides[i + 1].start_frame - half
            mix = (a, b, (f - w0 + 0.5) / xf)
        elif i > 0 and f < slides[i].start_frame - half + xf:
            a, b, w0 = i - 1, i, slides[i].start_frame - half
            mix = (a, b, (f - w0 + 0.5) / xf)
        if mix is None:
            yield get(i).frame_at(f)
        else:
            a, b, alpha = mix
            yield planes.crossfade(get(a).frame_at(f), get(b).frame_at(f), alpha, mixed)


def slide_still(plan: Plan, index: int, theme: Theme, pictures: Pictures, burn: bool) -> tuple[Image.Image, list]:
    """A slide as it looks mid-way, fully faded in (for posters and contact sheets)."""
    slide = plan.slides[index]
    d = drawer(slide, plan, theme, pictures, burn)
    if isinstance(d, _Card):
        return d.image, d.ink
    # mid-way through its first page, so the lower third or first caption shows
    t = slide.cues[0].start + 0.01 if slide.cues else (slide.start + slide.end) / 2
    f = min(slide.start_frame + slide.frames - 1, max(slide.start_frame, int(t * plan.frame.fps)))
    return d.at(f), d.ink


def contact_sheet(plan: Plan, theme: Theme, pictures: Pictures, burn: bool,
                  columns: int = 4, thumb_w: int = 320) -> Image.Image:
    """One PNG of every slide, labelled with slide number, unit number and timing."""
    frame: Frame = plan.frame
    thumb_h = round(thumb_w * frame.height / frame.width)
    label_h = 22
    n = len(plan.slides)
    rows = -(-n // columns)
    gap = 8
    sheet = Image.new("RGB", (columns * (thumb_w + gap) + gap, rows * (thumb_h + label_h + gap) + gap),
                      (235, 235, 235))
    draw = ImageDraw.Draw(sheet)
    f = font(theme.font, 13)
    for k, slide in enumerate(plan.slides):
        im, _ = slide_still(plan, k, theme, pictures, burn)
        x = gap + (k % columns) * (thumb_w + gap)
        y = gap + (k // columns) * (thumb_h + label_h + gap)
        sheet.paste(im.resize((thumb_w, thumb_h), Image.LANCZOS), (x, y))
        label = (f"{k + 1}. unit {slide.unit.number:02d} {slide.unit.kind}  "
                 f"{slide.start:.1f}–{slide.end:.1f} s")
        draw.text((x, y + thumb_h + 4), label, font=f, fill=(30, 30, 30))
    return sheet
