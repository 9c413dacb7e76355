#!/usr/bin/env bash
# CPU per request of the gateway, route by route: what a completion costs against what the layers every request
# crosses cost on their own. The gateway pinned to CPU 1, the simulator (instant answers) and wrk on CPU 0, as in
# bench/profile.sh; after BENCH_WARMUP s (90) of completions, BENCH_ROUNDS (2) rounds of BENCH_DURATION (20s) per route
# at 16 connections:
#   POST /v1/chat/completions   team key, quota, v1 codec both ways, the deployment's call, ledger, meters
#   GET  /v1/models             team key and the security chain, WebFlux, a small JSON answer: no deployment
#   GET  /nowhere               a 404 (with the team key): the error path
#   GET  /actuator/health       the open chain and every health indicator (the database's query included)
#   bash bench/routes.sh [label] [gateway args...]
# Writes bench/results/<date>-routes[-label].md.
set -euo pipefail
cd "$(dirname "$0")/.."
LABEL=${1:+-$1}; shift || true
WARMUP=${BENCH_WARMUP:-90}; ROUNDS=${BENCH_ROUNDS:-2}; DURATION=${BENCH_DURATION:-20s}
WORK=$(mktemp -d)
SIM_PORT=18390; GW_PORT=18380; SIM_KEY=bench-sim-key
ADMIN=bench-admin-token-$(date +%s)-0123456789

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || { echo "needs wrk (Debian package wrk)"; exit 1; }
. bench/lib.sh

start_simulator $SIM_PORT $SIM_KEY
write_catalog "$WORK/gateway.yaml" $SIM_PORT $SIM_KEY
start_pinned_gateway $GW_PORT "$@"
sim_delay 0
BASE=http://127.0.0.1:$GW_PORT

get() { get_load "$1" $GW_PID "$DURATION" "Bearer $KEY"; } # url: "<req/s> <CPU µs per request> <answers other than 2xx>"

echo "warming up for $WARMUP s"
load "$BASE/v1/chat/completions" "Bearer $KEY" 16 "${WARMUP}s" $GW_PID > /dev/null
OUT=bench/results/$(date -u +%Y-%m-%d)-routes$LABEL.md
{
  echo "# CPU per request, route by route ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "\`bash bench/routes.sh ${LABEL#-} $*\` at \`$(git rev-parse --short HEAD)\`; $(nproc) cores; $(java -version 2>&1 | head -1)."
  echo "The gateway on CPU 1, the simulator (instant answers) and wrk on CPU 0; after $WARMUP s of completions at c=16,"
  echo "$ROUNDS rounds of $DURATION per route at c=16. CPU: the gateway process's user + system time over the requests wrk counted."
  echo
  echo "| round | route | req/s | CPU µs per request | answers not 2xx |"
  echo "|---|---|---|---|---|"
} > "$OUT"
for round in $(seq 1 "$ROUNDS"); do
  read -r rps _ _ err cpu _ <<< "$(load "$BASE/v1/chat/completions" "Bearer $KEY" 16 "$DURATION" $GW_PID)"
  echo "| $round | POST /v1/chat/completions | $rps | $cpu | $([ "$err" = 0 ] && echo 0 || echo "some: see wrk") |" >> "$OUT"
  for route in /v1/models /nowhere /actuator/health; do
    read -r rps cpu other <<< "$(get "$BASE$route")"
    echo "| $round | GET $route | $rps | $cpu | $other |" >> "$OUT"
  done
done
cat "$OUT"
