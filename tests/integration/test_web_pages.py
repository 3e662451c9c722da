"""The web UI's files as the server hands them out: the two pages, their scripts and styles,
under a CSP that allows nothing from elsewhere, and nothing outside the static folder."""

from __future__ import annotations

import re
from typing import Any

from imagegate.api.web import STATIC


async def test_pages_and_their_files_are_served_with_a_strict_policy(api: Any) -> None:
    for path, marker in (("/", "playground.js"), ("/dashboard", "dashboard.js")):
        page = await api.client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert marker in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "connect-src 'self'" in policy
        # Everything a page loads is ours: no CDN, no other host.
        for url in re.findall(r'(?:src|href)="([^"]+)"', page.text):
            assert url.startswith(("/", "#", "data:")), url
    script = await api.client.get("/ui/playground.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")


async def test_every_module_a_script_imports_is_served(api: Any) -> None:
    for source in STATIC.glob("*.js"):
        for name in re.findall(r'from "\./([\w-]+\.js)"', source.read_text()):
            assert (await api.client.get(f"/ui/{name}")).status_code == 200, (source, name)


async def test_nothing_outside_the_static_folder(api: Any) -> None:
    for path in ("/ui/nope.js", "/ui/..%2F__init__.py", "/ui/%2E%2E%2Fapi%2Fweb.py",
                 "/ui/web.py", "/ui/", "/ui/a%00b.js"):
        response = await api.client.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["code"] == 404
