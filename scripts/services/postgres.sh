# PostgreSQL 15 (Debian's cluster 15/main) with PL/Python, and the dev superuser `jim`.

PG_VERSION=15
PG_CLUSTER=main

# as_postgres COMMAND: run a shell command as the postgres OS user, from a directory it may
# enter (su keeps the caller's working directory, e.g. /root/jim).
as_postgres() { (cd / && su postgres -c "$1"); }

pg_running() { pg_lsclusters -h 2>/dev/null | awk -v v=$PG_VERSION -v c=$PG_CLUSTER '$1==v && $2==c {print $4}' | grep -q online; }

start_postgres() {
  command -v pg_lsclusters >/dev/null || die "PostgreSQL tools are missing (postgresql-common); run ./dev install"
  if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$PG_VERSION/$PG_CLUSTER"; then
    log "creating PostgreSQL cluster $PG_VERSION/$PG_CLUSTER on port $PGPORT"
    pg_createcluster $PG_VERSION $PG_CLUSTER --port "$PGPORT" >/dev/null || die "pg_createcluster failed"
  fi
  # pg_createcluster (also run by the package's postinst) picks another port when 5432 is
  # taken at install time; jim expects the cluster on $PGPORT.
  local port; port=$(pg_conftool -s $PG_VERSION $PG_CLUSTER show port 2>/dev/null || echo "")
  if [ "$port" != "$PGPORT" ]; then
    log "setting PostgreSQL $PG_VERSION/$PG_CLUSTER's port to $PGPORT (was ${port:-unset})"
    pg_conftool $PG_VERSION $PG_CLUSTER set port "$PGPORT"
    pg_running && pg_ctlcluster $PG_VERSION $PG_CLUSTER restart
  fi
  local conf=/etc/postgresql/$PG_VERSION/$PG_CLUSTER/conf.d/jim.conf
  if [ ! -f "$conf" ] || ! cmp -s "$JIM_ROOT/scripts/services/postgresql.conf" "$conf"; then
    mkdir -p "$(dirname "$conf")"
    cp "$JIM_ROOT/scripts/services/postgresql.conf" "$conf"
    pg_running && { log "PostgreSQL settings changed: restarting"; pg_ctlcluster $PG_VERSION $PG_CLUSTER restart; }
  fi
  if ! pg_running; then
    log "starting PostgreSQL $PG_VERSION"
    pg_ctlcluster $PG_VERSION $PG_CLUSTER start || die "PostgreSQL did not start; see /var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log"
  fi
  wait_for "PostgreSQL" 30 as_postgres "psql -p $PGPORT -Atqc 'select 1'" || die "PostgreSQL does not answer on port $PGPORT"
  # The dev superuser owns the databases and runs migrations (dev password, documented in README).
  as_postgres "psql -p $PGPORT -v ON_ERROR_STOP=1 -qAt" <<'SQL' >/dev/null || die "could not create the dev superuser"
do $$
begin
  if not exists (select from pg_roles where rolname = 'jim') then
    create role jim login superuser password 'jim';
  end if;
end
$$;
SQL
  ensure_database jim
}

# ensure_database NAME: create the database if it is missing (owned by jim).
ensure_database() {
  local name=$1
  if ! as_postgres "psql -p $PGPORT -Atqc \"select 1 from pg_database where datname = '$name'\"" | grep -q 1; then
    as_postgres "createdb -p $PGPORT -O jim $name" || die "could not create database $name"
  fi
}

stop_postgres() {
  pg_running && pg_ctlcluster $PG_VERSION $PG_CLUSTER stop -m fast
  return 0
}

status_postgres() {
  if pg_running; then
    printf '  %-10s %s\n' postgres "up      $DATABASE_URL"
  else
    printf '  %-10s %s\n' postgres "down"
  fi
}
