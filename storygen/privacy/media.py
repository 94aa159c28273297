"""Metadata in published media: read it for the output scan, strip it for renderers.

Images carry EXIF (camera, GPS, author, XPComment in UTF-16), XMP packets,
JPEG comments and PNG text chunks (tEXt, zTXt and iTXt; the last two may be
compressed, so a byte search alone misses them). Videos carry container
metadata (title, comment, artist…) and may carry subtitle tracks. We read
all of it through Pillow and through the ffmpeg binary that imageio-ffmpeg
ships (`ffmpeg -i` prints the metadata; no ffprobe is needed).
"""
from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

from PIL import ExifTags, Image, ImageOps

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff"})
MEDIA_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".webm", ".mkv", ".mp3", ".m4a", ".aac", ".ogg",
                            ".oga", ".opus", ".wav", ".flac"})
# Container keys that every encoder writes; their values are technical, not personal.
TECHNICAL_KEYS = frozenset({"major_brand", "minor_version", "compatible_brands", "encoder", "handler_name",
                            "vendor_id", "creation_time", "duration", "language", "timecode"})
GPS_IFD = 0x8825
EXIF_IFD = 0x8769


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    import imageio_ffmpeg
    return imageio_ffmpeg.get_ffmpeg_exe()


def _text(value) -> str:
    if isinstance(value, bytes):
        # EXIF XP* fields are UTF-16LE; UserComment starts with an 8-byte charset tag.
        if value[:8] in (b"ASCII\x00\x00\x00", b"UNICODE\x00", b"\x00" * 8):
            enc = "utf-16" if value[:8] == b"UNICODE\x00" else "latin-1"
            return value[8:].decode(enc, errors="replace").strip("\x00 ")
        if len(value) > 1 and value[1:2] == b"\x00":
            return value.decode("utf-16-le", errors="replace").strip("\x00 ")
        return value.decode("utf-8", errors="replace").strip("\x00 ")
    if isinstance(value, tuple):
        return " ".join(_text(v) for v in value)
    return str(value)


def image_metadata(path: Path) -> tuple[list[tuple[str, str]], bool]:
    """([(field, text)], has_gps) for an image file. Pixel data is ignored."""
    fields: list[tuple[str, str]] = []
    has_gps = False
    with Image.open(path) as im:
        exif = im.getexif()
        for tag, value in exif.items():
            if tag in (GPS_IFD, EXIF_IFD):
                continue
            fields.append((f"EXIF {ExifTags.TAGS.get(tag, tag)}", _text(value)))
        for ifd_id, label in ((EXIF_IFD, "EXIF"), (GPS_IFD, "GPS")):
            try:
                ifd = exif.get_ifd(ifd_id)
            except Exception:            # a malformed IFD is not our problem to repair
                ifd = {}
            if ifd and ifd_id == GPS_IFD:
                has_gps = True
            for tag, value in ifd.items():
                name = (ExifTags.GPSTAGS if ifd_id == GPS_IFD else ExifTags.TAGS).get(tag, tag)
                if name in ("MakerNote",):
                    continue
                fields.append((f"{label} {name}", _text(value)))
        for key, value in im.info.items():
            if key in ("exif", "icc_profile", "dpi", "jfif", "jfif_version", "jfif_unit", "jfif_density",
                       "progression", "progressive", "adobe", "adobe_transform", "gamma", "transparency",
                       "duration", "loop", "background", "interlace", "aspect", "srgb", "chromaticity"):
                continue
            fields.append((f"info {key}", _text(value)))
        text_chunks = getattr(im, "text", None)      # PNG: tEXt, zTXt, iTXt (decompressed)
        if isinstance(text_chunks, dict):
            for key, value in text_chunks.items():
                if ("info " + key, _text(value)) not in fields:
                    fields.append((f"PNG text {key}", _text(value)))
    return [(k, v) for k, v in fields if v.strip()], has_gps


def strip_image_metadata(path: Path) -> None:
    """Rewrite `path` with its pixels only: no EXIF, XMP, comments or text chunks.

    The EXIF orientation is applied first, so the picture still looks the same.
    """
    path = Path(path)
    with Image.open(path) as im:
        if getattr(im, "is_animated", False):
            raise ValueError(f"{path}: animated images are not supported; export a still image")
        im.load()
        fmt = im.format
        clean = ImageOps.exif_transpose(im)
        if clean is None:
            clean = im.copy()
        icc = im.info.get("icc_profile")
        transparency = im.info.get("transparency")
    clean.info = {}
    options: dict = {}
    if icc:
        options["icc_profile"] = icc        # colour only, needed to look right
    if transparency is not None:
        options["transparency"] = transparency   # a palette image's see-through colour, not metadata
    if fmt == "JPEG":
        options.update(quality=92, optimize=True)
    clean.save(path, format=fmt, **options)


_META_LINE = re.compile(r"^(\s+)([^:]+?)\s*:\s?(.*)$")


def media_metadata(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """([(key, value)] from every Metadata: block ffmpeg prints, [subtitle texts])."""
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                          capture_output=True, text=True, errors="replace", timeout=60)
    fields: list[tuple[str, str]] = []
    indent = None
    last_key = None
    subtitles = 0
    for line in proc.stderr.splitlines():
        stripped = line.strip()
        if stripped == "Metadata:":
            indent = len(line) - len(line.lstrip()) + 2
            continue
        if "Subtitle:" in line and line.lstrip().startswith("Stream #"):
            subtitles += 1
        if indent is None:
            continue
        m = _META_LINE.match(line)
        if m and len(m.group(1)) >= indent:
            key, value = m.group(2).strip(), m.group(3)
            if key == "" and last_key:           # ffmpeg continues long values on ":" lines
                fields.append((last_key, value))
            else:
                fields.append((key, value))
                last_key = key
        else:
            indent = None
    texts = []
    for i in range(subtitles):
        sub = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
                              "-map", f"0:s:{i}", "-f", "srt", "-"],
                             capture_output=True, text=True, errors="replace", timeout=60)
        texts.append(sub.stdout)
    return fields, texts


def strip_media_metadata(path: Path) -> None:
    """Rewrite a video/audio file without container or stream metadata (streams copied)."""
    path = Path(path)
    tmp = path.with_name(path.stem + ".stripping" + path.suffix)
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(path),
                    "-map", "0", "-map_metadata", "-1", "-map_metadata:s", "-1", "-map_chapters", "-1",
                    "-c", "copy", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
                    str(tmp)], check=True, capture_output=True, timeout=300)
    tmp.replace(path)
