"""Slide layouts: cards (title, persona, heading, quotation, bridge, end) and
picture slides (pan and zoom with a lower third or burned-in captions).

Every slide is drawn by Pillow. Static layers are drawn once per slide; a
picture slide redraws only its moving background and lays its pre-drawn text
overlay over it. Video frames are made in YUV (planes.py): the same layout,
converted once per card or overlay. All text stays inside the frame's safe
area (`Frame.safe`).
"""
from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from . import planes
from .formats import Frame
from .motion import Move, check_picture, load_picture
from .text import Para, SetBlock, draw_block, fit, set_block
from .theme import Theme
from .timeline import LEAD, TAIL, Slide, Unit

CARD_MIN_SCALE = 0.7
LOWER_THIRD_SHARE = 0.32       # of the safe height


def _style(theme: Theme, frame: Frame, kind: str, part: int) -> tuple:
    u = frame.unit
    regular, bold = theme.font, theme.font_bold
    table = {
        ("title", 0): (bold, theme.title_size, theme.rgb("text")),
        ("title", 1): (regular, theme.body_size * 0.8, theme.rgb("muted")),
        ("persona", 0): (bold, theme.title_size, theme.rgb("accent")),
        ("persona", 1): (regular, theme.body_size, theme.rgb("text")),
        ("heading", 0): (bold, theme.title_size, theme.rgb("accent")),
        ("quote", 0): (regular, theme.quote_size, theme.rgb("text")),
        ("bridge", 0): (regular, theme.body_size, theme.rgb("muted")),
        ("end", 0): (regular, theme.body_size * 0.9, theme.rgb("text")),
        ("end", 1): (regular, theme.small_size, theme.rgb("muted")),
    }
    f, size, colour = table.get((kind, part), (regular, theme.body_size, theme.rgb("text")))
    return f, size * u, colour


def card_paras(unit: Unit, a: int, b: int, theme: Theme, frame: Frame) -> list[Para]:
    """The paragraphs a card page shows: its cues, grouped by part, styled by kind."""
    by_part: dict[int, list[str]] = {}
    for part, lines in unit.cues[a:b]:
        by_part.setdefault(part, []).append(" ".join(lines))
    paras = []
    for part, texts in by_part.items():
        text = " ".join(texts)
        if unit.kind == "quote":
            text = ("“" if a == 0 else "") + text + ("”" if b == len(unit.cues) else "")
        f, size, colour = _style(theme, frame, unit.kind, part)
        paras.append(Para(text, f, size, colour, gap_after=0.6))
    if unit.kind == "quote" and unit.speaker:
        # quotations are attributed to the composite voice, never to a source
        paras.append(Para(f"— {unit.speaker}", theme.font, theme.small_size * frame.unit,
                          theme.rgb("accent")))
    return paras


def _card_box(frame: Frame) -> tuple[int, int, int, int]:
    # a small inset: some glyphs ink a pixel or two outside their advance box
    x0, y0, x1, y1 = frame.safe
    d = max(2, round(frame.unit * 0.01))
    return x0 + d, y0 + d, x1 - d, y1 - d


def _lower_third_box(frame: Frame) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = frame.safe
    pad = frame.unit * 0.025
    h = (y1 - y0) * LOWER_THIRD_SHARE
    return x0 + pad, y1 - h + pad, x1 - pad, y1 - pad


def paginate(unit: Unit, durations: list[float], theme: Theme, frame: Frame,
             max_slide: float, burn: bool) -> list[tuple[int, int]]:
    """Split a unit's cues into pages that fit the layout (and, for cards, can be
    read within max_slide seconds). Picture slides with burned captions show
    one cue at a time."""
    n = len(unit.cues)
    if n == 0:
        return [(0, 0)]
    if unit.on_picture and burn:
        return [(i, i + 1) for i in range(n)]
    pages = []
    a = 0
    # story text pages turn before a slide outstays max_slide; title, persona and
    # end cards stay whole (the disclosure must not be split across slides)
    budget = max_slide - LEAD - TAIL if unit.kind in ("quote", "bridge", "heading") else 1e9
    while a < n:
        b = a + 1
        while b < n and _fits(unit, a, b + 1, theme, frame) and \
                (unit.on_picture or sum(durations[a:b + 1]) <= budget):
            b += 1
        if b < n:
            # a full page turns after the last sentence it finishes, if it finishes one,
            # so a reader is not left mid-sentence while the slide changes
            ends = [k for k in range(a + 1, b + 1) if _ends_sentence(unit.cues[k - 1][1])]
            b = ends[-1] if ends else b
        pages.append((a, b))
        a = b
    return pages


def _ends_sentence(lines: tuple[str, ...]) -> bool:
    return re.search(r"[.!?…][\"”’')\]]*$", lines[-1]) is not None


def _fits(unit: Unit, a: int, b: int, theme: Theme, frame: Frame) -> bool:
    if unit.on_picture:
        x0, y0, x1, y1 = _lower_third_box(frame)
        return fit(_lower_paras(unit, a, b, theme, frame), x1 - x0, y1 - y0, 0.8) is not None
    x0, y0, x1, y1 = _card_box(frame)
    return fit(card_paras(unit, a, b, theme, frame), x1 - x0, y1 - y0, CARD_MIN_SCALE) is not None


def _lower_paras(unit: Unit, a: int, b: int, theme: Theme, frame: Frame) -> list[Para]:
    text = " ".join(" ".join(lines) for _, lines in unit.cues[a:b])
    return [Para(text, theme.font, theme.caption_size * frame.unit, theme.rgb("text"))]


def _fit_any(paras: list[Para], w: float, h: float) -> SetBlock:
    # a single cue that does not fit even small is still shown, smaller still
    return fit(paras, w, h, CARD_MIN_SCALE) or fit(paras, w, h, 0.2) or set_block(paras, w, 0.2)


@dataclass
class Drawn:
    image: Image.Image
    ink: list[tuple[int, int, int, int]] = field(default_factory=list)   # text boxes, for checks


class Pictures:
    """Prepared pictures, two at a time (a crossfade needs two): memory stays flat
    however long the story."""

    def __init__(self, assets: Path, frame: Frame, story: str, max_upscale: float, keep: int = 2):
        self.assets, self.frame, self.story, self.max_upscale = assets, frame, story, max_upscale
        self.keep = keep
        self._cache: OrderedDict[str, planes.Planes] = OrderedDict()

    def check(self, rel: str) -> None:
        """Fail early (before any long work) if the picture is unusable."""
        check_picture(self.assets / rel, self.frame.width, self.frame.height, self.story,
                      self.max_upscale)

    def get(self, rel: str) -> planes.Planes:
        if rel in self._cache:
            self._cache.move_to_end(rel)
            return self._cache[rel]
        im = load_picture(self.assets / rel, self.frame.width, self.frame.height, self.story,
                          self.max_upscale)
        self._cache[rel] = prepared = planes.Planes(im)
        while len(self._cache) > self.keep:
            self._cache.popitem(last=False)
        return prepared


def draw_card(slide: Slide, theme: Theme, frame: Frame, pictures: Pictures) -> Drawn:
    unit = slide.unit
    im = Image.new("RGB", (frame.width, frame.height), theme.rgb("background"))
    if unit.kind == "title" and unit.picture is not None:
        src = pictures.get(unit.picture.image)
        bg = Move(src.width, src.height, frame.width, frame.height, 0).render(src, 0.5)
        # darken the hero so the title reads on any photo
        im = Image.blend(bg, im, 0.62)
    draw = ImageDraw.Draw(im)
    a, b = slide.pages[0]
    x0, y0, x1, y1 = _card_box(frame)
    paras = card_paras(unit, a, b, theme, frame)
    drawn = Drawn(im)
    if unit.kind == "quote":
        bar = max(2, round(frame.unit * 0.008))
        block = _fit_any(paras, x1 - x0 - bar * 4, y1 - y0)
        top = y0 + (y1 - y0 - block.height) / 2
        draw.rectangle([x0, round(top), x0 + bar - 1, round(top + block.height)], fill=theme.rgb("accent"))
        drawn.ink.append(draw_block(draw, block, (x0 + bar * 4, y0, x1, y1)))
    elif paras:
        block = _fit_any(paras, x1 - x0, y1 - y0)
        align = "left" if unit.kind in ("bridge", "end") else "center"
        drawn.ink.append(draw_block(draw, block, (x0, y0, x1, y1), align=align))
    return drawn


def lower_third(unit: Unit, a: int, b: int, theme: Theme, frame: Frame) -> tuple[Image.Image, tuple[int, int], tuple]:
    """An RGBA panel with the page's words, and where it goes."""
    x0, y0, x1, y1 = _lower_third_box(frame)
    block = fit(_lower_paras(unit, a, b, theme, frame), x1 - x0, y1 - y0, 0.8) or \
        _fit_any(_lower_paras(unit, a, b, theme, frame), x1 - x0, y1 - y0)
    pad = round(frame.unit * 0.025)
    sx0, _, sx1, sy1 = frame.safe
    x = _even_up(sx0)                      # even: panels line up with the chroma grid
    w, h = _even_down(sx1 - x), _even_up(round(block.height + 2 * pad))
    panel = Image.new("RGBA", (w, h), theme.rgb("panel"))
    ink = draw_block(ImageDraw.Draw(panel), block, (pad, pad, w - pad, h - pad), valign="top")
    pos = (x, _even_down(sy1 - h))
    return panel, pos, (ink[0] + pos[0], ink[1] + pos[1], ink[2] + pos[0], ink[3] + pos[1])


def caption_overlay(lines: tuple[str, ...], theme: Theme, frame: Frame) -> tuple[Image.Image, tuple[int, int], tuple]:
    """A burned-in caption: up to two centred lines on a panel at the bottom of the safe area."""
    sx0, _, sx1, sy1 = frame.safe
    width = sx1 - sx0
    size = theme.caption_size * frame.unit
    f = theme.font.at(round(size))
    widest = max(f.getlength(line) for line in lines)
    pad = round(size * 0.35)
    if widest > width - 2 * pad:
        size *= (width - 2 * pad) / widest
        f = theme.font.at(max(1, int(size)))
    line_h = round(size * 1.25)
    w = _even_up(round(max(f.getlength(line) for line in lines)) + 2 * pad)
    h = _even_up(line_h * len(lines) + 2 * pad)
    panel = Image.new("RGBA", (w, h), theme.rgb("panel"))
    draw = ImageDraw.Draw(panel)
    ink = [10**9, 10**9, -1, -1]
    for i, line in enumerate(lines):
        lw = f.getlength(line)
        p = (round((w - lw) / 2), pad + i * line_h)
        draw.text(p, line, font=f, fill=theme.rgb("text"))
        bx = draw.textbbox(p, line, font=f)
        ink = [min(ink[0], bx[0]), min(ink[1], bx[1]), max(ink[2], bx[2]), max(ink[3], bx[3])]
    pos = (_even_down(sx0 + (width - w) // 2), _even_down(sy1 - h))
    return panel, pos, (ink[0] + pos[0], ink[1] + pos[1], ink[2] + pos[0], ink[3] + pos[1])


def _even_down(n: int) -> int:
    return n - n % 2


def _even_up(n: int) -> int:
    return n + n % 2


class PictureSlide:
    """Draws one picture slide at any frame: moving background plus the overlay due."""

    def __init__(self, slide: Slide, theme: Theme, frame: Frame, pictures: Pictures,
                 burn: bool, crossfade: int):
        self.slide, self.frame = slide, frame
        self.src = pictures.get(slide.unit.picture.image)
        self.move = Move(self.src.width, self.src.height, frame.width, frame.height, slide.index)
        self._frame = planes.blank(frame.width, frame.height)
        self.span = slide.frames + crossfade       # motion runs through both crossfades
        self.lead_in = crossfade // 2
        unit = slide.unit
        # (start seconds, end seconds, overlay, position, ink box)
        self.overlays = []
        if burn:
            for cue in slide.cues:
                ov, pos, ink = caption_overlay(cue.lines, theme, frame)
                self.overlays.append((cue.start, cue.end, ov, pos, ink))
        else:
            starts = slide.page_starts + [slide.end]
            for k, (a, b) in enumerate(slide.pages):
                if b > a:
                    ov, pos, ink = lower_third(unit, a, b, theme, frame)
                    # a lower third stays up until the next page replaces it
                    s = slide.start if k == 0 else starts[k]
                    e = slide.end if k == len(slide.pages) - 1 else starts[k + 1]
                    self.overlays.append((s, e, ov, pos, ink))

        self._yuv_overlays: dict[int, planes.Overlay] = {}     # only those showing

    def _progress(self, f: int) -> float:
        return (f - self.slide.start_frame + self.lead_in) / max(1, self.span - 1)

    def _showing(self, f: int) -> list[int]:
        t = (f + 0.5) / self.frame.fps
        return [k for k, (s, e, *_) in enumerate(self.overlays) if s <= t < e]

    def at(self, f: int) -> Image.Image:
        """Frame f as an RGB image (posters and contact sheets): the video's own frame."""
        return Image.fromarray(planes.to_rgb(self.frame_at(f)))

    def frame_at(self, f: int) -> np.ndarray:
        """Frame f as an I420 array; the array is reused, valid until the next call."""
        self.move.warp(self.src, self._progress(f), self._frame)
        showing = self._showing(f)
        # converted when it first shows, dropped when it stops (frames come in order)
        for k in [k for k in self._yuv_overlays if k not in showing]:
            del self._yuv_overlays[k]
        for k in showing:
            if k not in self._yuv_overlays:
                _, _, ov, pos, _ = self.overlays[k]
                self._yuv_overlays[k] = planes.Overlay(np.asarray(ov), pos)
            self._yuv_overlays[k].apply(self._frame, self.frame.width, self.frame.height)
        return self._frame

    @property
    def ink(self) -> list[tuple]:
        return [o[4] for o in self.overlays]
