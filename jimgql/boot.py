"""The import bootstrap that runs inside PostgreSQL (the body of ``graphql._boot``).

The engine and graphql-core live in the table ``graphql._module`` (source, plus bytecode the
server's own Python compiled at install time). This code installs a meta-path finder that
serves those modules, so any PostgreSQL >= 15 with plpython3u can run the engine without
files on the server's disk, and a fresh connection imports from bytecode instead of
compiling sources. ``BOOT_SOURCE`` is the function body; ``plpy``, ``GD`` and ``reload`` are
the PL/Python function's globals and argument.
"""

from __future__ import annotations

BOOT_SOURCE = r'''
import sys, marshal, importlib.util

MAGIC = importlib.util.MAGIC_NUMBER
PREFIXES = ("jimgql", "graphql")

class GraphqlModuleFinder:
    """Serves modules stored in graphql._module (bytecode when it matches this Python).

    The engine's own modules are fetched at boot; graphql-core's only when something first
    imports it (introspection), so ordinary requests never load it. A finder and loader by
    protocol (find_spec, create_module, exec_module): importing importlib.abc for its base
    classes would pull in importlib.resources and pathlib, a third of a fresh session's boot.
    """

    def __init__(self):
        self.modules = {}
        self.fetched = set()

    def fetch(self, prefix):
        if prefix in self.fetched:
            return
        self.fetched.add(prefix)
        plan = plpy.prepare("select * from graphql._load_modules($1, $2)", ["bytea", "text"])
        for row in plpy.execute(plan, [MAGIC, prefix]):
            code = row["code"]
            self.modules[row["name"]] = (
                row["is_package"], bytes(code) if code is not None else None, row["source"])

    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top not in PREFIXES:
            return None
        self.fetch(top)
        entry = self.modules.get(name)
        if entry is None:
            return None
        return importlib.util.spec_from_loader(
            name, self, origin="graphql._module:" + name, is_package=entry[0])

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        is_package, code, source = self.modules[module.__name__]
        if code is not None:
            obj = marshal.loads(code)
        else:
            obj = compile(source, "<graphql._module:%s>" % module.__name__, "exec", dont_inherit=True)
        exec(obj, module.__dict__)

if reload:
    for name in list(sys.modules):
        if name.split(".")[0] in PREFIXES:
            del sys.modules[name]
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "GraphqlModuleFinder"]
sys.meta_path.insert(0, GraphqlModuleFinder())
import jimgql.host
GD["jimgql_host"] = jimgql.host
return True
'''

COMPILE_SOURCE = r'''
import marshal, importlib.util
magic = importlib.util.MAGIC_NUMBER
update = plpy.prepare(
    "update graphql._module set code = $1, magic = $2 where name = $3", ["bytea", "bytea", "text"])
count = 0
for row in plpy.cursor("select name, source from graphql._module where magic is distinct from '\\x" + magic.hex() + "'::bytea"):
    code = compile(row["source"], "<graphql._module:%s>" % row["name"], "exec", dont_inherit=True)
    plpy.execute(update, [marshal.dumps(code), magic, row["name"]])
    count += 1
return count
'''
