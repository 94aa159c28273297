"""The studio's gate: every request passes here before any page or file is touched.

The studio shows unpublished drafts and the private provenance of stories, and it
writes project files, so it is guarded like Jupyter's local server:

- it listens on 127.0.0.1 only (see app.py);
- the Host header must name this machine and port: a web page elsewhere cannot point
  its own domain at 127.0.0.1 (DNS rebinding) and read the studio through it;
- a random token, printed in the address `storygen studio` opens, is exchanged once per
  browser for an HttpOnly, SameSite=Strict session cookie; without either, 403;
- a state-changing request (anything but GET/HEAD) must come from the studio's own
  pages (Origin / Sec-Fetch-Site) and carry the session's CSRF token (checked by
  `require_csrf` when the form is read), and its body is capped in size.

A pure ASGI middleware (not Starlette's BaseHTTPMiddleware) so that it can refuse
before the body is read and count the body as it streams.
"""
from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, quote, urlencode

COOKIE = "storygen_studio"
MAX_BODY = 2 * 1024 * 1024      # the largest form: a story body with its front matter
LOCAL_NAMES = ("127.0.0.1", "localhost")


class Keys:
    """The secrets of one studio process: the URL token, the session cookie, the CSRF token."""

    def __init__(self):
        self.token = secrets.token_urlsafe(24)
        self.session = secrets.token_urlsafe(32)
        self.csrf = secrets.token_urlsafe(24)
        self.port = 0

    def allowed_hosts(self) -> set[str]:
        return {f"{name}:{self.port}" for name in LOCAL_NAMES}

    def origins(self) -> set[str]:
        return {f"http://{host}" for host in self.allowed_hosts()}

    def csrf_ok(self, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(value.encode(), self.csrf.encode())


class Refused(Exception):
    """A request the gate refuses: its status and a plain message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class BodyTooLarge(Exception):
    pass


def require_csrf(keys: Keys, value: str | None) -> None:
    if not keys.csrf_ok(value):
        raise Refused(403, "This form is out of date or did not come from the studio (no valid CSRF token). "
                           "Reload the page and try again.")


class Gate:
    def __init__(self, app, keys: Keys, *, max_body: int = MAX_BODY):
        self.app = app
        self.keys = keys
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            redirect = self._admit(scope, headers)
        except Refused as refused:
            return await _plain(send, refused.status, refused.message)
        if redirect is not None:
            return await _redirect(send, redirect, self.keys.session)
        if scope["method"] not in ("GET", "HEAD"):
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                return await _plain(send, 413, f"The request is larger than the studio accepts "
                                               f"({self.max_body // 1024} kB).")
            receive = _capped(receive, self.max_body)
        try:
            await self.app(scope, receive, send)
        except BodyTooLarge:
            await _plain(send, 413, "The request is larger than the studio accepts.")

    def _admit(self, scope, headers: dict[str, str]) -> str | None:
        """Raise Refused, or return where to redirect after a token exchange, or None to go on."""
        if headers.get("host", "").lower() not in self.keys.allowed_hosts():
            raise Refused(400, "storygen studio answers only to http://127.0.0.1:PORT/ on this computer "
                               "(the Host header named another address).")
        if scope["method"] not in ("GET", "HEAD"):
            origin = headers.get("origin")
            if origin is not None and origin not in self.keys.origins():
                raise Refused(403, "Refused: the request came from another web site.")
            site = headers.get("sec-fetch-site")
            if site is not None and site not in ("same-origin", "none"):
                raise Refused(403, "Refused: the request came from another web site.")
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = dict(query).get("token")
        if given is not None and scope["method"] in ("GET", "HEAD"):
            if not hmac.compare_digest(given.encode(), self.keys.token.encode()):
                raise Refused(403, "That studio address is not valid: open the address `storygen studio` printed.")
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            # One leading slash: `//host/` would send the browser to another site.
            return "/" + quote(scope["path"].lstrip("/")) + (f"?{rest}" if rest else "")
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:
            cookie = SimpleCookie()
        held = cookie.get(COOKIE)
        if held is None or not hmac.compare_digest(held.value.encode(), self.keys.session.encode()):
            raise Refused(403, "Open the studio with the address `storygen studio` printed in your terminal "
                               "(it carries a one-off key).")
        return None


def _capped(receive, limit: int):
    seen = 0

    async def wrapped():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message
    return wrapped


SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; frame-ancestors 'self'; "
                                 b"form-action 'self'; base-uri 'none'; object-src 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),   # no-referrer would make form posts send `Origin: null`
    (b"cache-control", b"no-store"),
]


async def _plain(send, status: int, message: str) -> None:
    body = message.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send, location: str, session: str) -> None:
    cookie = f"{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/"
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1")), (b"set-cookie", cookie.encode()),
                            (b"content-length", b"0"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": b""})
