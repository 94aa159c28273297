"""Benchmark: the report output (PDF and Word review pack), on the sample and on 1,000 stories.

    python benchmarks/report_bench.py [--stories 1000] [--runs 3] [--keep DIR]

Measures whole `storygen build --only report --force --timings` processes, as a
user runs them:

1. the sample project (this repository), cold: an empty cache, so the pictures
   are prepared again — best and median of `--runs` runs; then warm (cache kept);
2. a synthetic project of `--stories` approved stories (site_bench.py's
   generator: 10 excerpts per source, 20 pictures shared between the stories),
   each published in the report, cold, once.

The issue's targets: the sample's report in under 3 s, 1,000 stories in under
60 s, on 2 cores. Each line gives wall seconds, CPU seconds (user + sys, with
children: steadier on a busy machine), peak memory, the PDF's pages and size,
and the report's sub-phases from --timings. Not a test: numbers depend on the
machine; results are kept in report_bench_results.txt beside this file.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from golden import copy_sample  # noqa: E402
from site_bench import CPU, generate, phases, run  # noqa: E402

PY = sys.executable


def build(project: Path, cache: Path) -> dict:
    os.environ["STORYGEN_CACHE_DIR"] = str(cache)
    seconds, rss, out = run([PY, "-m", "storygen", "build", "--project", str(project), "--only", "report",
                             "--force", "--timings"], project)
    found = phases(out)
    pdfs = list((project / "build" / "report").glob("*.pdf"))
    docs = list((project / "build" / "report" / "review").glob("*.docx"))
    import pikepdf

    with pikepdf.open(pdfs[0]) as pdf:
        pages = len(pdf.pages)
    return {"wall": seconds, "cpu": CPU[id(out)], "rss": rss, "pages": pages,
            "pdf_mb": pdfs[0].stat().st_size / 1e6, "docx": len(docs),
            "phases": {k: v for k, v in found.items() if k.startswith(("report", "render.report", "scan",
                                                                        "load", "compose", "check"))}}


def line(label: str, r: dict) -> str:
    parts = ", ".join(f"{k} {v:.2f}" for k, v in r["phases"].items())
    return (f"{label}: {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU, peak {r['rss']} MB; "
            f"PDF {r['pages']} pages, {r['pdf_mb']:.1f} MB; {r['docx']} review documents\n    phases: {parts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the generated projects in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="report-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    try:
        sample = copy_sample(work / "sample")
        cold = []
        for n in range(args.runs):
            shutil.rmtree(work / "cache-sample", ignore_errors=True)
            cold.append(build(sample, work / "cache-sample"))
        walls = [r["wall"] for r in cold]
        best = min(cold, key=lambda r: r["wall"])
        print(line(f"sample, cold (best of {args.runs}; median {statistics.median(walls):.2f} s)", best))
        print(line("sample, warm (pictures cached)", build(sample, work / "cache-sample")))

        big = work / "big"
        generate(big, args.stories, n_sources=max(30, args.stories // 2), per_source=10)
        for story in (big / "narratives" / "stories").glob("*.md"):
            text = story.read_text(encoding="utf-8")
            story.write_text(text.replace("media: [site]", "media: [site, report]", 1), encoding="utf-8")
        print(line(f"{args.stories} stories, cold", build(big, work / "cache-big")))
        print(f"load after: {os.getloadavg()[0]:.1f}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
