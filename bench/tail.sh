#!/usr/bin/env bash
# The latency tail at one client, and what sets it. The gateway on both cores (as compare.sh runs it) in front of
# compare.sh's Node upstream, after BENCH_WARMUP s (150) of completions at c=32; then BENCH_ROUNDS (3) legs of 10 s at
# c=1 for a completion, one for GET /v1/models (team key, no deployment), one for the upstream alone; with the
# gateway's safepoint log, its stop-the-world pauses during the legs and, at the end, its live heap by class (after a
# full GC).
#   bash bench/tail.sh [label] [gateway args...]      # about 4 minutes; nothing else may run meanwhile
# GATEWAY_JAR, GATEWAY_JAVA, GATEWAY_JAVA_OPTS: another build, JVM or JVM options (a collector, say).
# wrk corrects its percentiles for coordinated omission: a pause of P ms at a connection's rate of R requests a second
# counts as the ~P·R/1000 requests an open-loop client would have sent meanwhile, waiting P, P − 1/R, … ms. At one
# client and ~1,000 req/s a single 30 ms pause thus puts ~30 samples between 1 and 30 ms: pauses taking a share f of a
# leg put about a share f of its samples into the tail, and the pause table says whether they account for its p99.
# The legs' spans are the gateway's uptime in whole seconds, so the share is good to about a tenth.
# Writes bench/results/<date>-tail[-label].md.
set -euo pipefail
cd "$(dirname "$0")/.."
LABEL=${1:+-$1}; shift || true
WARMUP=${BENCH_WARMUP:-150}; ROUNDS=${BENCH_ROUNDS:-3}
WORK=$(mktemp -d)
UP=18512; GW=18515; ADMIN=bench-admin-token-$(date +%s)-0123456789
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || { echo "needs wrk (Debian package wrk)"; exit 1; }
. bench/lib.sh
cleanup() { kill "${UP_PID:-}" "${GW_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
export LOAD_CPUS=0,1

node bench/compare/upstream.mjs $UP > "$WORK/upstream.log" 2>&1 & UP_PID=$!
cat > "$WORK/gateway.yaml" <<YAML
gateway:
  deployments:
$(pool_yaml bench-chat bench-chat "http://127.0.0.1:$UP/chat" bench-upstream-key)
YAML
"${GATEWAY_JAVA:-java}" ${GATEWAY_JAVA_OPTS:-} -Xlog:gc,safepoint:file="$WORK/gc.log":uptime -jar "${GATEWAY_JAR:-gateway-app/target/gateway-app.jar}" --server.port=$GW \
  --spring.config.additional-location=file:$WORK/gateway.yaml --gateway.data-dir=$WORK/data --gateway.admin.token=$ADMIN "$@" > "$WORK/gw.log" 2>&1 &
GW_PID=$!
await_gateway $GW
until curl -s -o /dev/null localhost:$UP/; do sleep 0.2; done
KEY=$(team_key $GW $ADMIN)
chat_body bench-chat plain "$WORK/chat.json"
export LOAD_BODY=$WORK/chat.json

uptime_s() { ps -o etimes= -p $GW_PID | tr -d ' '; }
pct() { # label url auth [body file]: one 10 s leg at c=1 → a table row; the leg's span of uptime in $WORK/spans
  local from to
  from=$(uptime_s)
  AUTH="$3" BODY_FILE="${4:-}" wrk -t1 -c1 -d10s -s bench/percentiles.lua "$2" > "$WORK/leg.txt"
  to=$(uptime_s)
  echo "${1// /_} $from $to" >> "$WORK/spans"
  awk -v label="$1" '/Requests\/sec/ {r=$2} /^PCT/ {p=$0} /Non-2xx|Socket errors/ {e=e $0}
    END {sub(/^PCT /, "", p); gsub(/p[0-9.]+=|max=/, "", p); gsub(/ /, " | ", p); printf "| %s | %.0f | %s | %s |\n", label, r, p, (e == "" ? "0" : e)}' "$WORK/leg.txt"
}

echo "warming up for $WARMUP s"
load "http://127.0.0.1:$GW/v1/chat/completions" "Bearer $KEY" 32 "${WARMUP}s" $GW_PID > /dev/null
ROWS=()
for r in $(seq 1 "$ROUNDS"); do
  ROWS+=("$(pct "completion, round $r" "http://127.0.0.1:$GW/v1/chat/completions" "Bearer $KEY" "$LOAD_BODY")")
done
ROWS+=("$(pct "GET /v1/models" "http://127.0.0.1:$GW/v1/models" "Bearer $KEY")")
ROWS+=("$(pct "upstream alone (completion)" "http://127.0.0.1:$UP/chat/v1/chat/completions" "Bearer k" "$LOAD_BODY")")
jcmd $GW_PID GC.class_histogram > "$WORK/histogram.txt"

# stop-the-world pauses per leg, from the safepoint log (uptime-stamped lines
# "[12.345s] Safepoint "G1CollectForAllocation", ... Total: 25123456 ns"): every collector's pauses and the JVM's other
# safepoints alike
PAUSES=$(while read -r label from to; do
  awk -v label="$label" -v from="$from" -v to="$to" -v span="$((to - from))" '/ Safepoint "/ {t = substr($1, 2) + 0
      if (t < from || t > to + 1) next
      p = $0; sub(/.*Total: /, "", p); p = (p + 0) / 1e6; n++; s += p; if (p > m) m = p; if (p >= 1) l++}
    END {printf "| %s | %d | %d | %.1f | %.2f | %.1f |\n", label, n, l, s, (span ? s / span / 10 : 0), m}' "$WORK/gc.log"
done < "$WORK/spans" | sed 's/_/ /g')
GCS=$(grep -oE 'Using [A-Za-z0-9 ]+' "$WORK/gc.log" | head -1)

OUT=bench/results/$(date -u +%Y-%m-%d)-tail$LABEL.md
{
  echo "# The latency tail at one client ($(date -u +%Y-%m-%dT%H:%MZ), \`$(git rev-parse --short HEAD)\`)"
  echo
  echo "\`bash bench/tail.sh${LABEL:+ ${LABEL#-}}${*:+ $*}\`; 2 cores, every process on both; $("${GATEWAY_JAVA:-java}" -version 2>&1 | head -1), JVM options: \`${GATEWAY_JAVA_OPTS:-none}\`; the gateway with the"
  echo "chat model as a pool of 8 (pool_yaml), team key, quotas (memory store), ledger (H2), meters; $WARMUP s at c=32 before."
  echo "wrk at c=1, 10 s per leg, \`bench/chat-2k.json\` (2.9 KB, 64 tokens answered); latencies in ms, corrected by wrk"
  echo "for coordinated omission (see the script)."
  echo
  echo "| leg | req/s | p90 | p95 | p97 | p98 | p99 | p99.5 | p99.9 | max | errors |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Stop-the-world pauses during each leg (${GCS:-collector unknown}; every safepoint, from \`-Xlog:safepoint\`):"
  echo
  echo "| leg | pauses | ≥ 1 ms | total ms | % of the leg | longest ms |"
  echo "|---|---|---|---|---|---|"
  echo "$PAUSES"
  echo
  echo "Live heap at the end, largest classes (\`jcmd GC.class_histogram\`, after a full collection):"
  echo
  echo '```'
  sed -n 1,18p "$WORK/histogram.txt"
  echo '```'
} > "$OUT"
cat "$OUT"
