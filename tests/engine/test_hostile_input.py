"""Hostile requests: each gets a clear GraphQL error, quickly, never an internal error.

The engine runs as plain Python inside the backend, where a statement timeout or a cancel
only takes effect at the next SQL statement: work that grows exponentially with a short
document (fragments spread twice per level, nested introspection lists) cannot be stopped
from outside, so it must be bounded before it starts. Python's recursion limit must never be
what stops a deeply nested request.
"""

from __future__ import annotations

import base64
import json
import time

import psycopg

from jimgql.compile import document
from jimgql.compile.document import MAX_FIELDS, Collector
from tests.engine.support import data, resolve

INTERNAL = "Internal error while resolving the request"


def _timed(conn: psycopg.Connection, query: str, variables: dict | None = None,
           limit: float = 5.0) -> dict:
    started = time.monotonic()
    answer = resolve(conn, query, variables)
    assert time.monotonic() - started < limit, "the request was not refused early"
    return answer


def _messages(answer: dict) -> list[str]:
    return [e["message"] for e in answer.get("errors", [])]


def test_fragments_spread_twice_per_level_are_refused(engine_conn: psycopg.Connection):
    # 2**18 __typename fields from 20 lines: the compiler would collect every one of them
    levels = 18
    fragments = "\n".join(f"fragment F{k} on Query {{ ...F{k + 1} ...F{k + 1} }}" for k in range(levels))
    query = f"query {{ ...F0 }}\n{fragments}\nfragment F{levels} on Query {{ __typename }}"
    answer = _timed(engine_conn, query)
    assert "data" not in answer
    assert _messages(answer) == [
        f"Query selects more than the maximum allowed {MAX_FIELDS} fields"
        " (counting each fragment where it is spread)"
    ]


def test_aliases_multiplied_by_fragments_are_refused(engine_conn: psycopg.Connection):
    # four aliases per level, 7 levels (28 deep): 4**7 nested relationship subqueries
    levels = 7
    fragments = "\n".join(
        f"fragment F{k} on Blog {{ "
        + " ".join(f"{a}: owner {{ blogCollection {{ edges {{ node {{ ...F{k + 1} }} }} }} }}" for a in "abcd")
        + " }"
        for k in range(levels)
    )
    query = (f"query {{ blogCollection {{ edges {{ node {{ ...F0 }} }} }} }}\n{fragments}\n"
             f"fragment F{levels} on Blog {{ id }}")
    answer = _timed(engine_conn, query)
    assert _messages(answer)[0].startswith("Query selects more than the maximum allowed")


def test_a_fragment_spread_again_is_collected_once():
    doc = document.load("{ ...F ...F ... { ...F } } fragment F on Query { a: accountCollection { totalCount } }",
                        None)
    fields = Collector(doc, None).fields([doc.operation.selection_set], {"Query"})  # type: ignore[arg-type]
    assert [(f.alias, len(f.nodes)) for f in fields] == [("a", 1)]


def test_repeated_spreads_still_answer(engine_conn: psycopg.Connection):
    query = """{ accountCollection(first: 1, orderBy: [{id: AscNullsLast}]) { ...C ...C edges { ...E } ...C } }
               fragment C on AccountConnection { edges { ...E ...E } }
               fragment E on AccountEdge { node { id ...N } ...N2 }
               fragment N2 on AccountEdge { node { ...N } }
               fragment N on Account { email }"""
    got = data(engine_conn, query)["accountCollection"]["edges"]
    assert len(got) == 1 and set(got[0]["node"]) == {"id", "email"}


def test_deeply_nested_selections_are_a_parse_error(engine_conn: psycopg.Connection):
    depth = 600
    query = "{ " + "a { " * depth + "b" + " }" * depth + " }"
    messages = _messages(_timed(engine_conn, query))
    assert len(messages) == 1 and "Nesting exceeds the maximum allowed depth" in messages[0]


def test_deeply_nested_literals_are_a_parse_error(engine_conn: psycopg.Connection):
    for depth, opening, closing in ((2000, "[", "]"), (1200, "{a: ", "}")):
        value = opening * depth + "1" + closing * depth
        query = f"{{ accountCollection(filter: {value}) {{ totalCount }} }}"
        messages = _messages(_timed(engine_conn, query))
        assert len(messages) == 1 and "Nesting exceeds the maximum allowed depth" in messages[0], messages
    query = "query($v: " + "[" * 2000 + "Int" + "]" * 2000 + ") { __typename }"
    assert "Nesting exceeds" in _messages(_timed(engine_conn, query))[0]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deeply_nested_variables_are_refused(engine_conn: psycopg.Connection):
    query = "query($f: AccountFilter) { accountCollection(filter: $f) { totalCount } }"
    for depth in (300, 3000):  # below and above what Python's json module reads
        text = '{"f": {"or": ' + _nested(depth) + "}}"
        row = engine_conn.execute("select graphql.resolve(%s, %s::jsonb)", (query, text)).fetchone()
        assert row is not None
        assert _messages(row[0]) == ["variables nest deeper than the maximum allowed depth of 100"]
    # nesting inside a JSON value is counted too (and moderate nesting is fine)
    ok = resolve(engine_conn, "query($f: AccountFilter) { accountCollection(filter: $f) { totalCount } }",
                 {"f": {"or": [{"and": [{"id": {"eq": 1}}]}]}})
    assert "errors" not in ok


def test_huge_numbers_are_invalid_input_not_internal_errors(engine_conn: psycopg.Connection):
    digits = "9" * 5000
    answer = _timed(engine_conn, f"{{ accountCollection(first: {digits}) {{ totalCount }} }}")
    assert _messages(answer) == ["Invalid input: integer literal too large"]
    query = "query($n: Int) { accountCollection(first: $n) { totalCount } }"
    row = engine_conn.execute("select graphql.resolve(%s, %s::jsonb)",
                              (query, '{"n": ' + digits + "}")).fetchone()
    assert row is not None and _messages(row[0]) == ["variables contain a number too large"]
    # large but readable numbers are range checked as before
    assert _messages(resolve(engine_conn, query, {"n": 10**40})) == ["Invalid input for Int type"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_forged_cursor_and_node_id_nested_deeply(engine_conn: psycopg.Connection):
    deep = _b64(_nested(5000))
    answer = resolve(engine_conn, "query($c: Cursor) { accountCollection(after: $c) { totalCount } }",
                     {"c": deep})
    assert _messages(answer) == ["Failed to decode cursor, error 3"]
    answer = resolve(engine_conn, "query($id: ID!) { node(nodeId: $id) { nodeId } }", {"id": deep})
    assert _messages(answer) == ["Invalid value passed to nodeId argument. Error 4"]
    answer = resolve(engine_conn, "query($id: ID!) { accountCollection(filter: {nodeId: {eq: $id}}) { totalCount } }",
                     {"id": deep})
    assert _messages(answer) == ["Invalid value passed to nodeId argument. Error 4"]


def test_forged_node_id_values_stay_parameters(engine_conn: psycopg.Connection):
    for keys in (["1; drop table public.account"], [{"a": 1}], [[1, 2]], ["1' or '1'='1"]):
        node_id = _b64(json.dumps(["public", "account", *keys]))
        answer = resolve(engine_conn, "query($id: ID!) { node(nodeId: $id) { nodeId } }", {"id": node_id})
        assert answer["data"] == {"node": None} or _messages(answer)[0].startswith("invalid input syntax"), answer
    # a node id naming a relation that is not exposed is no node
    other = _b64(json.dumps(["pg_catalog", "pg_authid", 10]))
    assert resolve(engine_conn, "query($id: ID!) { node(nodeId: $id) { nodeId } }",
                   {"id": other}) == {"data": {"node": None}}
    assert data(engine_conn, "{ accountCollection { totalCount } }")["accountCollection"]["totalCount"] > 0


def test_introspection_lists_nested_deeply_are_refused(engine_conn: psycopg.Connection):
    # Node has 4 possible types, each has the one interface Node: 4**12 objects at depth 24
    levels = 12
    query = ('{ __type(name: "Node") { ' + "possibleTypes { name interfaces { " * levels + "name"
             + " } }" * levels + " } }")
    answer = _timed(engine_conn, query, limit=15.0)
    assert answer.get("data") is None
    assert _messages(answer) == ["Introspection answer exceeds the maximum number of resolved fields"]
    # pg_graphql's own introspection query is far below the budget
    full = resolve(engine_conn, "{ __schema { types { name fields { name type { name ofType { name } } } } } }")
    assert "errors" not in full


def test_operation_tables_never_answers_with_a_traceback(engine_conn: psycopg.Connection):
    for query in (None, "{ " + "a { " * 600 + "b" + " }" * 600 + " }"):
        row = engine_conn.execute("select graphql.operation_tables(%s)", (query,)).fetchone()
        assert row is not None
        errors = row[0]["errors"]
        assert len(errors) == 1 and "Traceback" not in errors[0]["message"]
        assert errors[0]["message"] != INTERNAL


RETAINED = """
do $$
engines = GD.get("jimgql_engines", {}).values()
plans = {id(p): p for e in engines for entry in e.documents.values() for p in entry.plans.values()}
plans.update({id(r.plan): r.plan for e in engines for r in e.ready.values()} if all(
    hasattr(r, "plan") for e in engines for r in e.ready.values()) else {})
kept = sum(len(s.sql or "") for p in plans.values() for s in p.steps
           if s.prepared is not None or s.prepared_checked is not None)
plpy.execute("select set_config('jim.test_retained', '%d', false)" % kept)
$$ language plpython3u
"""


def test_prepared_statements_kept_by_a_session_are_bounded(engine_conn: psycopg.Connection):
    """Each cached plan keeps its statements prepared in the backend (~75 bytes per character
    of SQL): distinct large documents must not pile up in a session's memory."""
    from jimgql.execute import MAX_CACHED_SQL  # noqa: PLC0415

    fields = " ".join(
        f"a{i}: accountCollection(first: 2) {{ edges {{ node {{ id email blogCollection {{ totalCount }} }} }} }}"
        for i in range(300)
    )
    compiled = 0
    for n in range(3, 10):  # seven distinct documents of ~250,000 characters of SQL each
        answer = resolve(engine_conn, "{ " + fields.replace("first: 2", f"first: {n}") + " }")
        assert "errors" not in answer
        compiled += 250_000
    engine_conn.execute(RETAINED)
    row = engine_conn.execute("select current_setting('jim.test_retained')::int").fetchone()
    assert row is not None
    assert 0 < row[0] <= MAX_CACHED_SQL < compiled
    # what is kept still answers, from the cache
    again = resolve(engine_conn, "{ " + fields.replace("first: 2", "first: 9") + " }")
    assert "errors" not in again and len(again["data"]) == 300


def test_very_long_documents_are_refused_early(engine_conn: psycopg.Connection):
    query = "{ " + "__typename " * 1_000_000 + "}"  # 11 MB: ~15 s of tokenising and parsing
    messages = _messages(_timed(engine_conn, query, limit=3.0))
    assert len(messages) == 1 and "The document exceeds the maximum of 100000 tokens" in messages[0]
    # one long string literal is one token
    long_name = "x" * 1_000_000
    answer = resolve(engine_conn, f'{{ accountCollection(filter: {{email: {{eq: "{long_name}"}}}}) {{ totalCount }} }}')
    assert _messages(answer) == ["Invalid input for String type. Maximum character length 255"]


def test_nul_characters_are_refused_not_cut(engine_conn: psycopg.Connection):
    """PL/Python cut parameter texts at U+0000: "bat@x.com\\u0000zzz" matched bat@x.com."""
    nul = "Invalid input: strings may not contain the character U+0000"
    query = '{ accountCollection(filter: {email: {eq: "bat@x.com\\u0000zzz"}}) { edges { node { email } } } }'
    assert _messages(resolve(engine_conn, query)) == [nul]
    insert = 'mutation { insertIntoAccountCollection(objects: [{email: "n@x.com\\u0000tail"}]) { affectedCount } }'
    assert _messages(resolve(engine_conn, insert)) == [nul]
    node_id = _b64(json.dumps(["public", "account", "2\u0000x"]))
    answer = resolve(engine_conn, "query($id: ID!) { node(nodeId: $id) { nodeId } }", {"id": node_id})
    assert _messages(answer) == [nul]
    assert data(engine_conn, '{ accountCollection(filter: {email: {eq: "bat@x.com"}}) { totalCount } }') == {
        "accountCollection": {"totalCount": 1}}


def test_introspection_of_a_document_graphql_core_cannot_parse(engine_conn: psycopg.Connection):
    """The engine's parser takes empty argument lists (``f()``); graphql-core, which executes
    introspection, does not: that was an internal error."""
    for query in ('{ __type() { name } }', 'query() { __schema { description } }',
                  '{ __schema { description } a: accountCollection() { totalCount } }'):
        messages = _messages(resolve(engine_conn, query))
        assert len(messages) == 1 and messages[0].startswith("Syntax Error: Expected "), (query, messages)
