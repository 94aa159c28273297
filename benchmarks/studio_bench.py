"""Benchmark: `storygen studio` on the 1,000-story project (issue 13's three numbers).

    nice -n 10 python benchmarks/studio_bench.py [--stories 1000] [--requests 20] [--keep DIR]

Generates site_bench.py's project (10,000 excerpts from 500 sources, 1,000 approved
stories; its own writer, reused), starts the real studio — uvicorn serving on a
127.0.0.1 socket in this process (storygen.studio.server.Running) — logs in with the
key like a browser, and sends real HTTP requests with http.client (tests/studiokit.py's
Client: the Host, cookie, Origin and CSRF token a browser sends). It measures:

1. the project load (the check `storygen check --drafts` runs, with the kept build
   context), then the studio opening: the first page (/library) served after that load;
2. the library filtered to a theme and a role with a text search over the 10,000
   excerpts (median and p95 of --requests requests, each with a different word);
3. the live rules panel (POST /stories/SLUG/live) after an edit: each request carries
   a different unsaved body, as typing makes (median and p95).

Targets (issue 13): opens < 2 s after the load, filtering < 200 ms, panel < 300 ms.
Not a test: numbers depend on the machine; results in studio_bench_results.txt.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import site_bench as sb  # noqa: E402
from studiokit import Client  # noqa: E402

from storygen.studio.server import Running  # noqa: E402


def timed(call) -> tuple[float, object]:
    t = time.perf_counter()
    result = call()
    return time.perf_counter() - t, result


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def row(name: str, values: list[float], target: float) -> str:
    med = statistics.median(values)
    verdict = "met" if max(med, p95(values)) < target else "MISSED"
    return (f"{name:<52} median {med * 1000:7.1f} ms  p95 {p95(values) * 1000:7.1f} ms  "
            f"(n={len(values)}, target < {target * 1000:.0f} ms: {verdict})")


def story_form(csrf: str, text: str, body: str) -> bytes:
    front = re.search(r"^---\n(.*?)\n---\n", text, re.S).group(1)
    themes = re.search(r"themes: \[(.*?)\]", front).group(1).split(", ")
    fields = [("csrf", csrf), ("title", re.search(r"title: (.*)", front).group(1)),
              ("persona_name", re.search(r"  name: (.*)", front).group(1)), ("persona_role", "support worker"),
              ("voice", "third"), ("media", "site"), ("body", body)] + [("themes", t) for t in themes]
    return urlencode(fields).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=1000)
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="generate here and keep it (default: a temp folder)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="storygen-studio-bench-"))
    if args.keep and work.exists():
        shutil.rmtree(work)
    project = work / "project"
    try:
        for line in measure(project, args):
            print(line, flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def measure(project: Path, args) -> list[str]:
    out = []
    seconds, facts = timed(lambda: sb.generate(project, args.stories, args.sources,
                                               args.stories * 10 // args.sources))
    n_excerpts = sum(len(v) for v in facts["excerpts"].values())
    out.append(f"generated {n_excerpts} excerpts from {args.sources} sources, {args.stories} stories "
               f"(site_bench.generate) in {seconds:.1f} s")
    out.append(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; "
               f"load average {os.getloadavg()[0]:.1f} at the start")
    out.append("client: http.client against the real uvicorn server on 127.0.0.1 (tests/studiokit.py Client)")
    started, running = timed(lambda: Running(project).start())
    try:
        workspace = running.studio.workspace
        load, _ = timed(workspace.state)
        out.append(f"studio started in {started:.2f} s; project loaded and checked (storygen check --drafts, "
                   f"privacy guard on) in {load:.2f} s")
        login, client = timed(lambda: Client(running))
        first, (status, _, page) = timed(lambda: client.get("/library"))
        assert status == 200 and "Excerpt library" in page, status
        out.append(f"{'studio opens: key exchange + first /library page':<52} {login + first:7.3f} s "
                   f"(target < 2 s after the load: {'met' if login + first < 2 else 'MISSED'})")

        # 2. The library: a theme and a role, and a different word searched each time.
        theme = sb.THEMES[2][0]
        words = [w for w in sb.WORDS if len(w) > 3][:args.requests]
        times, found = [], []
        for word in words:
            query = urlencode({"theme": theme, "role": "staff", "q": word})
            seconds, (status, _, page) = timed(lambda: client.get(f"/library?{query}"))
            assert status == 200, status
            times.append(seconds)
            found.append(int(re.search(r"(\d[\d,]*) excerpts? found", page).group(1).replace(",", "")))
        out.append(row(f"library: theme+role+search over {n_excerpts} excerpts", times, 0.200))
        out.append(f"  excerpts found per request: {min(found)}–{max(found)}")

        # 3. The live panel of an existing story, its body edited differently each time.
        slug = "story-0001"
        text = (project / "narratives" / "stories" / f"{slug}.md").read_text(encoding="utf-8")
        body = text.split("---\n", 2)[2]
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/stories/{slug}/edit")[2]).group(1)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://{client.host}"}
        times = []
        for n in range(args.requests + 2):
            edited = body.replace("## Chapter 1\n\n", f"## Chapter 1\n\nTyped words {'and more ' * n}here.\n\n", 1)
            seconds, (status, _, fragment) = timed(
                lambda: client.request("POST", f"/stories/{slug}/live", story_form(csrf, text, edited), headers))
            assert status == 200 and "data-summary" in fragment, (status, fragment[:300])
            if n >= 2:                        # the first two warm the guard's memory of this story's excerpts
                times.append(seconds)
        out.append(row("rules panel after an edit (POST /stories/SLUG/live)", times, 0.300))
        verdict = re.search(r"data-summary>([^<]*)<", fragment).group(1)
        out.append(f"  the panel's verdict on the last edit: {verdict}")
    finally:
        running.stop()
    out.append(f"load average {os.getloadavg()[0]:.1f} at the end")
    return out


if __name__ == "__main__":
    main()
