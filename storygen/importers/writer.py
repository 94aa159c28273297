"""Merge an imported bundle into the project's own files, safely and repeatably.

Rules (docs/importing.md, "What an import changes"):

* Codes are matched by their name path first (GUIDs and ids change between
  exports), then by id. Codes not yet in the codebook are added and reported.
* The export owns an excerpt's text, codes and source: a newer export updates
  them and the change is reported. The team owns `featured`, `singular`, memos,
  and everything about a source (role, sector, consent, withdrawn, attributes):
  the import fills them only where the project has nothing, and reports where
  the export disagrees with a local value it kept.
* Only files whose content changes are rewritten; re-importing the same export
  changes no byte.
* All writing happens in a temporary copy of `narratives/` that is swapped in
  only when every file has been written, so a failed import leaves the project
  exactly as it was.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ImportError_, ProjectError
from .bundle import Bundle, ExcerptIn, clean_text
from .yamlio import Flow, YesNo, dump, load_file

CONSENT_KEYS = ("composite", "web", "video")
# Consent for the report, when an export does not state it, follows `web` (a report is
# published like the site): it is written only when stated, and the import says so.
OPTIONAL_CONSENT = ("report",)
UNKNOWN = "unknown"


@dataclass
class MergeReport:
    codes_added: list[str] = field(default_factory=list)
    sources_added: list[str] = field(default_factory=list)
    excerpts_added: list[str] = field(default_factory=list)
    excerpts_updated: list[str] = field(default_factory=list)   # "ID: what changed"
    excerpts_unchanged: int = 0
    sources_updated: list[str] = field(default_factory=list)    # "ID: what was filled in"
    kept_local: list[str] = field(default_factory=list)         # export disagreed, local value kept
    files_written: list[str] = field(default_factory=list)
    code_ids: dict[str, str] = field(default_factory=dict)      # bundle id -> project id
    imported_ids: list[str] = field(default_factory=list)


def _flag(value) -> bool | None:
    if value is None or value == "":
        return None
    return str(value).strip().lower() in ("yes", "true", "y", "1")


def _norm_name(name: str) -> str:
    return " ".join(str(name).casefold().split())


@dataclass
class _Narratives:
    """The project's narratives/ files as plain data (all scalars strings)."""

    root: Path
    codebook: dict
    sources: dict
    files: dict[str, dict]            # "excerpts/x.yaml" -> {"source":…, "excerpts": […]}
    where: dict[str, tuple[str, int]]  # excerpt id -> (file, index)
    changed: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, narratives: Path) -> "_Narratives":
        codebook = load_file(narratives / "codebook.yaml") or {}
        sources = load_file(narratives / "sources.yaml") or {}
        for name, data in (("codebook.yaml", codebook), ("sources.yaml", sources)):
            if not isinstance(data, dict):
                raise ProjectError("expected a mapping of ids at the top level",
                                   path=narratives / name)
        files, where = {}, {}
        folder = narratives / "excerpts"
        # the loader reads sub-folders too, so an id anywhere under excerpts/ is "already here"
        for path in sorted(folder.rglob("*.yaml")) if folder.is_dir() else []:
            rel = path.relative_to(narratives).as_posix()
            data = load_file(path) or {}
            if not isinstance(data, dict) or not isinstance(data.get("excerpts", []), list):
                raise ProjectError("expected `excerpts:` with a list of excerpts", path=path)
            data.setdefault("excerpts", [])
            files[rel] = data
            for i, entry in enumerate(data["excerpts"]):
                if isinstance(entry, dict) and entry.get("id"):
                    if entry["id"] in where:
                        raise ProjectError(f"duplicate excerpt id {entry['id']!r} (also in "
                                           f"{where[entry['id']][0]})", path=path,
                                           hint="fix the project before importing into it")
                    where[entry["id"]] = (rel, i)
        return cls(narratives, codebook, sources, files, where)


# --- codes -----------------------------------------------------------------

def _walk(tree: dict, prefix: str, names: tuple, out_names: dict, out_ids: dict) -> None:
    for key, entry in tree.items():
        entry = entry if isinstance(entry, dict) else {}
        cid = f"{prefix}/{key}" if prefix else key
        path = names + (_norm_name(entry.get("name") or key),)
        out_names.setdefault(path, cid)
        out_ids[cid] = entry
        if isinstance(entry.get("codes"), dict):
            _walk(entry["codes"], cid, path, out_names, out_ids)


def _merge_codes(nar: _Narratives, bundle: Bundle, report: MergeReport) -> None:
    by_names, by_id = {}, {}
    _walk(nar.codebook, "", (), by_names, by_id)
    for code in bundle.codes.values():
        names = tuple(_norm_name(n) for n in code.names)
        if names in by_names:
            report.code_ids[code.id] = by_names[names]
            continue
        if code.id in by_id:
            report.code_ids[code.id] = code.id
            continue
        parent_bundle_id = code.id.rsplit("/", 1)[0] if "/" in code.id else None
        parent_id = report.code_ids[parent_bundle_id] if parent_bundle_id else None
        container = nar.codebook
        if parent_id:
            parent = by_id[parent_id]
            if not isinstance(parent.get("codes"), dict):
                parent["codes"] = {}
            container = parent["codes"]
        seg = code.id.rsplit("/", 1)[-1]   # the importer's slug (or the id a storygen export kept)
        key, n = seg, 2
        while key in container:
            key, n = f"{seg}-{n}", n + 1
        entry = {"name": code.name}
        if code.description:
            entry["description"] = code.description
        if code.colour:
            entry["colour"] = code.colour
        container[key] = entry
        new_id = f"{parent_id}/{key}" if parent_id else key
        by_id[new_id] = entry
        by_names[names] = new_id
        report.code_ids[code.id] = new_id
        report.codes_added.append(new_id)
        nar.changed.add("codebook.yaml")


# --- sources ---------------------------------------------------------------

def _merge_sources(nar: _Narratives, bundle: Bundle, report: MergeReport) -> None:
    for src in bundle.sources.values():
        entry = nar.sources.get(src.id)
        if entry is None:
            new = {"role": src.role or UNKNOWN, "sector": src.sector or UNKNOWN}
            if src.attributes:
                new["attributes"] = dict(sorted(src.attributes.items()))
            # No consent unless the export states it: a wrong "yes" could publish someone's words.
            new["consent"] = {k: YesNo(src.consent.get(k, False)) for k in CONSENT_KEYS}
            new["consent"].update({k: YesNo(src.consent[k]) for k in OPTIONAL_CONSENT if k in src.consent})
            new["withdrawn"] = YesNo(bool(src.withdrawn))
            nar.sources[src.id] = new
            report.sources_added.append(src.id)
            nar.changed.add("sources.yaml")
            continue
        if not isinstance(entry, dict):
            raise ProjectError(f"source {src.id!r} is not a mapping", path=nar.root / "sources.yaml")
        filled = []
        for key in ("role", "sector"):
            new_value = getattr(src, key)
            old = entry.get(key, "")
            if new_value and old in ("", UNKNOWN):
                entry[key] = new_value
                filled.append(f"{key} {new_value}")
                nar.changed.add("sources.yaml")
            elif new_value and old != new_value:
                report.kept_local.append(f"source {src.id}: {key} is {old!r} here, "
                                         f"{new_value!r} in the export")
        attrs = entry.get("attributes") if isinstance(entry.get("attributes"), dict) else {}
        for k, v in sorted(src.attributes.items()):
            if k not in attrs:
                attrs[k] = v
                entry["attributes"] = attrs
                filled.append(f"attribute {k}")
                nar.changed.add("sources.yaml")
            elif attrs[k] != v:
                report.kept_local.append(f"source {src.id}: attribute {k} is {attrs[k]!r} here, "
                                         f"{v!r} in the export")
        if filled:
            report.sources_updated.append(f"{src.id}: " + ", ".join(filled))
        consent = entry.get("consent") if isinstance(entry.get("consent"), dict) else {}
        for k, v in src.consent.items():
            if k in CONSENT_KEYS + OPTIONAL_CONSENT and _flag(consent.get(k)) is not None and _flag(consent.get(k)) != v:
                report.kept_local.append(f"source {src.id}: consent {k} is "
                                         f"{consent.get(k)} here, {'yes' if v else 'no'} in the export")


# --- excerpts --------------------------------------------------------------

def _file_for(source_id: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", source_id).strip("-.") or "imported"
    return f"excerpts/{name}.yaml"


def _new_entry(ex: ExcerptIn, codes: list[str], file_source: str) -> dict:
    entry: dict = {"id": ex.id}
    if ex.source_id != file_source:
        entry["source"] = ex.source_id
    entry["codes"] = Flow(codes)
    if ex.featured:
        entry["featured"] = YesNo(True)
    if ex.singular:
        entry["singular"] = YesNo(True)
    if ex.memo:
        entry["memo"] = ex.memo
    entry["text"] = ex.text
    return entry


def _merge_excerpts(nar: _Narratives, bundle: Bundle, report: MergeReport) -> None:
    for ex in bundle.excerpts:
        codes = [report.code_ids.get(c, c) for c in ex.codes]
        report.imported_ids.append(ex.id)
        if ex.id not in nar.where:
            rel = _file_for(ex.source_id)
            data = nar.files.setdefault(rel, {"source": ex.source_id, "excerpts": []})
            data["excerpts"].append(_new_entry(ex, codes, data.get("source", "")))
            nar.where[ex.id] = (rel, len(data["excerpts"]) - 1)
            nar.changed.add(rel)
            report.excerpts_added.append(ex.id)
            continue
        rel, i = nar.where[ex.id]
        data = nar.files[rel]
        entry = data["excerpts"][i]
        changes = []
        if clean_text(str(entry.get("text", ""))) != ex.text:
            entry["text"] = ex.text
            changes.append("text")
        old_codes = entry.get("codes", [])
        old_codes = [old_codes] if isinstance(old_codes, str) else list(old_codes)
        if set(old_codes) != set(codes):   # same codes in another order: not a change
            added = [c for c in codes if c not in old_codes]
            removed = [c for c in old_codes if c not in codes]
            entry["codes"] = Flow(codes)
            changes.append("codes" + "".join(f" +{c}" for c in added)
                           + "".join(f" -{c}" for c in removed))
        old_source = entry.get("source") or data.get("source", "")
        if old_source != ex.source_id:
            if ex.source_id == data.get("source"):
                entry.pop("source", None)
            else:
                entry["source"] = ex.source_id
            changes.append(f"source {old_source} -> {ex.source_id}")
        for key in ("featured", "singular"):
            new = getattr(ex, key)
            old = _flag(entry.get(key))
            if new is None or new == bool(old):
                continue
            if old is None and new:
                entry[key] = YesNo(True)
                changes.append(key)
            else:
                report.kept_local.append(f"excerpt {ex.id}: {key} is {'yes' if old else 'no'} "
                                         f"here, {'yes' if new else 'no'} in the export")
        old_memo = clean_text(str(entry.get("memo", "")))
        if ex.memo and not old_memo:
            entry["memo"] = ex.memo
            changes.append("memo")
        elif ex.memo and old_memo != ex.memo:
            report.kept_local.append(f"excerpt {ex.id}: memo differs from the export's; kept yours")
        if changes:
            nar.changed.add(rel)
            report.excerpts_updated.append(f"{ex.id}: " + ", ".join(changes))
        else:
            report.excerpts_unchanged += 1


# --- writing ---------------------------------------------------------------

_BOOL_KEYS = {"featured", "singular", "withdrawn", "composite", "web", "video"}


def _styled(data, key: str = ""):
    """Loaded (all-string) data -> data with flags and code lists in house style."""
    if isinstance(data, dict):
        return {k: _styled(v, k) for k, v in data.items()}
    if isinstance(data, list):
        items = [_styled(v) for v in data]
        return Flow(items) if key == "codes" else items
    if key in _BOOL_KEYS and isinstance(data, str) and data.strip().lower() in (
            "yes", "no", "true", "false"):
        return YesNo(data.strip().lower() in ("yes", "true"))
    return data


def _render(nar: _Narratives, rel: str) -> str:
    if rel == "codebook.yaml":
        return dump(_styled(nar.codebook))
    if rel == "sources.yaml":
        return dump(_styled(nar.sources))
    data = nar.files[rel]
    ordered = {k: data[k] for k in ("source",) if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ("source", "excerpts")})
    ordered["excerpts"] = data["excerpts"]
    return dump(_styled(ordered))


def merge_bundle(project_root: Path, bundle: Bundle, *, dry_run: bool = False) -> MergeReport:
    """Merge `bundle` into `project_root/narratives/`; return what changed.

    With `dry_run`, nothing is written. Raises ProjectError when the project's
    own files are broken (they are never overwritten in that case).
    """
    narratives = project_root / "narratives"
    nar = _Narratives.read(narratives)
    report = MergeReport()
    _merge_codes(nar, bundle, report)
    _merge_sources(nar, bundle, report)
    _merge_excerpts(nar, bundle, report)
    rendered = {rel: _render(nar, rel) for rel in sorted(nar.changed)}
    report.files_written = [f"narratives/{rel}" for rel in rendered]
    if dry_run or not rendered:
        return report
    _write_atomically(project_root, narratives, rendered)
    return report


def _write_atomically(project_root: Path, narratives: Path, rendered: dict[str, str]) -> None:
    work = Path(tempfile.mkdtemp(prefix=".storygen-import-", dir=project_root))
    try:
        staged = work / "narratives"
        if narratives.is_dir():
            shutil.copytree(narratives, staged, symlinks=True)
        else:
            staged.mkdir()
        for rel, text in rendered.items():
            target = staged / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
        old = work / "previous"
        if narratives.is_dir():
            os.replace(narratives, old)
        try:
            os.replace(staged, narratives)
        except OSError:
            if old.exists():
                os.replace(old, narratives)
            raise
    except OSError as exc:
        if not narratives.exists() and (work / "previous").exists():
            # the swap failed half-way and could not be undone: keep the only copy
            raise ImportError_(f"could not swap in the imported files ({exc.strerror or exc}); "
                               f"your previous files are in {work / 'previous'}", path=narratives,
                               hint=f"move that folder back to {narratives}") from None
        shutil.rmtree(work, ignore_errors=True)
        raise ImportError_(f"could not write the project files ({exc.strerror or exc}); "
                           "nothing was changed", path=narratives) from None
    shutil.rmtree(work, ignore_errors=True)
