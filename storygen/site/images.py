"""Responsive images: WebP and JPEG variants at several widths, cached by content hash.

Variants are named after the source image's stem and a hash of its bytes, so a
replaced photo gets new URLs (safe to cache forever) and an unchanged one is
never re-encoded. Pillow writes no metadata (no EXIF, no ICC, no dates), so
the bytes depend only on the pixels.
"""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

from ..errors import AssetError, RenderError
from .cache import Cache, digest, file_digest
from .public import slugify

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


def variants(assets: Path, picture, story_file: str, cache: Cache, out) -> dict:
    """Write the picture's variants into the site; return the public descriptor for templates."""
    check_picture(picture, story_file)
    source = (assets / picture.image).resolve()
    if not source.is_relative_to(assets.resolve()):
        raise AssetError(f"image {picture.image!r} is outside assets/", path=story_file,
                         hint="images must live in the project's assets/ folder")
    if not source.is_file():
        raise AssetError(f"image {picture.image!r} not found in assets/", path=story_file,
                         hint=f"add the file at assets/{picture.image} or fix the path")
    content = cache.memo.get(f"file:{source}")
    if content is None:  # one read per image per build, however many stories use it
        content = cache.memo[f"file:{source}"] = file_digest(source)
    stem = slugify(Path(picture.image).stem)[:40]
    # The stem is part of the key: file names must not depend on which story came first.
    key = digest("image", content, stem, WIDTHS, JPEG_QUALITY, WEBP_QUALITY)
    manifest = cache.memo.get(key)
    if manifest is not None:
        pass  # already written by another story this build
    elif ((manifest := cache.get_json("image-manifest", key)) is None
          or not all(cache.get("image", f"{key}-{v['file']}") for v in manifest["files"])):
        manifest = _encode(source, picture, story_file, key, cache, out, stem, content)
    else:
        for v in manifest["files"]:
            out.copy(f"images/{v['file']}", cache.get("image", f"{key}-{v['file']}"))
    cache.memo[key] = manifest
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


def _encode(source: Path, picture, story_file: str, key: str, cache: Cache, out,
            stem: str, content: str) -> dict:
    try:
        with Image.open(source) as im:
            im = ImageOps.exif_transpose(im)  # respect camera rotation, then drop EXIF
            im = im.convert("RGB")
    except (OSError, ValueError) as exc:
        raise AssetError(f"image {picture.image!r} cannot be read: {exc}", path=story_file,
                         hint="save it again as JPEG or PNG") from None
    width, height = im.size
    widths = sorted({w for w in WIDTHS if w < width} | {min(width, WIDTHS[-1])})
    files = []
    for w in widths:
        h = max(1, round(height * w / width))
        resized = im if w == width else im.resize((w, h), Image.LANCZOS)
        for ext, save in (("jpg", dict(format="JPEG", quality=JPEG_QUALITY, progressive=True)),
                          ("webp", dict(format="WEBP", quality=WEBP_QUALITY, method=4))):
            buf = io.BytesIO()
            resized.save(buf, **save)
            name = f"{stem}-{content[:10]}-{w}.{ext}"
            stored = cache.put("image", f"{key}-{name}", buf.getvalue())
            if stored is not None:
                out.copy(f"images/{name}", stored)
            else:
                out.write_bytes(f"images/{name}", buf.getvalue())
            files.append({"file": name, "width": w})
    # Height of the largest variant: the img's intrinsic size for layout.
    top = widths[-1]
    manifest = {"width": top, "height": max(1, round(height * top / width)), "files": files}
    cache.put_json("image-manifest", key, manifest)
    return manifest
