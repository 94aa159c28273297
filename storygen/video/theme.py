"""The look of a video: fonts and colours, with a project override.

Defaults use the bundled DejaVu Sans, so nothing depends on system fonts. A
project can override any key in `templates/video/theme.toml`, e.g.

    font = "fonts/Atkinson-Regular.ttf"     # relative to the project root
    font_bold = "fonts/Atkinson-Bold.ttf"
    background = "#102030"
    accent = "#f2b705"
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

from PIL import ImageColor, ImageFont

from ..errors import AssetError

FONT_DIR = Path(__file__).resolve().parent.parent / "themes" / "default" / "fonts"
THEME_FILE = Path("templates") / "video" / "theme.toml"


@dataclass(frozen=True)
class Theme:
    font: str = str(FONT_DIR / "DejaVuSans.ttf")
    font_bold: str = str(FONT_DIR / "DejaVuSans-Bold.ttf")
    background: str = "#15202e"     # cards
    text: str = "#f5f3ee"
    muted: str = "#c3cad4"
    accent: str = "#f2b705"
    panel: str = "#000000b4"        # lower thirds and burned captions (with alpha)
    title_size: float = 0.085       # fractions of the frame's short side
    quote_size: float = 0.078       # quotations: the largest body text
    body_size: float = 0.058
    small_size: float = 0.040
    caption_size: float = 0.046

    def rgb(self, key: str) -> tuple[int, ...]:
        return ImageColor.getrgb(getattr(self, key))


def load_theme(root: Path, story: str) -> Theme:
    """The default theme with the project's overrides; fonts checked to load."""
    theme = Theme()
    path = root / THEME_FILE
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise AssetError(f"cannot read the video theme ({exc}) [story {story}]", path=path,
                             hint="fix the TOML, or delete the file to use the default look") from None
        known = {f.name: f for f in fields(Theme)}
        changes = {}
        for key, value in raw.items():
            if key not in known:
                raise AssetError(f"unknown theme key `{key}` [story {story}]", path=path,
                                 hint=f"known keys: {', '.join(sorted(known))}")
            if key in ("font", "font_bold"):
                value = str((root / value).resolve())
            changes[key] = type(getattr(theme, key))(value)
        theme = replace(theme, **changes)
    for key in ("background", "text", "muted", "accent", "panel"):
        try:
            theme.rgb(key)
        except ValueError:
            raise AssetError(f"theme colour `{key}` = {getattr(theme, key)!r} is not a colour "
                             f"[story {story}]", path=path, hint='use "#rrggbb"') from None
    for key in ("font", "font_bold"):
        check_font(getattr(theme, key), story)
    return theme


def check_font(path: str, story: str) -> None:
    """Raise AssetError unless `path` is a font Pillow can render."""
    try:
        font(path, 12).getbbox("Ag")
    except OSError as exc:
        raise AssetError(f"cannot load font ({exc}) [story {story}]", path=path,
                         hint="point the theme at a readable .ttf/.otf file") from None


@lru_cache(maxsize=256)
def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """Fonts are loaded once per (file, size): loading dominates small text renders."""
    return ImageFont.truetype(path, max(1, int(size)))
