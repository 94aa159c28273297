"""Helpers for the studio tests: a real studio (uvicorn on a free 127.0.0.1 port) and a client.

The tests talk HTTP to the real server with http.client, which sends exactly the
headers a test gives it (a wrong Host, a foreign Origin), as a hostile page would.
"""
from __future__ import annotations

import http.client
from contextlib import contextmanager
from pathlib import Path

from storygen.studio.server import Running


@contextmanager
def running(root: Path):
    studio = Running(root).start()
    try:
        yield studio
    finally:
        studio.stop()


class Client:
    """One browser's view of a studio: the cookie it was given, the Host it sends."""

    def __init__(self, studio: Running, *, login: bool = True):
        self.studio = studio
        self.cookie = ""
        if login:
            status, headers, _ = self.get(f"/library?token={studio.studio.keys.token}")
            assert status == 303, status
            self.cookie = headers["set-cookie"].split(";", 1)[0]

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.studio.port}"

    def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.studio.port, timeout=240)
        sent = {"Host": self.host}
        if self.cookie:
            sent["Cookie"] = self.cookie
        sent.update(headers or {})
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for key, value in sent.items():
            if value is not None:
                conn.putheader(key, value)
        if method != "GET":
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body:
            conn.send(body)
        response = conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def get(self, path: str, headers: dict | None = None):
        return self.request("GET", path, headers=headers)

    def post(self, path: str, form: dict, headers: dict | None = None):
        from urllib.parse import urlencode

        sent = {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://{self.host}"}
        sent.update(headers or {})
        return self.request("POST", path, urlencode(form).encode(), sent)
