"""The Python modules shipped into the database: this package and graphql-core.

Sources are read from the installed packages of the Python running the installer; the
server compiles them with its own interpreter (``graphql._compile_modules``), so the
installer's and the server's Python versions need not match. The hash covers every module's
name and source plus the engine version: re-running the install with the same code changes
nothing, and any change replaces all modules at once.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path

from jimgql import ENGINE_VERSION

PACKAGES = ("jimgql", "graphql")
# Modules never imported inside the server (CLI and installer run on the client side).
EXCLUDED = {"jimgql.cli", "jimgql.install", "jimgql.modules"}


@dataclass(frozen=True)
class Module:
    name: str
    is_package: bool
    source: str


def collect() -> list[Module]:
    modules: list[Module] = []
    for package in PACKAGES:
        root = Path(importlib.import_module(package).__file__).parent  # type: ignore[arg-type]
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root.parent).with_suffix("")
            parts = list(rel.parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            name = ".".join(parts)
            if name in EXCLUDED or "tests" in parts:
                continue
            modules.append(Module(name, is_package, path.read_text(encoding="utf-8")))
    return modules


def digest(modules: list[Module]) -> str:
    h = hashlib.sha256(ENGINE_VERSION.encode())
    for m in sorted(modules, key=lambda m: m.name):
        h.update(b"\0" + m.name.encode() + b"\0" + m.source.encode())
    return h.hexdigest()
