"""Benchmark: the two timing bars that used to be asserts inside the tests.

    python benchmarks/latency_bench.py [--edits 5] [--pages 1000]

1. `storygen serve` on the sample project: an excerpt edited and saved, until the
   browser's live-reload stream announces the new build (the bar: within a
   second; formerly asserted in tests/test_site_serve.py). The real preview,
   in this process: HTTP server, file watcher (400 ms debounce), load, compose,
   privacy guard, site.
2. The privacy output scan over the sample's site plus `--pages` copies of a
   story page, each with its own title (the bar: under 20 s for 1,000; formerly
   asserted in tests/test_privacy_scan.py). A cold scan: nothing remembered.

Wall-clock numbers on a shared machine are noisy, so they live here, with the
load average printed beside them, and not in a test that fails at random.
Results of a run are kept in benchmarks/latency_bench_results.txt.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from site_fixture import ReloadListener, copy_sample, excerpt_line_on  # noqa: E402


def serve_edits(workdir: Path, edits: int) -> list[float]:
    """Seconds from saving an edited excerpt to the reload signal, once per edit."""
    import http.client

    from storygen.serve import Preview

    project = copy_sample(workdir)
    preview = Preview(project, drafts=True, echo=lambda *a, **k: None)
    port = preview.start(0)
    try:
        time.sleep(0.5)                                   # the watcher starts
        page = "/" + sorted(preview.site.glob("stories/*/index.html"))[0].relative_to(preview.site).as_posix()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", page)
        excerpt_file, line = excerpt_line_on(project, conn.getresponse().read().decode("utf-8"))
        conn.close()
        listener = ReloadListener(port)
        time.sleep(0.2)
        seconds = []
        for n in range(edits):
            generation = preview.generation
            text = excerpt_file.read_text(encoding="utf-8")
            start = time.perf_counter()
            excerpt_file.write_text(text.replace(line, f"{line} Edit{n}.", 1), encoding="utf-8")
            seconds.append(listener.wait_for_new(generation) - start)
            line = f"{line} Edit{n}."
            time.sleep(0.5)
        if preview.error is not None:
            raise SystemExit(f"the preview failed to rebuild: {preview.error}")
        return seconds
    finally:
        preview.stop()


def output_scan(workdir: Path, pages: int) -> tuple[float, int]:
    """Seconds for one cold output scan of the sample's site plus `pages` story pages; files scanned."""
    from storygen import privacy
    from storygen.build import check
    from storygen.site import render_site

    project_dir = copy_sample(workdir)
    result = check(project_dir)
    site = workdir / "site"
    render_site(result.project, result.composites, site, cache_dir=None)
    story = sorted(site.glob("stories/*/index.html"))[0]
    page, title = story.read_text(encoding="utf-8"), result.composites[0].story.title
    for i in range(pages):
        copy = site / "stories" / f"copy-{i:04d}" / "index.html"
        copy.parent.mkdir(parents=True)
        copy.write_text(page.replace(title, f"Story number {i}"), encoding="utf-8")
    files = sum(1 for p in site.rglob("*") if p.is_file())
    os.environ["STORYGEN_CACHE_DIR"] = str(workdir / "scan-cache")     # cold: nothing remembered
    start = time.perf_counter()
    findings = privacy.scan_output([site], result.project, result.composites, result.privacy)
    elapsed = time.perf_counter() - start
    if findings:
        raise SystemExit("the scan found something in the sample:\n" + "\n".join(f.format() for f in findings))
    return elapsed, files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=5, help="edits in the running preview (median reported)")
    parser.add_argument("--pages", type=int, default=1000, help="story pages added for the scan")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="storygen-latency-") as tmp:
        os.environ["STORYGEN_CACHE_DIR"] = str(Path(tmp) / "cache")
        edits = serve_edits(Path(tmp) / "serve", args.edits)
        scan, files = output_scan(Path(tmp) / "scan", args.pages)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; "
          f"load average {os.getloadavg()[0]:.1f} (start {load_before:.1f})")
    print(f"{'measurement':<52}{'seconds':>9}{'bar':>8}")
    print(f"{'serve: edit to reload signal, sample (median of ' + str(len(edits)) + ')':<52}"
          f"{statistics.median(edits):>9.3f}{'< 1.0':>8}")
    print(f"{'output scan, cold, ' + str(files) + ' files (' + str(args.pages) + ' pages added)':<52}"
          f"{scan:>9.3f}{'< 20':>8}")
    print("serve, each edit: " + ", ".join(f"{s:.3f} s" for s in edits))


if __name__ == "__main__":
    main()
