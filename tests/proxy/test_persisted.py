"""Persisted queries: Apollo's APQ exchange, and the allow-list mode with operations
registered by `jim queries register DIR`."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.proxy.servers import REPO, ProxyServer, running_proxy, running_redis

QUERY = "query Catalog { exerciseCollection(first: 2) { edges { node { name } } } }"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(server: ProxyServer, hash_: str, query: str | None = None, token: str | None = None):
    payload = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash_}}}
    if query is not None:
        payload["query"] = query
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    import httpx

    return httpx.post(server.graphql_url, json=payload, headers=headers, timeout=10)


def test_apq_exchange(proxy: ProxyServer, tokens) -> None:
    text = QUERY + f" # {os.urandom(4).hex()}"  # a hash this Redis has never seen
    h = digest(text)
    first = apq(proxy, h, token=tokens["alice"])
    assert first.status_code == 200
    assert first.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert first.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    second = apq(proxy, h, text, token=tokens["alice"])
    assert second.status_code == 200 and "exerciseCollection" in second.json()["data"]
    third = apq(proxy, h, token=tokens["alice"])
    assert third.json() == second.json()


def test_apq_hash_must_match(proxy: ProxyServer) -> None:
    response = apq(proxy, digest("something else"), QUERY)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "provided sha does not match query"


def test_apq_bad_extension(proxy: ProxyServer) -> None:
    assert apq(proxy, "not-a-hash").status_code == 400


def register(redis_url: str, directory: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jim.cli", "queries", "register", str(directory), *extra],
                          cwd=REPO, env={**os.environ, "REDIS_URL": redis_url},
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def operations(tmp_path: Path) -> Path:
    (tmp_path / "catalog.graphql").write_text(QUERY)
    nested = tmp_path / "workouts"
    nested.mkdir()
    (nested / "mine.graphql").write_text(
        "fragment W on Workout { title }\nquery Mine { workoutCollection(first: 3) { edges { node { ...W } } } }\n"
    )
    return tmp_path


def test_register_reports_bad_files_and_registers_nothing(tmp_path: Path) -> None:
    (tmp_path / "ok.graphql").write_text(QUERY)
    (tmp_path / "bad.graphql").write_text("query { oops")
    with running_redis() as redis_server:
        result = register(redis_server.url, tmp_path)
        assert result.returncode == 1
        assert "bad.graphql:1:" in result.stderr
        assert list(redis_server.client().scan_iter(match="jim:pq:*")) == []


def test_allow_list_mode(operations: Path, database_url, keycloak, tokens, tmp_path_factory) -> None:
    manifest = tmp_path_factory.mktemp("m") / "manifest.json"
    with running_redis() as redis_server:
        result = register(redis_server.url, operations, "--manifest", str(manifest))
        assert result.returncode == 0, result.stderr
        assert "registered 2 document(s)" in result.stdout
        assert digest(QUERY) in manifest.read_text()
        with running_proxy(database_url, REDIS_URL=redis_server.url, PERSISTED_QUERIES_ONLY="true") as server:
            # registered: by hash, or by its full text
            by_hash = apq(server, digest(QUERY), token=tokens["alice"])
            assert by_hash.status_code == 200 and "exerciseCollection" in by_hash.json()["data"]
            assert server.post(QUERY, token=tokens["alice"]).status_code == 200
            mine = (operations / "workouts" / "mine.graphql").read_text()
            assert "workoutCollection" in apq(server, digest(mine), token=tokens["alice"]).json()["data"]
            # anything else is refused before the database, and clients cannot register
            other = "{ memberCollection { edges { node { id } } } }"
            for response in (server.post(other, token=tokens["alice"]),
                             apq(server, digest(other), token=tokens["alice"]),
                             apq(server, digest(other), other, token=tokens["alice"])):
                assert response.status_code == 400
                assert response.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWED"
            listing = subprocess.run([sys.executable, "-m", "jim.cli", "queries", "list"], cwd=REPO,
                                     env={**os.environ, "REDIS_URL": redis_server.url},
                                     capture_output=True, text=True, timeout=60)
            assert "Catalog" in listing.stdout and "Mine" in listing.stdout


def test_apq_over_get(proxy: ProxyServer, tokens) -> None:
    import json

    import httpx

    text = QUERY + f" # get {os.urandom(4).hex()}"
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest(text)}})
    headers = {"Authorization": f"Bearer {tokens['bob']}"}
    first = httpx.get(proxy.graphql_url, params={"extensions": extensions}, headers=headers, timeout=10)
    assert first.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    second = httpx.get(proxy.graphql_url, params={"extensions": extensions, "query": text}, headers=headers, timeout=10)
    assert "exerciseCollection" in second.json()["data"]
    third = httpx.get(proxy.graphql_url, params={"extensions": extensions}, headers=headers, timeout=10)
    assert third.json() == second.json()
