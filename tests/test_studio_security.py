"""The studio's gate, against the real server: Host, token and cookie, Origin, size cap, paths."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from projectkit import write_project  # noqa: E402
from studiokit import Client, running  # noqa: E402


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = write_project(tmp_path_factory.mktemp("studio") / "proj")
    (root / "secret.txt").write_text("outside narratives")
    with running(root) as studio:
        yield studio


def test_no_token_no_cookie_is_refused(studio):
    anonymous = Client(studio, login=False)
    for path in ("/", "/library", "/excerpts/S01-01", "/stories", "/static/studio.css", "/codes.css"):
        status, _, body = anonymous.get(path)
        assert status == 403, path
        assert "storygen studio" in body and "S01" not in body


def test_wrong_token_is_refused_and_sets_no_cookie(studio):
    status, headers, _ = Client(studio, login=False).get("/library?token=guessed")
    assert status == 403 and "set-cookie" not in headers


def test_token_becomes_a_strict_http_only_cookie_and_leaves_the_address(studio):
    anonymous = Client(studio, login=False)
    status, headers, _ = anonymous.get(f"/library?theme=working-together&token={studio.studio.keys.token}")
    assert status == 303
    assert headers["location"] == "/library?theme=working-together"
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert studio.studio.keys.token not in cookie            # the URL key is not the session
    anonymous.cookie = cookie.split(";", 1)[0]
    assert anonymous.get("/library")[0] == 200


def test_token_redirect_never_leaves_the_studio(studio):
    status, headers, _ = Client(studio, login=False).get(f"//evil.example/?token={studio.studio.keys.token}")
    assert status == 303 and headers["location"].startswith("/") and not headers["location"].startswith("//")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1", "127.0.0.1:1",
                                  "localhost.evil.example:{port}", "", "0.0.0.0:{port}"])
def test_wrong_host_is_refused_even_with_a_cookie(studio, host):
    client = Client(studio)
    status, _, body = client.get("/library", headers={"Host": host.format(port=studio.port)})
    assert status == 400
    assert "S01-01" not in body


def test_localhost_by_name_is_accepted(studio):
    client = Client(studio)
    assert client.get("/library", headers={"Host": f"localhost:{studio.port}"})[0] == 200


def test_cross_origin_post_is_refused(studio):
    client = Client(studio)
    status, _, _ = client.post("/library", {"csrf": studio.studio.keys.csrf}, headers={"Origin": "http://evil.example"})
    assert status == 403
    status, _, _ = client.post("/library", {"csrf": studio.studio.keys.csrf},
                               headers={"Origin": None, "Sec-Fetch-Site": "cross-site"})
    assert status == 403


def test_oversized_body_is_refused_before_it_is_read(studio):
    client = Client(studio)
    status, _, body = client.request("POST", "/library", b"x" * (3 * 1024 * 1024),
                                     {"Origin": f"http://{client.host}", "Content-Type": "text/plain"})
    assert status == 413 and "larger" in body


@pytest.mark.parametrize("path", ["/static/../storygen.toml", "/static/%2e%2e/storygen.toml",
                                  "/static/..%2f..%2fsecret.txt", "/static/%2e%2e%2f%2e%2e%2fsecret.txt",
                                  "/excerpts/..%2F..%2Fsecret.txt", "/static//etc/passwd"])
def test_no_path_outside_the_studio_files_is_served(studio, path):
    status, _, body = Client(studio).get(path)
    assert status in (404, 400, 403)
    assert "outside narratives" not in body and "root:" not in body and "[site]" not in body


def test_pages_forbid_inline_scripts_and_framing(studio):
    _, headers, _ = Client(studio).get("/library")
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'self'" in policy
    assert "unsafe-inline" not in policy
    assert headers["x-content-type-options"] == "nosniff"
