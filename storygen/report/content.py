"""What the report says, as plain data: composites in, one JSON-ready document out.

Everything comes through storygen.public (the privacy boundary the site uses
too): a story's public fields, its segments' text and counts. A segment's
provenance (excerpt id, source id, text hash) is never copied out of here; the
excerpt id is looked up only to put featured quotations first, as the site does.
The PDF template (report.typ) and the Word writer (docx.py) read only this data.
"""
from __future__ import annotations

from datetime import date

from markdown_it import MarkdownIt

from ..model import Composite, Project
from ..public import build_date, paragraphs, persona_sentence, safe_colour, story_date, theme_quotes, top_themes

_MD = MarkdownIt("commonmark")


def disclosure(contributors: int, persona: str) -> str:
    """The composite disclosure (rule C14), worded as the site words it."""
    return (f"A composite of {contributors} accounts; names and details changed. {persona} is not a real "
            "person: the words quoted are real people's, brought together into one story.")


def report_date(composites: list[Composite]) -> date:
    """The report's date: SOURCE_DATE_EPOCH, else its latest story's date. Never the wall clock."""
    fixed = build_date()
    if fixed is not None:
        return fixed
    dates = [date.fromisoformat(story_date(c)) for c in composites]
    return max(dates) if dates else date(1970, 1, 1)


def long_date(day: date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


def markdown_blocks(text: str) -> list[dict]:
    """Bridge text (the team's Markdown) as paragraphs and list items of styled runs.

    Only structure and emphasis are kept; the runs are plain strings that the PDF
    template and the Word writer set as text, never as markup.
    """
    blocks: list[dict] = []
    kind = "para"
    for token in _MD.parse(text):
        if token.type == "list_item_open":
            kind = "item"
        elif token.type == "list_item_close":
            kind = "para"
        elif token.type == "inline":
            runs = _runs(token.children or [])
            if runs:
                blocks.append({"kind": kind, "runs": runs})
    return blocks


def _runs(children) -> list[dict]:
    runs: list[dict] = []
    bold = italic = 0
    href = None
    for child in children:
        if child.type == "strong_open":
            bold += 1
        elif child.type == "strong_close":
            bold -= 1
        elif child.type == "em_open":
            italic += 1
        elif child.type == "em_close":
            italic -= 1
        elif child.type == "link_open":
            target = str(child.attrs.get("href", ""))
            href = target if target.startswith(("https://", "http://", "mailto:")) else None
        elif child.type == "link_close":
            href = None
        elif child.type in ("text", "code_inline", "softbreak", "hardbreak"):
            text = " " if child.type.endswith("break") else child.content
            if runs and runs[-1]["b"] == bool(bold) and runs[-1]["i"] == bool(italic) and runs[-1]["href"] == href:
                runs[-1]["text"] += text
            else:
                runs.append({"text": text, "b": bool(bold), "i": bool(italic), "href": href})
    for run in runs:
        run["text"] = " ".join(run["text"].split()) if not run["text"].isspace() else " "
    return [r for r in runs if r["text"]]


def story_data(project: Project, composite: Composite, pictures: dict[str, str]) -> dict:
    """One story in full: persona, disclosure, pictures, then its blocks in reading order."""
    story = composite.story
    blocks: list[dict] = []
    for segment in composite.segments:
        if segment.kind == "heading":
            level = min(max(segment.level or 2, 2), 4)
            blocks.append({"kind": "heading", "level": level, "text": " ".join(segment.text.split())})
        elif segment.kind == "bridge" and segment.text.strip():
            if blocks and blocks[-1]["kind"] == "prose":       # one list, however it was split
                blocks[-1]["blocks"] += markdown_blocks(segment.text)
            else:
                blocks.append({"kind": "prose", "blocks": markdown_blocks(segment.text)})
        elif segment.kind == "excerpt":
            blocks.append({"kind": "quote", "paragraphs": paragraphs(segment.text)})
    themes = []
    for code_id in story.themes:
        code = project.codes.get(code_id)
        top = project.codes.get(code.top_id, code) if code else None
        if top is not None and top.name not in themes:
            themes.append(top.name)
    images = [{"path": pictures[p.image], "alt": " ".join(p.alt.split()), "caption": " ".join(p.caption.split()),
               "credit": " ".join(p.credit.split()), "decorative": p.decorative}
              for p in story.images if p.image in pictures]
    return {
        "slug": story.slug,
        "title": story.title,
        "summary": story.summary,
        "persona": persona_sentence(story.persona.name, story.persona.role, story.persona.setting),
        "content_note": story.content_note,
        "disclosure": disclosure(composite.contributors, story.persona.name),
        "themes": themes,
        "date": long_date(date.fromisoformat(story_date(composite))),
        "words": composite.stats.total_words,
        "seconds": round(composite.stats.duration_seconds),
        "status": story.status,
        "reviewer": story.reviewer,
        "reviewed_on": str(story.reviewed_on or ""),
        "media": list(story.media),
        "images": images,
        "blocks": blocks,
    }


def theme_chapters(project: Project, composites: list[Composite]) -> tuple[list[dict], list[dict]]:
    """One chapter per top-level theme with stories, in codebook order, and the appendix counts."""
    quotes = theme_quotes(project, composites, limit=4)
    chapters, counts = [], []
    for code in top_themes(project):
        claiming = [c for c in composites if any(t.split("/", 1)[0] == code.id for t in c.story.themes)]
        quoted = [s for c in composites for s in c.excerpt_segments
                  if any(k.split("/", 1)[0] == code.id for k in s.codes)]
        if not claiming and not quoted:
            continue
        chapters.append({
            "id": code.id, "name": code.name, "description": code.description,
            "colour": safe_colour(code.colour),
            "stories": [{"slug": c.story.slug, "title": c.story.title, "summary": c.story.summary}
                        for c in claiming],
            "quotes": [{"paragraphs": q["paragraphs"], "story": q["story_title"]} for q in quotes.get(code.id, [])],
            "appears": sorted({c.story.title for c in composites
                               if any(any(k.split("/", 1)[0] == code.id for k in s.codes)
                                      for s in c.excerpt_segments)}),
        })
        counts.append({"theme": code.name, "stories": len(claiming), "excerpts": len(quoted),
                       "sources": len({s.source_id for s in quoted})})
    return chapters, counts


def document(project: Project, composites: list[Composite], pictures: dict[str, str], *,
             logo: str | None = None, title: str | None = None) -> dict:
    """The whole report as data (see the module docstring). `pictures`: asset path -> prepared file."""
    site = project.config.site
    settings = project.config.report
    language = site.language.split("-")
    chapters, counts = theme_chapters(project, composites)
    live = {s.id for s in project.sources.values() if not s.withdrawn}
    rules = project.config.rules
    return {
        "title": title or site.title,
        "subtitle": site.description,
        "author": site.author,
        "date": long_date(report_date(composites)),
        "iso_date": report_date(composites).isoformat(),
        "lang": language[0].lower(),
        "region": language[1].upper() if len(language) > 1 and len(language[1]) == 2 else None,
        "paper": "us-letter" if settings.paper == "letter" else "a4",
        "accent": safe_colour(settings.accent),
        "logo": logo,
        "logo_alt": settings.logo_alt,
        "method": {
            "sources": len(live),
            "excerpts": sum(1 for e in project.excerpts.values() if e.source_id in live),
            "stories": len(composites),
            "quoted": sum(len(c.excerpt_segments) for c in composites),
            "min_sources": rules.min_sources,
            "max_share": round(rules.max_source_share * 100),
            "statement": markdown_blocks(site.method_statement) if site.method_statement else [],
        },
        "themes": chapters,
        "stories": [story_data(project, c, pictures) for c in composites],
        "counts": counts,
    }
