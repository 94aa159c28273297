"""storygen.toml: typed settings with defaults, validated with clear messages.

Every key is optional; a project with an empty storygen.toml builds with the
defaults below. Unknown keys are errors (a typo must not silently do nothing).
"""
from __future__ import annotations

import difflib
import re
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
class ReportConfig:
    """The report output (docs/report.md): the PDF's paper, accent colour and logo."""

    paper: str = "a4"              # a4 | letter
    accent: str = "#1d4f91"        # rules and the cover band (text stays black on white)
    logo: str = path_setting()     # a PNG or JPEG from the project root, on the cover
    logo_alt: str = ""             # the logo's alt text: required with a logo


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
    # spaCy pipeline for names, places and organisations: a package name or a folder;
    # "" = en_core_web_sm when installed, "none" = lists and patterns only (docs/privacy.md)
    ner_model: str = ""
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
    report: ReportConfig = field(default_factory=ReportConfig)
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
    raw = read_toml(path, "settings")
    config = Config()
    _fill(config, raw, path, prefix="")
    _validate(config, path)
    return config


def setting_line(path: Path, key: str, table: str | None = None) -> int | None:
    """The line of `key = …` in a TOML file (inside `[table]` when given), for error messages."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    current, fallback = "", None
    pattern = re.compile(rf"""^\s*(?:["']?{re.escape(key)}["']?)\s*=""")
    for number, line in enumerate(lines, 1):
        header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1)
            continue
        inline = re.search(rf"""[{{,]\s*["']?{re.escape(key)}["']?\s*=""", line)
        if pattern.match(line) or inline:
            if table is None or current == table or line.lstrip().startswith(f"{table}."):
                return number
            fallback = fallback or number
    return fallback


def read_toml(path: Path, what: str, hint: str = "check quotes, brackets and `key = value` pairs on that line") -> dict:
    """A project TOML file (storygen.toml, the video theme) parsed, every failure a clean error
    naming the file and, where TOML says, the line."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"cannot read the {what}: not UTF-8 text (byte {exc.start} cannot be decoded)", path=path,
                           line=data[: exc.start].count(b"\n") + 1, hint="save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"cannot read the {what}: not valid TOML: {exc}", path=path,
                           line=_toml_error_line(str(exc)), hint=hint) from None
    except RecursionError:      # tomllib recurses once per nested [ or {: `x = [[[[…` ends here
        raise ProjectError(f"cannot read the {what}: lists or tables nested too deeply", path=path,
                           hint="storygen's settings never nest more than two levels; check the brackets") from None


def _toml_error_line(message: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def _fill(target, raw: dict, path: Path, prefix: str) -> None:
    known = {f.name: f for f in fields(target)}
    for key, value in raw.items():
        if key not in known:
            guess = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean `{prefix}{guess[0]}`?" if guess else \
                f"known keys here: {', '.join(sorted(known))}"
            raise ProjectError(f"unknown setting `{prefix}{key}`", path=path,
                               line=setting_line(path, key, prefix.rstrip(".") or None), hint=hint)
        current = getattr(target, key)
        if is_dataclass(current):
            if not isinstance(value, dict):
                raise ProjectError(f"`{prefix}{key}` must be a table like [{prefix}{key}]", path=path,
                                   line=setting_line(path, key))
            _fill(current, value, path, prefix=f"{prefix}{key}.")
            continue
        expected = type(current)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ProjectError(
                f"`{prefix}{key}` should be {expected.__name__}, not {type(value).__name__} ({value!r})",
                path=path, line=setting_line(path, key, prefix.rstrip(".") or None),
                hint=f"for example `{key} = {current!r}`".replace("'", '"'))
        setattr(target, key, value)


VIDEO_FORMATS = ("16:9", "9:16", "1:1", "4:5")
VOICE_MODES = ("none", "recorded", "espeak", "piper")
LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
# Characters a base URL never needs, and which could break out of an HTML attribute or a feed.
_URL_FORBIDDEN = set("\"'<>\\`{}|^ ")


def video_format(name: str) -> str | None:
    """"16:9", "16x9" or "16/9" -> "16:9"; None when it is not a format storygen renders."""
    key = name.strip().lower().replace("x", ":").replace("/", ":")
    return key if key in VIDEO_FORMATS else None


def _validate(config: Config, path: Path) -> None:
    """Values with the right type but an impossible or unsafe meaning; each error names its line."""

    def fail(table: str, key: str, problem: str, hint: str | None = None):
        raise ProjectError(f"`{table}.{key}` {problem}", path=path, line=setting_line(path, key, table),
                           hint=hint)

    def within(table: str, key: str, low: float, high: float, hint: str) -> None:
        value = getattr(getattr(config, table), key)
        if not low <= value <= high:
            fail(table, key, f"must be between {low:g} and {high:g}, got {value!r}", hint)

    rules = config.rules
    if rules.min_sources < 2:
        fail("rules", "min_sources", "below 2 would allow a single person's story",
             "use 3 or more (the method's default)")
    within("rules", "min_sources", 2, 1000, "the method's default is 3")
    for key in ("max_source_share", "max_bridge_share"):
        value = getattr(rules, key)
        if not 0 < value <= 1:
            fail("rules", key, f"must be a share between 0 and 1, got {value}", "for example 0.4 for 40 %")
    within("rules", "min_theme_sources", 1, 1000, "the method's default is 2")
    within("rules", "words_per_minute", 40, 1000, "speech runs at about 150 words a minute")
    _validate_video(config.video, fail, within)
    privacy = config.privacy
    if not 1 <= privacy.qi_limit <= 8:
        fail("privacy", "qi_limit", f"must be between 1 and 8, got {privacy.qi_limit}", "the method's default is 3")
    for entity, value in privacy.thresholds.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            fail("privacy", "thresholds", f"`{entity}` must be a score between 0 and 1, got {value!r}",
                 "for example PHONE = 0.4")
    within("privacy", "context_window", 0, 1000, "the default is 40 characters")
    within("privacy", "long_quote_words", 1, 100_000, "the default is 80 words")
    for key in ("allowed_domains", "allow_values"):
        if not all(isinstance(v, str) for v in getattr(privacy, key)):
            fail("privacy", key, "must be a list of texts in quotes", f'for example {key} = ["example.org"]')
    site = config.site
    problem = base_url_problem(site.base_url)
    if problem:
        fail("site", "base_url", f"is {site.base_url!r}: {problem}",
             'use the http(s) address the site will be published at, e.g. "https://example.org/stories/"')
    if not site.base_url.endswith("/"):
        site.base_url += "/"
    if not LANGUAGE.fullmatch(site.language):
        fail("site", "language", f"is {site.language!r}, which is not a language tag",
             'for example "en-GB", "cy" or "fr"')
    report = config.report
    if report.paper not in ("a4", "letter"):
        fail("report", "paper", f"is {report.paper!r}", 'use "a4" or "letter"')
    if not re.fullmatch(r"#(?:[0-9a-fA-F]{3}){1,2}", report.accent):
        fail("report", "accent", f"is {report.accent!r}, which is not a colour", 'for example "#1d4f91"')
    if report.logo and not report.logo_alt.strip():
        fail("report", "logo_alt", "is missing: the logo needs alt text",
             'for example logo_alt = "The Listening Collective"')
    _validate_paths(config, path, fail)
    output = config.build.output
    if not output.strip() or any(ord(c) < 32 for c in output):
        fail("build", "output", f"is {output!r}, which is not a folder name", 'the default is "build"')


# Settings that name a file: where it must lie (relative to the project root) and what it is.
# Paths in a project are untrusted (storygen/paths.py): `music = "/etc/passwd"` was handed to
# ffmpeg, and its error quoted the file.
_CONFINED = (("video", "music", "assets", "a music bed", "music/bed.mp3"),
             ("video", "voice_model", "", "a piper voice model", "voices/en_GB-alba-medium.onnx"),
             ("report", "logo", "", "a logo", "assets/logo.png"))


def _validate_paths(config: Config, path: Path, fail) -> None:
    from .paths import inside

    root = path.parent
    for table, key, base, what, example in _CONFINED:
        value = getattr(getattr(config, table), key)
        if value and inside(root / base, value) is None:
            where = f"the project's {base}/ folder" if base else "the project folder"
            fail(table, key, f"is {value!r}, which lies outside {where}; {what} must be inside it",
                 f"copy the file into {where} and give its path relative to it, e.g. {example}")


def _validate_video(video: VideoConfig, fail, within) -> None:
    if video.quality not in ("final", "draft"):
        fail("video", "quality", f'must be "final" or "draft", got {video.quality!r}', '"draft" is for quick previews')
    if video.voice not in VOICE_MODES:
        fail("video", "voice", f"must be one of {', '.join(VOICE_MODES)}, got {video.voice!r}",
             'the default is "none" (captions only)')
    if not video.formats:
        fail("video", "formats", "is empty", 'list at least one, e.g. formats = ["16:9"]')
    for name in video.formats:
        if not isinstance(name, str) or video_format(name) is None:
            fail("video", "formats", f"lists {name!r}, which is not one of {', '.join(VIDEO_FORMATS)}",
                 'for example formats = ["16:9", "9:16"]')
    for name, seconds in video.caps.items():
        if video_format(name) is None:
            fail("video", "caps", f"names {name!r}, which is not one of {', '.join(VIDEO_FORMATS)}",
                 'for example caps = { "9:16" = 90 }')
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 1 <= seconds <= 3600:
            fail("video", "caps", f"gives {name!r} a length of {seconds!r}; it must be seconds between 1 and 3600",
                 'for example caps = { "9:16" = 90 }')
    within("video", "fps", 10, 120, "use 24, 25, 30, 50 or 60")
    within("video", "words_per_minute", 40, 1000, "people read slides at about 160 words a minute")
    within("video", "min_slide_seconds", 0.5, 60, "the default is 3")
    within("video", "max_slide_seconds", video.min_slide_seconds, 600,
           "it must be at least `min_slide_seconds`; the default is 12")
    within("video", "loudness", -70, -5, "use -16 for the web or -23 for broadcast")
    if video.size and not 144 <= video.size <= 4320:
        fail("video", "size", f"must be 0 (the quality's own) or between 144 and 4320 pixels, got {video.size}",
             "1080 is full HD; 0 uses the quality preset's size")
    within("video", "max_upscale", 1, 8, "1 never enlarges a picture; the default is 1")


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be the site's published address, or None when it can.

    Only http(s): the address lands in every link, canonical and og:url, where a
    `javascript:` or `data:` address would run or show whatever it holds.
    """
    from urllib.parse import urlsplit

    if any(c in _URL_FORBIDDEN or ord(c) < 33 or ord(c) == 127 for c in url):
        return "it holds spaces, quotes, angle brackets or control characters"
    try:
        parts = urlsplit(url)
        parts.port                               # noqa: B018 (a bad port raises here)
    except ValueError:
        return "it is not a well-formed web address"
    if parts.scheme.lower() not in ("http", "https"):
        return "only http:// and https:// addresses are accepted"
    if not parts.hostname:
        return "it has no host name"
    if parts.username is not None or parts.password is not None:
        return "it holds a user name or password"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "it has a ?query or #fragment, which page addresses are appended after"
    return None
