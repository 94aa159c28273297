"""What a reader (or a crawler) can see in each kind of published file, for the output scan.

HTML: block text, text-bearing attributes and JSON-LD, read by lxml's parser
(libxml2, in C; the link checker uses the same). Feeds and other XML: text
between tags, with escaped HTML read as HTML. JSON: every string. Captions:
cue text without timings. Pagefind fragments: gzip'd JSON, whose page text
`shown_on_page` compares with the blocks of the page it indexes.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

TEXT_ATTRS = frozenset({"alt", "title", "aria-label", "aria-description", "content", "placeholder", "value",
                        "label", "summary", "data-caption", "data-title", "download"})
BLOCK_TAGS = frozenset({"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr",
                        "br", "section", "article", "header", "footer", "nav", "main", "aside", "title",
                        "figcaption", "figure", "blockquote", "dt", "dd", "table", "option", "button",
                        "details", "summary", "hr", "body", "head", "html", "a"})
CODE_SUFFIXES = frozenset({".js", ".mjs", ".css", ".map"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
XML_SUFFIXES = frozenset({".xml", ".atom", ".rss", ".svg", ".opml"})
JSON_SUFFIXES = frozenset({".json", ".webmanifest", ".jsonld"})
CAPTION_SUFFIXES = frozenset({".vtt", ".srt"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".csv", ".tsv"})
_TIMING = re.compile(r"^\s*(?:\d+\s*$|(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}\s*-->.*$|WEBVTT.*$|NOTE\b.*$"
                     r"|STYLE\s*$|REGION\s*$)")


class PageText:
    """Text chunks of an HTML page: block text, text-bearing attributes, JSON-LD.

    An lxml parser target (libxml2's forgiving HTML parser, in C; the link checker
    uses the same): it hands over tags and text as they are read, so no tree is built.
    """

    def __init__(self):
        self.chunks: list[str] = []
        self.shown: list[str] = []   # the text a reader sees, in order (no attributes, no JSON-LD)
        self._buf: list[str] = []
        self._skip = 0            # inside <style> or executable <script>
        self._json: list[str] | None = None    # inside a JSON-LD <script>: its text so far

    def _flush(self):
        text = " ".join("".join(self._buf).split())
        if text:
            self.chunks.append(text)
            self.shown.append(text)
        self._buf = []

    def start(self, tag, attrs):
        if tag == "style" or (tag == "script" and "json" not in (attrs.get("type") or "")):
            self._skip += 1
        elif tag == "script":
            self._json = []
        if tag in BLOCK_TAGS:
            self._flush()
        for name, value in attrs.items():
            if value and (name in TEXT_ATTRS or name.startswith("data-") and " " in value):
                if name == "content" and tag == "meta" and attrs.get("name") in ("viewport", "generator",
                                                                                    "theme-color", "robots"):
                    continue
                self.chunks.append(value)

    def end(self, tag):
        if tag == "style" or (tag == "script" and self._json is None):
            self._skip = max(0, self._skip - 1)
        elif tag == "script":
            self.chunks.extend(json_strings_text("".join(self._json)))
            self._json = None
            self._flush()
            return
        if tag in BLOCK_TAGS:
            self._flush()

    def data(self, data):
        if self._skip:
            return
        if self._json is not None:
            self._json.append(data)
            return
        self._buf.append(data)

    def close(self):
        self._flush()
        return self


def html_text(text: str) -> PageText:
    """The chunks of the HTML `text` (see PageText)."""
    from lxml import etree

    target = PageText()
    if text.strip():
        # huge_tree lifts libxml2's built-in size limits (XML_PARSE_HUGE): a scan reads a page to its end.
        parser = etree.HTMLParser(target=target, encoding="utf-8", no_network=True, huge_tree=True)
        parser.feed(text.encode("utf-8", "surrogatepass"))
        parser.close()
    return target


def json_strings_text(text: str) -> list[str]:
    """Every string (keys too) in a JSON text; the text itself when it is not JSON."""
    try:
        data = json.loads(text)
    except ValueError:
        return [text]
    return json_strings(data)


def json_strings(data) -> list[str]:
    """Every string (keys too) in parsed JSON, in document order."""
    out: list[str] = []

    def walk(node):
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(k)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(data)
    return out


def xml_text(text: str) -> list[str]:
    # Attributes of feeds are links and namespaces; the readable text is between tags.
    text = re.sub(r"<!\[CDATA\[(.*?)\]\]>", lambda m: html.escape(m.group(1)), text, flags=re.S)
    parts = re.split(r"<[^>]*>", text)
    out = []
    for part in parts:
        part = html.unescape(part).strip()
        if not part:
            continue
        if "<" in part and ">" in part:            # escaped HTML content inside <content type="html">
            out.extend(html_text(part).chunks)
        else:
            out.append(part)
    return out


def caption_text(text: str) -> list[str]:
    cues, buf = [], []
    for line in text.splitlines():
        if not line.strip() or _TIMING.match(line):
            if buf:
                cues.append(" ".join(buf))
                buf = []
            continue
        buf.append(re.sub(r"<[^>]+>", "", line).strip())
    if buf:
        cues.append(" ".join(buf))
    return cues


_WORD = re.compile(r"\w+")


def word_run(text: str) -> str:
    """The words of `text`, each followed by a separator ("" when there are none)."""
    return "".join(w + "\x1f" for w in _WORD.findall(text))


def is_fragment(path: Path) -> bool:
    return path.suffix.lower() == ".pf_fragment"


def page_url(rel: Path) -> str:
    """The address Pagefind gives the page at `rel` (site-root relative, no index.html)."""
    url = "/" + rel.as_posix()
    return url[:-len("index.html")] if url.endswith("/index.html") else url


def gunzip(data: bytes, limit: int = 64 * 1024 * 1024) -> bytes | None:
    import zlib
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(data, limit)
        return out if not d.unconsumed_tail else None     # bigger than the limit: leave it to byte search
    except zlib.error:
        return None




def shown_on_page(record, blocks: list[str] | None) -> str | None:
    """A Pagefind fragment's `content` when it is, word for word, whole blocks its page shows
    (`blocks`: each a `word_run`), in the page's order; None otherwise (see privacy/scan.py)."""
    content = record.get("content") if isinstance(record, dict) else None
    if not isinstance(content, str) or not blocks:
        return None
    words, at = word_run(content), 0
    for block in blocks:          # greedy: a block that fits here is taken, any other skipped
        if words.startswith(block, at):
            at += len(block)
    return content if words and at == len(words) else None
