#!/usr/bin/env bash
# Failover under a sick deployment: one model on two deployments, east (priority 0) and west (priority 1), both
# simulated; east then fails 50 % of its calls (503, seeded). Exactly N requests per round (FailoverProbe.java, C in
# flight, C = 1 and 8): what the client sees, and the latency a failover adds. Once with the default breaker (east is ejected
# whenever it fails 5 times in a row) and once with the breaker out of the way (every east failure is failed over).
# Writes bench/results/<date>-failover[-label].md. Pinning: simulator and probe on CPU 0, gateway on CPU 1. About 6 minutes.
#   bash bench/failover.sh [label]        GATEWAY_JAR: another build (bench/ab.sh builds one per commit)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
SIM_PORT=18191
GW_PORT=18181
SIM_KEY=bench-sim-key
ADMIN=bench-admin-token-$(date +%s)-0123456789
COUNT=${BENCH_COUNT:-2000}
CONCURRENCY=${BENCH_CONCURRENCY:-8}
WARMUP=${BENCH_WARMUP:-6000}
LABEL=${1:+-$1}
GATEWAY_JAR=${GATEWAY_JAR:-gateway-app/target/gateway-app.jar}

. bench/lib.sh
start_simulator $SIM_PORT $SIM_KEY
EAST_CONTROL=localhost:$SIM_PORT/_simulator/llama31-70b-serverless
WEST_CONTROL=localhost:$SIM_PORT/_simulator/llama31-8b-serverless

cat > "$WORK/gateway.yaml" <<YAML
gateway:
  deployments:
    east:
      url: http://127.0.0.1:$SIM_PORT/llama31-70b-serverless
      api-key: $SIM_KEY
      model: Meta-Llama-3.1-70B-Instruct
      priority: 0
      limits: { tokens-per-minute: 50000000, requests-per-minute: 50000000 }
    west:
      url: http://127.0.0.1:$SIM_PORT/llama31-8b-serverless
      api-key: $SIM_KEY
      model: Meta-Llama-3.1-70B-Instruct
      priority: 1
      limits: { tokens-per-minute: 50000000, requests-per-minute: 50000000 }
YAML

start_gateway() { # extra arguments
  taskset -c 1 java -jar "$GATEWAY_JAR" --server.port=$GW_PORT --spring.config.additional-location=file:$WORK/gateway.yaml \
    --gateway.data-dir=$WORK/data-$RANDOM --gateway.admin.token=$ADMIN "$@" > "$WORK/gw.log" 2>&1 &
  GW_PID=$!
  until curl -sf -o /dev/null localhost:$GW_PORT/actuator/health; do sleep 0.2; done
  KEY=$(team_key $GW_PORT $ADMIN bench-$RANDOM)
}
stop_gateway() { kill $GW_PID; wait $GW_PID 2>/dev/null || true; }
probe() { # count [concurrency]
  taskset -c 0 java bench/FailoverProbe.java http://127.0.0.1:$GW_PORT/v1/chat/completions "Bearer $KEY" bench/chat-2k.json "$1" "${2:-$CONCURRENCY}"
}
sim_requests() { curl -s "$1/stats" | sed -E 's/.*"requests":([0-9]+).*/\1/'; }
east_fails() { curl -sf -X POST $EAST_CONTROL/faults -H 'Content-Type: application/json' -d '{"type":"status","status":503,"share":0.5,"seed":7}'; }
east_heals() { curl -sf -X DELETE $EAST_CONTROL/faults; }

OUT=bench/results/$(date -u +%Y-%m-%d)-failover$LABEL.md
{
  echo "# Failover: one of two deployments failing 50 % of its calls ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "Commit \`$(git rev-parse --short HEAD)\`, gateway \`$GATEWAY_JAR\`; $(nproc) cores; $(java -version 2>&1 | head -1)."
  echo "Simulator (standalone, instant answers) and FailoverProbe on CPU 0; gateway on CPU 1 (default JVM flags)."
  echo "Model on east (priority 0) and west (priority 1); request \`bench/chat-2k.json\` (2.9 KB chat, max_tokens 16);"
  echo "$COUNT requests per round, 1 or $CONCURRENCY in flight (c); 'failing': east answers 503 to 50 % of its calls (seeded)."
  echo "Latency in ms as the client measured it, per round and per serving deployment (x-gateway-deployment)."
  echo
} > "$OUT"

round() { # label concurrency
  local e0 w0 f0 j0
  e0=$(sim_requests $EAST_CONTROL); w0=$(sim_requests $WEST_CONTROL)
  f0=$(grep -c "failing over" "$WORK/gw.log" || true); j0=$(grep -c "ejected after" "$WORK/gw.log" || true)
  probe "$COUNT" "$2" > "$WORK/probe.txt"
  local e1 w1 f1 j1
  e1=$(sim_requests $EAST_CONTROL); w1=$(sim_requests $WEST_CONTROL)
  f1=$(grep -c "failing over" "$WORK/gw.log" || true); j1=$(grep -c "ejected after" "$WORK/gw.log" || true)
  local statuses
  statuses=$(grep '^status' "$WORK/probe.txt" | awk '{printf "%s%s×%s", sep, $2, $3; sep=", "}')
  grep -v '^status' "$WORK/probe.txt" | while read -r group n p50 p90 p99 max; do
    echo "| $1 | $group | $n | $p50 | $p90 | $p99 | $max |"
  done >> "$WORK/table.md"
  echo "| $1 | $statuses | east called $((e1 - e0)), west $((w1 - w0)) | failovers $((f1 - f0)) | ejections $((j1 - j0)) |" >> "$WORK/calls.md"
}

section() { # title
  {
    echo "## $1"
    echo
    echo "| round | served by | requests | p50 | p90 | p99 | max |"
    echo "|---|---|---|---|---|---|---|"
    cat "$WORK/table.md"
    echo
    echo "| round | client saw | deployments | | |"
    echo "|---|---|---|---|---|"
    cat "$WORK/calls.md"
    echo
  } >> "$OUT"
  rm -f "$WORK/table.md" "$WORK/calls.md"
}

for breaker in default off; do
  if [ $breaker = default ]; then start_gateway; else start_gateway --gateway.resilience.breaker.failures=1000000; fi
  echo "gateway up (breaker $breaker); warming up"
  east_heals; probe "$WARMUP" > /dev/null; east_fails; probe $((WARMUP / 3)) > /dev/null
  for r in 1 2; do
    for c in 1 $CONCURRENCY; do
      east_heals; round "healthy $r, c=$c" $c
      east_fails; round "failing $r, c=$c" $c
    done
  done
  east_heals
  if [ $breaker = default ]; then section "Default breaker (5 failures in a row eject east for 30 s, doubling)"; else section "Breaker off (every failure of east is failed over)"; fi
  stop_gateway
done
grep -E "ERROR|Exception" "$WORK/gw.log" | head -5 >> "$OUT" || true
echo "written to $OUT"
cat "$OUT"
