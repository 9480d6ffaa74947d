"""Pure-code tests (no services): role mapping, settings parsing, operation analysis and
the SQLSTATE mapping."""

from __future__ import annotations

import pytest

from proxy.errors import CUSTOM_SQLSTATES, ApiError, from_sqlstate
from proxy.operation import MAX_TOKENS, DocumentSyntaxError, analyse, has_mutation
from proxy.roles import NoRole, RoleConfigError, RoleMapper, keycloak_roles
from proxy.settings import ProxySettings, duration_ms

ALLOWED = frozenset({"anon", "authenticated", "admin"})


def mapper(**kw) -> RoleMapper:
    defaults = dict(mapping=(("admin", "admin"),), default_role="authenticated", anon_role="anon",
                    allow_anonymous=True, allowed=ALLOWED)
    return RoleMapper(**{**defaults, **kw})


def test_precedence_admin_over_authenticated() -> None:
    m = mapper(mapping=(("admin", "admin"), ("member", "authenticated")))
    assert m.for_claims({"realm_access": {"roles": ["member", "admin"]}}) == "admin"
    assert m.for_claims({"realm_access": {"roles": ["member"]}}) == "authenticated"
    assert m.for_claims({}) == "authenticated"


def test_client_roles_are_client_slash_role() -> None:
    claims = {"resource_access": {"jim-app": {"roles": ["ops"]}}, "realm_access": {"roles": ["x"]}}
    assert keycloak_roles(claims) == {"jim-app/ops", "x"}
    assert mapper(mapping=(("jim-app/ops", "admin"),)).for_claims(claims) == "admin"


def test_claims_cannot_name_a_role_directly() -> None:
    # A "role" claim in the token is ignored: only the configured mapping decides.
    assert mapper().for_claims({"role": "postgres", "realm_access": {"roles": ["superuser"]}}) == "authenticated"


def test_mapping_outside_the_allow_list_is_refused() -> None:
    with pytest.raises(RoleConfigError):
        mapper(mapping=(("admin", "postgres"),))


def test_anonymous_refused_when_configured() -> None:
    with pytest.raises(NoRole):
        mapper(allow_anonymous=False).anonymous()
    assert mapper().anonymous() == "anon"


def settings(**env) -> ProxySettings:
    return ProxySettings(database_url="postgresql://u:p@h:5432/d", **env)


def test_settings_parse_lists_and_maps() -> None:
    s = settings(jwt_issuers="http://a/realms/jim, http://b/realms/jim",
                 role_mapping="admin=admin,coach=authenticated",
                 role_statement_timeouts="anon=500ms,authenticated=2s,admin=1min")
    assert s.issuers == ["http://a/realms/jim", "http://b/realms/jim"]
    assert list(s.role_mapping.items()) == [("admin", "admin"), ("coach", "authenticated")]
    assert s.statement_timeout_ms("anon") == 500 and s.statement_timeout_ms("admin") == 60_000


def test_settings_refuse_hmac_and_none() -> None:
    with pytest.raises(ValueError, match="asymmetric"):
        settings(jwt_algorithms="RS256,HS256")
    with pytest.raises(ValueError, match="asymmetric"):
        settings(jwt_algorithms="none")


def test_settings_check_roles_against_allow_list() -> None:
    with pytest.raises(ValueError, match="ALLOWED_ROLES"):
        settings(role_mapping="admin=postgres").check()


def test_authenticator_url_swaps_credentials() -> None:
    s = settings(authenticator_password="p@ss/word")
    assert s.authenticator_url == "postgresql://authenticator:p%40ss%2Fword@h:5432/d"


def test_loopback_connections_skip_tls_unless_the_url_says_otherwise() -> None:
    local = ProxySettings(database_url="postgresql://jim:jim@127.0.0.1:5432/d")
    assert local.authenticator_url == "postgresql://authenticator:authenticator@127.0.0.1:5432/d?sslmode=allow"
    assert ProxySettings(database_url="postgresql://jim@localhost/d?connect_timeout=5").authenticator_url.endswith(
        "/d?connect_timeout=5&sslmode=allow")
    explicit = ProxySettings(database_url="postgresql://jim@127.0.0.1/d?sslmode=require")
    assert explicit.authenticator_url.endswith("/d?sslmode=require")
    assert ProxySettings(database_url="postgresql://jim@db.example.com/d").authenticator_url.endswith("@db.example.com/d")
    given = settings(proxy_database_url="postgresql://authenticator:x@[::1]:5433/d")
    assert given.authenticator_url == "postgresql://authenticator:x@[::1]:5433/d?sslmode=allow"


def test_duration_parsing() -> None:
    assert duration_ms("250") == 250 and duration_ms("3s") == 3000
    with pytest.raises(ValueError):
        duration_ms("soon")


def test_operation_analysis() -> None:
    op = analyse("query Q { a { b { c } } x: a { b } } ", None)
    assert op is not None and op.kind == "query"
    assert (op.depth, op.fields, op.aliases) == (3, 5, 1)
    assert op.normalized == analyse("query Q {a{b{c}}   x:a{b}} # comment", None).normalized
    with pytest.raises(DocumentSyntaxError):
        analyse("{ broken", None)
    assert analyse("query A { a } query B { b }", None) is None
    assert analyse("query A { a } mutation B { b }", "B").kind == "mutation"
    assert has_mutation("query A { a } mutation B { b }")


@pytest.mark.parametrize("document", [
    "mutation\u00a0{ a }",          # Unicode whitespace: the engine's parser skips it
    "{ a\x0bb }",
    "query\u3000{ a }\u2028",
])
def test_documents_only_the_engine_would_read_are_refused(document: str) -> None:
    """The engine parses these; the proxy could not, and used to let them through with no
    limits applied and no mutation check for GET."""
    with pytest.raises(DocumentSyntaxError) as refused:
        analyse(document, None)
    assert not refused.value.too_large
    with pytest.raises(DocumentSyntaxError):
        has_mutation(document)


def test_parsing_is_bounded() -> None:
    with pytest.raises(DocumentSyntaxError) as refused:
        analyse("{" + " a" * (MAX_TOKENS + 1) + " }", None)
    assert refused.value.too_large
    with pytest.raises(DocumentSyntaxError) as nested:
        analyse("{ a(x: " + "[" * 3000 + "]" * 3000 + ") }", None)
    assert nested.value.too_large
    within = analyse("{" + " a" * (MAX_TOKENS - 10) + " }", None, (12, 250, 30))
    assert within is not None and within.fields > 250 and within.normalized == ""  # measured only


def test_plan_variables_are_those_that_shape_the_plan() -> None:
    op = analyse("query($x: Boolean!, $n: Int) { a(first: $n) @include(if: $x) { b } "
                 "node(nodeId: $id) { c } ... @skip(if: $s) { d } }", None)
    assert op.plan_variables == ("id", "s", "x")
    assert op.plan_variant({"x": True, "n": 1}) != op.plan_variant({"x": False, "n": 1})
    assert op.plan_variant({"x": True, "n": 1}) == op.plan_variant({"x": True, "n": 2})
    assert op.plan_variant({"x": None}) != op.plan_variant({})
    assert analyse("{ a(first: 1) { b } }", None).plan_variant({"q": 1}) == ""


def test_fragments_count_where_used_and_cycles_stop() -> None:
    op = analyse("{ a { ...F } b { ...F } } fragment F on T { x { y } }", None)
    assert (op.depth, op.fields) == (3, 6)
    cyclic = analyse("{ a { ...F } } fragment F on T { b { ...F } }", None)
    assert cyclic is not None and cyclic.depth == 2


def test_sqlstate_mapping_hides_sql() -> None:
    timeout = from_sqlstate("57014", "canceling statement due to statement timeout")
    assert (timeout.status, timeout.code) == (504, "STATEMENT_TIMEOUT")
    secret = from_sqlstate("XX000", 'relation "app_private.secret" does not exist')
    assert secret.status == 500 and "app_private" not in secret.message
    assert from_sqlstate("23505").status == 409
    assert set(CUSTOM_SQLSTATES) == {"JIM01", "JIM02", "JIM03"}
    custom = from_sqlstate("JIM01", 'metric "rpe" does not apply')
    assert custom.status == 400 and custom.message == 'metric "rpe" does not apply'


def test_standard_introspection_fits_the_default_limits() -> None:
    from graphql import get_introspection_query

    op = analyse(get_introspection_query(descriptions=True, specified_by_url=True), None)
    assert op.depth == 1 and op.fields == 1
    repeated = analyse("{ a: __schema { t: types { name } } b: __schema { t: types { name } } }", None)
    assert repeated.aliases == 4  # repeating it still spends the alias budget
    hidden = analyse("{ __schema { ...S } } fragment S on __Schema { a: types { name } b: types { name } }", None)
    assert hidden.aliases == 2  # aliases inside introspection's fragments count too


def test_introspection_is_measured_with_its_fragments_expanded() -> None:
    from graphql import get_introspection_query

    from proxy.limits import check_shape
    from proxy.operation import MAX_INTROSPECTION_FIELDS
    from tests.proxy.test_hardening import exploding_introspection

    limits = dict(max_depth=12, max_fields=250, max_aliases=30)
    standard = analyse(get_introspection_query(descriptions=True, specified_by_url=True), None)
    assert 200 < standard.introspection_fields < MAX_INTROSPECTION_FIELDS
    check_shape(standard, **limits)
    exploding = analyse(exploding_introspection(4), None)
    assert exploding.fields == 1 and exploding.introspection_fields > MAX_INTROSPECTION_FIELDS
    with pytest.raises(ApiError) as refused:
        check_shape(exploding, **limits)
    assert refused.value.code == "FIELD_LIMIT_EXCEEDED"


def test_cache_identity_separates_users_and_their_keycloak_roles() -> None:
    from proxy.auth import Identity

    member = Identity("authenticated", {"sub": "u1", "realm_access": {"roles": ["member"]}}, "u1")
    coach = Identity("authenticated", {"sub": "u1", "realm_access": {"roles": ["coach", "member"]}}, "u1")
    other = Identity("authenticated", {"sub": "u2", "realm_access": {"roles": ["member"]}}, "u2")
    anon = Identity("anon", {"role": "anon"}, None)
    assert len({member.cache_identity, coach.cache_identity, other.cache_identity}) == 3
    assert anon.cache_identity == "anon"
    # no subject or role name can spell another caller's identity (it was "sub|role,role")
    spelled = Identity("authenticated", {"sub": "u1|coach,member"}, "u1|coach,member")
    assert spelled.cache_identity != coach.cache_identity
    comma = Identity("authenticated", {"sub": "u1", "realm_access": {"roles": ["coach,member"]}}, "u1")
    assert comma.cache_identity != coach.cache_identity


def test_identity_is_derived_once_per_verified_token() -> None:
    import asyncio

    from proxy.auth import Authenticator

    class Verifier:  # hands back the same dict for a token while it is cached, like TokenVerifier
        def __init__(self) -> None:
            self.cached: dict[str, dict] = {}

        async def verify(self, token: str) -> dict:
            return self.cached.setdefault(token, {"sub": token, "realm_access": {"roles": ["member"]}})

    async def identities(cache_size: int):
        verifier = Verifier()
        auth = Authenticator(verifier, mapper(), None, provision=False,  # type: ignore[arg-type]
                             identity_cache_size=cache_size)
        first = await auth.identify("Bearer u1")
        again = await auth.identify("Bearer u1")
        verifier.cached.clear()  # the verifier forgot the token and verifies it anew
        renewed = await auth.identify("Bearer u1")
        return first, again, renewed, auth

    first, again, renewed, auth = asyncio.run(identities(10))
    assert again is first and renewed is not first and renewed == first
    assert first.claims_text == '{"sub":"u1","realm_access":{"roles":["member"]},"role":"authenticated"}'
    assert first.cache_identity == '["u1",["member"]]'
    first, again, renewed, auth = asyncio.run(identities(0))  # TOKEN_CACHE_SIZE=0: nothing kept
    assert again is not first and again == first and not auth._identities


def test_persisted_texts_in_memory_are_bounded_in_size() -> None:
    from proxy.persisted import PersistedQueries

    store = PersistedQueries(None, allow_list_only=False, apq_ttl=60)  # type: ignore[arg-type]
    big = "x" * 90_000
    for i in range(400):  # 36 MB of text offered, well under the count limit
        store._keep(f"{i:064x}", big + str(i))
    assert sum(map(len, store._memory.values())) <= PersistedQueries.MEMORY_CHARS
    assert f"{399:064x}" in store._memory  # the newest is kept


def test_anonymous_rate_limit_counts_an_ipv6_client_per_64() -> None:
    """Before the fix every IPv6 address had its own window: a client holding a /64 (the
    usual assignment) could use a fresh address per request and never be limited."""
    from proxy.limits import RateLimiter

    limiter = RateLimiter(None, user_limit=5, anon_limit=5, window=60)  # type: ignore[arg-type]

    def key(ip: str) -> str:
        ticket = limiter.ticket(None, ip)
        assert ticket is not None
        return ticket.key

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff:ffff:ffff:fffe")
    assert key("2001:db8:1:2::1") != key("2001:db8:1:3::1")
    assert key("::ffff:192.0.2.7") == key("192.0.2.7")
    assert key("192.0.2.7") != key("192.0.2.8")
    assert key("fe80::1%eth0") == key("fe80::2")


def test_a_request_id_ending_in_a_newline_is_not_sane() -> None:
    """The id is echoed in a response header and logged: `^…$` let "id\\n" through."""
    import asyncio

    from proxy.middleware import RequestContext

    seen: list[bytes] = []

    async def graphql(scope, receive, send) -> None:
        seen.append(scope["state"]["request_id"])

    context = RequestContext(graphql, graphql)
    for given in (b"abc\n", b"abc\r\nSet-Cookie: x=1", b"ok-id.1:2"):
        scope = {"type": "http", "method": "GET", "path": "/graphql", "headers": [(b"x-request-id", given)]}
        asyncio.run(context(scope, None, None))  # type: ignore[arg-type]
    assert seen[0] != b"abc\n" and seen[1] != b"abc\r\nSet-Cookie: x=1"
    assert seen[2] == b"ok-id.1:2"


def test_a_jwks_of_the_wrong_shape_keeps_the_keys_already_loaded() -> None:
    """Before the fix only the fetch was guarded: a certs document that is not an object
    raised out of refresh (and out of token verification: 500 instead of 401)."""
    import asyncio

    from proxy.keys import KeyStore

    class OpenID:
        document: object = {"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
                                      "n": "sXch", "e": "AQAB"}]}

        async def a_certs(self) -> object:
            return self.document

    async def scenario() -> tuple[bool, bool]:
        openid = OpenID()
        store = KeyStore(openid, min_refresh_seconds=0)  # type: ignore[arg-type]
        assert await store.refresh()
        openid.document = ["not", "an", "object"]
        refreshed = await store.refresh()
        return refreshed, await store.get("k1") is not None

    assert asyncio.run(scenario()) == (False, True)


def test_a_mutation_is_answered_even_when_its_tables_cannot_be_named() -> None:
    """The tables a mutation wrote are asked after it ran. Before the fix a database error
    there (a timeout, a lost connection) answered an error for a mutation that had
    committed — inviting a retry that writes twice; now everything is invalidated instead."""
    import asyncio

    import psycopg

    from proxy.auth import Identity
    from proxy.cached_execution import CachedExecutor
    from proxy.executor import Outcome
    from proxy.request import GraphQLRequest

    class Executor:
        async def resolve(self, *args, **kwargs) -> Outcome:
            return Outcome('{"data": {"x": 1}}', False)

    class Tables:
        async def for_operation(self, *args) -> None:
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    class Cache:
        bumped: list[tuple[str, ...]] = []

        async def bump(self, tables) -> None:
            self.bumped.append(tuple(tables))

    class Limiter:
        async def check(self, ticket) -> None:
            return None

    cache = Cache()
    runner = CachedExecutor(Executor(), cache, Tables(), None, lambda name: 60, Limiter())  # type: ignore[arg-type]
    text = "mutation { x }"
    answer = asyncio.run(runner.run(Identity("authenticated", {"sub": "u"}, "u"),
                                    GraphQLRequest(text, None, None, None), text, analyse(text, None),
                                    bypass=False, ticket=None))
    assert answer.body == '{"data": {"x": 1}}' and not answer.has_errors
    assert cache.bumped == [("*",)]
