"""Aggregates (``{"aggregate": {"enabled": true}}``): count, sum, avg, min and max of a
collection, computed over the filtered rows and ignoring pagination."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jimgql.schema.meta import AggregateMeta, ColumnInfo, TableInfo
from jimgql.schema.scalars import NUMERIC, ORDERABLE
from jimgql.schema.types import Field, ObjectType, named, non_null

if TYPE_CHECKING:
    from jimgql.schema.builder import Builder

SUM_TYPE = {"Int": "BigInt", "BigInt": "BigFloat", "Float": "Float", "BigFloat": "BigFloat"}
AVG_TYPE = {"Int": "BigFloat", "BigInt": "BigFloat", "Float": "Float", "BigFloat": "BigFloat"}
MIN_MAX = ORDERABLE - {"UUID", "Boolean"}


def numeric(info: ColumnInfo) -> bool:
    return not info.is_list and info.scalar in NUMERIC


def comparable(info: ColumnInfo) -> bool:
    return not info.is_list and info.scalar in MIN_MAX


def add_aggregate(b: Builder, table: TableInfo, conn: ObjectType) -> None:
    name, origin = table.type_name, table.rel.schema
    fields = {"count": Field("count", non_null("Int"), "The number of records matching the query")}
    parts = [
        ("sum", "SumAggregateResult", f"Summation aggregates for `{name}`", numeric, SUM_TYPE),
        ("avg", "AvgAggregateResult", f"Average aggregates for `{name}`", numeric, AVG_TYPE),
        ("min", "MinAggregateResult", "Minimum aggregates for comparable fields", comparable, None),
        ("max", "MaxAggregateResult", "Maximum aggregates for comparable fields", comparable, None),
    ]
    for op, suffix, description, keep, result_types in parts:
        members = {
            f: Field(f, named(result_types[i.scalar] if result_types else i.scalar), meta=i)
            for f, i in table.columns.items() if keep(i)
        }
        if not members:
            continue
        b.add_type(ObjectType(name + suffix, None, origin, fields=members,
                              meta=AggregateMeta(table, op)))
        fields[op] = Field(op, named(name + suffix), description)
    b.add_type(ObjectType(name + "Aggregate", None, origin, fields=fields, meta=AggregateMeta(table)))
    conn.fields["aggregate"] = Field(
        "aggregate", named(name + "Aggregate"),
        f"Aggregate functions calculated on the collection of `{name}`",
    )
