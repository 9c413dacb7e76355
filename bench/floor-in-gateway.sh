#!/usr/bin/env bash
# What the layers between Reactor Netty and the gateway's handlers cost, measured inside the gateway: a build of the
# current revision with bench/floor-in-gateway.patch applied (a git worktree) answers /floor/models and
# /floor/completions in an HttpHandlerDecoratorFactory — below WebFlux's exchange, the server observation, the
# security chain and the dispatcher, above Spring's Reactor Netty adapter and ConnectionGuard — with the same fixed
# answers as bench/NettyFloor.java; and the same models answer at two points higher up: /floor/exchange/models in the
# first WebFilter (after the exchange and the server observation), /floor/router/models in a router function behind the
# open security chain and the dispatcher. Loaded beside GET /v1/models and a completion in one JVM, pinned as routes.sh pins
# the gateway; after BENCH_WARMUP s (120) of completions, BENCH_ROUNDS (2) rounds of BENCH_DURATION (20s) per route.
#   bash bench/floor-in-gateway.sh [label]            # about 8 minutes; the simulator's jar as ab.sh takes it (./mvnw package)
# Writes bench/results/<date>-floor-in-gateway[-label].md.
set -euo pipefail
cd "$(dirname "$0")/.."
LABEL=${1:+-$1}; ROUNDS=${BENCH_ROUNDS:-2}; DURATION=${BENCH_DURATION:-20s}; WARMUP=${BENCH_WARMUP:-120}
WORK=$(mktemp -d)
SIM_PORT=18390; GW_PORT=18380; SIM_KEY=bench-sim-key; ADMIN=bench-admin-token-$(date +%s)-0123456789
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || { echo "needs wrk (Debian package wrk)"; exit 1; }
. bench/lib.sh
REV=$(git rev-parse --short HEAD)
git worktree add -q "$WORK/src" HEAD
trap 'cleanup_all' EXIT
cleanup_all() { kill "${SIM_PID:-}" "${GW_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; git worktree remove --force "$WORK/src" 2>/dev/null || true; rm -rf "$WORK"; }
(cd "$WORK/src" && git apply "$OLDPWD/bench/floor-in-gateway.patch" && ./mvnw -q -B -o package -DskipTests -pl gateway-app -am > /dev/null)
GATEWAY_JAR=$WORK/src/gateway-app/target/gateway-app.jar
start_simulator $SIM_PORT $SIM_KEY
write_catalog "$WORK/gateway.yaml" $SIM_PORT $SIM_KEY
safety_yaml >> "$WORK/gateway.yaml"
start_pinned_gateway $GW_PORT
sim_delay 0
BASE=http://127.0.0.1:$GW_PORT
# the GET legs in each round, from above WebFlux down to below it: the path, then what answers it
GET_ROUTES=("/v1/models" "/floor/router/models (router function behind the open security chain)"
  "/floor/exchange/models (first WebFilter)" "/floor/models (below WebFlux)")
get() { get_load "$1" $GW_PID "$DURATION" "Bearer $KEY"; } # url: "<req/s> <CPU µs per request> <answers other than 2xx>"
echo "warming up for $WARMUP s"
load "$BASE/v1/chat/completions" "Bearer $KEY" 16 "${WARMUP}s" $GW_PID > /dev/null
load "$BASE/floor/completions" "Bearer $KEY" 16 20s $GW_PID > /dev/null
for route in "${GET_ROUTES[@]}"; do get "$BASE${route%% *}" > /dev/null; done
OUT=bench/results/$(date -u +%Y-%m-%d)-floor-in-gateway$LABEL.md
{
  echo "# Below WebFlux, inside the gateway: what the layers above Spring's Reactor Netty adapter cost ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "\`bash bench/floor-in-gateway.sh ${1:-}\` at \`$REV\` with \`bench/floor-in-gateway.patch\`; $(nproc) cores; $(java -version 2>&1 | head -1)."
  echo "The gateway on CPU 1, the simulator (instant answers) and wrk on CPU 0; after $WARMUP s of completions at c=16,"
  echo "$ROUNDS rounds of $DURATION per route at c=16. CPU: the gateway process's user + system time over the requests wrk counted."
  echo "\`/floor/*\` are answered by an HttpHandlerDecoratorFactory (fixed answers as bench/NettyFloor.java's; the POST reads its whole body);"
  echo "\`/floor/exchange/models\` by the first WebFilter (after the exchange and the server observation); \`/floor/router/models\` by a router"
  echo "function behind the open security chain (firewall, headers) and the dispatcher, fixed answers as well;"
  echo "\`/v1/*\` cross WebFlux, the observation, the security chain (team key) and the gateway's handlers."
  echo
  echo "| round | route | req/s | CPU µs per request | answers not 2xx |"
  echo "|---|---|---|---|---|"
} > "$OUT"
for round in $(seq 1 "$ROUNDS"); do
  read -r rps _ _ err cpu _ <<< "$(load "$BASE/v1/chat/completions" "Bearer $KEY" 16 "$DURATION" $GW_PID)"
  echo "| $round | POST /v1/chat/completions | $rps | $cpu | $err |" >> "$OUT"
  read -r rps _ _ err cpu _ <<< "$(load "$BASE/floor/completions" "Bearer $KEY" 16 "$DURATION" $GW_PID)"
  echo "| $round | POST /floor/completions (read 2.9 KB, fixed answer) | $rps | $cpu | $err |" >> "$OUT"
  for route in "${GET_ROUTES[@]}"; do
    read -r rps cpu other <<< "$(get "$BASE${route%% *}")"
    echo "| $round | GET $route | $rps | $cpu | $other |" >> "$OUT"
  done
done
cat "$OUT"
