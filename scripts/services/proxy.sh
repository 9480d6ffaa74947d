# The FastAPI proxy (`jim proxy`) on port 8000 for ./dev up, and GraphiQL's browser assets.
#
# GraphiQL must work with no internet access, so its bundle and React's are fetched from the
# npm registry here (pinned versions, checked against the registry's sha512 integrity) into
# $JIM_CACHE_DIR/graphiql, which the proxy serves (GRAPHIQL_ASSETS_DIR). Never committed.

PROXY_PORT=${PROXY_PORT:-8000}
PROXY_RUN=$JIM_RUN_DIR/proxy
GRAPHIQL_ASSETS=$JIM_CACHE_DIR/graphiql
# package version sha512-integrity (from the registry's metadata) file-in-package:asset-name ...
GRAPHIQL_PACKAGES=(
  "react 18.3.1 wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ== umd/react.production.min.js:react.production.min.js"
  "react-dom 18.3.1 5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw== umd/react-dom.production.min.js:react-dom.production.min.js"
  "graphiql 3.8.3 cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw== graphiql.min.js:graphiql.min.js graphiql.min.css:graphiql.min.css"
)

install_extra_proxy() {
  mkdir -p "$GRAPHIQL_ASSETS"
  local entry name version integrity files tarball actual pair
  for entry in "${GRAPHIQL_PACKAGES[@]}"; do
    read -r name version integrity files <<<"$entry"
    local stamp=$GRAPHIQL_ASSETS/.$name-$version
    [ -f "$stamp" ] && continue
    tarball=$JIM_CACHE_DIR/npm-$name-$version.tgz
    if [ ! -s "$tarball" ]; then
      log "downloading $name@$version from the npm registry (GraphiQL assets)"
      curl -fsSL --retry 3 -o "$tarball.part" "https://registry.npmjs.org/$name/-/$name-$version.tgz" \
        || die "could not download $name@$version from the npm registry"
      mv "$tarball.part" "$tarball"
    fi
    actual=$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)
    if [ "$actual" != "$integrity" ]; then
      rm -f "$tarball"
      die "$name@$version does not match its registry integrity (removed the download; run again)"
    fi
    for pair in $files; do
      tar -xzf "$tarball" -O "package/${pair%%:*}" > "$GRAPHIQL_ASSETS/${pair##*:}" \
        || die "$name@$version has no ${pair%%:*}"
    done
    touch "$stamp"
  done
}

proxy_ready() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$PROXY_PORT/healthz"; }

start_app_proxy() {
  if proxy_ready; then
    return 0
  fi
  mkdir -p "$PROXY_RUN"
  log "starting the proxy on port $PROXY_PORT (jim proxy)"
  GRAPHIQL_ASSETS_DIR=${GRAPHIQL_ASSETS_DIR:-$GRAPHIQL_ASSETS} PROXY_PORT=$PROXY_PORT \
    setsid "$VENV/bin/jim" proxy >"$PROXY_RUN/proxy.log" 2>&1 < /dev/null &
  echo $! > "$PROXY_RUN/proxy.pid"
  wait_for "proxy" 60 proxy_ready || die "the proxy did not start; see $PROXY_RUN/proxy.log"
}

stop_app_proxy() {
  local pidfile=$PROXY_RUN/proxy.pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")" 2>/dev/null || true  # gunicorn stops its workers gracefully
  fi
  rm -f "$pidfile"
}

status_proxy() {
  if proxy_ready; then
    printf '  %-10s %s\n' proxy "up      http://127.0.0.1:$PROXY_PORT/graphql  (GraphiQL: /graphiql; token: jim token alice)"
  else
    printf '  %-10s %s\n' proxy "down"
  fi
}
