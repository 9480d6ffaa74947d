# Shared helpers for ./dev: logging, package installation, the venv, and the stack's
# top-level flows. Service-specific start/stop functions live in scripts/services/.

JIM_RUN_DIR=${JIM_RUN_DIR:-$JIM_ROOT/.run}
JIM_CACHE_DIR=${JIM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jim}
VENV=$JIM_ROOT/.venv
export JIM_RUN_DIR JIM_CACHE_DIR

# Debian packages the stack and the tests need. Versions come from Debian 12 (bookworm).
APT_PACKAGES=(
  postgresql-15 postgresql-plpython3-15 postgresql-contrib
  redis-server rabbitmq-server nginx
  python3 python3-venv python3-dev
  curl unzip ca-certificates procps iproute2 netcat-openbsd
)

log()  { printf '\033[1;34m[jim]\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m[jim]\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[1;31m[jim] error:\033[0m %s\n' "$*" >&2; exit 1; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "run this as root (it installs Debian packages and starts system services)"
}

# wait_for DESCRIPTION SECONDS COMMAND...: poll COMMAND until it succeeds or time runs out.
wait_for() {
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      return 1
    fi
    sleep 0.3
  done
}

port_open() { nc -z 127.0.0.1 "$1"; }

install_apt_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Package services must not be started by postinst scripts (no init system here); ./dev starts them.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' > $policy && chmod +x $policy && created_policy=1
  fi
  apt-get update -q >/dev/null || warn "apt-get update failed; trying the install with the current lists"
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$JIM_RUN_DIR/apt.log" 2>&1; then
    [ $created_policy -eq 1 ] && rm -f $policy
    tail -n 20 "$JIM_RUN_DIR/apt.log" >&2
    die "apt-get install failed (full log: $JIM_RUN_DIR/apt.log)"
  fi
  [ $created_policy -eq 1 ] && rm -f $policy
  return 0
}

# The venv uses Debian's python3: the same interpreter PL/Python runs inside PostgreSQL.
install_venv() {
  local stamp=$VENV/.jim-installed
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating the Python venv in $VENV"
    /usr/bin/python3 -m venv "$VENV" || die "could not create a venv with /usr/bin/python3 (is python3-venv installed?)"
  fi
  # Reinstall only when pyproject.toml changed since the last install.
  if [ ! -f "$stamp" ] || [ "$JIM_ROOT/pyproject.toml" -nt "$stamp" ]; then
    log "installing jim and its dependencies into the venv"
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
    if ! "$VENV/bin/pip" install -e "$JIM_ROOT[dev]" >"$JIM_RUN_DIR/pip.log" 2>&1; then
      tail -n 20 "$JIM_RUN_DIR/pip.log" >&2
      die "pip install of the project failed (full log: $JIM_RUN_DIR/pip.log)"
    fi
    touch "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

install_prerequisites() {
  require_root
  mkdir -p "$JIM_RUN_DIR" "$JIM_CACHE_DIR"
  install_apt_packages
  install_venv
  for installer in $(declare -F | awk '{print $3}' | grep '^install_extra_'); do
    "$installer"
  done
}

# Environment for the local stack (dev defaults; a .env file or the environment overrides them).
load_dev_env() {
  if [ -f "$JIM_ROOT/.env" ]; then
    set -a; source "$JIM_ROOT/.env"; set +a
  fi
  export JIM_ENV=${JIM_ENV:-dev}
  export PGPORT=${PGPORT:-5432}
  export DATABASE_URL=${DATABASE_URL:-postgresql://jim:jim@127.0.0.1:$PGPORT/jim}
  export AUTHENTICATOR_PASSWORD=${AUTHENTICATOR_PASSWORD:-authenticator}
  export WORKER_PASSWORD=${WORKER_PASSWORD:-worker}
  export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
  export RABBITMQ_URL=${RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672/%2F}
}

stack_up() {
  install_prerequisites
  load_dev_env
  start_postgres
  start_redis
  start_rabbitmq
  log "migrating and seeding the demo database"
  jim db migrate >/dev/null
  jim db seed
  for starter in $(declare -F | awk '{print $3}' | grep '^start_app_'); do
    "$starter"
  done
  stack_status
}

stack_down() {
  load_dev_env
  for stopper in $(declare -F | awk '{print $3}' | grep '^stop_app_'); do
    "$stopper" || true
  done
  stop_rabbitmq || true
  stop_redis || true
  stop_postgres || true
}

stack_status() {
  load_dev_env
  printf '\njim local stack\n'
  for reporter in $(declare -F | awk '{print $3}' | grep '^status_'); do
    "$reporter"
  done
  printf '\n'
}

run_tests() {
  install_prerequisites
  load_dev_env
  start_postgres
  start_redis
  start_rabbitmq
  for starter in $(declare -F | awk '{print $3}' | grep '^start_test_'); do
    "$starter"
  done
  export JIM_ENV=test
  export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgresql://jim:jim@127.0.0.1:$PGPORT/jim_test}
  cd "$JIM_ROOT"
  log "running the test suite"
  "$VENV/bin/python" -m pytest "$@"
}
