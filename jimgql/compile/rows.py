"""How a record's columns are read in SQL.

A record's fields read only the columns they need: reading a whole row (``t`` or ``t.*``)
would need SELECT on every column, and column privileges are part of what a role may see.
``AliasRow`` reads from a table alias directly; ``ProjectedRow`` reads from a derived table
(a page of a connection, the rows a mutation returned) and tells its owner which columns the
derived table must project. Only computed fields ask for the whole row (the function takes
the table's row type), which then needs SELECT on every column, as it would in SQL.
"""

from __future__ import annotations

from jimgql.schema.meta import quote_ident


class AliasRow:
    def __init__(self, alias: str) -> None:
        self.alias = alias

    def col(self, name: str) -> str:
        return f"{self.alias}.{quote_ident(name)}"

    def whole(self) -> str:
        return self.alias


class ProjectedRow:
    """Columns of ``source`` (an alias inside the derived table) read through ``outer``."""

    def __init__(self, source: str, outer: str) -> None:
        self.source = source
        self.outer = outer
        self.columns: dict[str, str] = {}
        self.needs_whole = False

    def col(self, name: str) -> str:
        ref = self.columns.get(name)
        if ref is None:
            ref = self.columns[name] = f"__c{len(self.columns) + 1}"
        return f"{self.outer}.{ref}"

    def whole(self) -> str:
        self.needs_whole = True
        return f"({self.outer}.__rec)"

    def projection(self) -> list[str]:
        items = [f"{self.source}.{quote_ident(name)} as {ref}" for name, ref in self.columns.items()]
        if self.needs_whole:
            items.append(f"{self.source} as __rec")
        return items
