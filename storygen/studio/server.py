"""Run the studio: bind 127.0.0.1, print the address with its key, open the browser."""
from __future__ import annotations

import socket
import threading
import webbrowser
from pathlib import Path

import click

from ..errors import StorygenError
from ..project import load_project
from .app import Studio


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1 only (port 0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise StorygenError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}",
                            hint="another program is using that port; try `storygen studio --port 8766`") from None
    sock.listen(64)
    return sock


class Running:
    """A studio serving in a background thread (tests, benchmarks); `stop()` ends it."""

    def __init__(self, root: Path, port: int = 0):
        import uvicorn

        self.studio = Studio(Path(root))
        self.sock = bind(port)
        self.port = self.sock.getsockname()[1]
        self.studio.keys.port = self.port
        config = uvicorn.Config(self.studio.app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="storygen-studio", daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        """The address to open: with the key that becomes the session cookie."""
        return f"{self.base}/library?token={self.studio.keys.token}"

    def start(self) -> "Running":
        self.thread.start()
        while not self.server.started and self.thread.is_alive():
            threading.Event().wait(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def studio(project_root: Path, *, port: int, open_browser: bool) -> None:
    """`storygen studio`: serve until Ctrl+C."""
    load_project(Path(project_root))        # a project that cannot be read says so here, exit 2
    running = Running(project_root, port).start()
    click.echo(f"storygen studio is open at\n  {running.address}\n"
               "Only this computer can reach it, and only with that address (it carries a one-off key). "
               "Press Ctrl+C to stop.")
    if open_browser:
        webbrowser.open(running.address)
    try:
        while running.thread.is_alive():
            running.thread.join(timeout=3600)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        running.stop()
