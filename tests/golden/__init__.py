"""The golden build: the sample project, built, compared against a committed copy.

Pelican's functional tests are the model: any change to what a build writes
shows as a diff here, intended or not. What is compared:

- text outputs byte for byte: every page, feed, the sitemap, robots.txt, the
  theme's CSS and JS, the video cue lists (.vtt, .srt) and transcripts, and the
  private provenance map (build/private/provenance.json);
- the search fragments Pagefind writes (gzip-compressed JSON), decompressed and
  keyed by page address, so a Pagefind release that renames its files does not
  count as a change of ours; the rest of Pagefind's bundle by kind of file only;
- the report's PDF by its text layer (PDFium) and its pages, title, language and
  top-level bookmarks (qpdf); the Word review pack by its paragraphs with their
  styles, its tables and comments (python-docx);
- binary outputs by their probed properties: videos by what ffmpeg reports
  (read through moviepy's probe: codec, profile, size, frame rate, frame count,
  audio rate, duration within a tolerance), pictures by format, size and mode;
- the private audit trail, without the installed Presidio's version number.

The sample is copied to a temporary folder and built with a fixed
SOURCE_DATE_EPOCH, an empty cache and small draft video (180-pixel frames at
24 frames a second; the cue lists and transcripts are those of this size), so
the build is deterministic and takes well under a minute.

Refresh the committed copy on purpose, after a change you meant to make:

    .venv/bin/python -m tests.golden --refresh

and read `git diff tests/golden/` before committing it.
"""
from __future__ import annotations

import difflib
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "sample"
# What of the repository is the sample project (README: "The repository root is itself a working sample").
SAMPLE_PARTS = ("storygen.toml", "narratives", "assets", "templates")
EPOCH = "1767225600"          # 2026-01-01T00:00:00Z
# Smallest video the sample renders in reasonable time; the layout scales with the frame.
VIDEO_OVERRIDES = "size = 180\nfps = 24\n"
BUILD_ARGS = ("--quality", "draft", "--jobs", "2", "--with-provenance")

TEXT_SUFFIXES = frozenset({".html", ".xml", ".txt", ".vtt", ".srt", ".css", ".js", ".json"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif"})
VIDEO_SUFFIXES = frozenset({".mp4"})
PAGEFIND = "site/search/index/"           # Pagefind's own bundle: fragments compared, the rest by kind
SKIPPED = frozenset({"private/build-stamp.json"})   # machine paths and tool versions: not output
AUDIT = "private/audit.json"              # compared without the installed Presidio's version
DURATION_TOLERANCE = 0.1      # seconds
FRAME_TOLERANCE = 1


# --- building -------------------------------------------------------------------

def copy_sample(dest: Path, tree: Path = REPO) -> Path:
    """The sample project of `tree` (default: this repository), copied to `dest` (also used by
    other tests and benchmarks)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_PARTS:
        source = tree / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        elif source.is_file():
            shutil.copy2(source, dest / name)
    return dest


def small_video(project: Path) -> None:
    """The golden build's video settings, added to the project's [video] table."""
    config = project / "storygen.toml"
    text = config.read_text(encoding="utf-8")
    if "\n[video]\n" not in text:
        text += "\n[video]\n"
    config.write_text(text.replace("\n[video]\n", "\n[video]\n" + VIDEO_OVERRIDES, 1), encoding="utf-8")


def build_sample(workdir: Path) -> Path:
    """Copy and build the sample in `workdir`; returns the output folder (raises on failure)."""
    project = copy_sample(workdir / "project")
    small_video(project)
    out = workdir / "out"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "STORYGEN_CACHE_DIR": str(workdir / "cache"),
           "TZ": "UTC", "LC_ALL": "C.UTF-8"}
    run = subprocess.run([sys.executable, "-m", "storygen", "build", "--project", str(project),
                          "--out", str(out), "--force", *BUILD_ARGS],
                         capture_output=True, text=True, env=env, cwd=workdir)
    if run.returncode != 0:
        raise RuntimeError(f"the golden build failed (exit {run.returncode}):\n{run.stdout}{run.stderr}")
    return out


# --- describing an output folder ------------------------------------------------

def snapshot(out: Path) -> dict[str, str]:
    """Every compared file as text: relative name -> content (text files) or description.

    Descriptions of binary files are JSON; `properties.json` gathers them in the
    committed copy, so one file shows every probed value.
    """
    texts: dict[str, str] = {}
    properties: dict[str, dict] = {}
    fragments: dict[str, object] = {}
    bundle: set[str] = set()
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if rel in SKIPPED:
            continue
        if rel.startswith(PAGEFIND):
            if path.suffix == ".pf_fragment":
                data = json.loads(_pagefind_json(path))
                fragments[data.get("url", rel)] = data
            bundle.add(_kind_of(path.name))
            continue
        suffix = path.suffix.lower()
        if rel == AUDIT:
            texts[rel] = _audit(path)
        elif suffix in TEXT_SUFFIXES:
            texts[rel] = path.read_text(encoding="utf-8")
        elif suffix in VIDEO_SUFFIXES:
            properties[rel] = probe_video(path)
        elif suffix in IMAGE_SUFFIXES:
            properties[rel] = probe_image(path)
        elif suffix == ".pdf":
            texts[rel + ".txt"] = pdf_text(path)
            properties[rel] = probe_pdf(path)
        elif suffix == ".docx":
            texts[rel + ".txt"] = docx_text(path)
        else:
            properties[rel] = {"bytes": path.stat().st_size}
    texts["properties.json"] = _json(properties)
    texts["search-fragments.json"] = _json(fragments)
    texts["search-bundle.txt"] = "".join(f"{kind}\n" for kind in sorted(bundle))
    return texts


def _pagefind_json(path: Path) -> str:
    data = gzip.decompress(path.read_bytes()).decode("utf-8")
    return data[len("pagefind_dcd"):] if data.startswith("pagefind_dcd") else data


def _audit(path: Path) -> str:
    data = json.loads(path.read_text(encoding="utf-8"))
    presidio = data.get("settings", {}).get("presidio", {})
    if "version" in presidio:
        presidio["version"] = "(installed)"
    return _json(data)


def _kind_of(name: str) -> str:
    """A Pagefind file's kind: its name with content hashes and languages left out."""
    return re.sub(r"^(pagefind|wasm|en)[._][^.]*\.", r"\1.*.", re.sub(r"_[0-9a-f]{6,}", "_*", name))


def _json(value) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def probe_video(path: Path) -> dict:
    """What ffmpeg reports about a video, through moviepy's probe (independent of storygen's)."""
    from moviepy.video.io.ffmpeg_reader import ffmpeg_parse_infos

    info = ffmpeg_parse_infos(str(path))
    streams = [{key: stream.get(key) for key in ("stream_type", "codec_name", "profile", "size", "fps")
                if stream.get(key) is not None}
               for source in info.get("inputs", []) for stream in source.get("streams", [])]
    return {"duration": info.get("duration"), "frames": info.get("video_n_frames"), "streams": streams}


def probe_image(path: Path) -> dict:
    from PIL import Image

    with Image.open(path) as image:
        return {"format": image.format, "size": list(image.size), "mode": image.mode}


def pdf_text(path: Path) -> str:
    """A PDF's text layer as PDFium reads it, page by page."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return "".join(f"--- page {n} ---\n{page.get_textpage().get_text_range().replace(chr(13), '')}\n"
                       for n, page in enumerate(document, 1))
    finally:
        document.close()


def docx_text(path: Path) -> str:
    """A Word file as python-docx reads it: each paragraph with its style, the tables, the comments."""
    import docx

    document = docx.Document(str(path))
    lines = [f"[{p.style.name}] {p.text}" for p in document.paragraphs]
    lines += [f"[table] {' | '.join(c.text for c in row.cells)}" for t in document.tables for row in t.rows]
    lines += [f"[comment {c.author}] {c.text}" for c in document.comments]
    return "\n".join(lines) + "\n"


def probe_pdf(path: Path) -> dict:
    """What qpdf reads of a PDF's document-level structure: pages, title, language, bookmarks."""
    import pikepdf

    with pikepdf.open(path) as pdf, pdf.open_outline() as outline:
        return {"pages": len(pdf.pages), "title": str(pdf.docinfo.get("/Title", "")),
                "lang": str(pdf.Root.get("/Lang", "")), "bookmarks": [item.title for item in outline.root]}


# --- comparing ------------------------------------------------------------------

def read_golden(folder: Path = GOLDEN) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file()}


def differences(actual: dict[str, str], golden: dict[str, str], lines_per_file: int = 40) -> list[str]:
    """Human-readable differences, empty when the build matches the committed copy."""
    problems = []
    for rel in sorted(golden.keys() - actual.keys()):
        problems.append(f"missing from the build: {rel}")
    for rel in sorted(actual.keys() - golden.keys()):
        problems.append(f"new in the build (not in the golden copy): {rel}")
    for rel in sorted(actual.keys() & golden.keys()):
        want, got = golden[rel], actual[rel]
        if rel == "properties.json":
            problems += _property_differences(json.loads(want), json.loads(got))
        elif want != got:
            diff = list(difflib.unified_diff(want.splitlines(), got.splitlines(), f"golden/{rel}",
                                             f"build/{rel}", lineterm="", n=1))
            more = len(diff) - lines_per_file
            problems.append("\n".join(diff[:lines_per_file] + ([f"… {more} more lines"] if more > 0 else [])))
    return problems


def _property_differences(want: dict, got: dict) -> list[str]:
    problems = []
    for rel in sorted(want.keys() | got.keys()):
        a, b = want.get(rel), got.get(rel)
        if a is None or b is None:
            problems.append(f"{'missing from the build' if b is None else 'new in the build'}: {rel}")
        elif not _same_properties(a, b):
            problems.append(f"{rel}: golden {json.dumps(a, sort_keys=True)}\n{' ' * len(rel)}  build  "
                            f"{json.dumps(b, sort_keys=True)}")
    return problems


def _same_properties(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if key == "duration" and x is not None and y is not None:
            if abs(x - y) > DURATION_TOLERANCE:
                return False
        elif key == "frames" and x is not None and y is not None:
            if abs(x - y) > FRAME_TOLERANCE:
                return False
        elif x != y:
            return False
    return True


def refresh(out: Path, folder: Path = GOLDEN) -> None:
    """Replace the committed copy with what `out` holds."""
    shutil.rmtree(folder, ignore_errors=True)
    for rel, text in snapshot(out).items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__.split("\n")[0])
    parser.add_argument("--refresh", action="store_true", help="rewrite tests/golden/sample from a fresh build")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="storygen-golden-") as tmp:
        out = build_sample(Path(tmp))
        if args.refresh:
            refresh(out)
            print(f"golden copy refreshed in {GOLDEN.relative_to(REPO)}/: review `git diff` before committing")
            return 0
        problems = differences(snapshot(out), read_golden())
    for problem in problems:
        print(problem)
    print("the build matches the golden copy" if not problems else
          f"{len(problems)} differences (refresh on purpose with: python -m tests.golden --refresh)")
    return 1 if problems else 0
