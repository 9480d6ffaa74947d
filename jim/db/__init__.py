"""Database tooling: roles, migrations, functions, seeds."""
