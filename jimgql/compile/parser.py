"""A GraphQL parser for executable documents (operations and fragments).

Errors use pg_graphql's wording: ``query parse error: Parse error at L:C`` followed by what
was unexpected and what was expected.
"""

from __future__ import annotations

import re

from jimgql.compile import gqlast as g
from jimgql.errors import OperationError

_TOKEN = re.compile(
    r"""
    (?P<ignored>[\s,\ufeff]+|\#[^\n\r]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$&()\:=@\[\]{|}])
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<number>-?(?:0|[1-9][0-9]*)(?P<frac>\.[0-9]+)?(?P<exp>[eE][+-]?[0-9]+)?)
  | (?P<block>\"\"\"(?:\\\"\"\"|[^\"]|\"(?!\"\")|\"\"(?!\"))*\"\"\")
  | (?P<string>\"(?:[^\"\\\n\r]|\\(?:[\"\\/bfnrt]|u[0-9A-Fa-f]{4}))*\")
    """,
    re.VERBOSE,
)
# Selection sets, list and object values and list types nest by recursion here and in every
# later pass over the document: deeper nesting is refused before Python's recursion limit
# (inside a PostgreSQL backend) is anywhere near. Far above what a real request needs:
# selections deeper than 32 fields are refused anyway.
MAX_NESTING = 100
# Tokens of one document. Tokenising and parsing cost about 10 seconds per million tokens of
# plain Python that a statement timeout does not interrupt; the proxy's 100 kB body limit
# allows about 50,000, callers of graphql.resolve in SQL have no such limit.
MAX_TOKENS = 100_000
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class _Token:
    __slots__ = ("kind", "value", "line", "column")

    def __init__(self, kind: str, value: str, line: int, column: int) -> None:
        self.kind, self.value, self.line, self.column = kind, value, line, column

    def describe(self) -> str:
        if self.kind == "eof":
            return "end of input"
        kinds = {"punct": "Punctuator", "spread": "Punctuator", "name": "Name",
                 "int": "IntValue", "float": "FloatValue", "string": "StringValue",
                 "block": "BlockString"}
        return f"`{self.value}[{kinds[self.kind]}]`"


def _error(tok: _Token, expected: str) -> OperationError:
    return OperationError(
        f"query parse error: Parse error at {tok.line}:{tok.column}\n"
        f"Unexpected {tok.describe()}\nExpected `{expected}`\n"
    )


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        column = pos - line_start + 1
        if m is None:
            bad = _Token("punct", text[pos], line, column)
            raise OperationError(
                f"query parse error: Parse error at {line}:{column}\nUnexpected {bad.describe()}\n"
            )
        kind = m.lastgroup or ""
        value = m.group(0)
        if kind == "number":
            kind = "float" if m.group("frac") or m.group("exp") else "int"
        elif kind in ("frac", "exp"):
            kind = "float"
        if kind != "ignored":
            out.append(_Token(kind, value, line, column))
            if len(out) > MAX_TOKENS:
                raise OperationError(
                    f"query parse error: Parse error at {line}:{column}\n"
                    f"The document exceeds the maximum of {MAX_TOKENS} tokens\n"
                )
        newlines = value.count("\n") + (value.count("\r") - value.count("\r\n"))
        if newlines:
            line += newlines
            line_start = pos + max(value.rfind("\n"), value.rfind("\r")) + 1
        pos = m.end()
    out.append(_Token("eof", "", line, pos - line_start + 1))
    return out


def _string_value(raw: str) -> str:
    body = raw[1:-1]
    return re.sub(
        r"\\(u[0-9A-Fa-f]{4}|.)",
        lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "u" else _ESCAPES[m.group(1)],
        body,
    )


def _block_value(raw: str) -> str:
    lines = raw[3:-3].replace('\\"""', '"""').replace("\r\n", "\n").replace("\r", "\n").split("\n")
    indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines[1:] if ln.strip(" \t")]
    common = min(indents) if indents else 0
    lines = [lines[0]] + [ln[common:] for ln in lines[1:]]
    while lines and not lines[0].strip(" \t"):
        lines.pop(0)
    while lines and not lines[-1].strip(" \t"):
        lines.pop()
    return "\n".join(lines)


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.nesting = 0

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            t = self.tok
            raise OperationError(
                f"query parse error: Parse error at {t.line}:{t.column}\n"
                f"Nesting exceeds the maximum allowed depth of {MAX_NESTING}\n"
            )

    def leave(self) -> None:
        self.nesting -= 1

    @property
    def tok(self) -> _Token:
        return self.toks[self.i]

    def peek(self, value: str) -> bool:
        t = self.tok
        return t.kind in ("punct", "spread") and t.value == value

    def skip(self, value: str) -> bool:
        if self.peek(value):
            self.i += 1
            return True
        return False

    def expect(self, value: str) -> None:
        if not self.skip(value):
            raise _error(self.tok, value)

    def name(self) -> g.Name:
        t = self.tok
        if t.kind != "name":
            raise _error(t, "Name")
        self.i += 1
        return g.Name(t.value)

    def document(self) -> g.Document:
        definitions = []
        while True:
            definitions.append(self.definition())
            if self.tok.kind == "eof":
                return g.Document(definitions)

    def definition(self) -> object:
        t = self.tok
        if self.peek("{"):
            return g.OperationDefinition("query", None, [], [], self.selection_set())
        if t.kind == "name" and t.value in ("query", "mutation", "subscription"):
            self.i += 1
            name = self.name() if self.tok.kind == "name" else None
            variables = self.variable_definitions()
            directives = self.directives()
            return g.OperationDefinition(t.value, name, variables, directives, self.selection_set())
        if t.kind == "name" and t.value == "fragment":
            self.i += 1
            name = self.name()
            if name.value == "on":
                raise _error(self.toks[self.i - 1], "Name")
            self.keyword("on")
            condition = g.NamedType(self.name())
            return g.FragmentDefinition(name, condition, self.directives(), self.selection_set())
        raise _error(t, "{")

    def keyword(self, word: str) -> None:
        t = self.tok
        if t.kind != "name" or t.value != word:
            raise _error(t, word)
        self.i += 1

    def variable_definitions(self) -> list[g.VariableDefinition]:
        out: list[g.VariableDefinition] = []
        if not self.skip("("):
            return out
        while not self.skip(")"):
            self.expect("$")
            var = g.Variable(self.name())
            self.expect(":")
            type_ = self.type_ref()
            default = self.value(const=True) if self.skip("=") else None
            self.directives()
            out.append(g.VariableDefinition(var, type_, default))
        return out

    def type_ref(self) -> object:
        if self.skip("["):
            self.enter()
            inner = self.type_ref()
            self.expect("]")
            self.leave()
            ref: object = g.ListType(inner)
        else:
            ref = g.NamedType(self.name())
        if self.skip("!"):
            return g.NonNullType(ref)
        return ref

    def directives(self) -> list[g.Directive]:
        out = []
        while self.skip("@"):
            out.append(g.Directive(self.name(), self.arguments()))
        return out

    def arguments(self) -> list[g.Argument]:
        out: list[g.Argument] = []
        if not self.skip("("):
            return out
        while not self.skip(")"):
            name = self.name()
            self.expect(":")
            out.append(g.Argument(name, self.value(const=False)))
        return out

    def selection_set(self) -> g.SelectionSet:
        self.expect("{")
        self.enter()
        selections: list[object] = []
        while not self.skip("}"):
            selections.append(self.selection())
        self.leave()
        return g.SelectionSet(selections)

    def selection(self) -> object:
        if self.skip("..."):
            t = self.tok
            if t.kind == "name" and t.value != "on":
                return g.FragmentSpread(self.name(), self.directives())
            condition = None
            if t.kind == "name":
                self.i += 1
                condition = g.NamedType(self.name())
            return g.InlineFragment(condition, self.directives(), self.selection_set())
        first = self.name()
        alias = None
        if self.skip(":"):
            alias, first = first, self.name()
        arguments = self.arguments()
        directives = self.directives()
        selection_set = self.selection_set() if self.peek("{") else None
        return g.Field(alias, first, arguments, directives, selection_set)

    def value(self, const: bool) -> object:
        t = self.tok
        if not const and self.skip("$"):
            return g.Variable(self.name())
        if self.skip("["):
            self.enter()
            values = []
            while not self.skip("]"):
                values.append(self.value(const))
            self.leave()
            return g.ListValue(values)
        if self.skip("{"):
            self.enter()
            fields = []
            while not self.skip("}"):
                name = self.name()
                self.expect(":")
                fields.append(g.ObjectField(name, self.value(const)))
            self.leave()
            return g.ObjectValue(fields)
        self.i += 1
        if t.kind == "int":
            return g.IntValue(t.value)
        if t.kind == "float":
            return g.FloatValue(t.value)
        if t.kind == "string":
            return g.StringValue(_string_value(t.value))
        if t.kind == "block":
            return g.StringValue(_block_value(t.value))
        if t.kind == "name":
            if t.value in ("true", "false"):
                return g.BooleanValue(t.value == "true")
            if t.value == "null":
                return g.NullValue()
            return g.EnumValue(t.value)
        self.i -= 1
        raise _error(t, "Name")


def parse(text: str) -> g.Document:
    return _Parser(text).document()
