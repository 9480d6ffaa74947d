#!/usr/bin/env bash
# Runs once, when the postgres image initialises an empty data volume: creates the login and
# database Keycloak keeps its realms in. The password comes from KEYCLOAK_DB_PASSWORD or the
# file named by KEYCLOAK_DB_PASSWORD_FILE (a Swarm secret). Set KEYCLOAK_DB_PASSWORD empty
# (and no file) to skip, e.g. when Keycloak has a database server of its own.
set -euo pipefail

password=${KEYCLOAK_DB_PASSWORD:-}
if [ -n "${KEYCLOAK_DB_PASSWORD_FILE:-}" ]; then
  password=$(cat "$KEYCLOAK_DB_PASSWORD_FILE")
fi
if [ -z "$password" ]; then
  echo "10-keycloak.sh: no KEYCLOAK_DB_PASSWORD; not creating the keycloak database"
  exit 0
fi

# The password travels as a psql variable and is quoted by psql (:'name'), never spliced.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v kc_password="$password" <<'SQL'
select format('create role keycloak login password %L', :'kc_password')
 where not exists (select from pg_roles where rolname = 'keycloak')
\gexec
select 'create database keycloak owner keycloak'
 where not exists (select from pg_database where datname = 'keycloak')
\gexec
SQL
