"""The privacy boundary of the published outputs: composites in, public plain data out.

Everything the site and the report render goes through this module (it is
shared here, outside both, so neither imports the other). It copies only a story's
public fields, the text of its segments and its counts into plain dicts (JSON
data, so it can be hashed for the cache). A Segment's private provenance
(`excerpt_id`, `source_id`, `text_hash`) is never copied out of here, so no
template, cache key, search record or file name can ever see it. (The excerpt
id is looked up once, internally, to prefer featured quotations.)
"""
from __future__ import annotations

import functools
import os
import re
import unicodedata
from datetime import date, datetime, timezone

from .model import Code, Composite, Project

# Colours reach a `style` attribute; only plain hex colours may pass.
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
DEFAULT_ACCENT = "#555555"


def safe_colour(value: str) -> str:
    return value if _HEX.fullmatch(value or "") else DEFAULT_ACCENT


@functools.lru_cache(maxsize=4096)    # the same theme and heading names, over a thousand stories
def slugify(text: str) -> str:
    """A stable, Unicode-safe anchor: NFKC, lower case, letters and digits kept, rest dashes."""
    text = unicodedata.normalize("NFKC", text).casefold()
    slug = re.sub(r"[^\w]+", "-", text, flags=re.UNICODE).strip("-_")
    return slug or "section"


def paragraphs(text: str) -> list[str]:
    """Split verbatim text into paragraphs at blank lines; line breaks inside one become spaces."""
    paras = re.split(r"\n\s*\n", text.strip())
    return [" ".join(p.split()) for p in paras if p.strip()]


def build_date() -> date | None:
    """The reproducible 'now': SOURCE_DATE_EPOCH when set, otherwise none at all."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
    return None


def story_date(composite: Composite) -> str:
    """The story's public date: its review date, else SOURCE_DATE_EPOCH, else the epoch.

    Never the wall clock, so two builds of the same project are identical.
    """
    raw = composite.story.reviewed_on
    try:
        return date.fromisoformat(str(raw)).isoformat()
    except ValueError:
        fallback = build_date()
        return fallback.isoformat() if fallback else "1970-01-01"


# A role that starts with one of these is already a whole noun phrase: "someone using local
# services", "one of the night team", "the only nurse on the ward" take no article.
_DETERMINERS = frozenset("""a an the one someone somebody anyone anybody another some any each every
    my our your his her their its this that these those two three four five several many""".split())
# A setting that starts with one of these already says where: "at a GP surgery", not "in at…".
_PREPOSITIONS = frozenset("""in at on from near with across around for within inside outside between
    among amongst by behind beyond throughout under over""".split())
# "an" before a vowel sound: these start with a vowel letter but a consonant sound, or the reverse.
_CONSONANT_SOUND = ("uni", "use", "usu", "usa", "ure", "euro", "eu", "one", "once", "ubiq", "ufo")
_VOWEL_SOUND = ("hour", "honest", "honour", "honor", "heir")
_VOWEL_LETTER_NAMES = frozenset("AEFHILMNORSX")     # initialisms: "an NHS nurse", "a GP"


def _indefinite(role: str) -> str:
    first = role.split()[0]
    bare = first.strip("\"'“‘(").rstrip(".,;:")
    if bare.lower() in _DETERMINERS:
        return role
    if len(bare) > 1 and bare.isupper():
        article = "an" if bare[0] in _VOWEL_LETTER_NAMES else "a"
    else:
        lower = bare.lower()
        vowel = lower[:1] in tuple("aeiou") and not lower.startswith(_CONSONANT_SOUND)
        article = "an" if vowel or lower.startswith(_VOWEL_SOUND) else "a"
    return f"{article} {role}"


def persona_sentence(name: str, role: str, setting: str) -> str:
    """One natural sentence about the persona, whatever the team wrote as role and setting.

    "support worker" + "a council" -> "Sam is a support worker in a council."; "someone using
    local services" keeps no article; a setting starting "at"/"from"… keeps its own word.
    Empty when there is neither role nor setting.
    """
    name, role, setting = " ".join(name.split()), " ".join(role.split()), " ".join(setting.split())
    if setting:
        first = setting.split()[0].lower()
        setting = setting if first in _PREPOSITIONS else f"in {setting}"
    if role:
        sentence = f"{name} is {_indefinite(role)}" + (f" {setting}" if setting else "")
    elif setting:
        sentence = f"{name}'s story is set {setting}"
    else:
        return ""
    return sentence if sentence.endswith((".", "!", "?")) else sentence + "."


def top_themes(project: Project) -> list[Code]:
    """Top-level codes in codebook order (then id, for ties)."""
    tops = [c for c in project.codes.values() if c.parent_id is None]
    return sorted(tops, key=lambda c: (c.order, c.id))


def theme_ref(code: Code) -> dict:
    return {"id": code.top_id, "slug": slugify(code.top_id), "name": code.name,
            "url": f"themes/{slugify(code.top_id)}/", "colour": safe_colour(code.colour)}


def story_themes(project: Project, composite: Composite) -> list[dict]:
    """The story's claimed themes as public references, deduplicated to top-level themes."""
    seen: dict[str, dict] = {}
    for code_id in composite.story.themes:
        code = project.codes.get(code_id)
        if code is None:
            continue
        top = project.codes.get(code.top_id, code)
        seen.setdefault(top.id, theme_ref(top))
    return list(seen.values())


def story_record(project: Project, composite: Composite) -> dict:
    """Everything public about one story, as plain data (the input of its page).

    Blocks are in reading order: heading, bridge (Markdown source) or quote
    (verbatim text, split into paragraphs). Provenance is dropped here.
    """
    story = composite.story
    blocks: list[dict] = []
    for segment in composite.segments:
        if segment.kind == "heading":
            blocks.append({"kind": "heading", "text": " ".join(segment.text.split()),
                           "level": min(max(segment.level or 2, 2), 4)})
        elif segment.kind == "bridge":
            if segment.text.strip():
                blocks.append({"kind": "bridge", "text": segment.text})
        elif segment.kind == "excerpt":
            blocks.append({"kind": "quote", "paragraphs": paragraphs(segment.text)})
    themes = story_themes(project, composite)
    words = composite.stats.total_words
    return {
        "slug": story.slug,
        "url": f"stories/{story.slug}/",
        "title": story.title,
        "summary": story.summary,
        "persona": {"name": story.persona.name, "role": story.persona.role,
                    "setting": story.persona.setting,
                    "sentence": persona_sentence(story.persona.name, story.persona.role,
                                                 story.persona.setting)},
        "voice": story.voice,
        "status": story.status,
        "date": story_date(composite),
        "content_note": story.content_note,
        "contributors": composite.contributors,
        "themes": themes,
        "accent": themes[0]["colour"] if themes else DEFAULT_ACCENT,
        "words": words,
        "minutes": max(1, round(words / 200)),
        "blocks": blocks,
    }


def theme_quotes(project: Project, composites: list[Composite], limit: int = 6) -> dict[str, list[dict]]:
    """Featured quotations for every top-level theme, taken only from published stories.

    Only excerpts already quoted in a story on the site may appear (they passed
    consent and the integrity rules there); featured excerpts come first, then
    reading order. Each quote links to its story, never to a source.
    """
    picked: dict[str, list[tuple]] = {}
    for story_index, composite in enumerate(composites):
        quote_index = 0
        for segment in composite.segments:
            if segment.kind != "excerpt":
                continue
            quote_index += 1
            themes = {code.split("/", 1)[0] for code in segment.codes}
            if not themes:
                continue
            excerpt = project.excerpts.get(segment.excerpt_id or "")
            featured = 0 if (excerpt and excerpt.featured) else 1
            for theme in themes:
                picked.setdefault(theme, []).append((featured, story_index, quote_index, composite, segment))
    result = {}
    for theme, items in picked.items():
        items.sort(key=lambda item: item[:3])
        result[theme] = [{"paragraphs": paragraphs(seg.text), "story_title": comp.story.title,
                          "url": f"stories/{comp.story.slug}/#quote-{q}"}
                         for _, _, q, comp, seg in items[:limit]]
    return result
