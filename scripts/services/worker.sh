# The worker for ./dev up: `jim worker relay` (outbox -> RabbitMQ, metrics on 9101) and
# `jim worker consume` (tasks, metrics on 9102). Both read the dev environment of
# load_dev_env (DATABASE_URL, WORKER_PASSWORD, RABBITMQ_URL) and stop gracefully on SIGTERM.

WORKER_RUN=$JIM_RUN_DIR/worker
WORKER_RELAY_METRICS_PORT=${WORKER_RELAY_METRICS_PORT:-9101}
WORKER_CONSUMER_METRICS_PORT=${WORKER_CONSUMER_METRICS_PORT:-9102}

worker_metrics_up() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$1/metrics"; }

# start_worker_process NAME PORT: start `jim worker NAME` unless its metrics already answer.
start_worker_process() {
  local name=$1 port=$2
  if worker_metrics_up "$port"; then
    return 0
  fi
  mkdir -p "$WORKER_RUN"
  log "starting the worker's $name (metrics on port $port)"
  WORKER_RELAY_METRICS_PORT=$WORKER_RELAY_METRICS_PORT WORKER_CONSUMER_METRICS_PORT=$WORKER_CONSUMER_METRICS_PORT \
    setsid "$VENV/bin/jim" worker "$name" >"$WORKER_RUN/$name.log" 2>&1 < /dev/null &
  echo $! > "$WORKER_RUN/$name.pid"
  wait_for "worker $name" 60 worker_metrics_up "$port" || die "the worker's $name did not start; see $WORKER_RUN/$name.log"
}

start_app_worker() {
  start_worker_process relay "$WORKER_RELAY_METRICS_PORT"
  start_worker_process consume "$WORKER_CONSUMER_METRICS_PORT"
}

stop_app_worker() {
  local name pidfile pid
  for name in relay consume; do
    pidfile=$WORKER_RUN/$name.pid
    if [ -f "$pidfile" ] && pid=$(cat "$pidfile") && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true  # finishes or releases the current batch/message
      wait_for "worker $name to stop" 30 sh -c "! kill -0 $pid" || warn "the worker's $name did not stop in 30s"
    fi
    rm -f "$pidfile"
  done
}

status_worker() {
  local name port
  for name in relay consume; do
    [ "$name" = relay ] && port=$WORKER_RELAY_METRICS_PORT || port=$WORKER_CONSUMER_METRICS_PORT
    if worker_metrics_up "$port"; then
      printf '  %-10s %s\n' "$name" "up      metrics http://127.0.0.1:$port/metrics  (log: $WORKER_RUN/$name.log)"
    else
      printf '  %-10s %s\n' "$name" "down"
    fi
  done
}
