"""Claims -> Postgres role.

The mapping is configuration, not code: an ordered list of Keycloak roles (realm roles, or
client roles written ``client/role``) and the Postgres role each selects; the first one the
token carries wins, which is how precedence (admin over authenticated) is expressed. Every
role the mapper can return is on the allow-list, and the allow-list is checked at start
against the roles `authenticator` has actually been granted — so no token, whatever it
claims, can make the proxy act as a role outside it. The start-up check also refuses an
allow-list naming a role no request may ever run as: a superuser, a role that bypasses RLS
or may log in (`authenticator` itself, `postgres`), a predefined `pg_*` role, or a role that
is a member of a superuser, RLS-bypassing or `pg_*` role (it inherits or may SET ROLE to
their powers). The rules about what a role may do
live in the database (grants and RLS), never here.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg


class RoleConfigError(RuntimeError):
    """The configured roles do not match what the database allows."""


class NoRole(Exception):
    """The request may not be served under any role (e.g. anonymous access is refused)."""


@dataclass(frozen=True)
class RoleMapper:
    mapping: tuple[tuple[str, str], ...]  # (keycloak role, postgres role), in precedence order
    default_role: str
    anon_role: str
    allow_anonymous: bool
    allowed: frozenset[str]

    def __post_init__(self) -> None:
        chosen = {self.default_role, *(pg for _, pg in self.mapping)}
        if self.allow_anonymous:
            chosen.add(self.anon_role)
        outside = chosen - self.allowed
        if outside:
            raise RoleConfigError(f"roles outside the allow-list: {sorted(outside)}")

    def anonymous(self) -> str:
        if not self.allow_anonymous:
            raise NoRole("anonymous access is disabled")
        return self.anon_role

    def for_claims(self, claims: dict) -> str:
        held = keycloak_roles(claims)
        for keycloak_role, pg_role in self.mapping:
            if keycloak_role in held:
                return pg_role
        return self.default_role


def keycloak_roles(claims: dict) -> set[str]:
    """Realm roles as ``name`` and client roles as ``client/name``."""
    roles: set[str] = set()
    realm = claims.get("realm_access")
    if isinstance(realm, dict) and isinstance(realm.get("roles"), list):
        roles.update(r for r in realm["roles"] if isinstance(r, str))
    resources = claims.get("resource_access")
    if isinstance(resources, dict):
        for client, access in resources.items():
            if isinstance(access, dict) and isinstance(access.get("roles"), list):
                roles.update(f"{client}/{r}" for r in access["roles"] if isinstance(r, str))
    return roles


def check_granted(conn: psycopg.Connection, allowed: frozenset[str]) -> None:
    """Fail unless the connected login role (authenticator) is a member of every allowed role."""
    rows = conn.execute(
        "select r.rolname from pg_roles r"
        " where r.rolname = any(%s) and pg_has_role(current_user, r.oid, 'member')",
        (sorted(allowed),),
    ).fetchall()
    granted = {name for (name,) in rows}
    missing = sorted(allowed - granted)
    if missing:
        raise RoleConfigError(
            f"ALLOWED_ROLES names roles the proxy's login role has not been granted: {missing}"
        )
    rows = conn.execute(_TOO_POWERFUL, (sorted(allowed),)).fetchall()
    if rows:
        raise RoleConfigError(
            "ALLOWED_ROLES names roles no request may run as (superuser, BYPASSRLS, LOGIN, pg_*, "
            f"or a member of a superuser, BYPASSRLS or pg_* role): {sorted(name for (name,) in rows)}"
        )


# An allowed role must be a plain API role: every request runs as one of them.
_TOO_POWERFUL = (
    "select r.rolname from pg_roles r where r.rolname = any(%s) and ("
    " r.rolsuper or r.rolbypassrls or r.rolcanlogin or r.rolname like 'pg\\_%%'"
    " or exists (select 1 from pg_roles p where p.oid <> r.oid"
    "   and (p.rolsuper or p.rolbypassrls or p.rolname like 'pg\\_%%')"
    "   and pg_has_role(r.oid, p.oid, 'member')))"
)
