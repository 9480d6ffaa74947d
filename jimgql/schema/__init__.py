"""The GraphQL schema stage: types built from the reflected catalog.

``types.py`` is a small type-system model the compiler walks directly; ``builder.py`` fills
it from a :class:`~jimgql.catalog.Catalog`; ``introspection.py`` turns it into graphql-core
types (only when a request introspects) so ``__schema``/``__type`` answers follow the spec.
"""
