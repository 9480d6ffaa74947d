"""Reflection: one catalog query, run as the calling role, returning one JSON document.

It answers "what may the current role see and do?" for the schemas on the search_path:
relations with their columns and per-column privileges, keys, foreign keys, types and
functions. The query is the same for every role; privileges come from ``has_*_privilege``
evaluated for ``current_user``, so two roles get two different catalogs (and schemas).
"""

from __future__ import annotations

import json

from jimgql import directives
from jimgql.catalog import Catalog, Column, ForeignKey, Function, PgType, Relation, Schema

CATALOG_SQL = r"""
with recursive
exposed as (
    select n.oid, n.nspname, obj_description(n.oid, 'pg_namespace') as comment,
           array_position(current_schemas(false), n.nspname) as pos
    from pg_catalog.pg_namespace n
    where n.nspname = any (current_schemas(false))
      and n.nspname not in ('pg_catalog', 'information_schema', 'graphql')
      and n.nspname not like 'pg\_%'
      and pg_catalog.has_schema_privilege(n.oid, 'USAGE')
),
rels as (
    select c.oid, c.relnamespace, c.relname, c.relkind, c.reltype, c.relrowsecurity,
           obj_description(c.oid, 'pg_class') as comment,
           pg_catalog.has_any_column_privilege(c.oid, 'SELECT') as can_select,
           pg_catalog.has_any_column_privilege(c.oid, 'INSERT') as can_insert,
           pg_catalog.has_any_column_privilege(c.oid, 'UPDATE') as can_update,
           pg_catalog.has_table_privilege(c.oid, 'DELETE') as can_delete,
           case when c.relkind in ('v', 'f') then pg_catalog.pg_relation_is_updatable(c.oid, true)
                when c.relkind = 'm' then 0 else 28 end as updatable_mask
    from pg_catalog.pg_class c
    join exposed e on e.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm', 'f') and not c.relispartition
),
cols as (
    select a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull, a.atthasdef,
           a.attidentity, a.attgenerated,
           col_description(a.attrelid, a.attnum) as comment,
           coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid) like 'nextval(%', false) as is_serial,
           pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'SELECT') as can_select,
           pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'INSERT') as can_insert,
           pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'UPDATE') as can_update
    from pg_catalog.pg_attribute a
    join rels r on r.oid = a.attrelid
    left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attnum > 0 and not a.attisdropped
),
fns as (
    select p.oid, p.pronamespace, p.proname, p.prorettype, p.proretset, p.prorows, p.provolatile,
           p.provariadic <> 0 as is_variadic,
           obj_description(p.oid, 'pg_proc') as comment,
           coalesce(p.proallargtypes, p.proargtypes::oid[]) as all_types,
           coalesce(p.proargmodes, array_fill('i'::"char", array[cardinality(p.proargtypes::oid[])])) as modes,
           p.proargnames as names,
           (select count(*) from pg_catalog.pg_proc o
             where o.pronamespace = p.pronamespace and o.proname = p.proname) as overloads
    from pg_catalog.pg_proc p
    where p.pronamespace = any (array(select oid from exposed))
      and p.prokind = 'f'
      and p.prorettype not in ('pg_catalog.trigger'::regtype, 'pg_catalog.event_trigger'::regtype)
      and (select pg_catalog.has_function_privilege(p.oid, 'EXECUTE'))
),
used_types(oid) as (
    select atttypid from cols
    union select unnest(all_types) from fns
    union select prorettype from fns
    union select t.oid from pg_catalog.pg_type t join exposed e on e.oid = t.typnamespace where t.typtype = 'e'
    union select reltype from rels
    union
    select x.next from used_types u
    join pg_catalog.pg_type t on t.oid = u.oid
    cross join lateral (values (nullif(t.typelem, 0)), (nullif(t.typbasetype, 0))) as x(next)
    where x.next is not null
)
select jsonb_build_object(
  'search_path', to_jsonb(current_schemas(false)),
  'schemas', coalesce((select jsonb_agg(jsonb_build_array(e.oid, e.nspname, e.comment) order by e.pos) from exposed e), '[]'),
  'relations', coalesce((
    select jsonb_agg(jsonb_build_array(
      r.oid, n.nspname, r.relname, r.relkind, r.reltype, r.relrowsecurity, r.comment,
      r.can_select, r.can_insert and (r.updatable_mask & 8) = 8,
      r.can_update and (r.updatable_mask & 4) = 4, r.can_delete and (r.updatable_mask & 16) = 16,
      (select coalesce(jsonb_agg(jsonb_build_array(
          c.attname, c.attnum, c.atttypid, c.atttypmod, c.attnotnull, c.atthasdef, c.is_serial,
          c.attidentity, c.attgenerated, c.comment, c.can_select, c.can_insert, c.can_update)
          order by c.attnum), '[]') from cols c where c.attrelid = r.oid),
      (select jsonb_agg(a.attname order by k.ord)
         from pg_catalog.pg_index i
         cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
         join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
        where i.indrelid = r.oid and i.indisprimary),
      (select coalesce(jsonb_agg(u.cols), '[]') from (
          select jsonb_agg(a.attname order by k.ord) as cols
            from pg_catalog.pg_index i
            cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
            join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
           where i.indrelid = r.oid and i.indisunique and i.indpred is null and i.indexprs is null
           group by i.indexrelid) u),
      (select coalesce(jsonb_agg(jsonb_build_array(k.conname,
           (select jsonb_agg(a.attname order by x.ord) from unnest(k.conkey) with ordinality x(attnum, ord)
              join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = x.attnum))
           order by k.conname), '[]')
         from pg_catalog.pg_constraint k where k.conrelid = r.oid and k.contype in ('p', 'u'))
    ) order by n.nspname, r.relname)
    from rels r join pg_catalog.pg_namespace n on n.oid = r.relnamespace), '[]'),
  'foreign_keys', coalesce((
    select jsonb_agg(jsonb_build_array(
      k.conname, obj_description(k.oid, 'pg_constraint'), k.conrelid,
      (select jsonb_agg(a.attname order by x.ord) from unnest(k.conkey) with ordinality x(attnum, ord)
         join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = x.attnum),
      k.confrelid,
      (select jsonb_agg(a.attname order by x.ord) from unnest(k.confkey) with ordinality x(attnum, ord)
         join pg_catalog.pg_attribute a on a.attrelid = k.confrelid and a.attnum = x.attnum)
    ) order by k.conname)
    from pg_catalog.pg_constraint k
    where k.contype = 'f' and k.conrelid in (select oid from rels) and k.confrelid in (select oid from rels)), '[]'),
  'types', coalesce((
    select jsonb_agg(jsonb_build_array(
      t.oid, n.nspname, t.typname, pg_catalog.format_type(t.oid, null), t.typtype, t.typcategory,
      t.typelem, t.typbasetype, t.typrelid,
      case when t.typtype = 'e' then (select jsonb_agg(l.enumlabel order by l.enumsortorder)
                                        from pg_catalog.pg_enum l where l.enumtypid = t.oid) end,
      obj_description(t.oid, 'pg_type'),
      pg_catalog.has_type_privilege(t.oid, 'USAGE') and n.oid in (select oid from exposed)
        or n.nspname = 'pg_catalog'
    ))
    from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
    where t.oid in (select oid from used_types)), '[]'),
  'functions', coalesce((
    select jsonb_agg(jsonb_build_array(
      f.oid, n.nspname, f.proname, quote_ident(n.nspname) || '.' || quote_ident(f.proname),
      (select coalesce(jsonb_agg(jsonb_build_array(
           coalesce(f.names[x.ord], ''), x.typ, pg_catalog.pg_get_function_arg_default(f.oid, x.ord::int))
           order by x.ord) filter (where f.modes[x.ord] in ('i', 'b', 'v')), '[]')
         from unnest(f.all_types) with ordinality x(typ, ord)),
      f.prorettype, f.proretset, f.prorows, f.provolatile, f.is_variadic, f.comment,
      exists (select 1 from unnest(f.modes) m where m in ('o', 'b', 't')), f.overloads
    ) order by n.nspname, f.proname)
    from fns f join pg_catalog.pg_namespace n on n.oid = f.pronamespace), '[]')
)::text as catalog
"""


def load(text: str) -> Catalog:
    """Turn the reflection query's JSON into a :class:`Catalog`."""
    raw = json.loads(text)
    schemas = [Schema(int(oid), name, directives.parse(comment)) for oid, name, comment in raw["schemas"]]
    relations = []
    for (oid, schema, name, kind, type_oid, rls, comment, can_select, can_insert, can_update,
         can_delete, cols, pkey, uniques, constraints) in raw["relations"]:
        columns = [
            Column(
                name=c[0], attnum=c[1], type_oid=int(c[2]), typmod=c[3], not_null=c[4],
                has_default=c[5], is_serial=c[6], identity=c[7] or "", generated=c[8] or "",
                directive=directives.parse(c[9]), can_select=c[10], can_insert=c[11],
                can_update=c[12],
            )
            for c in cols
        ]
        relations.append(Relation(
            oid=int(oid), schema=schema, name=name, kind=kind, type_oid=int(type_oid),
            row_security=rls, directive=directives.parse(comment), columns=columns,
            primary_key=pkey or [],
            unique_sets=uniques or [], constraints=[(c[0], c[1] or []) for c in constraints],
            can_select=can_select, can_insert=can_insert,
            can_update=can_update, can_delete=can_delete,
        ))
    fkeys = [
        ForeignKey(name, directives.parse(comment), int(local), lcols or [], int(foreign), fcols or [])
        for name, comment, local, lcols, foreign, fcols in raw["foreign_keys"]
    ]
    types = {}
    for (oid, schema, name, sql, kind, category, elem, base, relid, labels, comment,
         usable) in raw["types"]:
        types[int(oid)] = PgType(
            oid=int(oid), schema=schema, name=name, sql=sql, kind=kind, category=category,
            elem=int(elem), base=int(base), relid=int(relid), labels=labels or [], directive=directives.parse(comment),
            usable=bool(usable),
        )
    functions = []
    for (oid, schema, name, sql_name, args, ret, retset, rows, volatility, variadic, comment,
         has_out, overloads) in raw["functions"]:
        functions.append(Function(
            oid=int(oid), schema=schema, name=name, sql_name=sql_name,
            arg_names=[a[0] for a in args], arg_types=[int(a[1]) for a in args],
            arg_defaults=[a[2] for a in args], return_type=int(ret), returns_set=retset,
            rows=rows, volatility=volatility, is_variadic=variadic,
            directive=directives.parse(comment), has_out_args=has_out,
            overloaded=overloads > 1,
        ))
    return Catalog(schemas, relations, fkeys, types, functions, raw["search_path"])
