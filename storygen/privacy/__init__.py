"""The privacy guard: nothing that identifies a person, place or interview is published.

- `guard_project(project, composites)` — every published text through every detector.
- `check_excerpts(excerpts, project)` — the same detectors over imported excerpts.
- `model_notice(project)` — the one-line notice when no NER model runs (else None).
- `scan_output(folder, project, composites)` — the output scan of rendered files (R5, R16).
- `write_audit(path, report, scan_findings)` — the private audit log (R17).
- `report_markdown(report)` — a per-story report for a review meeting.
- `strip_image_metadata(path)`, `strip_media_metadata(path)` — for renderers.

Rules are documented in docs/privacy.md; private files in narratives/private/.
"""
from .audit import report_markdown, write_audit
from .guard import GuardFinding, GuardReport, check_excerpts, finding_key, guard_project, model_notice
from .media import strip_image_metadata, strip_media_metadata
from .scan import scan_output

__all__ = ["GuardFinding", "GuardReport", "check_excerpts", "finding_key", "guard_project", "model_notice",
           "report_markdown",
           "scan_output", "strip_image_metadata", "strip_media_metadata", "write_audit"]
