"""The output scan (R5, R16): every file under the publish folder, every channel.

For each file we extract the text a reader (or a crawler) can see — HTML text
and text-bearing attributes, XML text, JSON strings, caption cues,
transcripts, image metadata, video container metadata and subtitle tracks,
file and folder names — and run the detectors on it. Independently, the raw
bytes of every file are searched for every private literal (source ids,
excerpt ids, text hashes, original values in the pseudonym map, deny-list
terms) by token look-up (privacy.literals), so a value hidden where no extractor
looks is still found.

Detector hits the guard already reported and that do not block (warnings,
signed-off findings) are expected on the pages and are not reported again;
anything new — a name in a template, a phone number in EXIF — is.

A Pagefind fragment repeats, as one string, the text of the page it indexes
(less what the theme marks `data-pagefind-ignore`). When its words are exactly
the words of whole text blocks that page shows, in the page's order, and the
page was read through in this scan, the detectors have already seen each block
on the page and are not run over the string again: it puts side by side only
blocks a reader sees side by side. Everything else in the fragment, and its raw
bytes, are scanned as usual; a fragment that does not match is scanned whole.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from ..cache import cache_root, read_hashes, write_hashes
from ..model import Composite, Finding, Origin, Project
from ..parallel import pmap_shared
from .detect import code_digest
from .documents import DOCUMENT_SUFFIXES, document_text
from .extract import (CAPTION_SUFFIXES, CODE_SUFFIXES, HTML_SUFFIXES, JSON_SUFFIXES, TEXT_SUFFIXES, XML_SUFFIXES,
                      caption_text, html_text, is_fragment, json_strings, page_url, shown_on_page,
                      word_run, xml_text)
from .guard import Guard, GuardFinding, GuardReport, _words
from . import ids
from .literals import Literals
from .media import IMAGE_SUFFIXES, MEDIA_SUFFIXES, TECHNICAL_KEYS, image_metadata, media_metadata
from .textnorm import fold_key

# What the scan reads, for the audit log (R17).
CHANNELS = ["HTML text and text attributes (alt, title, aria-label, content, …) and JSON-LD",
            "XML / Atom / RSS / SVG text", "JSON strings (search index), gzip'd files unpacked",
            "Pagefind fragments: detectors over any text its page does not show word for word",
            "WebVTT and SRT cue text", "text transcripts", "image EXIF / XMP / comments / PNG text chunks, GPS",
            "video and audio container metadata and subtitle tracks (ffmpeg -i)",
            "PDF and DOCX: text layer, metadata, XMP, bookmarks, links, alt text, comments, headers, footers, "
            "properties; every decompressed stream and part for private literals", "file and folder names",
            "raw bytes of every file for private literals (UTF-8, UTF-16)"]
_REMOVE_IT = "remove it from the template, data or metadata that produced this file"
# Rules guard_project reports besides check_composite's findings (long quotes, stale sign-offs).
REPORT_ONLY = frozenset({"R14", "R17"})
class OutputScanner:
    def __init__(self, project: Project, composites: list[Composite], report: GuardReport | None = None):
        reuse = report is not None and report.guard is not None and report.guard.project is project
        self.guard = report.guard if reuse else Guard(project)
        self.detector = self.guard.detector
        # What the guard already saw and let through (warnings, sign-offs) in these composites.
        # The check phase's report holds exactly that (guard_project ran check_composite on
        # every composite); without one, the guard runs again here.
        self.known: set[tuple[str, str]] = set()
        if report is not None:
            slugs = {comp.story.slug for comp in composites}
            self.known = {(f.entity, fold_key(f.span)) for f in report.findings
                          if f.resolved and f.story in slugs and f.rule not in REPORT_ONLY}
        else:
            for comp in composites:
                for f in self.guard.check_composite(comp):
                    if f.resolved:
                        self.known.add((f.entity, fold_key(f.span)))
        secrets = self.guard.knowledge.secrets()
        for value, label in ids.private_ids(project, composites).items():
            secrets.setdefault(value, label)
        self.literals = ids.matcher(secrets, self.guard.context.private_values)
        self._secrets = secrets
        # The team's own configured words (site title, theme names) went through the guard
        # (guard.project_texts); on the pages they are expected.
        site = getattr(project.config, "site", None)
        own = [getattr(site, k, "") for k in ("title", "description", "author", "method_statement")]
        own += [c.name for c in project.codes.values()] + [c.description for c in project.codes.values()]
        self.own_chunks = {" ".join(t.split()) for t in own if t}
        # Verdicts per distinct text within this scan: navigation, footer and disclosure
        # repeat on every page and are looked at once.
        self._verdicts: dict[tuple[str, bool, bool], list[tuple[str, str, str, str]]] = {}
        self._load_clean_files(project)

    def scan(self, folder: Path) -> list[Finding]:
        folder = Path(folder)
        per_path: list[list[Finding]] = []
        todo: list[tuple[int, Path, Path, str]] = []     # files to read through: (slot, path, rel, key)
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            # File and folder names (each level is checked where it first appears: its own entry).
            # Generated names carry content hashes (Pagefind's `en_582841b.pf_index`, image
            # variants): a hex hash is not a person's data, and read as words it looks like an NI
            # number or a domain. Literal secrets are still searched in the full name above all.
            name = _without_hashes(path.name)
            kind = "file name" if path.is_file() else "folder name"
            found = self._literal_only(path.name, rel, kind)
            found += self._text(_words(Path(name).stem if path.is_file() else name), rel, kind, names=True)
            found += self._text(name, rel, kind, names=False, urls=False)
            per_path.append(found)
            if path.is_file():
                data = path.read_bytes()
                key = ids.content_key(path.suffix, data)
                if key in self.clean_files:
                    # These exact bytes scanned clean under these settings and this private
                    # knowledge, and were searched for every excerpt id and text hash the
                    # cache lists. Ids and hashes change with every edit and are left out of
                    # the cache's name: the bytes are searched here for the ones it does not list.
                    more = self._raw(path, rel, data, self._unsearched)[0] if self._unsearched else []
                    found += more
                    if not more:
                        self._verified.add(key)
                else:
                    todo.append((len(per_path) - 1, path, rel, key))
        # Files are independent: on a cold build they are read through on every CPU. Search
        # fragments go second, once the words of the pages they index are known.
        self.page_words = {}
        for batch in ([t for t in todo if not is_fragment(t[1])], [t for t in todo if is_fragment(t[1])]):
            self.detector.drain_clean()
            results = pmap_shared(_scan_one, self, [(p, r) for _, p, r, _ in batch])
            for (slot, _, rel, key), (found, clean, shown) in zip(batch, results):
                self.detector.add_clean(clean)
                if shown is not None:
                    self.page_words[page_url(rel)] = shown
                if not found:
                    self.clean_files.add(key)
                    self._verified.add(key)
                per_path[slot] += found
        self.detector.save_clean_cache()
        self._save_clean_files()
        return _dedupe([f for found in per_path for f in found])

    # -- remembered verdicts ---------------------------------------------------------
    # Between builds only hashes of files that scanned clean are kept: a rebuild re-reads
    # just the files whose bytes changed. The cache file's name carries everything that
    # could change a verdict — detector settings and code, every team-given private value,
    # accepted findings, the site's own words — so any change starts afresh. Excerpt ids
    # and text hashes change with every edit, so instead a second file, `searched-DIGEST.txt`,
    # lists a hash of each one the remembered files were searched for; a rebuild searches
    # those files' bytes only for the ids and hashes not listed (after one edit: one text hash).
    def _load_clean_files(self, project: Project) -> None:
        digest = hashlib.sha256()
        team_values = {**self.guard.knowledge.secrets(), **{sid: "source" for sid in project.sources}}
        for part in (self.detector._key, code_digest(), *sorted(team_values.items()),
                     *sorted(map(str, self.known)), *sorted(self.own_chunks)):
            digest.update(str(part).encode("utf-8", "surrogatepass") + b"\0")
        folder = cache_root(project.root) / "privacy"
        self._clean_files_path = folder / f"files-{digest.hexdigest()[:16]}.txt"
        self._searched_path = folder / f"searched-{digest.hexdigest()[:16]}.txt"
        self._clean_files_stored = read_hashes(self._clean_files_path)
        # The two files are written together; without the list of values searched for, the
        # remembered files are trusted for none of them (each is searched for all).
        searched = read_hashes(self._searched_path) if self._clean_files_stored else set()
        self._searched_stored = searched
        self.clean_files = set(self._clean_files_stored)
        provenance = {k: v for k, v in self._secrets.items() if k not in team_values}
        self._searched_now = {ids.value_hash(k) for k in provenance}
        unsearched = {k: v for k, v in provenance.items() if ids.value_hash(k) not in searched}
        self._unsearched = Literals(unsearched) if unsearched and self.clean_files else None
        self._verified: set[str] = set()       # files clean for every value searched now

    def _save_clean_files(self) -> None:
        # With values added since, only files checked for them in this run stay remembered.
        keep = self.clean_files if self._unsearched is None else self._verified
        if keep != self._clean_files_stored or self._searched_now != self._searched_stored:
            # The file list goes first, then the searched list, then the new file list: a run
            # stopped between two writes leaves no remembered file that a list could wrongly vouch for.
            self._clean_files_path.unlink(missing_ok=True)
            write_hashes(self._searched_path, self._searched_now, replaces="searched-*.txt")
            write_hashes(self._clean_files_path, keep, replaces="files-*.txt")
            self._clean_files_stored, self._searched_stored = set(keep), set(self._searched_now)

    def _raw(self, path: Path, rel: Path, data: bytes,
             literals: Literals | None = None) -> tuple[list[Finding], bytes, str, bool]:
        """Search the raw bytes (unpacked) for every private value (or `literals`): privacy.ids."""
        hits, data, suffix, binary = ids.search_bytes(data, path.suffix, literals or self.literals)
        out = [_finding("R5", rel, hit.span, f"raw bytes: {hit.label}", _REMOVE_IT) for hit in hits]
        return out, data, suffix, binary

    def _file(self, path: Path, rel: Path, data: bytes) -> tuple[list[Finding], list[str] | None]:
        """Findings in one file, and for an HTML page the words of each block it shows."""
        out, data, suffix, binary = self._raw(path, rel, data)
        shown = None
        chunks: list[tuple[str, str]] = []
        if suffix in IMAGE_SUFFIXES:
            try:
                fields, has_gps = image_metadata(path)
            except Exception as exc:     # unreadable image: say so rather than skip silently
                return out + [_finding("R16", rel, "", f"image could not be read for metadata ({exc})",
                                       "re-export the image")], None
            if has_gps:
                out.append(_finding("R16", rel, "GPS", "image metadata has GPS coordinates",
                                    "strip metadata (storygen.privacy.strip_image_metadata)"))
            chunks += [(f"image metadata {k}", v) for k, v in fields]
        elif suffix in MEDIA_SUFFIXES:
            fields, subtitles = media_metadata(path)
            chunks += [(f"container metadata {k}", v) for k, v in fields if k not in TECHNICAL_KEYS]
            chunks += [("subtitle track", c) for s in subtitles for c in caption_text(s)]
            for k, v in fields:            # technical keys: literals only (an encoder string is not a name)
                if k in TECHNICAL_KEYS:
                    out += self._literal_only(v, rel, f"container metadata {k}")
        elif suffix in DOCUMENT_SUFFIXES:     # compressed inside: unpacked by privacy.documents
            document = document_text(path)
            chunks += document.chunks
            for channel, value in document.technical:
                out += self._literal_only(value, rel, channel)
            out += [_finding("R5", rel, hit.span, f"{channel}: {hit.label}", _REMOVE_IT)
                    for channel, hit in ids.search_parts(document.parts, self.literals)]
        elif not binary:
            text = data.decode("utf-8", errors="replace")
            if suffix in HTML_SUFFIXES:
                parser = html_text(text)
                chunks += [("page text", c) for c in parser.chunks]
                shown = [run for run in map(word_run, parser.shown) if run]
            elif suffix in XML_SUFFIXES:
                chunks += [("feed/XML text", c) for c in xml_text(text)]
            elif suffix in JSON_SUFFIXES:
                try:
                    record = json.loads(text)
                except ValueError:
                    chunks.append(("JSON", text))
                else:
                    # A search fragment's page text, when its page shows the same blocks, was
                    # looked at on that page (module docstring).
                    seen = shown_on_page(record, self.page_words.get(record.get("url"))) \
                        if is_fragment(path) and isinstance(record, dict) else None
                    chunks += [("JSON", c) for c in json_strings(record) if c != seen]
            elif suffix in CAPTION_SUFFIXES:
                chunks += [("captions", c) for c in caption_text(text)]
            elif suffix in TEXT_SUFFIXES:
                chunks += [("transcript", c) for c in text.split("\n\n")]
            elif suffix in CODE_SUFFIXES:
                pass                      # code: literal search above only (CSS colours are not phones)
            else:
                chunks += [("text", text)]
        for channel, chunk in chunks:
            out += self._text(chunk, rel, channel, names=True)
        return out, shown

    def _text(self, text: str, rel: Path, channel: str, names: bool, urls: bool = True) -> list[Finding]:
        if not text or not text.strip():
            return []
        key = (text, names, urls)
        found = self._verdicts.get(key)
        if found is None:
            found = self._verdicts[key] = self._text_hits(text, names, urls)
        return [_finding(rule, rel, span, f"{channel}: {what}", hint) for rule, span, what, hint in found]

    def _text_hits(self, text: str, names: bool, urls: bool) -> list[tuple[str, str, str, str]]:
        """(rule, span, what, hint) for every private value and blocking detector hit in `text`."""
        out = [("R5", hit.span, hit.label, _REMOVE_IT)
               for hit in ids.search_text(text, self.literals)]
        if " ".join(text.split()) in self.own_chunks:
            return out
        for hit in self.detector.scan(_mask_generated_names(text)):
            if hit.action != "block" or (not names and hit.entity.startswith("PERSON")) \
                    or (not urls and hit.entity == "URL"):
                continue
            if (hit.entity, fold_key(hit.span)) in self.known:
                continue
            out.append(("R16", hit.span, f"{hit.entity.rstrip('?').lower()} ({hit.rule}) in a published file",
                        hit.hint))
        return out

    def _literal_only(self, text: str, rel: Path, channel: str) -> list[Finding]:
        return [_finding("R5", rel, h.span, f"{channel}: {h.label}", "strip the metadata")
                for h in ids.search_text(text, self.literals)]


def _scan_one(scanner: OutputScanner, file: tuple[Path, Path]) -> tuple[list[Finding], list[str], list | None]:
    """`scanner._file` over one file, with the clean-text hashes found, for the caller to merge."""
    path, rel = file
    found, shown = scanner._file(path, rel, path.read_bytes())
    return found, scanner.detector.drain_clean(), shown


# A content hash: hex with at least one digit and one letter, any length; or 6–9 digits standing
# alone (Pagefind's `en_5640761.pf_index`). Ten or more digits, or a digit run next to another
# (`07700-900123`), stay: that is how phone and NHS numbers are written.
_HASH_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?:(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}"
                         r"|(?<!\d[-_. ])\d{6,9}(?![-_. ]\d))(?![0-9A-Za-z])")


def _without_hashes(name: str) -> str:
    return _HASH_TOKEN.sub("", name)


# File names the build itself writes, as they appear inside pages and the search index
# (`../images/picture-12-fcc0872747-960.jpg`). Only tokens ending in a published file type
# are touched, so an email address or running text is never masked.
_GENERATED_NAME = re.compile(r"[\w./-]+\.(?:jpe?g|png|webp|avif|gif|mp4|webm|vtt|srt|txt|css|js|json|xml|pf_\w+)\b")


def _mask_generated_names(text: str) -> str:
    """Content hashes inside generated file names read as phone numbers to the detectors."""
    return _GENERATED_NAME.sub(lambda m: _without_hashes(m.group(0)), text)


def _finding(rule: str, rel: Path, span: str, message: str, hint: str) -> Finding:
    return GuardFinding(rule=rule, action="block", message=message, hint=hint, origin=Origin(rel),
                        span=span, field="output")


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen = set()
    out = []
    for f in findings:
        key = (str(f.origin), f.rule, fold_key(f.span))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def scan_output(folder: Path | list[Path], project: Project, composites: list[Composite],
                report: GuardReport | None = None) -> list[Finding]:
    """Scan every file under `folder` (or each of several) (see module docstring). Every finding is a BLOCK.

    `report`, the check phase's GuardReport for these composites, saves running the guard again.
    """
    scanner = OutputScanner(project, composites, report)
    folders = folder if isinstance(folder, list) else [folder]
    return [f for one in folders for f in scanner.scan(one)]
