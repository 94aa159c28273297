"""Text set with Pillow: wrapping to a pixel width, fitting a block into a box.

Pillow draws text here rather than moviepy's TextClip, which clips descenders
with Pillow >= 11.2 (moviepy #2421).
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import ImageDraw

from .theme import Face


@dataclass(frozen=True)
class Para:
    """One paragraph of a text block: its words and how they are set."""

    text: str
    font: Face
    size: float          # pixels, before any fitting scale
    colour: tuple[int, ...]
    gap_after: float = 0.5   # space after, in multiples of the size


LINE_SPACING = 1.25


def wrap(text: str, face: Face, size: int, width: float) -> list[str]:
    """Greedy wrap by measured width; a word wider than the line stands alone."""
    f = face.at(size)
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if current and f.getlength(trial) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


@dataclass
class SetBlock:
    """A text block wrapped at a particular scale, ready to draw."""

    lines: list[tuple[str, Face, int, tuple[int, ...], float]]  # text, font, size, colour, y
    width: float
    height: float


def set_block(paras: list[Para], width: float, scale: float) -> SetBlock:
    lines = []
    y = 0.0
    widest = 0.0
    for i, p in enumerate(paras):
        size = max(1, int(round(p.size * scale)))
        f = p.font.at(size)
        for line in wrap(p.text, p.font, size, width):
            lines.append((line, p.font, size, p.colour, y))
            widest = max(widest, f.getlength(line))
            y += size * LINE_SPACING
        if i < len(paras) - 1:
            y += size * p.gap_after
    return SetBlock(lines, widest, y)


def fit(paras: list[Para], width: float, height: float,
        min_scale: float = 0.7) -> SetBlock | None:
    """The block at the largest scale in [min_scale, 1] that fits, or None."""
    scale = 1.0
    while scale >= min_scale - 1e-9:
        block = set_block(paras, width, scale)
        if block.height <= height and block.width <= width:
            return block
        scale -= 0.05
    return None


def draw_block(draw: ImageDraw.ImageDraw, block: SetBlock, box: tuple[float, float, float, float],
               align: str = "left", valign: str = "middle") -> tuple[int, int, int, int]:
    """Draw inside box; returns the ink bounding box (for layout checks)."""
    x0, y0, x1, y1 = box
    if valign == "middle":
        top = y0 + (y1 - y0 - block.height) / 2
    elif valign == "bottom":
        top = y1 - block.height
    else:
        top = y0
    ink = [10**9, 10**9, -1, -1]
    for text, face, size, colour, y in block.lines:
        f = face.at(size)
        w = f.getlength(text)
        x = x0 + ((x1 - x0 - w) / 2 if align == "center" else 0)
        pos = (round(x), round(top + y))
        draw.text(pos, text, font=f, fill=colour)
        bx = draw.textbbox(pos, text, font=f)
        ink = [min(ink[0], bx[0]), min(ink[1], bx[1]), max(ink[2], bx[2]), max(ink[3], bx[3])]
    return tuple(ink)  # type: ignore[return-value]
