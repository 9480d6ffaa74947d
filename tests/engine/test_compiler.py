"""Compiler unit tests: schema building and SQL generation, no database involved."""

from __future__ import annotations

import pytest

from jimgql import inflect
from jimgql.compile import document
from jimgql.compile.planner import compile_operation
from jimgql.compile.sql import Bind, Const
from jimgql.errors import GraphQLError, OperationError
from jimgql.schema.builder import build
from tests.engine.catalog_fixture import catalog


def plan(query: str, variables: dict | None = None, **kwargs):
    schema = build(catalog(**kwargs))
    return compile_operation(schema, document.load(query, None), variables or {})


def test_schema_types_and_names():
    schema = build(catalog())
    account = schema.object("Account")
    assert list(account.fields) == ["nodeId", "id", "email", "tags", "blogCollection", "shout"]
    assert account.fields["email"].type.sdl() == "String!"
    assert account.fields["tags"].type.sdl() == "[String]"
    blog = schema.object("Blog")
    # the owner's table has row-level security off, but the key column is NOT NULL: non-null
    assert blog.fields["owner"].type.sdl() == "Account!"
    assert list(schema.object("Query").fields) == sorted(schema.object("Query").fields)
    assert "insertIntoBlogCollection" in schema.object("Mutation").fields
    assert "updateBlogCollection" not in schema.object("Mutation").fields  # no UPDATE privilege
    assert "id" not in schema.types["AccountInsertInput"].fields  # serial: not an input
    assert [v.name for v in schema.types["Status"].values] == ["draft", "live"]


def test_unselectable_column_is_not_a_field():
    schema = build(catalog(email_selectable=False))
    assert "email" not in schema.object("Account").fields


def test_request_values_are_bound_parameters_never_sql_text():
    evil = "x'); drop table account; --"
    p = plan('query Q($v: String) { a: accountCollection(filter: {email: {eq: "' + evil + '"}}) '
             "{ edges { node { id } } } b: accountCollection(filter: {email: {eq: $v}}) "
             "{ edges { node { id } } } }", {"v": evil})
    for step in p.steps:
        assert evil not in step.sql
        assert "drop table" not in step.sql
    literal = p.steps[0]
    assert Const(evil) in literal.params
    variable = p.steps[1]
    binds = [s for s in variable.params if isinstance(s, Bind)]
    assert binds and binds[0].variable == "v"
    assert variable.bind({"v": evil}).count(evil) == 1


def test_aliases_and_type_names_are_parameters_too():
    p = plan("{ weird_alias_1: accountCollection { edges { node { __typename i: id } } } }")
    (step,) = p.steps
    assert "weird_alias_1" not in step.sql and "'Account'" not in step.sql
    assert Const("Account") in step.params and Const("i") in step.params


def test_identifiers_come_quoted_from_the_catalog():
    (step,) = plan("{ blogCollection { edges { node { owner { email } } } } }").steps
    assert '"public"."blog"' in step.sql and '"public"."account"' in step.sql
    assert '"owner_id"' in step.sql


def test_leaf_variables_do_not_change_the_statement():
    query = "query Q($n: Int) { accountCollection(first: $n) { edges { node { id } } } }"
    a, b = plan(query, {"n": 1}), plan(query, {"n": 5})
    assert a.steps[0].sql == b.steps[0].sql
    assert a.steps[0].bind({"n": 1}) != a.steps[0].bind({"n": 5})
    assert not a.structural


def test_structural_variables_are_recorded():
    p = plan("query Q($f: AccountFilter) { accountCollection(filter: $f) { totalCount } }",
             {"f": {"id": {"eq": 1}}})
    assert p.structural == {"f"}


def test_bind_time_type_errors():
    p = plan("query Q($n: Int) { accountCollection(first: $n) { totalCount } }", {"n": 1})
    with pytest.raises(GraphQLError, match="Invalid input for Int type"):
        p.steps[0].bind({"n": "one"})
    with pytest.raises(GraphQLError, match="`first` must be an unsigned integer"):
        p.steps[0].bind({"n": -3})


@pytest.mark.parametrize(("query", "message"), [
    ("{ nope }", 'Unknown field "nope" on type Query'),
    ("{ accountCollection { edges { node { nope } } } }", "Unknown field 'nope' on type 'Account'"),
    ("{ accountCollection { nope } }", "unknown field in connection"),
    ("{ accountCollection(first: 1, last: 1) { totalCount } }", 'only one of "first" and "last" may be provided'),
    ('{ accountCollection(filter: {email: {is: null}}) { totalCount } }', "Error transpiling Is filter value type"),
    ('{ accountCollection(filter: {nope: {eq: 1}}) { totalCount } }', 'Input for type AccountFilter contains extra keys ["nope"]'),
    ("{ accountCollection(filter: {id: {eq: \"1\"}}) { totalCount } }", "Invalid input for Int type"),
    ("mutation { insertIntoAccountCollection(objects: []) { affectedCount } }", "At least one record must be provided to objects"),
    ("mutation { insertIntoAccountCollection { affectedCount } }", "Invalid input for NonNull type"),
])
def test_field_errors(query: str, message: str):
    with pytest.raises(GraphQLError) as exc:
        plan(query)
    assert exc.value.message == message
    assert not isinstance(exc.value, OperationError)


@pytest.mark.parametrize(("query", "message"), [
    ("{ a", "query parse error: Parse error at 1:4\nUnexpected end of input\nExpected `Name`\n"),
    ("query A { a } query A { b }", "Operation names must be unique"),
    ("{ a } { b }", "Anonymous operations must be the only defined operation"),
    ("subscription { a }", "Subscriptions are not supported"),
    ("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }", "Found a cycle between fragments"),
])
def test_document_errors(query: str, message: str):
    with pytest.raises(OperationError) as exc:
        document.load(query, None)
    assert exc.value.message == message


def test_mutation_statement_enforces_at_most_in_sql():
    (step,) = plan('mutation { deleteFromAccountCollection(filter: {id: {eq: 1}}, atMost: 2) { affectedCount } }').steps
    assert "graphql._raise" in step.sql and "delete from" in step.sql
    assert Const("2") in step.params


def test_one_statement_per_root_field_and_no_n_plus_one():
    p = plan("{ a: accountCollection { edges { node { blogCollection { edges { node { owner { email } } } } } } }"
             " b: blogCollection { totalCount: __typename } }")
    assert [s.alias for s in p.steps] == ["a", "b"]
    assert all(s.sql.startswith("select") for s in p.steps)


def test_inflection_keeps_a_leading_underscore_apart() -> None:
    assert inflect.camel("name_with_underscore") == "nameWithUnderscore"
    assert inflect.camel("_id") == "Id"
    assert inflect.camel("id") == "id"
    assert inflect.camel("createdAt") == "createdAt"
    assert inflect.pascal("blog_post") == "BlogPost"
