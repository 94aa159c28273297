"""The frame stream: every frame of the plan, in order, as raw I420 (YUV 4:2:0).

Each slide gets a drawer when its first frame (or crossfade) is due and drops
it once passed, so only two slides are ever alive. Static cards are drawn and
converted once and their frame reused; only crossfade frames blend two slides.
Also here: the poster and the contact sheet, caught from the stream itself
(`Stills`), so they show exactly what the video shows and cost no second drawing.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageDraw

from . import planes
from .slides import Drawn, PictureSlide, Pictures, draw_card
from .theme import Theme
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


def stream(plan: Plan, theme: Theme, pictures: Pictures, burn: bool,
           stills: "Stills | None" = None) -> Iterator[np.ndarray]:
    """Yield plan.total_frames I420 frame arrays (width*height*3/2 bytes each),
    showing each slide's still frame to `stills` on the way past.

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
            out = get(i).frame_at(f)
        else:
            a, b, alpha = mix
            out = planes.crossfade(get(a).frame_at(f), get(b).frame_at(f), alpha, mixed)
        if stills is not None:
            stills.see(f, out)
        yield out


def still_frame(plan: Plan, index: int) -> int:
    """The frame that shows slide `index` best: mid-way through its first page (so
    the lower third or first caption shows), clear of both crossfades."""
    slide = plan.slides[index]
    xf, half = plan.crossfade_frames, plan.crossfade_frames // 2
    t = slide.cues[0].start + 0.01 if slide.cues and not slide.card else (slide.start + slide.end) / 2
    first = slide.start_frame - half + xf if index > 0 else 0
    last = slide.start_frame + slide.frames - half - 1 if index + 1 < len(plan.slides) else plan.total_frames - 1
    return min(max(int(t * plan.frame.fps), first), max(first, last))


def slide_still(plan: Plan, index: int, theme: Theme, pictures: Pictures, burn: bool) -> tuple[Image.Image, list]:
    """A slide at its still frame, drawn on its own, with its text boxes (for layout checks)."""
    slide = plan.slides[index]
    d = drawer(slide, plan, theme, pictures, burn)
    if isinstance(d, _Card):
        return d.image, d.ink
    return d.at(still_frame(plan, index)), d.ink


class Stills:
    """Each slide's still frame, caught as the stream passes: the first slide full
    size (the poster) and every slide as a thumbnail (the contact sheet)."""

    def __init__(self, plan: Plan, thumb_w: int = 320):
        self.wanted = {still_frame(plan, k): k for k in range(len(plan.slides))}
        self.thumb_size = (thumb_w, round(thumb_w * plan.frame.height / plan.frame.width))
        self.thumbs: dict[int, Image.Image] = {}
        self.poster: Image.Image | None = None

    def see(self, f: int, frame: np.ndarray) -> None:
        k = self.wanted.get(f)
        if k is None:
            return
        if k == 0:
            self.poster = Image.fromarray(planes.to_rgb(frame))
        self.thumbs[k] = Image.fromarray(planes.thumbnail(frame, self.thumb_size))


def contact_sheet(plan: Plan, theme: Theme, stills: Stills, columns: int = 4) -> Image.Image:
    """One PNG of every slide, labelled with slide number, unit number and timing."""
    thumb_w, thumb_h = stills.thumb_size
    label_h = 22
    n = len(plan.slides)
    rows = -(-n // columns)
    gap = 8
    sheet = Image.new("RGB", (columns * (thumb_w + gap) + gap, rows * (thumb_h + label_h + gap) + gap),
                      (235, 235, 235))
    draw = ImageDraw.Draw(sheet)
    f = theme.font.at(13)
    for k, slide in enumerate(plan.slides):
        x = gap + (k % columns) * (thumb_w + gap)
        y = gap + (k // columns) * (thumb_h + label_h + gap)
        sheet.paste(stills.thumbs[k], (x, y))
        label = (f"{k + 1}. unit {slide.unit.number:02d} {slide.unit.kind}  "
                 f"{slide.start:.1f}–{slide.end:.1f} s")
        draw.text((x, y + thumb_h + 4), label, font=f, fill=(30, 30, 30))
    return sheet
