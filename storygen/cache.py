"""Every cache storygen keeps, declared in one place: where, keyed by what, holding what,
and what makes an entry stale. docs/caching.md is generated from this module
(`python -m storygen.cache > docs/caching.md`) and a test keeps the two equal.

On disk, every cache lives in one folder per project, `<project>/.storygen-cache/`
(git-ignored), or $STORYGEN_CACHE_DIR. Beside the build output, never inside it:
`build/` is swapped atomically by every build, which would throw a cache kept
there away. Every cache under the folder is keyed by content, so deleting the
folder is always safe and only costs time. A module asks `cache_folder(root, NAME)`
for its folder; a name not declared below is an error.

In memory, caches that outlive one build live on the build context
(`storygen/context.py`), which `storygen serve` keeps between rebuilds; the rest
last one build, or are pure functions of their arguments.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CacheSpec:
    name: str           # the folder under the cache root, or the attribute / function
    owner: str          # the module that reads and writes it
    key: str            # what goes into an entry's key
    holds: str          # what an entry stores
    stale: str          # what invalidates an entry (or why nothing needs to)


ON_DISK = (
    CacheSpec("uptodate", "storygen/uptodate.py",
              "a hash of the output folder's path (one stamp per output folder)",
              "the last successful build's input fingerprint (project files, files the settings "
              "point at, storygen's own files, installed packages, build options, environment, "
              "external programs), the outputs published and a manifest of the published files "
              "(name, size, times, inode); a copy with the build's warnings is build/private/build-stamp.json",
              "any change to an input gives a different fingerprint; any change to a published file a "
              "different manifest; both copies must agree, so editing either only costs a rebuild"),
    CacheSpec("site", "storygen/site/cache.py",
              "SHA-256 of every input of the artefact: its public data, the site-wide values, every "
              "template, and CODE_VERSION in site/cache.py",
              "rendered pages, share cards, picture variants, Pagefind bundles, each page's links "
              "(index/links.json) and the templates last found to compile (index/templates.json)",
              "nothing to invalidate: a changed input is a different key. Entries no build used for "
              "7 days are removed (checked at most daily)"),
    CacheSpec("templates", "storygen/compose/assemble.py",
              "the story's slug and Jinja's checksum of its body (Jinja's FileSystemBytecodeCache)",
              "story bodies compiled to Python code",
              "an edited body has a different checksum; a new Jinja version a different bytecode format"),
    CacheSpec("compose", "storygen/compose/memo.py",
              "`traces-PROJECT-CODE.pickle`: PROJECT hashes the project folder, CODE the Jinja and "
              "Python versions and storygen's compose code; inside, one entry per story slug, kept "
              "with the codebook and reading speed it was composed under",
              "what composing each story did (see BuildContext.composites): the story as read, each "
              "excerpt(…)/excerpts(…) call with the ids it returned, a digest of each excerpt used, the "
              "template's output (bridge text and markers; no excerpt text)",
              "a story is composed again when it changed, an excerpt it used changed, or replaying its "
              "calls against this build's allocation returns other ids; another codebook or reading "
              "speed ignores the file; other code starts a new file and removes the project's old one"),
    CacheSpec("speech", "storygen/video/voice.py",
              "blake2b of the speech engine's identity (program path, size and time, voice, speed; "
              "for piper the voice model's path, size and time) and the phrase",
              "one WAV of synthesised speech per caption phrase",
              "a different program, voice, model or phrase is a different key; never pruned"),
    CacheSpec("privacy", "storygen/privacy/detect.py, guard.py, scan.py, ids.py",
              "one file per kind of verdict (storygen/privacy/verdicts.py): `clean-SETTINGS-CODE.txt` "
              "texts found clean, `composites-SETTINGS-CODE.txt` composites found clean, `qi-CODE.txt` "
              "a text's quasi-identifier types; SETTINGS is the guard's settings, CODE a digest of the "
              "detector code and word lists. `files-DIGEST.txt` published files found clean and "
              "`searched-DIGEST.txt` the private values they were searched for; DIGEST covers those "
              "and every team-given private value. `ids-files.txt` and `ids-searched.txt`: the same "
              "for the private-id search alone (guard off, serve previews)",
              "hashes of texts, composites and published files found clean, a text's hash with its "
              "quasi-identifier labels, hashes of values searched for (never a text or a span)",
              "a change of settings, code, word lists or private values starts a new file and removes "
              "the old one"),
    CacheSpec("report", "storygen/report/pdf.py",
              "blake2b of the picture file's bytes and PICTURE_VERSION",
              "the picture scaled for print, without metadata (JPEG, or PNG when it has transparency)",
              "a changed picture is a different key; never pruned"),
    CacheSpec("trash", "storygen/publish.py",
              "none: not a cache",
              "output folders a publish replaced, until a background process deletes them",
              "emptied by the build that filled it"),
    CacheSpec("staging", "storygen/publish.py",
              "none: not a cache",
              "the output a build is writing, named after its process id, until it is published",
              "removed by the build that made it; one left by a killed build is removed by the next build"),
    CacheSpec("studio", "storygen/studio/sitepreview.py, storyboard.py",
              "none: not a cache",
              "the studio's preview of the site (`site-N/`, a preview build as `storygen serve` makes) "
              "and its draft-quality video renders (`videos/`); never published",
              "a preview folder is replaced by the next preview build; the draft videos by the next "
              "render of the same story and format"),
)

IN_MEMORY = (
    CacheSpec("BuildContext.yaml_trees", "storygen/yamlfile.py (through project.load_project)",
              "(file path, line offset)",
              "the file's text and its parsed tree",
              "a different text is parsed again; a file the last load did not read is dropped"),
    CacheSpec("BuildContext.composites", "storygen/compose/memo.py (through compose_all)",
              "story slug",
              "the story's trace (as in the `compose` folder on disk) and its composite; a fresh "
              "context starts from the disk copy",
              "replayed in build order against this build's allocation: a changed story, a changed "
              "excerpt it used, or a call that now returns other ids composes it again; a change "
              "to the codebook or reading speed (BuildContext.compose_basis) empties it; deleted "
              "stories are dropped"),
    CacheSpec("BuildContext.privacy_detectors", "storygen/privacy/guard.py, detect.py",
              "the guard's settings fingerprint",
              "a Detector: the hits of every text it read (Detector._cache), the NER entities read "
              "ahead in a batch, and the clean verdicts loaded from disk",
              "a text is known by its content hash, so an edited text is read again; a change of "
              "settings is another key; lives as long as the context"),
    CacheSpec("BuildContext.private_values", "storygen/privacy/ids.py (for scan.py too)",
              "a hash of every private value searched for (the private ids; with the guard on, the "
              "team's private values too)",
              "the matcher for those values, and the last one compiled from scratch with its values "
              "(\"base\"): up to ids.LAYER_MAX values more or fewer are layered on the base "
              "(privacy.literals.Layered) instead of compiling tens of thousands again",
              "any change to the values (an edit changes a text hash) replaces the matcher; more than "
              "LAYER_MAX changes since the base compile a new base; only the latest is kept"),
    CacheSpec("BuildContext.id_scan", "storygen/privacy/ids.py",
              "a published file's kind and bytes (blake2b); a hash of each value searched for",
              "the `ids-files.txt` and `ids-searched.txt` of the `privacy` folder, loaded once: files "
              "found free of private ids and the values they were searched for (a rebuild searches "
              "those files only for the values added since)",
              "replaced by every scan that passes: only its files are kept; a changed file has a new "
              "key; a failed scan changes nothing"),
    CacheSpec("BuildContext.outputs", "storygen/outputs.py (an output's `new_memory`)",
              "output name", "whatever the output's `new_memory()` made (no built-in output keeps one)",
              "as the output decides"),
)

PER_BUILD = (
    CacheSpec("SelectionIndex and Allocation", "storygen/compose/index.py",
              "code (and each ancestor), role, sector, featured, medium; a distinct query",
              "the excerpts' ranks in query order, per key; each distinct query's answer and "
              "cursor past excerpts earlier stories took",
              "made afresh by every compose_all (0.04 s for 10,000 excerpts)"),
    CacheSpec("site Cache.memo", "storygen/site/cache.py",
              "name of a shared result", "results shared between pages of one build (cards drawn)",
              "made afresh for every build"),
    CacheSpec("asset paths", "storygen/project.py",
              "an asset reference as written in a story", "its resolved path inside assets/",
              "made afresh for every load"),
    CacheSpec("video Faces and AudioFiles", "storygen/video/theme.py, audio.py",
              "(font file, size); audio file path", "loaded fonts; decoded audio",
              "made afresh for every video render (and in each worker process)"),
)

# Functions whose results depend on their arguments alone (text, or storygen's own bundled
# fonts): they can never be stale, so they are remembered module-wide, with a size bound.
PURE_MEMOS = (
    CacheSpec("storygen.public.slugify", "storygen/public.py",
              "heading or theme text", "its anchor slug", "cannot be stale; 4,096 entries"),
    CacheSpec("storygen.site.cards._font", "storygen/site/cards.py",
              "(bold, size)", "the bundled DejaVu font at that size", "cannot be stale"),
    CacheSpec("storygen.site.cards._font_digest", "storygen/site/cards.py",
              "none", "a digest of the bundled fonts", "cannot be stale"),
    CacheSpec("storygen.site.cards._blend", "storygen/site/cards.py",
              "(background, ink) colours", "a 240-step palette", "cannot be stale; 64 entries"),
    CacheSpec("storygen.site.cards._line", "storygen/site/cards.py",
              "(text, bundled font)", "the line drawn as a mask", "cannot be stale; 512 entries"),
)

# The privacy guard's pure memos: word lists, the gazetteer, engines and models read from
# installed packages, and functions of a text alone.
PRIVACY_MEMOS = (
    CacheSpec("storygen.privacy lru caches", "storygen/privacy/names.py, engine.py, media.py, "
              "detect.py, textnorm.py, ner.py, fusion.py, facilities.py, quasi.py",
              "none, a text, or a spaCy pipeline's name", "word lists, the gazetteer, the Presidio engine, "
              "the loaded NER pipeline (two at most), the ffmpeg path, the code digest, folded texts",
              "cannot be stale (package files, installed packages and text)"),
)


def cache_root(project_root: Path) -> Path:
    override = os.environ.get("STORYGEN_CACHE_DIR")
    return Path(override) if override else project_root / ".storygen-cache"


def cache_folder(project_root: Path, name: str) -> Path:
    """The folder of the on-disk cache `name` (declared in ON_DISK) for this project."""
    if name not in {spec.name for spec in ON_DISK}:
        raise ValueError(f"undeclared cache {name!r}: declare it in storygen/cache.py")
    return cache_root(project_root) / name


def read_hashes(path: Path) -> set[str]:
    """A remembered set of content hashes (one per line); empty if absent or unreadable."""
    try:
        return set(path.read_text(encoding="ascii").split())
    except (OSError, UnicodeDecodeError):
        return set()


def write_hashes(path: Path, hashes: set[str], replaces: str) -> None:
    """Write the set atomically, removing older files matching `replaces` (a glob beside it).

    A read-only project still builds, just without the cache, so failures are ignored.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(replaces):
            stale.unlink()
        temp = path.with_suffix(".tmp")
        temp.write_text("\n".join(sorted(hashes)) + "\n", encoding="ascii")
        temp.replace(path)
    except OSError:
        pass


def caching_markdown() -> str:
    """docs/caching.md, from the declarations above."""
    def table(specs, first: str) -> list[str]:
        rows = [f"| {first} | key | holds | stale when | owner |", "|---|---|---|---|---|"]
        rows += [f"| `{s.name}` | {s.key} | {s.holds} | {s.stale} | `{s.owner}` |" for s in specs]
        return rows + [""]

    lines = ["# Caches", "",
             "<!-- Generated from storygen/cache.py by `python -m storygen.cache > docs/caching.md`;",
             "     tests/test_caches.py fails when the two differ. Edit storygen/cache.py, not this file. -->",
             "", *(__doc__ or "").strip().split("\n"), "",
             "## On disk, under `.storygen-cache/`", "", *table(ON_DISK, "folder"),
             "## In memory, between builds (the build context)", "",
             "`build()` makes a fresh `BuildContext` for each build; `storygen serve` keeps one between "
             "rebuilds. These are its caches.", "", *table(IN_MEMORY, "attribute"),
             "## In memory, for one build", "", *table(PER_BUILD, "cache"),
             "## Pure functions remembered module-wide", "",
             "Their results depend on their arguments alone, so they can never be stale.", "",
             *table(PURE_MEMOS + PRIVACY_MEMOS, "function")]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(caching_markdown(), end="")
