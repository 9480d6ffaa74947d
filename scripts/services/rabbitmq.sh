# RabbitMQ (Debian's 3.10 package), started detached without an init system.

rabbitmq_up() { rabbitmq-diagnostics -q ping >/dev/null 2>&1; }

start_rabbitmq() {
  command -v rabbitmq-server >/dev/null || die "rabbitmq-server is missing; run ./dev install"
  if rabbitmq_up; then
    return 0
  fi
  log "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_for "RabbitMQ" 90 rabbitmq_up || die "RabbitMQ did not start; see /var/log/rabbitmq/"
  wait_for "RabbitMQ port" 30 port_open 5672 || die "RabbitMQ does not listen on 5672"
}

stop_rabbitmq() {
  rabbitmq_up && rabbitmqctl -q stop >/dev/null 2>&1
  return 0
}

status_rabbitmq() {
  if rabbitmq_up; then
    printf '  %-10s %s\n' rabbitmq "up      ${RABBITMQ_URL/guest:guest@/guest:***@}"
  else
    printf '  %-10s %s\n' rabbitmq "down"
  fi
}
