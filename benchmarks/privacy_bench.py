"""Precision, recall and throughput of the privacy guard's detectors.

    python benchmarks/privacy_bench.py [--data benchmarks/privacy_eval.jsonl]

A prediction matches a gold span of the same type when the two overlap. Detector
entities are grouped into the gold types: PERSON and PERSON? (cue-only) are PERSON;
DOB and DATE are reported separately; detections of types the set does not label
(places, organisations, events) are not counted. Throughput: excerpts per second,
cold (a fresh detector, empty cache; the Presidio engine is built before timing and
its start-up is shown separately) and warm (the same texts again: the content-hash cache).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storygen.privacy import engine  # noqa: E402
from storygen.privacy.detect import Detector  # noqa: E402

GROUP = {"PERSON?": "PERSON"}
TARGETS = {"EMAIL": (0.98, 0.95), "PHONE": (0.98, 0.95), "POSTCODE": (0.98, 0.95), "NHS": (0.98, 0.95),
           "NINO": (0.98, 0.95), "URL": (0.98, 0.95), "PERSON": (0.90, 0.80)}


def evaluate(rows, detector):
    gold_types = sorted({s["entity"] for r in rows for s in r["spans"]})
    tp_g = {t: 0 for t in gold_types}
    n_g = {t: 0 for t in gold_types}
    tp_p = {t: 0 for t in gold_types}
    n_p = {t: 0 for t in gold_types}
    misses, false = [], []
    for row in rows:
        hits = [(GROUP.get(h.entity, h.entity), h.start, h.end, h.span) for h in detector.scan(row["text"])]
        hits = [h for h in hits if h[0] in n_p]
        for g in row["spans"]:
            n_g[g["entity"]] += 1
            if any(e == g["entity"] and s < g["end"] and g["start"] < en for e, s, en, _ in hits):
                tp_g[g["entity"]] += 1
            else:
                misses.append((g["entity"], g["value"], row["text"]))
        for e, s, en, span in hits:
            n_p[e] += 1
            if any(e == g["entity"] and s < g["end"] and g["start"] < en for g in row["spans"]):
                tp_p[e] += 1
            else:
                false.append((e, span, row["text"]))
    return gold_types, tp_g, n_g, tp_p, n_p, misses, false


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).with_name("privacy_eval.jsonl"))
    ap.add_argument("--show", type=int, default=10, help="print up to N misses and false positives")
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]

    t0 = time.perf_counter()
    engine.analyzer()
    engine.presidio_hits("warm up the engine, not the cache")
    start_up = time.perf_counter() - t0

    detector = Detector()
    t0 = time.perf_counter()
    for row in rows:
        detector.scan(row["text"])
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for row in rows:
            detector.scan(row["text"])
    warm = (time.perf_counter() - t0) / rounds

    words = sum(len(r["text"].split()) for r in rows)
    print(f"evaluation set: {len(rows)} excerpts, {words} words, "
          f"{sum(len(r['spans']) for r in rows)} gold spans, {sum(1 for r in rows if not r['spans'])} with none")
    ok = True
    all_misses, all_false = [], []
    for label, subset in (("dev templates (used while building the detectors)", [r for r in rows if r.get("set", "dev") == "dev"]),
                          ("held-out templates (written afterwards, not tuned on)", [r for r in rows if r.get("set") == "holdout"]),
                          ("all", rows)):
        if not subset:
            continue
        types, tp_g, n_g, tp_p, n_p, misses, false = evaluate(subset, detector)
        print(f"\n{label}: {len(subset)} excerpts")
        print(f"{'entity':10} {'gold':>5} {'found':>6} {'recall':>7} {'precision':>9}   target (R/P)")
        for t in types:
            recall = tp_g[t] / n_g[t] if n_g[t] else 1.0
            precision = tp_p[t] / n_p[t] if n_p[t] else 1.0
            target = TARGETS.get(t)
            mark = ""
            if target:
                met = recall >= target[0] and precision >= target[1]
                if label == "all":
                    ok &= met
                mark = f"   {target[0]:.2f}/{target[1]:.2f} {'met' if met else 'MISSED'}"
            print(f"{t:10} {n_g[t]:5d} {n_p[t]:6d} {recall:7.3f} {precision:9.3f}{mark}")
        if label == "all":
            all_misses, all_false = misses, false
    misses, false = all_misses, all_false
    print()
    print(f"engine start-up: {start_up:.2f} s (once per process)")
    print(f"throughput cold: {len(rows) / cold:,.0f} excerpts/s ({cold * 1000:.0f} ms for {len(rows)})")
    print(f"throughput warm: {len(rows) / warm:,.0f} excerpts/s (content-hash cache, in memory)"
          f"   target 2,000 {'met' if len(rows) / warm >= 2000 else 'MISSED'}")
    # The whole guard path an importer uses (literals, findings, sign-off keys), cold and warm.
    import tempfile

    from storygen.config import Config
    from storygen.context import BuildContext
    from storygen.model import Excerpt, Origin, Project
    from storygen.privacy import check_excerpts

    with tempfile.TemporaryDirectory() as tmp:
        excerpts = {r["id"]: Excerpt(r["id"], "S01", r["text"], ("x",), origin=Origin(Path("e.yaml"), i + 1))
                    for i, r in enumerate(rows)}
        project = Project(root=Path(tmp), config=Config(), codes={}, sources={}, excerpts=excerpts, stories=[])
        context = BuildContext()          # warm: the second call reads the same context's detector
        t0 = time.perf_counter()
        check_excerpts(excerpts.values(), project, context)
        g_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        check_excerpts(excerpts.values(), project, context)
        g_warm = time.perf_counter() - t0
    print(f"guard (check_excerpts) cold: {len(rows) / g_cold:,.0f} excerpts/s; "
          f"warm: {len(rows) / g_warm:,.0f} excerpts/s")
    if args.show:
        for label, items in (("missed", misses), ("false positives", false)):
            if items:
                print(f"\n{label} (first {min(args.show, len(items))} of {len(items)}):")
                for e, v, text in items[: args.show]:
                    print(f"  {e:8} {v!r:30} in {text[:90]!r}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
