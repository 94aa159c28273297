"""Benchmark: the story site against Hugo, on large synthetic projects.

    python benchmarks/site_bench.py [--keep DIR] [--stories 1000] [--part all|id|query]

Generates, in a temporary folder, a project with 10,000 excerpts from 500
sources, 1,000 approved stories and 6 themes with sub-codes (every story
passes the integrity rules), then measures in one run on this machine:

1. a cold `storygen build --only site` (empty cache: load, compose, checks,
   pages, share cards, image variants, search index, link check, scan);
2. a no-change rebuild;
3. the rebuild after editing one excerpt, with `storygen build` and in a
   running `storygen serve` (saved file to the browser's reload signal);
4. Hugo (Debian package `hugo`) building the same 1,000 story pages plus
   theme pages from equivalent Markdown with comparable templates.

Prints the times, the ratios to Hugo's full build, the page-rendering phase
from `--timings`, and peak memory. Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable

THEMES = [
    ("holistic-wellbeing", "A holistic approach to wellbeing", "#1f6f8b"),
    ("caring-about-staff", "Caring about staff", "#2e7d32"),
    ("turning-off-targets", "Turning off targets", "#8b1f3f"),
    ("working-together", "Working together", "#6a1b9a"),
    ("recalculating-risk", "Recalculating risk", "#8a4b00"),
    ("person-centred-technology", "Person-centred technology", "#37474f"),
]
SUBS = ["listening", "time", "trust"]
SECTORS = ["council", "health", "housing", "employment", "complaints"]
WORDS = ("we the a and to of it was that they had time people team work service help "
         "support every week call case letter form room plan change made better asked "
         "listened started stopped wanted needed felt knew kept gave took came back home "
         "together really just more less often always never still first last good hard "
         "small big long short slow quick right wrong open closed shared own whole part").split()


# --- the synthetic project ----------------------------------------------------

def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def write_settings(root: Path) -> None:
    """storygen.toml and the codebook (THEMES, each with SUBS), shared by both benchmark projects."""
    (root / "narratives").mkdir(parents=True, exist_ok=True)
    (root / "storygen.toml").write_text(
        '[site]\ntitle = "Benchmark stories"\nbase_url = "https://example.org/bench/"\n'
        'language = "en-GB"\nauthor = "Benchmark"\n', encoding="utf-8")   # privacy guard on (the default)
    lines = []
    for tid, name, colour in THEMES:
        lines += [f"{tid}:", f"  name: {name}", f"  description: What people said about {name.lower()}.",
                  f'  colour: "{colour}"', "  codes:"]
        for sub in SUBS:
            lines += [f"    {sub}:", f"      name: {sub.capitalize()}", f"      description: About {sub}."]
    (root / "narratives" / "codebook.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def generate(root: Path, n_stories: int, n_sources: int, per_source: int, n_images: int = 20) -> dict:
    """Write the project; returns facts the benchmark needs (an excerpt to edit)."""
    rng = random.Random(2026)
    (root / "narratives" / "excerpts").mkdir(parents=True)
    (root / "narratives" / "stories").mkdir(parents=True)
    (root / "assets" / "images").mkdir(parents=True)
    write_settings(root)

    sources = [f"S{i:03d}" for i in range(1, n_sources + 1)]
    half = n_sources // 2
    role = {s: ("staff" if i < half else "community") for i, s in enumerate(sources)}
    lines = []
    for i, s in enumerate(sources):
        lines += [f"{s}:", f"  role: {role[s]}", f"  sector: {SECTORS[i % len(SECTORS)]}",
                  "  consent:", "    composite: yes", "    web: yes", "    video: yes"]
    (root / "narratives" / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # Each story: 5 sources of one role, 2 excerpts each, coded to its two themes.
    per_story_sources, per_pair = 5, 2
    excerpts: dict[str, list[dict]] = {s: [] for s in sources}
    stories = []
    stories_per_role = n_stories // 2
    for k in range(n_stories):
        group = sources[:half] if k < stories_per_role else sources[half:]
        j = k % stories_per_role
        members = [group[(j * per_story_sources + m) % len(group)] for m in range(per_story_sources)]
        themes = (THEMES[k % 6][0], THEMES[(k + 1) % 6][0])
        ids = []
        for s in members:
            for p in range(per_pair):
                n = len(excerpts[s]) + 1
                eid = f"{s}-{n:02d}"
                code = f"{themes[p]}/{SUBS[(k + n) % 3]}"
                excerpts[s].append({"id": eid, "code": code, "featured": n % 7 == 0,
                                    "text": " ".join(sentence(rng, 10) for _ in range(4))})
                ids.append(eid)
        stories.append((k, themes, ids))
    for s, items in excerpts.items():
        out = [f"source: {s}", "excerpts:"]
        for e in items:
            out += [f"  - id: {e['id']}", f"    codes: [{e['code']}]"]
            if e["featured"]:
                out.append("    featured: yes")
            out += ["    text: |", f"      {e['text']}", ""]
        (root / "narratives" / "excerpts" / f"{s}.yaml").write_text("\n".join(out), encoding="utf-8")

    for i in range(n_images):
        im = Image.new("RGB", (1600, 900), (30 + 10 * i, 80, 120))
        ImageDraw.Draw(im).ellipse([300 + 20 * i, 200, 1100, 800], fill=(220, 190, 90))
        im.save(root / "assets" / "images" / f"picture-{i:02d}.jpg", quality=88)

    for k, themes, ids in stories:
        slug = f"story-{k:04d}"
        body = []
        for c, chunk in enumerate((ids[:4], ids[4:7], ids[7:])):
            body += [f"## Chapter {c + 1}", "", sentence(rng, 9), ""]
            body += [f'{{{{ excerpt("{eid}") }}}}\n' for eid in chunk]
        front = [
            "---", f"title: Story number {k}", f"summary: {sentence(rng, 12)}",
            "persona:", f"  name: Person {k % 37}", "  role: support worker",
            "  setting: a service in the north of England", "voice: third",
            f"themes: [{themes[0]}, {themes[1]}]", "status: approved", "reviewer: Benchmark panel",
            f"reviewed_on: 2026-{1 + k % 12:02d}-{1 + k % 28:02d}", "media: [site]",
            "images:", f"  - image: images/picture-{k % n_images:02d}.jpg",
            f"    alt: Abstract picture number {k % n_images}.", "    credit: Benchmark", "---", ""]
        (root / "narratives" / "stories" / f"{slug}.md").write_text(
            "\n".join(front + body) + "\n", encoding="utf-8")
    first = stories[0][2][0]
    return {"edit_file": root / "narratives" / "excerpts" / f"{first.split('-')[0]}.yaml",
            "edit_id": first, "stories": stories, "excerpts": excerpts}


# --- Hugo's equivalent -------------------------------------------------------

HUGO_BASEOF = """<!DOCTYPE html>
<html lang="{{ site.LanguageCode }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title>
<meta name="description" content="{{ with .Description }}{{ . }}{{ else }}{{ .Summary | plainify }}{{ end }}">
<link rel="canonical" href="{{ .Permalink }}">
<meta property="og:title" content="{{ .Title }}"><meta property="og:url" content="{{ .Permalink }}">
<meta property="og:image" content="{{ absURL (printf "cards/%s.png" .File.ContentBaseName) }}">
<link rel="stylesheet" href="{{ relURL "style.css" }}"></head>
<body><a class="skip-link" href="#main">Skip to content</a>
<header><a href="{{ relURL "" }}">{{ site.Title }}</a><nav><ul>
<li><a href="{{ relURL "stories/" }}">All stories</a></li><li><a href="{{ relURL "themes/" }}">Themes</a></li>
</ul></nav></header>
<main id="main">{{ block "main" . }}{{ end }}</main>
<footer><p>Every story here is a composite.</p></footer></body></html>
"""
HUGO_SINGLE = """{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Description }}</p>
{{ with .Params.hero }}<figure><img src="{{ relURL . }}" alt="{{ $.Params.alt }}" width="1600" height="900"></figure>{{ end }}
<p class="disclosure">A composite of {{ .Params.contributors }} accounts; names and details changed.</p>
<section><h2>Meet {{ .Params.persona }}</h2></section>
{{ .TableOfContents }}
{{ .Content }}
<ul>{{ range .GetTerms "themes" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
</article>{{ end }}
"""
HUGO_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}
<ul>{{ range .Pages }}<li><article><h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3>
<p>{{ .Description }}</p></article></li>{{ end }}</ul>{{ end }}
"""
HUGO_HOME = """{{ define "main" }}<h1>{{ site.Title }}</h1>
<ul>{{ range first 3 (where site.RegularPages "Section" "stories") }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
<ul>{{ range site.Taxonomies.themes }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>
{{ end }}
"""


def hugo_site(root: Path, facts: dict, project: Path) -> None:
    """The same stories as Markdown with comparable layouts, taxonomy pages, RSS and sitemap."""
    (root / "layouts" / "_default").mkdir(parents=True)
    (root / "content" / "stories").mkdir(parents=True)
    (root / "static").mkdir()
    shutil.copy(REPO / "storygen" / "themes" / "default" / "static" / "style.css", root / "static" / "style.css")
    (root / "hugo.toml").write_text(
        'baseURL = "https://example.org/bench/"\nlanguageCode = "en-GB"\ntitle = "Benchmark stories"\n'
        '[taxonomies]\ntheme = "themes"\n[markup.goldmark.renderer]\nunsafe = false\n', encoding="utf-8")
    layouts = root / "layouts" / "_default"
    (layouts / "baseof.html").write_text(HUGO_BASEOF, encoding="utf-8")
    (layouts / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    (layouts / "taxonomy.html").write_text(HUGO_LIST, encoding="utf-8")
    (layouts / "term.html").write_text(HUGO_LIST, encoding="utf-8")
    (root / "layouts" / "index.html").write_text(HUGO_HOME, encoding="utf-8")
    texts = {e["id"]: e["text"] for items in facts["excerpts"].values() for e in items}
    names = dict((t, n) for t, n, _ in THEMES)
    for k, themes, ids in facts["stories"]:
        story = (project / "narratives" / "stories" / f"story-{k:04d}.md").read_text(encoding="utf-8")
        title = re.search(r"^title: (.*)$", story, re.M).group(1)
        summary = re.search(r"^summary: (.*)$", story, re.M).group(1)
        body = story.split("---", 2)[2]
        body = re.sub(r'\{\{ excerpt\("([^"]+)"\) \}\}', lambda m: "> " + texts[m.group(1)], body)
        front = (f'---\ntitle: "{title}"\ndescription: "{summary}"\ndate: 2026-01-01\n'
                 f'themes: ["{names[themes[0]]}", "{names[themes[1]]}"]\npersona: "Person {k % 37}"\n'
                 f'contributors: 5\nhero: "images/picture-{k % 20:02d}.jpg"\nalt: "Abstract picture"\n---\n')
        (root / "content" / "stories" / f"story-{k:04d}.md").write_text(front + body, encoding="utf-8")


# --- measuring ---------------------------------------------------------------

CPU: dict[int, float] = {}  # id(output) -> CPU seconds of that run (user + sys, with children)


def run(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    """Wall time, peak RSS in MB (the process and what it waited for), output.

    CPU seconds go to CPU[id(output)]: on a busy machine they are the steadier number.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    out = proc.stdout.read().decode("utf-8", errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{out}")
    CPU[id(out)] = usage.ru_utime + usage.ru_stime
    return seconds, usage.ru_maxrss // 1024, out


def phases(output: str) -> dict[str, float]:
    found = {}
    for line in output.splitlines():
        m = re.match(r"\s*([\w.]+)\s+([\d.]+) s$", line)
        if m:
            found[m.group(1)] = float(m.group(2))
    return found


def storygen_build(project: Path) -> tuple[float, int, dict, float]:
    seconds, rss, out = run([PY, "-m", "storygen", "build", "--project", str(project),
                             "--only", "site", "--timings"], project)
    return seconds, rss, phases(out), CPU[id(out)]


class _Preview:
    """`storygen serve` in its own process, watched as a browser would: the live-reload stream."""

    def __init__(self, project: Path):
        import socket
        import threading

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.lines: list[str] = []
        self.proc = subprocess.Popen([PY, "-m", "storygen", "serve", "--project", str(project),
                                      "--port", str(self.port)], cwd=project, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(REPO)})
        threading.Thread(target=lambda: self.lines.extend(
            line.decode("utf-8", "replace").rstrip() for line in self.proc.stdout), daemon=True).start()
        deadline = time.time() + 300
        while not any(line.startswith("Previewing at") for line in self.lines):
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit("storygen serve did not start:\n" + "\n".join(self.lines))
            time.sleep(0.05)
        self.builds: list[tuple[float, int]] = []
        import http.client
        self.events = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.events.request("GET", "/__storygen/events")
        stream = self.events.getresponse()

        def read():
            for raw in stream:
                line = raw.decode().strip()
                if line.startswith("data:"):
                    self.builds.append((time.perf_counter(), int(line[5:])))
        threading.Thread(target=read, daemon=True).start()
        while not self.builds:
            time.sleep(0.01)

    def edit(self, path: Path, text: str, page: str, expect: str) -> float:
        """Seconds from saving `text` into `path` until the preview announces a build with `expect` on `page`."""
        import http.client

        generation = self.builds[-1][1]
        start = time.perf_counter()
        path.write_text(text, encoding="utf-8")
        deadline = start + 60
        while not any(g > generation for _, g in self.builds):
            if time.perf_counter() > deadline:
                raise SystemExit("no rebuild announced:\n" + "\n".join(self.lines[-5:]))
            time.sleep(0.005)
        announced = next(t for t, g in self.builds if g > generation)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", page)
        body = conn.getresponse().read().decode("utf-8", "replace")
        conn.close()
        assert expect in body, f"the preview's {page} does not show the edit"
        return announced - start

    def stop(self) -> None:
        self.proc.send_signal(2)        # Ctrl+C
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=1000)
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="generate here and keep it (default: a temp folder)")
    parser.add_argument("--part", choices=("all", "id", "query"), default="all",
                        help="id: the 1,000-story id project only; query: the issue 14 comparison only")
    parser.add_argument("--query-stories", type=int, default=600, help="stories in the query project")
    args = parser.parse_args()
    per_source = args.stories * 10 // args.sources
    hugo = shutil.which("hugo")
    work = args.keep or Path(tempfile.mkdtemp(prefix="storygen-bench-"))
    if args.keep and work.exists():
        shutil.rmtree(work)
    project, hugo_dir = work / "project", work / "hugo"
    try:
        if args.part in ("all", "id"):
            _id_project(args, work, project, hugo_dir, hugo, per_source)
        if args.part in ("all", "query"):
            import query_project

            print()
            for line in query_project.compare(work, hugo, n_stories=args.query_stories, n_sources=args.sources):
                print(line)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _id_project(args, work: Path, project: Path, hugo_dir: Path, hugo: str | None, per_source: int) -> None:
    """The 1,000-story project written by id: cold, no-change, one edit, serve, Hugo."""
    t = time.perf_counter()
    facts = generate(project, args.stories, args.sources, per_source)
    n_excerpts = sum(len(v) for v in facts["excerpts"].values())
    print(f"generated {n_excerpts} excerpts from {args.sources} sources, {args.stories} stories, "
          f"6 themes × {len(SUBS)} sub-codes in {time.perf_counter() - t:.1f} s")
    os.environ["STORYGEN_CACHE_DIR"] = str(work / "cache")
    shutil.rmtree(work / "cache", ignore_errors=True)

    load_start = os.getloadavg()[0]
    cold, cold_rss, cold_phases, cold_cpu = storygen_build(project)
    warm = [storygen_build(project) for _ in range(3)]
    nochange = statistics.median(w[0] for w in warm)
    nochange_cpu = statistics.median(w[3] for w in warm)
    nochange_phases = sorted(warm, key=lambda w: w[0])[1][2]
    edits = []
    text = facts["edit_file"].read_text(encoding="utf-8")
    for i in range(3):
        marker = "\n    text: |\n      "
        at = text.index(marker) + len(marker)
        # a lower-case marker: a made-up capitalised word before "service" or "team" is just what
        # the privacy guard flags as a named local service, and would stop the build
        text = text[:at] + f"edited{i} " + text[at:]
        facts["edit_file"].write_text(text, encoding="utf-8")
        edits.append(storygen_build(project))
    edit = statistics.median(e[0] for e in edits)
    edit_cpu = statistics.median(e[3] for e in edits)
    edit_phases = sorted(edits, key=lambda e: e[0])[1][2]
    page = (project / "build" / "site" / "stories" / "story-0000" / "index.html").read_text(encoding="utf-8")
    assert "edited2" in page, "the edit did not reach the page"
    peak = max([cold_rss] + [w[1] for w in warm] + [e[1] for e in edits])

    # The same edit in `storygen serve`, the tool's incremental rebuild: saved file to the
    # browser's reload signal, once the preview has settled (as when someone starts editing).
    preview = _Preview(project)
    try:
        time.sleep(5)
        serve_edits = []
        for i in range(3):
            at = text.index(marker) + len(marker)
            text = text[:at] + f"previewed{i} " + text[at:]
            serve_edits.append(preview.edit(facts["edit_file"], text, "/stories/story-0000/",
                                            f"previewed{i}"))
        serve_edit = statistics.median(serve_edits)
        serve_log = [line for line in preview.lines if line.startswith("rebuilt in")][-3:]
    finally:
        preview.stop()

    if hugo:
        hugo_site(hugo_dir, facts, project)
        version = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.strip()
        hugo_runs = []
        for i in range(3):
            shutil.rmtree(hugo_dir / "public", ignore_errors=True)
            wall, rss, out = run([hugo, "--quiet", "--destination", "public"], hugo_dir)
            hugo_runs.append((wall, rss, CPU[id(out)]))
        hugo_time = statistics.median(h[0] for h in hugo_runs)
        hugo_cpu = statistics.median(h[2] for h in hugo_runs)
        hugo_pages = sum(1 for _ in (hugo_dir / "public").rglob("*.html"))
    site_pages = sum(1 for p in (project / "build" / "site").rglob("*.html") if "pagefind" not in p.parts)

    print()
    print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; "
          f"load average {os.getloadavg()[0]:.1f} (start {load_start:.1f})")
    print(f"{'measurement':<44}{'wall s':>8}{'× Hugo':>8}{'CPU s':>8}{'× Hugo':>8}{'target':>8}")

    def row(name, seconds, target=None, cpu=None):
        ratio = f"{seconds / hugo_time:.2f}" if hugo else "n/a"
        cpu_s = f"{cpu:.2f}" if cpu is not None else ""
        cpu_r = f"{cpu / hugo_cpu:.2f}" if (cpu is not None and hugo) else ""
        print(f"{name:<44}{seconds:>8.3f}{ratio:>8}{cpu_s:>8}{cpu_r:>8}{('≤ ' + str(target)) if target else '':>8}")

    if hugo:
        row(f"hugo full build ({hugo_pages} pages, median of 3)", hugo_time, None, hugo_cpu)
    row(f"storygen cold build ({site_pages} pages)", cold, 8, cold_cpu)
    row("  of which site.pages (render phase)", cold_phases.get("site.pages", 0.0), 2)
    row("  of which render.site (all site phases)", cold_phases.get("render.site", 0.0))
    row("storygen no-change rebuild (median of 3)", nochange, 0.5, nochange_cpu)
    row("  of which render.site", nochange_phases.get("render.site", 0.0), 0.5)
    row("storygen one-excerpt rebuild (median of 3)", edit, 0.5, edit_cpu)
    row("  of which render.site", edit_phases.get("render.site", 0.0), 0.5)
    row("serve: one-excerpt edit (median of 3)", serve_edit, 0.5)
    print(f"peak memory (largest process): {peak} MB (target < 1024 MB)")
    if hugo:
        print(f"hugo: {version}; peak memory {max(h[1] for h in hugo_runs)} MB")
    print()
    for label, ph in (("cold", cold_phases), ("no-change", nochange_phases), ("one edit", edit_phases)):
        shown = ", ".join(f"{k} {v:.3f}" for k, v in ph.items() if k != "total")
        print(f"phases, {label}: {shown}")
    print("serve, each edit: " + ", ".join(f"{s:.3f} s" for s in serve_edits) + "; its log: "
          + " | ".join(serve_log), flush=True)


if __name__ == "__main__":
    main()
