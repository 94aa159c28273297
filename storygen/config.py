"""storygen.toml: typed settings with defaults, validated with clear messages.

Every key is optional; a project with an empty storygen.toml builds with the
defaults below. Unknown keys are errors (a typo must not silently do nothing).
"""
from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

from .errors import ProjectError

CONFIG_NAME = "storygen.toml"
FONT_DIR = Path(__file__).resolve().parent / "themes" / "default" / "fonts"
# A setting that names a file (relative to the project, or absolute): the up-to-date check
# (storygen/uptodate.py) hashes every such file, wherever it lies. `companions` are
# suffixes of files that go with it (a piper model's .onnx.json).
PATH = {"path": True}


def path_setting(default: str = "", companions: tuple[str, ...] = ()):
    return field(default=default, metadata={**PATH, "companions": companions})


@dataclass
class SiteConfig:
    title: str = "Stories"
    description: str = "Composite stories from our interviews."
    base_url: str = "https://example.org/"
    language: str = "en-GB"
    author: str = ""               # the organisation publishing, shown in feeds
    method_statement: str = ""     # optional extra paragraph for the about/method page


@dataclass
class RulesConfig:
    """Integrity thresholds (../shared/knowledge/composites.md C3–C13)."""

    min_sources: int = 3           # C4
    max_source_share: float = 0.40  # C5
    max_bridge_share: float = 0.20  # C3
    min_theme_sources: int = 2     # C11
    no_reuse: bool = True          # C10
    homogeneous_role: bool = True  # C6
    words_per_minute: int = 150    # for estimated spoken duration


@dataclass
class VideoConfig:
    formats: list[str] = field(default_factory=lambda: ["16:9"])
    quality: str = "final"         # final | draft
    fps: int = 30
    words_per_minute: int = 160    # reading speed for slides without narration
    min_slide_seconds: float = 3.0
    max_slide_seconds: float = 12.0
    loudness: float = -16.0        # LUFS integrated; -23 for broadcast
    music: str = ""                # a music bed under assets/, optional
    voice: str = "none"            # none | recorded | espeak | piper
    voice_model: str = path_setting(companions=(".json",))  # piper voice model, when voice = "piper"
    voiced_by: str = ""            # shown on the end card, e.g. "an actor" / "a synthetic voice"
    burn_captions: bool = False
    music_credit: str = ""         # shown in the end card's credits, e.g. "“Morning” by A. Composer (CC BY)"
    size: int = 0                  # frame short side in pixels; 0 = the quality preset's (1080 / 540)
    max_upscale: float = 1.0       # how far a picture may be enlarged to cover the frame
    caps: dict = field(default_factory=dict)  # longest video per format in seconds, e.g. {"9:16" = 90}


@dataclass
class BuildConfig:
    output: str = "build"


@dataclass
class PrivacyConfig:
    """The privacy guard (docs/privacy.md). Private files live in narratives/private/."""

    enabled: bool = True
    # Minimum Presidio score per entity (EMAIL, PHONE, NHS, NINO, URL, IP, CARD, IBAN);
    # our own patterns are exact and not thresholded.
    thresholds: dict = field(default_factory=dict)
    context_window: int = 40       # characters either side searched for context words
    allowed_domains: list[str] = field(default_factory=list)  # web addresses that may be published
    allow_values: list[str] = field(default_factory=list)     # exact values accepted everywhere (a helpline)
    names: bool = True             # name lists and cue patterns (R2, R3)
    quasi_identifiers: bool = True  # R6, R7, R10, R11, R12, R15
    qi_limit: int = 3              # R11: this many quasi-identifier types in one composite needs a sign-off
    long_quote_words: int = 80     # R14: a longer verbatim quote is linkable to its transcript (warn)


@dataclass(frozen=True)
class VideoTheme:
    """`templates/video/theme.toml`: the look of the videos (docs/video.md, "Look").

    Read by project.read_video_theme; fonts are paths from the project root."""

    font: str = path_setting(str(FONT_DIR / "DejaVuSans.ttf"))
    font_bold: str = path_setting(str(FONT_DIR / "DejaVuSans-Bold.ttf"))
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


def setting_paths(settings, root: Path) -> list[Path]:
    """Every file the settings name (fields made with `path_setting`), with companions."""
    found = []
    for f in fields(settings):
        value = getattr(settings, f.name)
        if is_dataclass(value):
            found += setting_paths(value, root)
        elif f.metadata.get("path") and isinstance(value, str) and value:
            found.append(root / value)                       # an absolute value stays absolute
            found += [root / (value + suffix) for suffix in f.metadata.get("companions", ())]
    return found


@dataclass
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    rules: RulesConfig = field(default_factory=RulesConfig)
    video: VideoConfig = field(default_factory=VideoConfig)
    build: BuildConfig = field(default_factory=BuildConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)


def load_config(project_root: Path) -> Config:
    path = project_root / CONFIG_NAME
    if not path.is_file():
        raise ProjectError(
            f"no {CONFIG_NAME} here, so this does not look like a storygen project",
            path=project_root,
            hint="run the command inside your project folder, pass --project DIR, "
                 "or start one with `storygen init DIR`",
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ProjectError(f"not UTF-8 text (byte {exc.start})", path=path,
                           hint="save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        raise ProjectError(f"not valid TOML: {exc}", path=path, line=line,
                           hint="check quotes, brackets and `key = value` pairs on that line") from None
    config = Config()
    _fill(config, raw, path, prefix="")
    _validate(config, path)
    return config


def _toml_error_line(message: str) -> int | None:
    import re

    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def _fill(target, raw: dict, path: Path, prefix: str) -> None:
    known = {f.name: f for f in fields(target)}
    for key, value in raw.items():
        if key not in known:
            guess = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean `{prefix}{guess[0]}`?" if guess else \
                f"known keys here: {', '.join(sorted(known))}"
            raise ProjectError(f"unknown setting `{prefix}{key}`", path=path, hint=hint)
        current = getattr(target, key)
        if is_dataclass(current):
            if not isinstance(value, dict):
                raise ProjectError(f"`{prefix}{key}` must be a table like [{prefix}{key}]", path=path)
            _fill(current, value, path, prefix=f"{prefix}{key}.")
            continue
        expected = type(current)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ProjectError(
                f"`{prefix}{key}` should be {expected.__name__}, not {type(value).__name__} ({value!r})",
                path=path, hint=f"for example `{key} = {current!r}`".replace("'", '"'))
        setattr(target, key, value)


def _validate(config: Config, path: Path) -> None:
    rules = config.rules
    if rules.min_sources < 2:
        raise ProjectError("`rules.min_sources` below 2 would allow a single person's story",
                           path=path, hint="use 3 or more (the method's default)")
    for key in ("max_source_share", "max_bridge_share"):
        value = getattr(rules, key)
        if not 0 < value <= 1:
            raise ProjectError(f"`rules.{key}` must be a share between 0 and 1, got {value}",
                               path=path, hint="for example 0.4 for 40 %")
    if config.video.quality not in ("final", "draft"):
        raise ProjectError(f"`video.quality` must be \"final\" or \"draft\", got {config.video.quality!r}",
                           path=path)
    if not 1 <= config.privacy.qi_limit <= 8:
        raise ProjectError(f"`privacy.qi_limit` must be between 1 and 8, got {config.privacy.qi_limit}",
                           path=path, hint="the method's default is 3")
    for entity, value in config.privacy.thresholds.items():
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ProjectError(f"`privacy.thresholds.{entity}` must be a score between 0 and 1, got {value!r}",
                               path=path, hint="for example PHONE = 0.4")
    if not config.site.base_url.endswith("/"):
        config.site.base_url += "/"
