#!/usr/bin/env bash
# Baseline of the gateway's own cost: the same requests straight to a simulated deployment ("direct") and through
# the gateway, in alternating rounds, on this machine. Writes bench/results/<date>-baseline.md.
# Pinning: the simulator, wrk and the stream probe on CPU 0, the gateway on CPU 1. About 4 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$(mktemp -d)
SIM_PORT=18190
GW_PORT=18180
SIM_KEY=bench-sim-key
ADMIN=bench-admin-token-$(date +%s)-0123456789
DURATION=${BENCH_DURATION:-10s}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || { echo "needs wrk (Debian package wrk)"; exit 1; }
. bench/lib.sh
start_simulator $SIM_PORT $SIM_KEY
write_catalog "$WORK/gateway.yaml" $SIM_PORT $SIM_KEY
taskset -c 1 java -jar gateway-app/target/gateway-app.jar --server.port=$GW_PORT --spring.config.additional-location=file:$WORK/gateway.yaml \
  --gateway.data-dir=$WORK/data --gateway.admin.token=$ADMIN > "$WORK/gw.log" 2>&1 &
GW_PID=$!
START=$(date +%s%N)
until curl -sf -o /dev/null localhost:$GW_PORT/actuator/health; do sleep 0.2; done
COLD_START_MS=$(( ($(date +%s%N) - START) / 1000000 ))

KEY=$(team_key $GW_PORT $ADMIN)
DIRECT=http://127.0.0.1:$SIM_PORT/llama31-70b-serverless/v1/chat/completions
GATEWAY=http://127.0.0.1:$GW_PORT/v1/chat/completions

echo "warming up"
load "$GATEWAY" "Bearer $KEY" 8 45s > /dev/null
load "$DIRECT" "Bearer $SIM_KEY" 8 5s > /dev/null
RSS_WARM_KB=$(ps -o rss= -p $GW_PID | tr -d ' ')

OUT=bench/results/$(date -u +%Y-%m-%d)-baseline.md
{
  echo "# Baseline: the gateway's cost over a direct call ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "Commit \`$(git rev-parse --short HEAD)\`; $(nproc) cores; $(java -version 2>&1 | head -1); wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}')."
  echo "Simulator (standalone, instant answers), wrk and the stream probe on CPU 0; gateway on CPU 1 (default JVM flags)."
  echo "Request: \`bench/chat-2k.json\` (2.9 KB chat, max_tokens 16), v1 caller → v1 deployment, team key auth on."
  echo "Cold start (process start → /actuator/health 200): ${COLD_START_MS} ms."
  echo
  echo "## Added latency at 1 connection ($DURATION per leg, 3 alternating rounds)"
  echo
  echo "| round | direct p50 ms | gateway p50 ms | added p50 ms | direct p99 ms | gateway p99 ms | added p99 ms |"
  echo "|---|---|---|---|---|---|---|"
} > "$OUT"
for round in 1 2 3; do
  read -r d_rps d_p50 d_p99 d_err _ <<< "$(load "$DIRECT" "Bearer $SIM_KEY" 1 "$DURATION")"
  read -r g_rps g_p50 g_p99 g_err _ <<< "$(load "$GATEWAY" "Bearer $KEY" 1 "$DURATION")"
  [ "$d_err$g_err" = "00" ] || echo "errors in round $round" >> "$OUT"
  awk -v r=$round -v a=$d_p50 -v b=$g_p50 -v c=$d_p99 -v d=$g_p99 'BEGIN {printf "| %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", r, a, b, b-a, c, d, d-c}' >> "$OUT"
done
{
  echo
  echo "## Throughput (closed loop, $DURATION per leg)"
  echo
  echo "| connections | direct req/s | gateway req/s | gateway p50 ms | gateway p99 ms |"
  echo "|---|---|---|---|---|"
} >> "$OUT"
for c in 16 64; do
  read -r d_rps d_p50 d_p99 d_err _ <<< "$(load "$DIRECT" "Bearer $SIM_KEY" $c "$DURATION")"
  read -r g_rps g_p50 g_p99 g_err _ <<< "$(load "$GATEWAY" "Bearer $KEY" $c "$DURATION")"
  echo "| $c | $d_rps | $g_rps | $g_p50 | $g_p99 |$( [ "$d_err$g_err" = "00" ] || echo ' errors')" >> "$OUT"
done

sim_delay 20
probe() { taskset -c 0 java bench/StreamProbe.java "$1" "$2" bench/chat-2k-stream.json 30; }
D_STREAM=$(probe "$DIRECT" "Bearer $SIM_KEY")
G_STREAM=$(probe "$GATEWAY" "Bearer $KEY")
RSS_END_KB=$(ps -o rss= -p $GW_PID | tr -d ' ')
{
  echo
  echo "## Streams (30 in a row, 32 tokens 20 ms apart; ttft = request sent → first event)"
  echo
  echo "- direct:  \`$D_STREAM\`"
  echo "- gateway: \`$G_STREAM\`"
  echo
  echo "Gateway resident memory: ${RSS_WARM_KB} KiB after warm-up, ${RSS_END_KB} KiB at the end."
} >> "$OUT"
if [ -s "$WORK/errors.txt" ]; then
  { echo; echo "wrk reported:"; echo; sed 's/^/    /' "$WORK/errors.txt"; } >> "$OUT"
fi
cat "$OUT"
