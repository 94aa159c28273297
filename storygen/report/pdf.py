"""The report's PDF: pictures prepared for print, then Typst compiles report.typ.

Typst (the `typst` package on PyPI ships the compiler, with its own fonts) was
chosen over WeasyPrint because it installs from pip alone (WeasyPrint needs
Pango from the system) and writes tagged PDF/UA-1 — headings, figures with alt
text, table headers, bookmarks, language, title — checked by the compiler as it
writes. The document's data goes in as JSON through `sys.inputs`, so interview
text is never parsed as Typst markup.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

from ..cache import cache_folder
from ..config import FONT_DIR
from ..errors import AssetError, RenderError

TEMPLATE = Path(__file__).with_name("report.typ")
MAX_WIDTH = 1400          # pixels: a full text width at about 220 dpi
JPEG_QUALITY = 85
PICTURE_VERSION = "1"     # bump when the preparation below changes


def locate_logo(root: Path, name: str) -> Path:
    """`[report] logo`, a path from the project root, checked to be inside the project."""
    source = (root / name).resolve()
    if not source.is_relative_to(root.resolve()):
        raise AssetError(f"[report] logo {name!r} is outside the project", path="storygen.toml",
                         hint="keep the logo in the project, e.g. assets/logo.png")
    if not source.is_file():
        raise AssetError(f"[report] logo {name!r} not found", path="storygen.toml",
                         hint="add the file or fix the path")
    return source


def prepare(source: Path, cache: Path) -> Path:
    """The picture scaled for print with no metadata (EXIF, XMP, comments), cached by content.

    The PDF embeds the picture's bytes as they are, so metadata left in would be
    published inside it: only pixels (and the colour profile) go in.
    """
    data = source.read_bytes()
    key = hashlib.blake2b(data + PICTURE_VERSION.encode(), digest_size=16).hexdigest()
    for suffix in (".jpg", ".png"):
        found = cache / f"{key}{suffix}"
        if found.is_file():
            return found
    with Image.open(source) as im:
        im.load()
        clean = ImageOps.exif_transpose(im) or im.copy()
        icc = im.info.get("icc_profile")
    alpha = clean.mode in ("RGBA", "LA", "PA") or (clean.mode == "P" and "transparency" in clean.info)
    clean = clean.convert("RGBA" if alpha else "RGB")
    if clean.width > MAX_WIDTH:
        clean = clean.resize((MAX_WIDTH, round(clean.height * MAX_WIDTH / clean.width)), Image.LANCZOS)
    clean.info = {}
    options = {"icc_profile": icc} if icc else {}
    target = cache / f"{key}{'.png' if alpha else '.jpg'}"
    cache.mkdir(parents=True, exist_ok=True)
    temp = target.with_suffix(f".{os.getpid()}.tmp")
    if alpha:
        clean.save(temp, format="PNG", **options)
    else:
        clean.save(temp, format="JPEG", quality=JPEG_QUALITY, **options)
    temp.replace(target)
    return target


class Pictures:
    """The pictures one report uses, prepared once each and laid out in a folder Typst reads."""

    def __init__(self, project_root: Path, folder: Path):
        self.root = project_root
        self.folder = folder
        self.cache = cache_folder(project_root, "report")
        self.files: dict[Path, str] = {}

    def add(self, source: Path) -> str:
        """The path Typst uses for `source` (a file the preflight checked)."""
        if source not in self.files:
            try:
                prepared = prepare(source, self.cache)
            except OSError:                  # a read-only cache: prepare in the job's folder
                prepared = prepare(source, self.folder / ".prepared")
            name = f"p{len(self.files)}{prepared.suffix}"
            shutil.copyfile(prepared, self.folder / name)
            self.files[source] = "/" + name
        return self.files[source]


def compile_pdf(data: dict, root: Path) -> bytes:
    """The PDF of `data` (content.document), with pictures under `root`. Same input, same bytes."""
    import typst

    try:
        return typst.compile(TEMPLATE.read_bytes(), root=str(root), font_paths=[str(FONT_DIR)],
                             ignore_system_fonts=True, sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
                             pdf_standards=["ua-1"], format="pdf")
    except typst.TypstError as exc:
        hints = "; ".join(getattr(exc, "hints", []) or [])
        raise RenderError(f"the report's PDF could not be written: {getattr(exc, 'message', exc)}",
                          hint=hints or "check the pictures' alt text and the [report] settings") from None


def scratch() -> tempfile.TemporaryDirectory:
    """A private folder for the pictures Typst reads: never inside the published output."""
    return tempfile.TemporaryDirectory(prefix="storygen-report-")
