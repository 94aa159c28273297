"""Which storygen source a document (or case) belongs to: the `--documents` map.

QDA tools name documents after files ("Interview Jane 2024-03-02.docx"), and
Taguette has no participants at all, so a small mapping file says which
pseudonymous source each document is. CSV with columns `document,source_id`
(a UTF-8 spreadsheet), or YAML `document name: source id`. A source id of `-`
or an empty one skips the document. Documents not in the map are reported.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ImportError_, ProjectError
from ..yamlfile import load_yaml

SKIP = ("", "-")


class DocumentMap:
    def __init__(self, mapping: dict[str, str] | None = None, path: Path | None = None):
        from .bundle import check_id
        self.mapping = {k.strip(): (v or "").strip() for k, v in (mapping or {}).items()}
        for doc, sid in self.mapping.items():
            if sid not in SKIP:
                check_id(sid, "source id", f"document {doc!r}", path)
        self.path = path
        self.unmapped: dict[str, str] = {}   # document -> source id it was given

    @classmethod
    def load(cls, path: Path | None) -> "DocumentMap":
        if path is None:
            return cls()
        path = Path(path)
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                data = load_yaml(path)                 # the project's reader: lines, duplicate keys
            except OSError as exc:
                raise ImportError_(f"cannot read the documents map ({exc})", path=path) from None
            except ProjectError as exc:
                raise ImportError_(f"cannot read the documents map: {exc.problem}", path=path, line=exc.line,
                                   hint=exc.hint) from None
            if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
                raise ImportError_("the documents map must be `document name: source id` lines",
                                   path=path)
            return cls(data, path)
        from .csvfile import read_table
        header, rows = read_table(path)
        lower = {h.lower(): h for h in header}
        if "document" not in lower or "source_id" not in lower:
            raise ImportError_("the documents map needs the columns document,source_id", path=path,
                               line=1, hint=f"found: {', '.join(header)}")
        mapping = {}
        for n, row in rows:
            doc = row[lower["document"]].strip()
            if doc in mapping:
                raise ImportError_(f"row {n}: document {doc!r} is mapped twice", path=path, line=n)
            mapping[doc] = row[lower["source_id"]]
        return cls(mapping, path)

    def source_for(self, document: str, *, default: str, record: bool = True) -> str | None:
        """The source id for a document; None to skip it; `default` (reported) if unmapped."""
        document = document.strip()
        if document in self.mapping:
            value = self.mapping[document]
            return None if value in SKIP else value
        if record:
            self.unmapped[document] = default
        return default

    def report(self, bundle, what: str = "document") -> None:
        """Tell the user which documents were not in the map and what they became."""
        if not self.unmapped:
            return
        listing = "; ".join(f"{d!r} -> {s}" for d, s in sorted(self.unmapped.items()))
        if self.path is None:
            bundle.notes.append(f"no --documents map given: {what}s became sources by name "
                                f"({listing}); rename them to pseudonymous ids or pass a map")
        else:
            bundle.notes.append(f"{what}s not in {self.path.name}: {listing}")
