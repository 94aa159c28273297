"""The privacy guard: nothing that identifies a person, place or interview is published.

- `guard_project(project, composites)` — every published text through every detector.
- `check_excerpts(excerpts, project)` — the same detectors over imported excerpts.
- `model_notice(project)` — the one-line notice when no NER model runs (else None).
- `scan_output(folder, project, composites)` — the output scan of rendered files (R5, R16).
- `write_audit(path, report, scan_findings)` — the private audit log (R17).
- `report_markdown(report)` — a per-story report for a review meeting.
- `strip_image_metadata(path)`, `strip_media_metadata(path)` — for renderers.
- `ids` — the one search for private ids in published files (guard on or off, serve previews).

Rules are documented in docs/privacy.md; private files in narratives/private/.
"""
import importlib

# Read on first use (PEP 562), so a build with the guard off, which needs only `privacy.ids`,
# does not import the detectors (about a tenth of a second).
_WHERE = {"report_markdown": "audit", "write_audit": "audit", "GuardFinding": "guard", "GuardReport": "guard",
          "check_excerpts": "guard", "finding_key": "guard", "guard_project": "guard", "model_notice": "guard",
          "strip_image_metadata": "media", "strip_media_metadata": "media", "scan_output": "scan"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
