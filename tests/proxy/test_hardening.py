"""Findings of the proxy's security review, each pinned by a test against a real proxy:
documents the proxy cannot read are never run, the tables remembered for an operation
follow the variables that shape the engine's plan, and routing refusals are GraphQL-shaped."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.proxy.servers import ProxyServer
from tests.support import ALICE_ID

# U+00A0 between tokens: the engine's parser skips any Unicode whitespace, graphql-core
# refuses it. Before the fix the proxy could not analyse such a document and let it through
# unchecked: a mutation over GET, and no depth/field/alias limit.
NBSP_MUTATION = ("mutation\u00a0{ updateWorkoutCollection(set: {title: \"x\"}, "
                 "filter: {id: {eq: -1}}, atMost: 1) { affectedCount } }")


def test_get_never_runs_a_mutation_the_proxy_cannot_parse(proxy: ProxyServer, tokens) -> None:
    response = httpx.get(proxy.graphql_url, params={"query": NBSP_MUTATION}, timeout=10,
                         headers={"Authorization": f"Bearer {tokens['alice']}"})
    body = response.json()
    assert "data" not in body, body  # before the fix: {"data": {"updateWorkoutCollection": ...}}
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "U+00A0" in body["errors"][0]["message"]
    strict = httpx.get(proxy.graphql_url, params={"query": NBSP_MUTATION}, timeout=10,
                       headers={"Authorization": f"Bearer {tokens['alice']}",
                                "Accept": "application/graphql-response+json"})
    assert strict.status_code == 400 and "data" not in strict.json()


def test_limits_apply_whatever_the_spelling(proxy: ProxyServer, tokens) -> None:
    """A document deeper than MAX_DEPTH (12) written with vertical tabs between its tokens."""
    deep = "{" + " workoutCollection(first: 1) { edges { node { owner {" * 4 + " id" + " } } } }" * 4 + " }"
    assert proxy.post(deep, token=tokens["alice"]).json()["errors"][0]["extensions"]["code"] == "DEPTH_LIMIT_EXCEEDED"
    answer = proxy.post(deep.replace(" ", "\x0b"), token=tokens["alice"]).json()
    assert "data" not in answer, answer
    assert answer["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_a_syntax_error_is_still_a_graphql_error(proxy: ProxyServer) -> None:
    response = proxy.post("{ __typename")
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED" and "line 1" in error["message"]


def test_other_methods_get_graphql_shaped_405(proxy: ProxyServer) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        response = httpx.request(method, proxy.graphql_url, json={"query": "{ __typename }"}, timeout=10)
        assert response.status_code == 405
        assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
        assert "POST" in response.headers["allow"]
    missing = httpx.get(f"{proxy.url}/no-such-page", timeout=10)
    assert missing.status_code == 404 and missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


# --- the tables an operation reads depend on its directive variables -------------------

ENTRIES = ("query Entries($x: Boolean!, $t: String!) { workoutCollection(first: 5, filter: {title: {eq: $t}}) "
           "{ edges { node { title workoutEntryCollection(first: 5) @include(if: $x) "
           "{ edges { node { position } } } } } } }")


@pytest.fixture
def workout(database_url: str) -> Iterator[tuple[str, int]]:
    title = f"hardening-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url) as conn:
        (workout_id,) = conn.execute(
            "insert into app.workout (owner_id, title) values (%s, %s) returning id", (ALICE_ID, title)
        ).fetchone()
    yield title, workout_id
    with psycopg.connect(database_url) as conn:
        conn.execute("delete from app.workout where id = %s", (workout_id,))


def test_tables_are_remembered_per_directive_value(proxy: ProxyServer, tokens, database_url, workout) -> None:
    """Before the fix the tables of `Entries` were remembered from its first request
    (x=false: no workout_entry), so the x=true answer was filed under the versions of
    workout and coaching only and stayed stale after a write to workout_entry."""
    title, workout_id = workout
    alice = tokens["alice"]

    def entries() -> httpx.Response:
        return proxy.post(ENTRIES, {"x": True, "t": title}, token=alice)

    without = proxy.post(ENTRIES, {"x": False, "t": title}, token=alice)
    assert without.status_code == 200 and "errors" not in without.json(), without.text
    first = entries()
    assert first.json()["data"]["workoutCollection"]["edges"][0]["node"]["workoutEntryCollection"]["edges"] == []
    assert entries().headers["x-cache"] == "HIT"
    with psycopg.connect(database_url) as conn:
        conn.execute("insert into app.workout_entry (workout_id, exercise_id, position)"
                     " select %s, min(id), 0 from app.exercise where owner_id is null", (workout_id,))
    deadline = time.monotonic() + 3
    while True:
        node = entries().json()["data"]["workoutCollection"]["edges"][0]["node"]
        if node["workoutEntryCollection"]["edges"] == [{"node": {"position": 0}}]:
            break
        assert time.monotonic() < deadline, "the cached answer stayed stale after a write to workout_entry"
        time.sleep(0.05)


# --- automatic persisted queries store only documents that passed ----------------------

def _apq(proxy: ProxyServer, text: str | None, digest: str) -> dict:
    payload: dict = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    if text is not None:
        payload["query"] = text
    return httpx.post(proxy.graphql_url, json=payload, timeout=10).json()


@pytest.mark.parametrize("text", [
    "not graphql at all {{{ ",
    "{" + " a {" * 13 + " b" + " }" * 13 + " }",  # deeper than MAX_DEPTH
])
def test_apq_does_not_store_refused_documents(proxy: ProxyServer, text: str) -> None:
    """Before the fix any text with a matching hash was stored in Redis for APQ_TTL_SECONDS
    (a week), whether or not it was GraphQL: free storage for anyone."""
    text += f" # {uuid.uuid4().hex}"
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert "data" not in _apq(proxy, text, digest)
    again = _apq(proxy, None, digest)
    assert again["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND", again


def test_apq_still_stores_good_documents(proxy: ProxyServer) -> None:
    text = "{ __typename }" + f" # {uuid.uuid4().hex}"
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert _apq(proxy, text, digest) == {"data": {"__typename": "Query"}}
    assert _apq(proxy, None, digest) == {"data": {"__typename": "Query"}}


# --- text the database cannot take is a 400, not a 500 ---------------------------------

@pytest.mark.parametrize("body", [
    '{"query": "{ __typename } # \\ud800"}',                       # a lone surrogate
    '{"query": "{ __typename }", "operationName": "\\udfff"}',
    '{"query": "{ __typename \\u0000 }"}',                         # NUL
    '{"query": "{ __typename }", "operationName": "A\\u0000"}',
])
def test_unencodable_text_is_a_bad_request(proxy: ProxyServer, tokens, body: str) -> None:
    """Before the fix these reached psycopg (or hashlib) and came back as 500 Internal error,
    logged as an unexpected error with a traceback."""
    for headers in ({}, {"Authorization": f"Bearer {tokens['alice']}"}):
        response = httpx.post(proxy.graphql_url, content=body, timeout=10,
                              headers={"Content-Type": "application/json", **headers})
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    over_get = httpx.get(f"{proxy.graphql_url}?query=%7B__typename%00%7D", timeout=10)
    assert over_get.status_code == 400


# --- introspection: its expanded size is limited too -----------------------------------

def exploding_introspection(levels: int) -> str:
    """Each level spreads the next fragment four times: the answer grows geometrically."""
    fragments = []
    for i in range(levels):
        inner = f"...F{i + 1}" if i + 1 < levels else "name"
        fragments.append(f"fragment F{i} on __Type {{ name kind fields {{ name type {{ {inner} ofType {{ {inner} "
                         f"ofType {{ {inner} ofType {{ {inner} }} }} }} }} }} }}")
    return "{ __schema { types { ...F0 } } } " + " ".join(fragments)


def test_introspection_cannot_explode(proxy: ProxyServer, tokens) -> None:
    """Before the fix introspection counted as one field whatever it selected: this
    600-byte document made the database build a ~0.7 MB answer (five levels: ~2 MB, ~2 s),
    within every limit, at the user's full request rate."""
    document = exploding_introspection(4)
    assert len(document) < 800
    response = proxy.post(document, token=tokens["alice"])
    assert response.status_code == 400, (response.status_code, len(response.content))
    assert response.json()["errors"][0]["extensions"]["code"] == "FIELD_LIMIT_EXCEEDED"
    from graphql import get_introspection_query

    standard = proxy.post(get_introspection_query(descriptions=True, specified_by_url=True),
                          token=tokens["alice"])
    assert standard.status_code == 200 and "__schema" in standard.json()["data"]


# --- deeply nested JSON is a 400, not a 500 --------------------------------------------

@pytest.mark.parametrize("levels", [101, 980, 5000])
def test_deeply_nested_variables_are_a_bad_request(proxy: ProxyServer, tokens, levels: int) -> None:
    """Before the fix ~980 levels passed json.loads and broke json.dumps further down the
    stack, and 1,000 or more broke json.loads itself: 500 Internal error either way."""
    body = '{"query": "{ __typename }", "variables": {"a": ' + "[" * levels + "]" * levels + "}}"
    for headers in ({}, {"Authorization": f"Bearer {tokens['alice']}"}):
        response = httpx.post(proxy.graphql_url, content=body, timeout=10,
                              headers={"Content-Type": "application/json", **headers})
        assert response.status_code == 400, response.text
    shallow = '{"query": "{ __typename }", "variables": {"a": ' + "[" * 50 + "]" * 50 + "}}"
    assert httpx.post(proxy.graphql_url, content=shallow, timeout=10,
                      headers={"Content-Type": "application/json"}).status_code == 200


# --- every token failure is a 401 -------------------------------------------------------

def test_a_token_with_an_absurdly_nested_header_is_a_401(proxy: ProxyServer) -> None:
    """Before the fix json.loads of the JOSE header raised RecursionError: 500, not 401."""
    import base64

    def b64(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    header = '{"alg": "RS256", "kid": "k", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    token = f"{b64(header)}.{b64('{}')}.c2ln"
    response = proxy.post("{ __typename }", token=token)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_get_is_held_to_the_body_limit(proxy: ProxyServer) -> None:
    """Before the fix a GET's query string had no limit at all (the session proxy's
    MAX_BODY_BYTES is 20000): the same document refused as a POST body ran as a GET."""
    padded = "{ __typename } #" + "x" * 25_000
    assert proxy.post(padded).status_code == 413
    response = httpx.get(proxy.graphql_url, params={"query": padded}, timeout=10)
    assert response.status_code == 414
    assert response.json()["errors"][0]["extensions"]["code"] == "URI_TOO_LONG"
    assert httpx.get(proxy.graphql_url, params={"query": "{ __typename }"}, timeout=10).status_code == 200
