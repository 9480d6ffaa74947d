"""jimgql: a pg_graphql-compatible GraphQL engine that runs inside PostgreSQL (PL/Python).

Stages, one module group each (see README.md):

    reflect   (reflect.py, catalog.py)   the caller's view of the catalog, one query
    schema    (schema/)                  GraphQL types built from it (introspection via graphql-core)
    compile   (compile/)                 one parameterised SQL statement per root field
    execute   (execute.py, host.py)      run the statements through the PL/Python host

The package is pure Python: nothing here imports plpy except the host, so the compiler is
testable without a database.
"""

from __future__ import annotations

ENGINE_VERSION = "1.6.0-jim.1"
