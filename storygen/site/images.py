"""Responsive images: WebP and JPEG variants at several widths, cached by content hash.

Variants are named after the source image's stem and a hash of its bytes, so a
replaced photo gets new URLs (safe to cache forever) and an unchanged one is
never re-encoded. Pillow writes no metadata (no EXIF, no ICC, no dates), so
the bytes depend only on the pixels.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from ..errors import AssetError, RenderError
from .cache import Cache, digest, file_digest
from ..parallel import pmap
from ..pictures import locate_picture
from ..public import slugify

WIDTHS = (480, 960, 1600)
JPEG_QUALITY = 82
WEBP_QUALITY = 80


def check_picture(picture, story_file: str) -> None:
    """Alt text is required unless the picture is explicitly decorative."""
    if not picture.decorative and not (picture.alt or "").strip():
        raise RenderError(
            f"image {picture.image!r} has no alt text", path=story_file,
            hint="add `alt:` describing the picture for someone who cannot see it, "
                 "or `decorative: yes` if it adds nothing to the story")


@dataclass(frozen=True)
class Job:
    """One source image to turn into variants (picklable, for the process pool)."""

    key: str
    source: str
    stem: str
    content: str
    name: str        # as written in the story, for error messages
    story_file: str


def locate(assets: Path, picture, story_file: str) -> Path:
    """The picture's file, checked: alt text (or decorative), inside assets/, present."""
    check_picture(picture, story_file)
    return locate_picture(assets, picture.image, story_file)


def plan(assets: Path, picture, story_file: str, cache: Cache) -> Job:
    """Check the picture and work out its cache key (reads each file once per build)."""
    check_picture(picture, story_file)
    found = cache.memo.get(f"image:{picture.image}")
    if found is None:  # each file is checked and read once per build, however many stories use it
        source = locate(assets, picture, story_file)
        found = cache.memo[f"image:{picture.image}"] = (source, file_digest(source))
    source, content = found
    stem = slugify(Path(picture.image).stem)[:40]
    # The stem is part of the key: file names must not depend on which story came first.
    key = digest("image", content, stem, WIDTHS, JPEG_QUALITY, WEBP_QUALITY)
    return Job(key, str(source), stem, content, picture.image, story_file)


def encode(job: Job) -> dict:
    """All variants of one image: {"width", "height", "files": [(name, width, bytes)]}."""
    try:
        with Image.open(job.source) as im:
            im = ImageOps.exif_transpose(im)  # respect camera rotation, then drop EXIF
            im = im.convert("RGB")
    except (OSError, ValueError) as exc:
        return {"error": f"image {job.name!r} cannot be read: {exc}"}
    width, height = im.size
    widths = sorted({w for w in WIDTHS if w < width} | {min(width, WIDTHS[-1])})
    files = []
    for w in widths:
        h = max(1, round(height * w / width))
        # reducing_gap: shrink by whole factors first, then Lanczos (4× faster, same look).
        resized = im if w == width else im.resize((w, h), Image.LANCZOS, reducing_gap=3.0)
        for ext, save in (("jpg", dict(format="JPEG", quality=JPEG_QUALITY, progressive=True)),
                          ("webp", dict(format="WEBP", quality=WEBP_QUALITY, method=4))):
            buf = io.BytesIO()
            resized.save(buf, **save)
            files.append((f"{job.stem}-{job.content[:10]}-{w}.{ext}", w, buf.getvalue()))
    top = widths[-1]  # the largest variant's size is the img's intrinsic size for layout
    return {"width": top, "height": max(1, round(height * top / width)), "files": files}


def build_all(jobs: list[Job], cache: Cache, out) -> dict[str, dict]:
    """Write the variants of every job (encoding only cache misses); key -> manifest."""
    manifests: dict[str, dict] = {}
    todo: dict[str, Job] = {}
    for job in jobs:
        if job.key in manifests or job.key in todo:
            continue
        manifest = cache.get_json("image-manifest", job.key)
        if manifest is not None and all(cache.get("image", f"{job.key}-{f['file']}")
                                        for f in manifest["files"]):
            manifests[job.key] = manifest
        else:
            todo[job.key] = job
    for job, result in zip(todo.values(), pmap(encode, list(todo.values()), min_items=4)):
        if "error" in result:
            raise AssetError(result["error"], path=job.story_file, hint="save it again as JPEG or PNG")
        files = []
        for name, width, data in result["files"]:
            cache.put("image", f"{job.key}-{name}", data)
            out.write_bytes(f"images/{name}", data)
            files.append({"file": name, "width": width})
        manifest = {"width": result["width"], "height": result["height"], "files": files}
        cache.put_json("image-manifest", job.key, manifest)
        manifests[job.key] = manifest
    for key, manifest in manifests.items():
        for f in manifest["files"]:
            stored = cache.get("image", f"{key}-{f['file']}")
            if stored is not None:
                out.copy(f"images/{f['file']}", stored)
    return manifests


def descriptor(picture, manifest: dict) -> dict:
    """The public description of a picture for the templates."""
    files = manifest["files"]
    jpeg = [{"url": f"images/{v['file']}", "width": v["width"]} for v in files if v["file"].endswith(".jpg")]
    webp = [{"url": f"images/{v['file']}", "width": v["width"]} for v in files if v["file"].endswith(".webp")]
    middle = jpeg[min(1, len(jpeg) - 1)]
    return {
        "alt": "" if picture.decorative else picture.alt,
        "caption": picture.caption, "credit": picture.credit,
        "width": manifest["width"], "height": manifest["height"],
        "fallback": middle["url"], "jpeg": jpeg, "webp": webp,
    }
