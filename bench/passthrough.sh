#!/usr/bin/env bash
# What pass-through (/deployments/<name>/**, Spring Cloud Gateway) costs next to the direct call and next to the
# translated LLM route, on one gateway against one simulated deployment: the same v1 chat body three ways, in
# alternating rounds. Writes bench/results/<date>-passthrough.md. Pinning: the simulator, wrk and the stream probe on
# CPU 0, the gateway on CPU 1. BENCH_ROUNDS (default 4), BENCH_DURATION per leg (10s), BENCH_WARMUP s (120).
# About 9 minutes with the defaults; nothing else may run meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${BENCH_ROUNDS:-4}; DURATION=${BENCH_DURATION:-10s}; WARMUP=${BENCH_WARMUP:-120}
WORK=$(mktemp -d)
SIM_PORT=18390; GW_PORT=18380
SIM_KEY=bench-sim-key
ADMIN=bench-admin-token-$(date +%s)-0123456789

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || { echo "needs wrk (Debian package wrk)"; exit 1; }
. bench/lib.sh
start_simulator $SIM_PORT $SIM_KEY
write_catalog "$WORK/gateway.yaml" $SIM_PORT $SIM_KEY
start_pinned_gateway $GW_PORT
DIRECT=http://127.0.0.1:$SIM_PORT/llama31-70b-serverless/v1/chat/completions
LLM=http://127.0.0.1:$GW_PORT/v1/chat/completions
PASS=http://127.0.0.1:$GW_PORT/deployments/bench-1/v1/chat/completions

echo "warming up"
sim_delay 0
for i in $(seq 1 $((WARMUP / 20))); do load "$LLM" "Bearer $KEY" 8 10s > /dev/null; load "$PASS" "Bearer $KEY" 8 10s > /dev/null; done

OUT=bench/results/$(date -u +%Y-%m-%d)-passthrough.md
{
  echo "# Pass-through vs the translated route vs direct ($(date -u +%Y-%m-%dT%H:%MZ), \`$(git rev-parse --short HEAD)\`)"
  echo
  echo "\`bash bench/passthrough.sh\`; $(nproc) cores; $(java -version 2>&1 | head -1). One gateway on CPU 1, the simulator (instant"
  echo "answers; 20 ms between stream events), wrk and the stream probe on CPU 0. The same request (\`bench/chat-2k.json\`, v1)"
  echo "straight to the simulated deployment, through \`/v1/chat/completions\` (decode, route, admit, translate, settle, ledger)"
  echo "and through \`/deployments/bench-1/v1/chat/completions\` (team key, admission of one request, bytes proxied by Spring"
  echo "Cloud Gateway, usage read from the answer, ledger). $ROUNDS rounds of $DURATION per wrk leg after $WARMUP s of warm-up; 30 streams per stream leg."
  echo
  echo "| round | direct p50 c1 | LLM p50 c1 | pass p50 c1 | direct p99 c1 | LLM p99 c1 | pass p99 c1 | LLM req/s c16 | pass req/s c16 | LLM CPU µs/req | pass CPU µs/req | direct ttft p50 | LLM ttft p50 | pass ttft p50 | direct gap p99 | LLM gap p99 | pass gap p99 |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$OUT"
for round in $(seq 1 "$ROUNDS"); do
  sim_delay 0
  read -r _ d50 d99 _ _ <<< "$(load "$DIRECT" "Bearer $SIM_KEY" 1 "$DURATION")"
  read -r _ l50 l99 _ _ <<< "$(load "$LLM" "Bearer $KEY" 1 "$DURATION")"
  read -r _ p50 p99 _ _ <<< "$(load "$PASS" "Bearer $KEY" 1 "$DURATION")"
  read -r lrps _ _ _ lcpu _ <<< "$(load "$LLM" "Bearer $KEY" 16 "$DURATION" $GW_PID)"
  read -r prps _ _ _ pcpu _ <<< "$(load "$PASS" "Bearer $KEY" 16 "$DURATION" $GW_PID)"
  sim_delay 20
  read -r dt dg <<< "$(stream "$DIRECT" "Bearer $SIM_KEY")"
  read -r lt lg <<< "$(stream "$LLM" "Bearer $KEY")"
  read -r pt pg <<< "$(stream "$PASS" "Bearer $KEY")"
  echo "| $round | $d50 | $l50 | $p50 | $d99 | $l99 | $p99 | $lrps | $prps | $lcpu | $pcpu | $dt | $lt | $pt | $dg | $lg | $pg |" >> "$OUT"
done
{
  echo
  echo "Resident memory at the end: $(ps -o rss= -p $GW_PID | tr -d ' ') KiB. Pass-through calls the gateway logged: $(grep -c 'Pass-through .*answered' "$WORK/gw.log")."
  if [ -s "$WORK/errors.txt" ]; then echo; echo "wrk reported:"; echo; sed 's/^/    /' "$WORK/errors.txt"; else echo; echo "No wrk errors."; fi
} >> "$OUT"
cat "$OUT"
