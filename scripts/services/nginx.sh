# nginx, the front door of the local stack: rendered from deploy/nginx/nginx.conf.template
# into .run/nginx and started from there (port JIM_NGINX_PORT, default 8080), in front of
# the proxy on JIM_NGINX_UPSTREAM (default 127.0.0.1:8000). The tests start their own nginx
# from the same template (tests/deploy/nginx.py).

nginx_run_dir() { echo "$JIM_RUN_DIR/nginx"; }
nginx_conf() { echo "$(nginx_run_dir)/nginx.conf"; }

nginx_running() {
  local pid_file; pid_file="$(nginx_run_dir)/nginx.pid"
  [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

start_app_nginx() {
  command -v nginx >/dev/null || die "nginx is missing; run ./dev install"
  local run_dir conf port
  run_dir=$(nginx_run_dir); conf=$(nginx_conf)
  port=${JIM_NGINX_PORT:-8080}
  mkdir -p "$run_dir"
  JIM_NGINX_PORT=$port JIM_NGINX_UPSTREAM=${JIM_NGINX_UPSTREAM:-127.0.0.1:8000} \
    python3 "$JIM_ROOT/deploy/nginx/render.py" --run-dir "$run_dir" --output "$conf" \
    || die "could not render the nginx config"
  nginx -t -q -c "$conf" -p "$run_dir" -e "$run_dir/error.log" || die "nginx rejects $conf"
  if nginx_running; then
    log "reloading nginx on port $port"
    nginx -c "$conf" -p "$run_dir" -e "$run_dir/error.log" -s reload || die "nginx reload failed; see $run_dir/error.log"
  else
    log "starting nginx on port $port"
    nginx -c "$conf" -p "$run_dir" -e "$run_dir/error.log" || die "nginx did not start; see $run_dir/error.log"
  fi
  wait_for "nginx" 15 port_open "$port" || die "nginx does not listen on $port; see $run_dir/error.log"
}

stop_app_nginx() {
  local run_dir; run_dir=$(nginx_run_dir)
  if nginx_running; then
    nginx -c "$(nginx_conf)" -p "$run_dir" -e "$run_dir/error.log" -s quit
    wait_for "nginx to stop" 15 sh -c "! kill -0 $(cat "$run_dir/nginx.pid") 2>/dev/null" || true
  fi
  return 0
}

status_nginx() {
  local port=${JIM_NGINX_PORT:-8080}
  if nginx_running; then
    printf '  %-10s %s\n' nginx "up      http://127.0.0.1:$port/graphql (-> ${JIM_NGINX_UPSTREAM:-127.0.0.1:8000})"
  else
    printf '  %-10s %s\n' nginx "down"
  fi
}
