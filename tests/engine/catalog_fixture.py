"""A small catalog built in Python, for compiler tests that need no database."""

from __future__ import annotations

from jimgql.catalog import Catalog, Column, ForeignKey, Function, PgType, Relation, Schema

INFLECT = {"inflect_names": True, "introspection": True}


def _col(name: str, attnum: int, type_oid: int, *, not_null: bool = False,
         serial: bool = False, insert: bool = True, select: bool = True) -> Column:
    return Column(name=name, attnum=attnum, type_oid=type_oid, typmod=-1, not_null=not_null,
                  has_default=serial, is_serial=serial, identity="", generated="", directive={},
                  can_select=select, can_insert=insert, can_update=insert)


def _type(oid: int, name: str, sql: str, kind: str = "b", category: str = "N", elem: int = 0,
          labels: list[str] | None = None, schema: str = "pg_catalog") -> PgType:
    return PgType(oid=oid, schema=schema, name=name, sql=sql, kind=kind, category=category,
                  elem=elem, base=0, relid=0, labels=labels or [], directive={}, usable=True)


def catalog(*, email_selectable: bool = True) -> Catalog:
    types = {t.oid: t for t in [
        _type(23, "int4", "integer"), _type(25, "text", "text", category="S"),
        _type(1043, "varchar", "character varying", category="S"),
        _type(1009, "_text", "text[]", category="A", elem=25),
        _type(9001, "status", "public.status", kind="e", category="E",
              labels=["draft", "live"], schema="public"),
        _type(9101, "account", "public.account", kind="c", category="C", schema="public"),
        _type(9102, "blog", "public.blog", kind="c", category="C", schema="public"),
    ]}
    account = Relation(
        oid=100, schema="public", name="account", kind="r", type_oid=9101, row_security=False,
        directive={"totalCount": {"enabled": True}},
        columns=[_col("id", 1, 23, not_null=True, serial=True),
                 _col("email", 2, 1043, not_null=True, select=email_selectable),
                 _col("tags", 3, 1009)],
        primary_key=["id"], unique_sets=[["id"]],
        can_select=True, can_insert=True, can_update=True, can_delete=True,
    )
    blog = Relation(
        oid=101, schema="public", name="blog", kind="r", type_oid=9102, row_security=True,
        directive={}, columns=[_col("id", 1, 23, not_null=True, serial=True),
                               _col("owner_id", 2, 23, not_null=True), _col("title", 3, 25),
                               _col("status", 4, 9001)],
        primary_key=["id"], unique_sets=[["id"]],
        can_select=True, can_insert=True, can_update=False, can_delete=False,
    )
    fkey = ForeignKey("blog_owner_id_fkey", {}, 101, ["owner_id"], 100, ["id"])
    shout = Function(oid=500, schema="public", name="_shout", sql_name='"public"."_shout"',
                     arg_names=["rec"], arg_types=[9101], arg_defaults=[None], return_type=25,
                     returns_set=False, rows=0, volatility="s", is_variadic=False, directive={},
                     has_out_args=False, overloaded=False)
    return Catalog([Schema(1, "public", dict(INFLECT))], [account, blog], [fkey], types, [shout],
                   ["public"])
