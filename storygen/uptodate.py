"""Is `build/` already up to date? An input fingerprint, the way make and ninja decide.

Before anything is loaded, `fingerprint()` hashes (blake2b, each file read once)
everything that can change what a build writes:

- every file of the project (storygen.toml, narratives/ including private/,
  templates/, assets/, anything else beside them) except the build output, the
  cache and dot-folders (git, staging folders): a superset of what the build reads;
- files the settings name (fields of storygen.toml and the video theme declared as
  paths in config.py: a piper voice model, the video theme's fonts), wherever they lie;
- storygen's own package files (code, theme, word lists);
- the Python version and every installed distribution's name and version;
- every field of the build options (options.BuildOptions), the environment variables
  that reach the output (SOURCE_DATE_EPOCH, STORYGEN_*, locale, time zone,
  IMAGEIO_FFMPEG_EXE) and the external programs the build may run (resolved path,
  size, change time);
- with `--only`, the published folders of the outputs the chosen one reads
  (storygen/outputs.py: the site reads video/).

After a successful publish, `write_stamp()` records the fingerprint and a manifest
of the published files (path, size, modification and change times, inode — like
make, a changed or deleted output means a rebuild) in `build/private/` and, without
the warnings (they quote texts), in the cache. A build is skipped only when both
copies agree, the fingerprint matches and the manifest still describes `build/`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import outputs
from .cache import cache_folder, cache_root
from .config import load_config, setting_paths
from .errors import StorygenError
from .options import BuildOptions
from .project import is_input_folder, read_video_theme

STAMP_NAME = "build-stamp.json"
STAMP_VERSION = 1
ENV_NAMES = ("SOURCE_DATE_EPOCH", "TZ", "LANG", "LANGUAGE", "IMAGEIO_FFMPEG_EXE")
ENV_PREFIXES = ("STORYGEN_", "LC_")
# Programs a build may run; a new version of one may change what it writes.
TOOLS = ("ffmpeg", "ffprobe", "espeak-ng", "espeak", "piper", "pagefind")
_CHUNK = 1 << 20


@dataclass
class UpToDate:
    """What `build()` returns when it skipped: the output folder and the previous build's warnings."""

    out: Path
    warnings: list[str] = field(default_factory=list)


def _hash_file(digest, path: Path) -> None:
    # Only plain files: opening a named pipe waits for a writer for ever, and a link to
    # /dev/zero never ends. The loader refuses such files; here they just mean "not up to date".
    with open(path, "rb", opener=_open_plain) as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)


def _open_plain(path: str, flags: int) -> int:
    import errno
    import stat

    fd = os.open(path, flags | os.O_NONBLOCK)           # a pipe opens at once, without a writer
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a plain file", path)
    os.set_blocking(fd, True)
    return fd


def _hash_tree(digest, root: Path, skip: set[Path]) -> None:
    """Every file under `root` (sorted, by relative name and content), minus `skip` and dot-folders.

    Symlinked folders are followed (an assets/ linked from elsewhere is input too), each
    real folder once, so a link loop ends.
    """
    seen = {root.resolve()}
    for folder, dirs, files in os.walk(root, followlinks=True):
        here = Path(folder)
        keep = []
        for d in sorted(dirs):
            real = (here / d).resolve()
            if is_input_folder(d) and real not in skip and real not in seen:
                seen.add(real)
                keep.append(d)
            elif real in seen and is_input_folder(d):
                digest.update(b"L\0" + (here / d).relative_to(root).as_posix().encode("utf-8", "surrogateescape"))
        dirs[:] = keep
        for name in sorted(files):
            path = here / name
            rel = path.relative_to(root).as_posix()
            digest.update(b"F\0" + rel.encode("utf-8", "surrogateescape") + b"\0")
            try:
                _hash_file(digest, path)
            except OSError as exc:           # unreadable: the build will say so; never "up to date"
                digest.update(f"unreadable {exc.errno} {os.urandom(8).hex()}".encode())
            digest.update(b"\0")


def _stat_line(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return f"{path} missing"
    return f"{path} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"


def _installed() -> list[str]:
    """Names of installed distributions' metadata folders: they carry every version."""
    names = []
    for entry in sys.path:
        try:
            names += sorted(n for n in os.listdir(entry or ".") if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
    return names


def _external_files(project_root: Path) -> list[Path] | None:
    """Files the settings name, which may lie outside the project (None: the settings
    cannot be read, so the build will fail and nothing is up to date)."""
    try:
        return setting_paths(load_config(project_root), project_root) + \
            setting_paths(read_video_theme(project_root), project_root)
    except StorygenError:
        return None


def fingerprint(project_root: Path, options: BuildOptions, default_out: Path | None = None) -> str:
    """The hex digest of every input of a build with `options` (see module docstring).

    `options.out` is the output folder; `default_out`, the configured one, is never
    input either (say, with --out elsewhere).
    """
    root = project_root.resolve()
    out = Path(options.out).resolve()
    digest = hashlib.blake2b(digest_size=32)
    digest.update(f"storygen-uptodate {STAMP_VERSION}\0".encode())
    digest.update(json.dumps(options.fingerprint_data(), sort_keys=True, default=str).encode() + b"\0")
    env = {k: v for k, v in os.environ.items() if k in ENV_NAMES or k.startswith(ENV_PREFIXES)}
    digest.update(json.dumps(sorted(env.items())).encode() + b"\0")
    digest.update(f"{sys.version}\0{sys.executable}\0{sys.platform}\0".encode())
    digest.update("\n".join(_installed()).encode("utf-8", "surrogateescape") + b"\0")
    for tool in TOOLS:
        exe = shutil.which(tool)
        digest.update((_stat_line(Path(exe).resolve()) if exe else f"{tool} absent").encode() + b"\0")
    skip = {out, cache_root(root).resolve()} | ({default_out.resolve()} if default_out else set())
    digest.update(b"project\0")
    _hash_tree(digest, root, skip)
    external = _external_files(root)
    if external is None:
        digest.update(os.urandom(16))
    for path in external or []:
        digest.update(b"external\0" + str(path).encode() + b"\0")
        if path.is_file():
            _hash_file(digest, path)
    digest.update(b"package\0")
    _hash_tree(digest, Path(__file__).resolve().parent, set())
    for name in outputs.inputs_published(options.only):
        # e.g. the site embeds the videos already published beside it.
        digest.update(f"published {name}\0".encode() + manifest(out, [name]).encode() + b"\0")
    return digest.hexdigest()


def manifest(out: Path, parts: list[str]) -> str:
    """A digest of the published files' names and stat data (the stamp itself left out)."""
    digest = hashlib.blake2b(digest_size=32)
    for part in sorted(parts):
        base = out / part
        digest.update(f"part {part} {base.is_dir()}\0".encode())
        for folder, dirs, files in os.walk(base):
            dirs.sort()
            here = Path(folder)
            # A folder's own times change when the stamp is written into it: its name is enough.
            digest.update(b"D " + str(here).encode("utf-8", "surrogateescape") + b"\0")
            for name in sorted(files):
                if part == "private" and here == base and name == STAMP_NAME:
                    continue
                digest.update(b"F " + _stat_line(here / name).encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def _cache_stamp(project_root: Path, out: Path) -> Path:
    key = hashlib.blake2b(str(out.resolve()).encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()
    return cache_folder(project_root.resolve(), "uptodate") / f"{key}.json"


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == STAMP_VERSION else None


def check_stamp(project_root: Path, out: Path, parts: list[str], fingerprint_hex: str) -> UpToDate | None:
    """An `UpToDate` if `out` was built from exactly these inputs and is unchanged since; else None."""
    published = _read(out / "private" / STAMP_NAME)
    cached = _read(_cache_stamp(project_root, out))
    if published is None or cached is None:
        return None
    keys = ("fingerprint", "manifest", "parts")
    if any(published.get(k) != cached.get(k) for k in keys):
        return None
    if published["fingerprint"] != fingerprint_hex or published["parts"] != sorted(parts):
        return None
    if any(not (out / part).is_dir() for part in parts):
        return None
    if manifest(out, parts) != published["manifest"]:
        return None
    warnings = published.get("warnings")
    return UpToDate(out, [str(w) for w in warnings] if isinstance(warnings, list) else [])


def write_stamp(project_root: Path, out: Path, parts: list[str], fingerprint_hex: str,
                warnings: list[str]) -> None:
    """Record a successful publish (see module docstring). Failures only cost a rebuild next time."""
    stamp = {"version": STAMP_VERSION, "fingerprint": fingerprint_hex, "parts": sorted(parts),
             "manifest": manifest(out, parts)}
    targets = [(out / "private" / STAMP_NAME, {**stamp, "warnings": warnings}),
               (_cache_stamp(project_root, out), stamp)]
    for path, data in targets:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(path.name + ".tmp")
            temp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                            encoding="utf-8")
            temp.replace(path)
        except OSError:
            pass

