"""Naming: SQL names to GraphQL names, with and without the ``inflect_names`` directive.

Without inflection SQL names are used literally. With it, snake_case becomes PascalCase for
types and camelCase for fields. Explicit ``name`` directives always win (the builder applies
them before calling these helpers).
"""

from __future__ import annotations

import re

_VALID_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


def is_valid_name(name: str) -> bool:
    """GraphQL names: entities whose names are not valid are left out of the schema."""
    return bool(_VALID_NAME.match(name)) and not name.startswith("__")


def _parts(name: str) -> list[str]:
    return [p for p in name.split("_") if p]


def pascal(name: str) -> str:
    """blog_post -> BlogPost; BlogPost stays BlogPost; _x keeps no leading underscore."""
    parts = _parts(name)
    if not parts:
        return name
    return "".join(p[:1].upper() + p[1:] for p in parts)


def camel(name: str) -> str:
    """name_with_underscore -> nameWithUnderscore; createdAt stays createdAt.

    Only the text before the first underscore keeps a lower-case start: a leading underscore
    capitalises what follows (``_id`` -> ``Id``), so ``_id`` and ``id`` stay distinct fields.
    """
    first, *rest = name.split("_")
    out = first[:1].lower() + first[1:] + "".join(p[:1].upper() + p[1:] for p in rest if p)
    return out or name


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def type_name(sql_name: str, inflect: bool) -> str:
    return pascal(sql_name) if inflect else sql_name


def field_name(sql_name: str, inflect: bool) -> str:
    return camel(sql_name) if inflect else sql_name


def enum_value_name(label: str) -> str:
    """Enum labels are used literally (mappings directives rename them)."""
    return label


def to_one_name(column: str, foreign_type: str, inflect: bool) -> str:
    """The field of a to-one relationship, named after a single foreign-key column.

    ``author_id`` -> ``author`` and ``authorId`` -> ``author``; any other column name would
    collide with the column's own field, so the foreign type's name is used instead.
    """
    if column.endswith("_id") and len(column) > 3:
        return field_name(column[:-3], inflect)
    if column.endswith("Id") and len(column) > 2:
        return field_name(column[:-2], inflect)
    return lower_first(foreign_type)
