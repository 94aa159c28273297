"""Atom feeds (site-wide and per theme), sitemap.xml and robots.txt.

Dates come from the stories (their review date), never from the clock, so the
feeds are identical across builds. Every entry carries the composite
disclosure, as every output must (rule C14).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape

from .env import markdown
from ..public import build_date

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
FEED_LIMIT = 20


def _stamp(day: str) -> str:
    return f"{day}T00:00:00Z"


def entry_html(record: dict, md) -> str:
    """A story as simple, escaped HTML for feed readers."""
    persona = record["persona"]
    parts = [f"<p><em>A composite of {record['contributors']} accounts; names and details "
             f"changed.</em></p>",
             *([f"<p>{escape(persona['sentence'])}</p>"] if persona.get("sentence") else [])]
    for block in record["blocks"]:
        if block["kind"] == "heading":
            parts.append(f"<h{block['level']}>{escape(block['text'])}</h{block['level']}>")
        elif block["kind"] == "bridge":
            parts.append(md.render(block["text"]))
        elif block["kind"] == "quote":
            parts.append("<blockquote>" + "".join(f"<p>{escape(p)}</p>" for p in block["paragraphs"])
                         + "</blockquote>")
    return "\n".join(parts)


def atom(site: dict, records: list[dict], *, path: str, title: str, page_url: str,
         md=None) -> bytes:
    """One Atom feed of the newest stories in `records` (already newest first)."""
    md = md or markdown()
    base = site["base_url"]
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": site["language"]})
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}subtitle").text = site["description"]
    ET.SubElement(feed, f"{{{ATOM}}}id").text = base + path
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": base + path,
                                           "type": "application/atom+xml"})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": base + page_url,
                                           "type": "text/html"})
    newest = max((r["date"] for r in records), default=None)
    if newest is None:
        fallback = build_date()
        newest = fallback.isoformat() if fallback else "1970-01-01"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _stamp(newest)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = site["author"] or site["title"]
    for record in records[:FEED_LIMIT]:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = base + record["url"]
        ET.SubElement(entry, f"{{{ATOM}}}title").text = record["title"]
        ET.SubElement(entry, f"{{{ATOM}}}id").text = url
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": url, "type": "text/html"})
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _stamp(record["date"])
        ET.SubElement(entry, f"{{{ATOM}}}published").text = _stamp(record["date"])
        for theme in record["themes"]:
            ET.SubElement(entry, f"{{{ATOM}}}category", {"term": theme["slug"], "label": theme["name"]})
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = record["summary"]
        ET.SubElement(entry, f"{{{ATOM}}}content", {"type": "html"}).text = entry_html(record, md)
    ET.indent(feed)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode").encode("utf-8") + b"\n"


def sitemap(site: dict, pages: list) -> bytes:
    """Every indexable page with its address; stories carry their date as lastmod."""
    ET.register_namespace("", SITEMAP)
    root = ET.Element(f"{{{SITEMAP}}}urlset")
    for spec in sorted(pages, key=lambda p: p.path):
        if spec.kind in ("404", "search"):
            continue
        url = ET.SubElement(root, f"{{{SITEMAP}}}url")
        ET.SubElement(url, f"{{{SITEMAP}}}loc").text = site["base_url"] + spec.url
        if spec.kind == "story":
            ET.SubElement(url, f"{{{SITEMAP}}}lastmod").text = spec.data["story"]["date"]
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def robots(site: dict, drafts: bool) -> str:
    if drafts:  # a preview with unapproved stories must never be indexed
        return "User-agent: *\nDisallow: /\n"
    return f"User-agent: *\nAllow: /\n\nSitemap: {site['base_url']}sitemap.xml\n"
