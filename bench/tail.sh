#!/usr/bin/env bash
# The latency tail at one client, and what sets it. The gateway on both cores (as compare.sh runs it) in front of
# compare.sh's Node upstream, after BENCH_WARMUP s (150) of completions at c=32; then BENCH_ROUNDS (3) legs of 10 s at
# c=1 for a completion, one for GET /v1/models (team key, no deployment), one for the upstream alone; with the
# gateway's safepoint log, its stop-the-world pauses during the legs and, at the end, its live heap by class (after a
# full GC).
#   bash bench/tail.sh [label] [gateway args...]      # about 4 minutes; nothing else may run meanwhile
# GATEWAY_JAR, GATEWAY_JAVA, GATEWAY_JAVA_OPTS: another build, JVM or JVM options (a collector, say).
# GATEWAY_CPUS, LOAD_CPUS (both 0,1): the CPUs of the gateway and of wrk + the Node upstream, to keep them apart
# (GATEWAY_CPUS=1 LOAD_CPUS=0; on one CPU the JVM picks the Serial collector and one event loop unless
# GATEWAY_JAVA_OPTS says otherwise, e.g. -XX:ActiveProcessorCount=2).
# Per leg, the gateway's threads by name (numbers folded): CPU ms and context switches, voluntary (the thread waited)
# and involuntary (it was preempted, runnable but off the CPU: scheduling delay that lands in the tail).
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
export LOAD_CPUS=${LOAD_CPUS:-0,1}; GATEWAY_CPUS=${GATEWAY_CPUS:-0,1}

taskset -c "$LOAD_CPUS" node bench/compare/upstream.mjs $UP > "$WORK/upstream.log" 2>&1 & UP_PID=$!
cat > "$WORK/gateway.yaml" <<YAML
gateway:
  deployments:
$(pool_yaml bench-chat bench-chat "http://127.0.0.1:$UP/chat" bench-upstream-key)
YAML
taskset -c "$GATEWAY_CPUS" "${GATEWAY_JAVA:-java}" ${GATEWAY_JAVA_OPTS:-} -Xlog:gc,safepoint:file="$WORK/gc.log":uptime -jar "${GATEWAY_JAR:-gateway-app/target/gateway-app.jar}" --server.port=$GW \
  --spring.config.additional-location=file:$WORK/gateway.yaml --gateway.data-dir=$WORK/data --gateway.admin.token=$ADMIN "$@" > "$WORK/gw.log" 2>&1 &
GW_PID=$!
await_gateway $GW
until curl -s -o /dev/null localhost:$UP/; do sleep 0.2; done
KEY=$(team_key $GW $ADMIN)
chat_body bench-chat plain "$WORK/chat.json"
export LOAD_BODY=$WORK/chat.json

uptime_s() { ps -o etimes= -p $GW_PID | tr -d ' '; }
threads() { # the gateway's threads: "<tid> <cpu ticks> <voluntary switches> <involuntary switches> <name>"
  local t
  for t in /proc/$GW_PID/task/*; do
    awk -v tid="${t##*/}" 'FNR == NR {c = $0; sub(/.*\) /, "", c); split(c, f, " "); cpu = f[12] + f[13]; name = $0
        sub(/^[^(]*\(/, "", name); sub(/\)[^)]*$/, "", name); next}
      /^voluntary_ctxt_switches/ {v = $2} /^nonvoluntary_ctxt_switches/ {n = $2}
      END {gsub(/ /, "_", name); print tid, cpu, v, n, name}' "$t/stat" "$t/status" 2>/dev/null || true
  done
}
thread_rows() { # label before after: the leg's CPU and switches by thread group (names without their numbers), largest first
  awk -v label="$1" -v tick=$TICK 'FNR == NR {c[$1] = $2; v[$1] = $3; n[$1] = $4; next}
    {g = $5; gsub(/[0-9]+/, "#", g); cpu[g] += ($2 - c[$1]) * 1000 / tick; vs[g] += $3 - v[$1]; ns[g] += $4 - n[$1]; k[g]++}
    END {for (g in cpu) if (cpu[g] > 0 || ns[g] > 0) printf "%d | %s | %s | %d | %d | %d |\n", cpu[g], label, g, k[g], vs[g], ns[g]}' "$2" "$3" \
    | sort -t'|' -k1,1nr | head -8 | sed -E 's/^([0-9]+) \| ([^|]+) \| ([^|]+) \| /| \2 | \3 | \1 | /; s/_/ /g'
}
pct() { # label url auth [body file]: one 10 s leg at c=1 → a table row; the leg's span of uptime in $WORK/spans, its
  # threads' CPU in $WORK/threads
  local from to jit
  threads > "$WORK/before"
  jit=$(jstat -compiler $GW_PID | awk 'NR == 2 {print $1, $3, $4}')
  from=$(uptime_s)
  AUTH="$3" BODY_FILE="${4:-}" taskset -c "$LOAD_CPUS" wrk -t1 -c1 -d10s -s bench/percentiles.lua "$2" > "$WORK/leg.txt"
  to=$(uptime_s)
  threads > "$WORK/after"
  echo "${1// /_} $from $to" >> "$WORK/spans"
  echo "$jit $(jstat -compiler $GW_PID | awk 'NR == 2 {print $1, $3, $4}')" \
    | awk -v label="$1" '{printf "| %s | %d | %d | %.1f |\n", label, $4 - $1, $5 - $2, $6 - $3}' >> "$WORK/jit"
  thread_rows "$1" "$WORK/before" "$WORK/after" >> "$WORK/threads"
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
  echo "\`bash bench/tail.sh${LABEL:+ ${LABEL#-}}${*:+ $*}\`; 2 cores, gateway on CPUs $GATEWAY_CPUS, wrk and the upstream on $LOAD_CPUS; $("${GATEWAY_JAVA:-java}" -version 2>&1 | head -1), JVM options: \`${GATEWAY_JAVA_OPTS:-none}\`; the gateway with the"
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
  echo "The gateway's threads during each leg, by name, largest CPU first (\`/proc/<pid>/task\`; a leg is 10 s,"
  echo "so 100 ms is 1 % of one core; switches: voluntary = waited, involuntary = preempted while runnable):"
  echo
  echo "| leg | threads | CPU ms | count | voluntary | involuntary |"
  echo "|---|---|---|---|---|---|"
  cat "$WORK/threads"
  echo
  echo "The JIT during each leg (\`jstat -compiler\`: methods compiled, compilations invalidated, compile time in s):"
  echo
  echo "| leg | compiled | invalidated | compile s |"
  echo "|---|---|---|---|"
  cat "$WORK/jit"
  echo
  echo "Live heap at the end, largest classes (\`jcmd GC.class_histogram\`, after a full collection):"
  echo
  echo '```'
  sed -n 1,18p "$WORK/histogram.txt"
  echo '```'
} > "$OUT"
cat "$OUT"
