"""Plain record classes, declared like dataclasses but built without generating code.

``dataclasses`` compiles an ``__init__`` (and more) for every class with ``exec``, which
costs about a millisecond per class at import. The engine defines a few dozen such classes
and imports them on the first request of every new connection, so it uses this lighter
decorator instead: fields come from the class annotations (in MRO order), defaults from
class attributes, mutable defaults from :func:`field`. Type checkers see dataclasses
(``dataclass_transform``).
"""

from __future__ import annotations

from typing import Any

try:  # Python >= 3.11; only type checkers care, so older server Pythons get a no-op
    from typing import dataclass_transform
except ImportError:  # pragma: no cover - depends on the server's Python
    def dataclass_transform(**_kwargs: Any) -> Any:  # type: ignore[no-redef,misc]
        return lambda decorator: decorator


class Factory:
    """A default built per instance; made by :func:`field` (``field(default_factory=list)``)."""

    __slots__ = ("make",)

    def __init__(self, make: Any) -> None:
        self.make = make


def field(*, default_factory: Any) -> Any:
    """Like ``dataclasses.field(default_factory=...)``."""
    return Factory(default_factory)


@dataclass_transform(field_specifiers=(field,))
def record(cls: type | None = None, *, frozen: bool = False) -> Any:
    def wrap(klass: type) -> type:
        fields: list[str] = []
        defaults: dict[str, Any] = {}
        for base in reversed(klass.__mro__):
            for name in base.__dict__.get("__annotations__", {}):
                if name not in fields:
                    fields.append(name)
                if name in base.__dict__:
                    defaults[name] = base.__dict__[name]
        names = tuple(fields)

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if len(args) > len(names):
                raise TypeError(f"{klass.__name__} takes at most {len(names)} arguments")
            values = dict(zip(names, args, strict=False))
            values.update(kwargs)
            for name in names:
                if name in values:
                    value = values[name]
                elif name in defaults:
                    value = defaults[name]
                    if isinstance(value, Factory):
                        value = value.make()
                else:
                    raise TypeError(f"{klass.__name__} missing argument {name!r}")
                object.__setattr__(self, name, value)

        def __repr__(self: Any) -> str:
            inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
            return f"{klass.__name__}({inner})"

        def __eq__(self: Any, other: Any) -> bool:
            if other.__class__ is not self.__class__:
                return NotImplemented
            return all(getattr(self, n) == getattr(other, n) for n in names)

        klass.__init__ = __init__  # type: ignore[misc]
        klass.__repr__ = __repr__  # type: ignore[assignment]
        klass.__eq__ = __eq__  # type: ignore[assignment]
        klass._fields = names  # type: ignore[attr-defined]
        for name, value in defaults.items():  # instance values must not fall back to these
            if isinstance(value, Factory):
                setattr(klass, name, None)
        if frozen:
            klass.__hash__ = lambda self: hash(tuple(getattr(self, n) for n in names))  # type: ignore[assignment,misc]
        else:
            klass.__hash__ = None  # type: ignore[assignment]
        return klass

    return wrap(cls) if cls is not None else wrap
