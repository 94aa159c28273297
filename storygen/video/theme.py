"""The look of a video: fonts and colours, with a project override.

Defaults use the bundled DejaVu Sans, so nothing depends on system fonts. A
project can override any key in `templates/video/theme.toml` (read by
project.read_video_theme; the keys are config.VideoTheme's), e.g.

    font = "fonts/Atkinson-Regular.ttf"     # relative to the project root
    font_bold = "fonts/Atkinson-Bold.ttf"
    background = "#102030"
    accent = "#f2b705"
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import ImageColor, ImageFont

from ..config import VideoTheme
from ..errors import AssetError, StorygenError
from ..project import VIDEO_THEME, read_video_theme

COLOURS = ("background", "text", "muted", "accent", "panel")


@dataclass(frozen=True)
class Face:
    """A font file, loaded once per size. Made afresh for every render: a project's own
    font file may change between builds in one process, so no loaded font outlives it."""

    path: str
    sizes: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def at(self, size: float) -> ImageFont.FreeTypeFont:
        size = max(1, int(size))
        loaded = self.sizes.get(size)
        if loaded is None:
            loaded = self.sizes[size] = ImageFont.truetype(self.path, size)
        return loaded


@dataclass(frozen=True)
class Theme(VideoTheme):
    """The look, ready to draw with: `font` and `font_bold` are Faces, colours checked."""

    def rgb(self, key: str) -> tuple[int, ...]:
        return ImageColor.getrgb(getattr(self, key))


def load_theme(root: Path, story: str) -> Theme:
    """The default look with the project's overrides; colours checked and fonts loaded.

    Errors name the story whose render needs the theme (`storygen check` lists every one)."""
    try:
        settings = read_video_theme(root)
    except StorygenError as exc:
        raise AssetError(f"{exc.problem} [story {story}]", path=exc.path, line=exc.line, hint=exc.hint) from None
    path = root / VIDEO_THEME
    fonts = {key: getattr(settings, key) for key in ("font", "font_bold")}
    overridden = {key: str((root / value).resolve()) for key, value in fonts.items()
                  if value != getattr(VideoTheme, key)}
    theme = Theme(**{**settings.__dict__, **overridden})
    for key in COLOURS:
        try:
            theme.rgb(key)
        except ValueError:
            raise AssetError(f"theme colour `{key}` = {getattr(theme, key)!r} is not a colour "
                             f"[story {story}]", path=path, hint='use "#rrggbb"') from None
    faces = {}
    for key in ("font", "font_bold"):
        faces[key] = check_font(getattr(theme, key), story)
    return replace(theme, **faces)


def check_font(path: str, story: str) -> Face:
    """The font at `path`, or AssetError unless it is a font Pillow can render."""
    face = Face(path)
    try:
        face.at(12).getbbox("Ag")
    except OSError as exc:
        raise AssetError(f"cannot load font ({exc}) [story {story}]", path=path,
                         hint="point the theme at a readable .ttf/.otf file") from None
    return face
