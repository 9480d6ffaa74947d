"""jim: a Postgres-centric, schema-first backend (CLI, settings and database tooling)."""
