# Redis, started from our own config with its data under .run/redis.

redis_port() { local u=${REDIS_URL#*://}; u=${u#*@}; u=${u%%/*}; echo "${u##*:}"; }

start_redis() {
  local port; port=$(redis_port)
  if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
    return 0
  fi
  command -v redis-server >/dev/null || die "redis-server is missing; run ./dev install"
  mkdir -p "$JIM_RUN_DIR/redis"
  log "starting Redis on port $port"
  redis-server "$JIM_ROOT/scripts/services/redis.conf" --port "$port" \
    --dir "$JIM_RUN_DIR/redis" --logfile "$JIM_RUN_DIR/redis/redis.log" \
    --pidfile "$JIM_RUN_DIR/redis/redis.pid" --daemonize yes >/dev/null \
    || die "Redis did not start; see $JIM_RUN_DIR/redis/redis.log"
  wait_for "Redis" 15 sh -c "redis-cli -p $port ping | grep -q PONG" || die "Redis does not answer on port $port"
}

stop_redis() {
  local port; port=$(redis_port)
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
}

status_redis() {
  if redis-cli -p "$(redis_port)" ping 2>/dev/null | grep -q PONG; then
    printf '  %-10s %s\n' redis "up      $REDIS_URL"
  else
    printf '  %-10s %s\n' redis "down"
  fi
}
