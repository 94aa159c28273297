"""`storygen serve`: a local preview that rebuilds as you edit and reloads the browser.

- Listens on 127.0.0.1 only: the preview shows drafts and is never for anyone else.
- Every project change (excerpts, stories, codebook, templates, assets, settings)
  triggers a rebuild: `build()` with the build context this preview keeps, so
  parsed files, composites and the site's content-hash cache make a rebuild redo
  only what the change affects: an edited excerpt re-renders the story and theme
  pages that show it, the feeds and the search index, and nothing else.
- Each rebuild goes into a fresh folder which is swapped in when complete, so a
  browser never sees half a site. A failed rebuild keeps the last good site and
  shows the error on every page until it is fixed.
- Only files inside the current build folder are ever served (no `..`, no
  symlinks out).
"""
from __future__ import annotations

import contextlib
import html
import http.server
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import click

from . import outputs
from .context import BuildContext
from .errors import StorygenError
from .options import BuildOptions
from .project import SCRATCH_SUFFIXES, is_input_folder

EVENTS = "/__storygen/events"
SERVED = "site"        # the output the preview serves over HTTP


class Preview:
    """The preview's state: the build context, the current site folder, its build number, the last error."""

    def __init__(self, project_root: Path, *, drafts: bool = True, echo=click.echo):
        self.root = project_root.resolve()
        self.drafts = drafts
        self.echo = echo
        self.context = BuildContext()          # what every rebuild remembers
        self.workdir = Path(tempfile.mkdtemp(prefix="storygen-serve-"))
        self.site: Path | None = None
        self.base_path = "/"
        self.generation = 0
        self.error: str | None = None
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self._lock = threading.Lock()      # one rebuild at a time
        self.httpd: http.server.ThreadingHTTPServer | None = None
        self.last_stats = None                 # the site's SiteStats from the last good rebuild
        self.last_seconds = 0.0
        # The published outputs the previewed ones read (the site embeds video/): watched too.
        live = [o.name for o in outputs.selected(live=True)]
        self.reads = {read for name in live for read in outputs.entry(name).reads if read not in live}

    # --- building ---------------------------------------------------------

    def rebuild(self) -> bool:
        """Build the site into a new folder and swap it in. Returns True on success."""
        from .build import build

        with self._lock:
            start = time.perf_counter()
            target = self.workdir / f"build-{self.generation + 1}"
            try:
                result = build(self.root, BuildOptions(drafts=self.drafts), context=self.context,
                               preview=target)
                self.base_path = urlsplit(result.project.config.site.base_url).path or "/"
            except StorygenError as exc:
                shutil.rmtree(target, ignore_errors=True)
                self._publish(None, exc.format_message())
                self.echo(f"error: {exc.format_message()}", err=True)
                return False
            except Exception as exc:  # keep serving; show what broke
                shutil.rmtree(target, ignore_errors=True)
                self._publish(None, f"{type(exc).__name__}: {exc}")
                self.echo(f"error: the preview could not be rebuilt: {type(exc).__name__}: {exc}", err=True)
                return False
            self.last_seconds = time.perf_counter() - start
            stats = self.last_stats = result.rendered[SERVED]
            for notice in result.notices:
                self.echo(notice, err=True)
            self._publish(target, None)
            self.echo(f"rebuilt in {self.last_seconds:.2f} s: {stats.pages_rendered} of "
                      f"{stats.pages_total} pages re-rendered"
                      f"{', search re-indexed' if stats.search_rebuilt else ''}")
            return True

    def _publish(self, build: Path | None, error: str | None) -> None:
        old = None
        with self.changed:
            if build is not None:
                old, self.site = self.site, build / SERVED
            self.error = error
            self.generation += 1
            self.changed.notify_all()
        if old is not None:
            # Requests already streaming from the old folder keep their open files. Thousands
            # of files take a while to unlink: the next rebuild need not wait for it.
            with signals_to_main_thread():
                threading.Thread(target=shutil.rmtree, args=(old.parent,), kwargs={"ignore_errors": True},
                                 name="storygen-cleanup", daemon=True).start()

    # --- watching ---------------------------------------------------------

    def watch(self) -> None:
        """Rebuild whenever a project file changes (until stop())."""
        from watchfiles import watch

        output = (self.root / self._output_name()).resolve()
        for _changes in watch(self.root, watch_filter=lambda _c, p: self._relevant(Path(p), output),
                              stop_event=self.stopping, debounce=400, step=30, raise_interrupt=False):
            self.rebuild()

    def _output_name(self) -> str:
        try:
            from .config import load_config
            return load_config(self.root).build.output
        except StorygenError:
            return "build"

    def _relevant(self, path: Path, output: Path) -> bool:
        try:
            rel = path.resolve().relative_to(self.root)
        except ValueError:
            return False
        real = path.resolve()
        if real.is_relative_to(output):
            inside = real.relative_to(output).parts
            if not inside or inside[0] not in self.reads:
                return False  # our own output (but a new build of a folder the preview reads is worth a refresh)
        # Dot-folders hold caches, git and the build's own staging folders.
        if not all(is_input_folder(part) for part in rel.parts):
            return False
        return not path.name.endswith(SCRATCH_SUFFIXES)

    # --- serving ----------------------------------------------------------

    def start(self, port: int) -> int:
        """Build once, then serve on 127.0.0.1:port in background threads. Returns the port."""
        self.rebuild()
        handler = _handler_for(self)
        try:
            self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError as exc:
            raise StorygenError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}",
                                hint="another program is using that port; try `storygen serve --port 8001`") from None
        self.httpd.daemon_threads = True
        with signals_to_main_thread():
            threading.Thread(target=self.httpd.serve_forever, name="storygen-http", daemon=True).start()
            threading.Thread(target=self.watch, name="storygen-watch", daemon=True).start()
            threading.Thread(target=_warm_up, name="storygen-warm-up", daemon=True).start()
        return self.httpd.server_address[1]

    def stop(self) -> None:
        self.stopping.set()
        with self.changed:
            self.changed.notify_all()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def resolve(self, url_path: str) -> Path | None:
        """The file for a URL path, strictly inside the current site folder, or None.

        The site is served at the root and also at its published base path
        (where the 404 page's root-relative links point); the root wins.
        """
        site = self.site
        if site is None:
            return None
        path = unquote(url_path)
        found = self._inside(site, path)
        if found is None and self.base_path != "/" and path.startswith(self.base_path):
            found = self._inside(site, "/" + path[len(self.base_path):])
        return found

    @staticmethod
    def _inside(site: Path, path: str) -> Path | None:
        return file_inside(site, path)


def file_inside(site: Path, path: str) -> Path | None:
    """The file a URL path names strictly inside `site` (a folder's index.html), or None.
    Shared with the studio, which serves its preview folder the same way."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." or "\\" in p or "\0" in p for p in parts):
        return None
    candidate = site.joinpath(*parts)
    try:                    # a segment over 255 bytes (ENAMETOOLONG) is simply not there
        if candidate.is_dir():
            candidate = candidate / "index.html"
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(site.resolve()) or not real.is_file():
        return None
    return real


STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


@contextlib.contextmanager
def signals_to_main_thread():
    """Threads started inside never take Ctrl+C or SIGTERM (they inherit the blocked mask,
    as do the request threads the HTTP thread starts). The kernel hands a process's signal to
    any thread not blocking it: one taken by a helper thread set Python's flag but left the
    main thread asleep in `time.sleep(3600)`, and `serve` went on running (seen when a test's
    SIGTERM came while the detectors were loading). Blocked elsewhere, both signals wake
    the main thread, whose handler stops the preview and removes its folder."""
    if threading.current_thread() is not threading.main_thread():
        yield                      # a thread started from a helper thread inherits its mask
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _wait_for_a_stop_signal() -> None:
    """Sleep until Ctrl+C or SIGTERM, whichever thread the kernel hands it to.

    Blocking both in helper threads (above) is not enough on its own: a thread that native
    code starts, or one that changes its own mask, can still take the signal, and Python
    then only marks it pending, which a main thread asleep in `time.sleep` never looks at
    (seen: 1 `storygen serve` in 4 kept running after a SIGTERM sent just as the preview
    opened, with the signal marked as received). Python's handler also writes the signal's
    number to the wake-up descriptor, from any thread: waiting on it, the main thread wakes
    and runs the handler, which raises KeyboardInterrupt (cli.Stopped for SIGTERM)."""
    import select
    import socket

    if threading.current_thread() is not threading.main_thread():
        while True:                # only the main thread takes signals at all
            time.sleep(3600)
    receive, send = socket.socketpair()
    send.setblocking(False)        # the handler must never block writing to it
    previous = signal.set_wakeup_fd(send.fileno(), warn_on_full_buffer=False)
    try:
        while True:
            select.select([receive], [], [])
            receive.recv(64)       # the handler runs as soon as this returns to Python
    finally:
        signal.set_wakeup_fd(previous)
        receive.close()
        send.close()


def _warm_up() -> None:
    """Load the privacy detectors while the preview waits for its first edit.

    A first build whose texts are all remembered clean never runs them, so the
    first edit would otherwise pay for importing Presidio (about a second).
    """
    try:
        from .privacy.detect import Detector

        Detector().scan("Warming up: ring 0161 496 0000 or write to Sarah in Leeds on 3 May.")
    except Exception:  # only a head start: a real problem shows in the next rebuild
        pass


def _handler_for(preview: Preview):
    class Handler(http.server.SimpleHTTPRequestHandler):
        server_version = "storygen-preview"
        sys_version = ""

        def log_message(self, *args):  # quiet: the terminal shows rebuilds and errors
            pass

        def do_GET(self):
            self._serve(head=False)

        def do_HEAD(self):
            self._serve(head=True)

        def _serve(self, head: bool) -> None:
            # Only this machine's own names: a web page elsewhere cannot point a
            # domain at 127.0.0.1 (DNS rebinding) and read unpublished drafts.
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
            if host not in ("127.0.0.1", "localhost", "::1"):
                return self._send(403, b"storygen preview: local requests only", "text/plain; charset=utf-8", head)
            path = urlsplit(self.path).path
            if path == EVENTS:
                return self._events()
            if path.endswith("/") or path.endswith(".html") or "." not in path.rsplit("/", 1)[-1]:
                if preview.error is not None:
                    return self._send(500, _error_page(preview.error).encode(), "text/html; charset=utf-8", head)
            if path != "/" and not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
                target = preview.resolve(path + "/")
                if target is not None:  # /stories/x -> /stories/x/ so relative links work
                    self.send_response(301)
                    self.send_header("Location", path + "/")
                    self.end_headers()
                    return
            target = preview.resolve(path)
            if target is None:
                missing = preview.resolve("/404.html")
                body = missing.read_bytes() if missing else b"Not found"
                return self._send(404, body, "text/html; charset=utf-8", head)
            ctype = self.guess_type(str(target))
            if ctype.startswith("text/") or ctype in ("application/javascript", "application/xml"):
                ctype += "; charset=utf-8"
            self._send(200, target.read_bytes(), ctype, head)

        def _send(self, status: int, body: bytes, ctype: str, head: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")  # a preview is always fresh
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _events(self) -> None:
            """Server-sent events: the build number now, then each new one."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            sent = None
            try:
                while not preview.stopping.is_set():
                    with preview.changed:
                        if sent == preview.generation:
                            preview.changed.wait(timeout=15)
                        current = preview.generation
                    if current != sent:
                        self.wfile.write(f"event: build\ndata: {current}\n\n".encode())
                    else:
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    sent = current
            except (BrokenPipeError, ConnectionResetError):
                pass

    Handler.extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                              ".js": "application/javascript", ".mjs": "application/javascript",
                              ".wasm": "application/wasm", ".vtt": "text/vtt",
                              ".webp": "image/webp", ".xml": "application/xml",
                              ".pagefind": "application/octet-stream"}
    return Handler


def _error_page(message: str) -> str:
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\" />"
            "<title>Build error · storygen preview</title>"
            "<style>body{font-family:sans-serif;margin:2rem;max-width:60rem}"
            "pre{white-space:pre-wrap;background:#fff3f3;color:#5a0000;padding:1rem;border-left:6px solid #b00020}</style>"
            "</head><body><main><h1>The preview could not be rebuilt</h1>"
            f"<pre>{html.escape(message)}</pre>"
            "<p>Fix the problem and save: this page reloads by itself.</p></main>"
            f"<script>new EventSource('{EVENTS}').addEventListener('build',(()=>{{let f=null;"
            "return e=>{if(f===null)f=e.data;else if(e.data!==f)location.reload();};})());</script>"
            "</body></html>")


def serve(project_root: Path, port: int = 8000, drafts: bool = True) -> None:
    """Preview the project at http://127.0.0.1:PORT/ until Ctrl+C."""
    preview = Preview(Path(project_root), drafts=drafts)
    try:
        port = preview.start(port)
        click.echo(f"Previewing at http://127.0.0.1:{port}/ "
                   f"({'drafts shown, marked DRAFT' if drafts else 'approved stories only'}). "
                   "Only this computer can see it. Press Ctrl+C to stop.")
        _wait_for_a_stop_signal()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        preview.stop()
    sys.stdout.flush()
