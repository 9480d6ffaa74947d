"""Compilation context: the schema, the document, variables, and the statement being built."""

from __future__ import annotations

import json
from typing import Any

from jimgql.compile.document import Collector, Document, Selected
from jimgql.compile.sql import Bind, Params
from jimgql.compile.values import ABSENT, Coercer, Deferred, VariableScope, literal
from jimgql.errors import GraphQLError, invalid_input
from jimgql.schema.types import Field, Schema


class Context:
    def __init__(self, schema: Schema, doc: Document, scope: VariableScope) -> None:
        self.schema = schema
        self.doc = doc
        self.scope = scope
        self.coercer = Coercer(schema, scope)
        self.collector = Collector(doc, self.coercer)
        self.params = Params()
        self.reads: set[int] = set()
        self.writes: set[int] = set()
        self._aliases = 0

    def new_statement(self) -> Params:
        self.params = Params()
        return self.params

    def alias(self) -> str:
        self._aliases += 1
        return f"__t{self._aliases}"

    def text(self, value: str) -> str:
        """A fixed string (JSON key, type name) as a bound text parameter."""
        return self.params.const(value) + "::text"

    def arguments(self, sel: Selected, field: Field) -> dict[str, Any]:
        """The field's arguments, checked against their types (absent ones left out)."""
        given = {a.name.value: a.value for a in sel.node.arguments or ()}
        extra = [name for name in given if name not in field.args]
        if extra:  # pg_graphql's wording for arguments a field does not take
            raise GraphQLError(f"Input contains extra keys {json.dumps(extra)}")
        out: dict[str, Any] = {}
        for name, arg in field.args.items():
            value = self.coercer.coerce(literal(given.get(name), self.scope), arg.type)
            if value is ABSENT and arg.default is not None:
                value = self.coercer.coerce(literal_default(arg.default), arg.type)
            if value is ABSENT:
                if arg.type.kind == "NON_NULL":
                    raise invalid_input("NonNull")
                continue
            out[name] = value
        return out

    def concrete(self, value: Any) -> Any:
        """Read a deferred leaf now: its value shapes the SQL (e.g. an orderBy direction)."""
        if isinstance(value, Deferred):
            raw = self.scope.concrete(value.name)
            return self.coercer.coerce(raw, value.type)
        if isinstance(value, list):
            return [self.concrete(v) for v in value]
        if isinstance(value, dict):
            return {k: self.concrete(v) for k, v in value.items()}
        return value

    def leaf(self, value: Any, convert: Any) -> str:
        """A placeholder for a checked leaf value: a constant, or a variable bound per run.

        ``convert`` maps a checked Python value to parameter text.
        """
        if isinstance(value, list) and any(isinstance(v, Deferred) for v in value):
            value = self.concrete(value)  # a variable inside a list literal: read it now
        if isinstance(value, Deferred):
            deferred = value
            coercer = self.coercer
            check = coercer.leaf_check(deferred.type)

            def from_variable(raw: Any) -> str | None:
                if check is not None:
                    return convert(check(raw))
                return convert(coercer.coerce(raw, deferred.type))

            default = self.scope.defaults.get(deferred.name, ABSENT)
            return self.params.bind(Bind(deferred.name, default, default is not ABSENT, from_variable))
        return self.params.const(convert(value))


def literal_default(text: str) -> Any:
    """Schema defaults are simple literals (``1``); parse them without a document."""
    try:
        return int(text)
    except ValueError:
        return text
