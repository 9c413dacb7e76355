#!/usr/bin/env bash
# The transport's floor beside the gateway's routes: Reactor Netty alone (bench/NettyFloor.java, the gateway jar's own
# libraries) answering GET /v1/models with a fixed JSON and POST /v1/chat/completions by reading the whole of
# bench/chat-2k.json and answering a fixed completion — CPU per request with nothing of Spring, security, routing,
# the pipeline or a deployment's call. Pinned as routes.sh pins the gateway (the server on CPU 1, wrk on CPU 0); after
# BENCH_WARMUP s (60) of load, BENCH_ROUNDS (2) rounds of BENCH_DURATION (20s) per route at 16 connections. Compare
# with routes.sh's figures of the same hour. Needs gateway-app/target/gateway-app.jar (./mvnw package).
#   bash bench/floor.sh [label]
# Writes bench/results/<date>-floor[-label].md.
set -euo pipefail
cd "$(dirname "$0")/.."
LABEL=${1:+-$1}; ROUNDS=${BENCH_ROUNDS:-2}; DURATION=${BENCH_DURATION:-20s}; WARMUP=${BENCH_WARMUP:-60}
PORT=18480
WORK=$(mktemp -d)
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || { echo "needs wrk (Debian package wrk)"; exit 1; }
. bench/lib.sh
trap 'kill "${FLOOR_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

(cd "$WORK" && unzip -q -o "$OLDPWD/gateway-app/target/gateway-app.jar" 'BOOT-INF/lib/*')
taskset -c 1 java -cp "$WORK/BOOT-INF/lib/*" bench/NettyFloor.java $PORT > "$WORK/floor.log" 2>&1 &
FLOOR_PID=$!
until grep -q listening "$WORK/floor.log" 2>/dev/null; do sleep 0.2; done
BASE=http://127.0.0.1:$PORT

get() { get_load "$1" $FLOOR_PID "$DURATION"; } # url: "<req/s> <CPU µs per request> <answers other than 2xx>"

echo "warming up for $WARMUP s"
load "$BASE/v1/chat/completions" "Bearer none" 16 "$((WARMUP * 2 / 3))s" $FLOOR_PID > /dev/null
taskset -c 0 wrk -t1 -c16 -d"$((WARMUP / 3))s" "$BASE/v1/models" > /dev/null
OUT=bench/results/$(date -u +%Y-%m-%d)-floor$LABEL.md
{
  echo "# The transport's floor: Reactor Netty alone, route by route ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "\`bash bench/floor.sh ${1:-}\` at \`$(git rev-parse --short HEAD)\`; $(nproc) cores; $(java -version 2>&1 | head -1)."
  echo "bench/NettyFloor.java (Reactor Netty as the gateway jar has it, its default event loops) on CPU 1, wrk on CPU 0;"
  echo "after $WARMUP s of load, $ROUNDS rounds of $DURATION per route at c=16. CPU: the process's user + system time over the requests wrk counted."
  echo
  echo "| round | route | req/s | CPU µs per request | answers not 2xx |"
  echo "|---|---|---|---|---|"
} > "$OUT"
for round in $(seq 1 "$ROUNDS"); do
  read -r rps _ _ err cpu _ <<< "$(load "$BASE/v1/chat/completions" "Bearer none" 16 "$DURATION" $FLOOR_PID)"
  echo "| $round | POST /v1/chat/completions (read 2.9 KB, answer 0.6 KB) | $rps | $cpu | $([ "$err" = 0 ] && echo 0 || echo "some: see wrk") |" >> "$OUT"
  read -r rps cpu other <<< "$(get "$BASE/v1/models")"
  echo "| $round | GET /v1/models (answer 0.2 KB) | $rps | $cpu | $other |" >> "$OUT"
done
cat "$OUT"
