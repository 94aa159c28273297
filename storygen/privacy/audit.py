"""R17: the private audit log, and the readable report for a review meeting."""
from __future__ import annotations

import json
from pathlib import Path

from ..model import Finding
from .guard import UNSIGNABLE, GuardFinding, GuardReport
from .scan import CHANNELS

ACTION_ORDER = {"block": 0, "signoff": 1, "warn": 2}


def _finding_dict(f: Finding) -> dict:
    d = {"rule": f.rule, "action": f.action, "story": f.story, "origin": str(f.origin) if f.origin else None,
         "span": f.span, "message": f.message, "hint": f.hint}
    if isinstance(f, GuardFinding):
        d.update(key=f.key, entity=f.entity, field=f.field, resolved=f.resolved)
        if f.signoff:
            s = f.signoff
            d["signoff"] = {"reviewer": s.reviewer, "date": s.date, "reason": s.reason, "at": str(s.origin)}
    return d


def _sort_key(f: Finding):
    return (f.story or "", str(f.origin or ""), f.rule, f.span, f.message)


def write_audit(path: Path, report: GuardReport, scan_findings: list[Finding]) -> None:
    """Write the per-build privacy audit (JSON, deterministic ordering) to `path`.

    The log holds the spans found, so it is private: write it under build/private/.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    signoffs = sorted({f.key: f.signoff for f in report.findings
                       if isinstance(f, GuardFinding) and f.signoff}.items())
    data = {
        "settings": report.settings,
        "verdicts": dict(sorted(report.verdicts.items())),
        "blocking": report.blocking or any(f.action == "block" for f in scan_findings),
        "findings": [_finding_dict(f) for f in sorted(report.findings, key=_sort_key)],
        "signoffs_applied": [{"key": k, "reviewer": s.reviewer, "date": s.date, "reason": s.reason,
                              "rule": s.rule, "story": s.story, "at": str(s.origin)} for k, s in signoffs],
        "signoffs_stale": [{"key": s.key, "reviewer": s.reviewer, "date": s.date, "at": str(s.origin)}
                           for s in report.stale_signoffs],
        "output_scan": {"channels": CHANNELS,
                        "findings": [_finding_dict(f) for f in sorted(scan_findings, key=_sort_key)]},
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def report_markdown(report: GuardReport) -> str:
    """A per-story report for a review meeting: verdict, findings, and ready-to-paste sign-offs."""
    lines = ["# Privacy report", ""]
    total = {"block": 0, "signoff": 0, "warn": 0}
    for f in report.findings:
        if not (isinstance(f, GuardFinding) and f.resolved and f.action != "warn"):
            total[f.action] = total.get(f.action, 0) + 1
    lines.append(f"Blocking: **{'yes' if report.blocking else 'no'}** — {total['block']} to fix, "
                 f"{total['signoff']} awaiting sign-off, {total['warn']} warnings.")
    lines.append("")
    groups: dict[str, list[GuardFinding]] = {}
    for f in report.findings:
        groups.setdefault(f.story or "", []).append(f)
    order = sorted(report.verdicts) + sorted(k for k in groups if k not in report.verdicts)
    for slug in order:
        found = sorted(groups.get(slug, []), key=lambda f: (ACTION_ORDER.get(f.action, 3), str(f.origin), f.span))
        title = f"Story `{slug}`" if slug else "Project-wide"
        verdict = report.verdicts.get(slug, "")
        lines += [f"## {title}" + (f" — {verdict}" if verdict else ""), ""]
        if not found:
            lines += ["No findings.", ""]
            continue
        lines += ["| action | rule | where | span | what to do |", "|---|---|---|---|---|"]
        for f in found:
            action = f.action.upper()
            if isinstance(f, GuardFinding) and f.signoff:
                action += f" (signed off: {f.signoff.reviewer}, {f.signoff.date})"
            lines.append(f"| {action} | {f.rule} | {_md(str(f.origin or ''))} | {_md(f.span)} | "
                         f"{_md(f.message)} — {_md(f.hint)} |")
        lines.append("")
        # Only SIGN-OFF findings get a template; a BLOCK can be accepted the same way, but only
        # as a false positive (docs/privacy.md), so we do not invite it.
        pending = [f for f in found if isinstance(f, GuardFinding) and not f.resolved and f.key
                   and f.action == "signoff" and f.rule not in UNSIGNABLE]
        if pending:
            lines += ["To sign off, a reviewer adds to `narratives/private/signoffs.yaml`:", "", "```yaml"]
            for f in pending:
                lines += [f"- key: {f.key}", f"  rule: {f.rule}", f"  story: {slug}",
                          f"  span: {json.dumps(f.span, ensure_ascii=False)}",
                          "  reviewer: ", "  date: ", "  reason: "]
            lines += ["```", ""]
    if report.settings:
        lines += ["## Checks that ran", "", "```json", json.dumps(report.settings, indent=2, ensure_ascii=False),
                  "```", ""]
    return "\n".join(lines)
