"""What the user asked `storygen draft` for, checked against the project before any search."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import ProjectError
from ...model import MEDIA, Project
from ...project import did_you_mean
from ..rules import VIDEO_WORD_CAP

# The whole story's length to aim at when --words is not given (composites.md, C15):
# a video script of 300-450 words runs 2-3 minutes; a web story reads well at 500-1,000.
DEFAULT_WORDS = {"video": 400, "site": 750}
MIN_WORDS = 30


@dataclass(frozen=True)
class DraftRequest:
    theme: str
    role: str | None = None
    sector: str | None = None
    subs: tuple[str, ...] = ()          # full code ids, each within the theme
    exclude: frozenset[str] = frozenset()
    media: tuple[str, ...] = MEDIA
    words: int | None = None            # the finished story's length, quotes and bridge text together
    title: str | None = None

    @property
    def story_words(self) -> int:
        if self.words is not None:
            return self.words
        return DEFAULT_WORDS["video" if "video" in self.media else "site"]

    def quoted_target(self, max_bridge_share: float) -> int:
        """Participants' words to aim at: the story's length less half the bridge allowance,
        so the team has room to write the connecting text the rules allow (C3)."""
        return max(1, round(self.story_words * (1 - max_bridge_share / 2)))


def checked(project: Project, *, theme: str, role=None, sector=None, subs=(), exclude=(), media=(),
            words=None, title=None) -> DraftRequest:
    """The request with every name resolved against the project; a clear error for each mistake."""
    codebook = Path("narratives") / "codebook.yaml"
    if theme not in project.codes:
        raise ProjectError(f"there is no theme `{theme}`", path=codebook,
                           hint=did_you_mean(theme, project.codes, "the codebook"))
    full_subs = []
    for sub in subs:
        code = sub if sub.startswith(theme + "/") else f"{theme}/{sub}"
        if code not in project.codes or code == theme:
            inside = [c[len(theme) + 1:] for c in project.codes if c.startswith(theme + "/")]
            raise ProjectError(f"`{sub}` is not a sub-theme of `{theme}`", path=codebook,
                               hint=did_you_mean(sub, inside, "the codebook") if inside
                               else f"`{theme}` has no sub-themes; leave --sub out")
        full_subs.append(code)
    sources_file = Path("narratives") / "sources.yaml"
    roles = sorted({s.role for s in project.sources.values()})
    if role is not None and role not in roles:
        raise ProjectError(f"no interview has the role `{role}`", path=sources_file,
                           hint=did_you_mean(role, roles, "narratives/sources.yaml"))
    sectors = sorted({s.sector for s in project.sources.values()})
    if sector is not None and sector not in sectors:
        raise ProjectError(f"no interview has the sector `{sector}`", path=sources_file,
                           hint=did_you_mean(sector, sectors, "narratives/sources.yaml"))
    ids = {part.strip() for item in exclude for part in item.split(",") if part.strip()}
    for excerpt_id in sorted(ids):
        if excerpt_id not in project.excerpts:
            raise ProjectError(f"--exclude names excerpt `{excerpt_id}`, which does not exist",
                               path=Path("narratives") / "excerpts",
                               hint=did_you_mean(excerpt_id, project.excerpts, "an excerpts file"))
    media = tuple(m for m in MEDIA if m in media) or MEDIA
    request = DraftRequest(theme=theme, role=role, sector=sector, subs=tuple(dict.fromkeys(full_subs)),
                           exclude=frozenset(ids), media=media, words=words, title=title)
    if request.story_words < MIN_WORDS:
        raise ProjectError(f"--words {words} is too short for a story", hint=f"ask for {MIN_WORDS} words or more")
    if "video" in media and request.story_words > VIDEO_WORD_CAP:
        raise ProjectError(f"--words {words} is longer than a video script may be ({VIDEO_WORD_CAP} words, C15)",
                           hint=f"ask for {VIDEO_WORD_CAP} words or fewer, or draft for the site only "
                                f"with --media site")
    return request
