"""Two different keys in one request are a 401; the same key sent twice is that key (issue
20, point 7).

A valid Bearer token beside a wrong ``X-API-KEY`` used to get in (the first header found won),
so a client that sent a wrong key would believe it worked. Every combination of
``Authorization: Bearer``, ``X-API-KEY`` and ``Api-Key`` (Ideogram's header, accepted
everywhere) on the jobs API, a per-model endpoint, the admin API and Ideogram's surface,
through a real server on loopback.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from upstreams import UpstreamImagegate

HEADERS = ("Authorization", "X-API-KEY", "Api-Key")
LABELS = {"Authorization": "Authorization: Bearer", "X-API-KEY": "X-API-KEY",
          "Api-Key": "Api-Key"}


@dataclass(frozen=True)
class Keys:
    right: str  # the key the surface wants
    other: str  # a valid key, but another one (another account's, or an account's for admin)
    wrong: str = "ig_" + "0" * 32  # no key at all


@dataclass(frozen=True)
class Surface:
    name: str
    method: str
    path: str
    accepted: int  # the status once the caller is in (the request itself is then refused)
    ideogram: bool = False


SURFACES = [
    Surface("jobs", "GET", "/api/v1/jobs/recordInfo?taskId=nope", 404),
    Surface("model endpoint", "GET", "/api/v1/google/imagen-4/record-info?taskId=nope", 404),
    Surface("admin", "GET", "/api/admin/accounts", 200),
    # A form without its image: 422 in Ideogram's shape once the key was accepted.
    Surface("ideogram", "POST", "/v1/ideogram-v3/reframe", 422, ideogram=True),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpstreamImagegate]:
    with UpstreamImagegate(Path(tmp_path_factory.mktemp("keys")) / "data") as served:
        yield served


@pytest.fixture(scope="module")
def second_key(server: UpstreamImagegate) -> str:
    """Another account's valid key."""
    made = httpx.post(
        server.url("/api/admin/accounts"), json={"name": "other", "credits": 5},
        headers={"Authorization": f"Bearer {server.admin_key}"}, timeout=10,
    )
    assert made.status_code == 200, made.text
    return str(made.json()["data"]["apiKey"])


def keys_for(surface: Surface, server: UpstreamImagegate, second_key: str) -> Keys:
    if surface.name == "admin":
        return Keys(right=server.admin_key, other=server.api_key)
    return Keys(right=server.api_key, other=second_key)


def header(name: str, key: str) -> tuple[str, str]:
    return (name, f"Bearer {key}" if name == "Authorization" else key)


def call(
    server: UpstreamImagegate, surface: Surface, headers: list[tuple[str, str]]
) -> httpx.Response:
    form = {"files": {"style_reference_images": ("s.txt", b"x", "text/plain")},
            "data": {"resolution": "1024x1024"}} if surface.ideogram else {}
    return httpx.request(
        surface.method, server.url(surface.path), headers=headers, timeout=10, **form
    )


def assert_in(surface: Surface, response: httpx.Response) -> None:
    assert response.status_code == surface.accepted, response.text


def assert_conflict(surface: Surface, response: httpx.Response, *names: str) -> None:
    assert response.status_code == 401, response.text
    # Named in a fixed order (the headers' order in HEADERS), whatever order they came in.
    labels = ", ".join(LABELS[name] for name in HEADERS if name in names)
    message = (
        f"Authentication failed: the request carries different API keys ({labels});"
        " send one key"
    )
    if surface.ideogram:
        assert response.json() == {"error": message}
    else:
        assert response.json() == {"code": 401, "msg": message, "data": None}


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_one_key_in_any_header_or_the_same_key_in_several_gets_in(
    server: UpstreamImagegate, second_key: str, surface: Surface
) -> None:
    keys = keys_for(surface, server, second_key)
    for count in (1, 2, 3):
        for names in itertools.combinations(HEADERS, count):
            response = call(server, surface, [header(name, keys.right) for name in names])
            assert_in(surface, response)
    # The same key twice in one header, too.
    assert_in(surface, call(server, surface, [("X-API-KEY", keys.right)] * 2))


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_two_different_keys_are_refused_whichever_is_valid(
    server: UpstreamImagegate, second_key: str, surface: Surface
) -> None:
    keys = keys_for(surface, server, second_key)
    for first, second in itertools.permutations(HEADERS, 2):
        for stranger in (keys.wrong, keys.other):
            headers = [header(first, keys.right), header(second, stranger)]
            assert_conflict(surface, call(server, surface, headers), first, second)
    # All three headers, two of them agreeing.
    for odd in HEADERS:
        headers = [header(name, keys.wrong if name == odd else keys.right) for name in HEADERS]
        assert_conflict(surface, call(server, surface, headers), *HEADERS)
    # One header sent twice with two keys.
    twice = [("X-API-KEY", keys.right), ("X-API-KEY", keys.other)]
    assert_conflict(surface, call(server, surface, twice), "X-API-KEY")


def test_the_issues_request_creates_no_task(server: UpstreamImagegate) -> None:
    """The issue's case on createTask: a valid Bearer token and a wrong X-API-KEY."""
    balance = server.balance()
    response = httpx.post(
        server.url("/api/v1/jobs/createTask"),
        json={"model": "google/nano-banana", "input": {"prompt": "a fox"}},
        headers={"Authorization": f"Bearer {server.api_key}", "X-API-KEY": "ig_wrong"},
        timeout=10,
    )
    assert response.status_code == 401 and response.json()["code"] == 401, response.text
    listed = httpx.get(server.url("/api/v1/jobs/list"), headers=server.auth, timeout=10).json()
    assert listed["data"]["tasks"] == []
    assert server.balance() == balance


def test_a_header_that_carries_no_key_is_no_second_key(server: UpstreamImagegate) -> None:
    """``Authorization: Basic ...`` (another scheme) and a ``Bearer`` without a token carry no
    key of imagegate's, so they do not conflict with the key beside them."""
    for authorization in ("Basic dXNlcjpwYXNz", "Bearer"):
        response = httpx.get(
            server.url("/api/v1/chat/credit"),
            headers={"Authorization": authorization, "X-API-KEY": server.api_key}, timeout=10,
        )
        assert response.status_code == 200, (authorization, response.text)
