"""The studio's only way to change a file: a round-trip edit, validated, atomic, inside narratives/.

- Round trip: ruamel.yaml (round-trip mode) re-writes the YAML keeping comments, key order,
  quoting and block or flow style; a file whose unchanged round trip is not byte-identical
  under any of the indent layouts tried is refused rather than reformatted, so a save never
  changes lines it did not mean to (users review changes in git). CRLF line ends and a
  UTF-8 byte-order mark are kept. In a story only the front matter goes through YAML; the
  body's bytes are kept as they are.
- Validated by the project's own loader: the new text is read with every other file in a
  mirror of the project (symbolic links, nothing copied) by `load_project`, the loader
  `storygen check` uses; a file it refuses is not written and the studio shows its message.
- Never over another editor's change: each form carries the digest of the file as the page
  read it, and a save is refused when the file on disk no longer has that digest.
- Atomic: a temporary file beside the target, flushed to disk, then os.replace.
- Inside narratives/: the target is resolved (symbolic links too) and must lie under the
  project's narratives/ folder.
"""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path

from ruamel.yaml import YAML

from ..errors import StorygenError
from ..project import NARRATIVES, load_project

# (mapping, sequence, offset) indents tried for a round trip: block lists indented under
# their key (`excerpts:\n  - id:`) and flush with it (`- id:` at the key's column).
LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 6, 4), (4, 4, 0))


class WriteRefused(StorygenError):
    """A save the studio will not make; the message says why and what to do."""


class Conflict(WriteRefused):
    """The file changed on disk since the page read it."""

    def __init__(self, message: str, *, path: Path, on_disk: str, attempted: str):
        super().__init__(message, path=path, hint="your change was not saved: reload the page to see the file "
                                                  "as it is now, then make your change again")
        self.on_disk = on_disk
        self.attempted = attempted


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inside_narratives(root: Path, rel: Path | str) -> Path:
    """The file `rel` names, refused unless it lies inside the project's narratives/ folder."""
    base = (root / NARRATIVES).resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(base) or target == base:
        raise WriteRefused("the studio writes only files inside narratives/", path=rel)
    return target


class _Text:
    """A file's text as the loader sees it, and how to give it back its own line ends and BOM."""

    def __init__(self, data: bytes):
        self.bom = data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8-sig")
        self.crlf = "\r\n" in text
        self.text = text.replace("\r\n", "\n")

    def encode(self, text: str) -> bytes:
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode("utf-8")


def _yaml(layout) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 20                 # never re-wrap a long line
    yaml.indent(mapping=layout[0], sequence=layout[1], offset=layout[2])
    return yaml


def _dump(yaml: YAML, data) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def edit_yaml(text: str, change, *, path: Path | str) -> str:
    """`text` with `change(tree)` applied, every other byte kept; WriteRefused if that cannot be promised."""
    for layout in LAYOUTS:
        yaml = _yaml(layout)
        try:
            if _dump(yaml, yaml.load(text)) != text:
                continue
        except Exception:
            break
        tree = yaml.load(text)
        change(tree)
        return _dump(yaml, tree)
    raise WriteRefused("the studio cannot change this file without re-formatting it", path=path,
                       hint="make this change in a text editor; the studio only saves edits that change "
                            "just the lines they mean to")


def edit_front_matter(text: str, change, *, path: Path | str) -> str:
    """A story file with `change` applied to its front matter; the body is kept byte for byte."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise WriteRefused("the story has no front matter between `---` lines", path=path, line=1)
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            front = "\n".join(lines[1:end]) + "\n"
            new_front = edit_yaml(front, change, path=path)
            return "\n".join([lines[0], new_front.rstrip("\n"), *lines[end:]])
    raise WriteRefused("the story's front matter is never closed", path=path, line=1)


MIRRORED = ("storygen.toml", "narratives", "assets", "templates")    # what the loader reads


def validate(root: Path, rel: Path, data: bytes) -> None:
    """Load the project as it would be with `rel` holding `data`; raise the loader's error if any.

    The loader's inputs are mirrored into a temporary folder inside the project (so on the
    same file system) with hard links, not symbolic ones: the loader refuses a link that
    leads out of the project it reads (storygen/paths.py), and a hard link is the file
    itself, so nothing is copied and the real project is never touched. Errors name
    project-relative paths, as the CLI prints them.
    """
    root = root.resolve()
    with tempfile.TemporaryDirectory(prefix=".storygen-studio-check-", dir=root) as tmp:
        shadow = Path(tmp)
        for name in MIRRORED:
            _mirror(root / name, shadow / name)
        target = shadow / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)          # a hard link: writing through it would change the real file
        target.write_bytes(data)
        load_project(shadow)


def _mirror(source: Path, target: Path) -> None:
    """Hard-link `source` (a file, or a folder's files) at `target`; copy across file systems.
    Symbolic links are re-made as they are, so the loader still refuses one that leads out."""
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
    elif source.is_dir():
        target.mkdir()
        for entry in os.scandir(source):
            _mirror(Path(entry.path), target / entry.name)
    elif source.is_file():
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)


def write(root: Path, rel: Path | str, expected_digest: str, make_new, *, attempted: str = "") -> bytes:
    """Change the file `rel` (project-relative) with `make_new(text) -> text`, safely (see module doc).

    Returns the bytes written. Raises Conflict when the file's digest is no longer
    `expected_digest`, WriteRefused or the loader's ProjectError when the result is refused.
    """
    rel = Path(rel)
    target = inside_narratives(root, rel)
    old = target.read_bytes()
    if digest(old) != expected_digest:
        raise Conflict("this file changed on disk after the page was opened (another editor, or a git pull)",
                       path=rel, on_disk=old.decode("utf-8", "replace"), attempted=attempted)
    text = _Text(old)
    new = text.encode(make_new(text.text))
    if new == old:
        return old
    validate(root, rel, new)
    tmp = durable_temp(target, new)
    try:
        os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return new


def create(root: Path, rel: Path | str, data: bytes, *, taken: StorygenError | None = None) -> None:
    """A new file `rel` (project-relative, inside narratives/) holding `data`, validated as `write`
    validates, and never written over another: os.link fails if the name was taken meanwhile,
    where os.replace would overwrite. Raises `taken` (default: a Conflict showing the file
    found) when the file exists."""
    rel = Path(rel)
    target = inside_narratives(root, rel)

    def refusal() -> StorygenError:
        return taken or Conflict("this file was created on disk after the page was opened", path=rel,
                                 on_disk=target.read_bytes().decode("utf-8", "replace"),
                                 attempted=data.decode("utf-8", "replace"))

    if target.exists():
        raise refusal()
    validate(root, rel, data)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = durable_temp(target, data)
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise refusal() from None
    finally:
        tmp.unlink(missing_ok=True)


def durable_temp(target: Path, data: bytes) -> Path:
    """`data` in a temporary file beside `target`, flushed to disk: the first half of an
    atomic write (the caller renames or links it into place, and removes it on failure)."""
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def put(mapping, key: str, value, *, after: tuple[str, ...] = ()) -> None:
    """Set `key` in a round-trip mapping: in place when present, else just after the first of
    `after` the mapping has (so a new `featured:` goes under `codes:`, not after a text block)."""
    if key in mapping:
        mapping[key] = value
        return
    keys = list(mapping.keys())
    for anchor in after:
        if anchor in keys:
            mapping.insert(keys.index(anchor) + 1, key, value)
            return
    mapping[key] = value
