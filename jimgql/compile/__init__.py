"""The compile stage: a GraphQL operation to one parameterised SQL statement per root field.

Pure Python. Every request value reaches SQL as a bound parameter; identifiers come from the
catalog and are quoted (``quote_ident``); JSON keys and type names are bound parameters too,
so the only text spliced into statements is SQL the compiler wrote and catalog identifiers.
"""
