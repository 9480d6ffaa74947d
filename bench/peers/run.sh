#!/usr/bin/env bash
# jim against its peers, one command (as root on Debian 12, like ./dev):
#
#   bench/peers/run.sh                 # the whole suite, a few minutes
#   bench/peers/run.sh --duration 3    # shorter cells; --help lists every option
#   bench/peers/run.sh --publish       # also refresh bench/peers/RESULTS.md and results.png
#
# Installs what is missing (wrk from Debian, PostGraphile 4 for the machine's Node,
# a Node 22 runtime and PostGraphile 5 from the npm registry, matplotlib and py-spy in a
# bench venv; all under $JIM_CACHE_DIR/bench), starts PostgreSQL, Redis and Keycloak,
# loads `jim db seed --scale N` into the database jim_bench, checks that every system
# returns the same data, times every scenario on every system with the same load, and
# writes bench/results/peers.{md,json} and the PNG plots. Never part of ./dev test.
set -euo pipefail

JIM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export JIM_ROOT
# shellcheck source=../../scripts/lib.sh
source "$JIM_ROOT/scripts/lib.sh"
for service_script in "$JIM_ROOT"/scripts/services/*.sh; do
  # shellcheck disable=SC1090
  source "$service_script"
done
# shellcheck source=install.sh
source "$JIM_ROOT/bench/peers/install.sh"

publish=0
args=()
for arg in "$@"; do
  case "$arg" in
    -h|--help) cd "$JIM_ROOT/bench/peers" && exec "$JIM_ROOT/.venv/bin/python" main.py --help ;;
    --publish) publish=1 ;;  # also copy the table and the throughput plot next to this script
    *) args+=("$arg") ;;
  esac
done

install_prerequisites
install_bench
load_dev_env
start_postgres
start_redis
start_keycloak

RESULTS=$JIM_ROOT/bench/results
cd "$JIM_ROOT/bench/peers"
log "bench: running the peer suite (results in $RESULTS)"
"$VENV/bin/python" main.py --out "$RESULTS" --cache-dir "$BENCH_CACHE" ${args[@]+"${args[@]}"}
"$BENCH_CACHE/venv/bin/python" plots.py "$RESULTS/peers.json" "$RESULTS"
if [ $publish -eq 1 ]; then
  cp "$RESULTS/peers.md" "$JIM_ROOT/bench/peers/RESULTS.md"
  cp "$RESULTS/throughput.png" "$JIM_ROOT/bench/peers/results.png"
  log "bench: published bench/peers/RESULTS.md and bench/peers/results.png"
fi
log "bench: done — $RESULTS/peers.md, $RESULTS/throughput.png, $RESULTS/latency.png"
