#!/usr/bin/env bash
# What an open stream keeps on the gateway's heap, class by class: the class histogram (jcmd GC.class_histogram, after
# a full collection) with no stream open and with BENCH_STREAMS streams held open (default 2000; each 20 events 1 s
# apart from bench/compare/upstream.mjs, so they stay open ~20 s), and the difference per stream.
#   bash bench/stream-heap.sh [label]      about 2 minutes; nothing else may run meanwhile
# GATEWAY_JAR, GATEWAY_JAVA, GATEWAY_JAVA_OPTS as bench/compare.sh. Writes bench/results/<date>-stream-heap[-label].md.
set -euo pipefail
cd "$(dirname "$0")/.."
LABEL=${1:-}; COUNT=${BENCH_STREAMS:-2000}
GATEWAY_JAR=${GATEWAY_JAR:-gateway-app/target/gateway-app.jar}
WORK=$(mktemp -d)
UP=18602; GW=18605
ADMIN=bench-admin-token-$(date +%s)-0123456789
MOCK_KEY=bench-upstream-key
. bench/lib.sh
PIDS=()
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"   # every stream holds two sockets in the gateway

for port in $UP $GW; do ! curl -s -o /dev/null localhost:$port/ || { echo "port $port is in use (an earlier run still stopping?)"; exit 1; }; done
node bench/compare/upstream.mjs $UP > "$WORK/upstream.log" 2>&1 & PIDS+=($!)
cat > "$WORK/gateway.yaml" <<YAML
gateway:
  deployments:
    bench-hold: { kind: serverless, dialect: v1, model: bench-hold, url: "http://127.0.0.1:$UP/n20g1000", api-key: $MOCK_KEY, limits: { tokens-per-minute: 50000000, requests-per-minute: 50000000 } }
YAML
# shellcheck disable=SC2086
"${GATEWAY_JAVA:-java}" ${GATEWAY_JAVA_OPTS:-} -jar "$GATEWAY_JAR" --server.port=$GW --spring.config.additional-location=file:$WORK/gateway.yaml \
  --gateway.data-dir=$WORK/data --gateway.admin.token=$ADMIN > "$WORK/gw.log" 2>&1 &
GW_PID=$!; PIDS+=($GW_PID)
until curl -sf -o /dev/null localhost:$GW/actuator/health; do kill -0 $GW_PID 2>/dev/null || { tail -20 "$WORK/gw.log"; exit 1; }; sleep 0.2; done
until curl -s -o /dev/null localhost:$UP/; do sleep 0.2; done
KEY=$(team_key $GW "$ADMIN")
chat_body bench-hold stream "$WORK/hold.json"
held() { # count [--open-marker file]
  java bench/compare/StreamLoad.java "http://127.0.0.1:$GW/v1/chat/completions" "$WORK/hold.json" "$1" "${@:2}" "Authorization: Bearer $KEY" 2>&1 | tail -1
}
histogram() { # file: "<bytes> <instances> <class>" per class, after a full collection
  jcmd $GW_PID GC.class_histogram | awk '$1 ~ /^[0-9]+:$/ {print $3, $2, $4}' > "$1"
}

echo "warming up: 200 streams, twice"
held 200 | sed 's/^/warm-up: /'; held 200 | sed 's/^/warm-up: /'
sleep 2
histogram "$WORK/before.txt"
rm -f "$WORK/open"
held "$COUNT" --open-marker "$WORK/open" > "$WORK/hold.txt" &
HOLD=$!
until [ -f "$WORK/open" ]; do kill -0 $HOLD 2>/dev/null || { cat "$WORK/hold.txt"; exit 1; }; sleep 0.2; done
sleep 2
histogram "$WORK/open.txt"
wait $HOLD

OUT=bench/results/$(date -u +%Y-%m-%d)-stream-heap${LABEL:+-$LABEL}.md
TOTAL=$(awk -v n="$COUNT" 'NR == FNR {b[$3] = $1; next} {d += $1 - b[$3]} END {printf "%.1f", d / n / 1024}' "$WORK/before.txt" "$WORK/open.txt")
{
  echo "# Heap per open stream, class by class ($(date -u +%Y-%m-%dT%H:%MZ), \`$(git rev-parse --short HEAD)\`)"
  echo
  echo "\`bash bench/stream-heap.sh $LABEL\`; $(nproc) cores; $("${GATEWAY_JAVA:-java}" -version 2>&1 | head -1); ${GATEWAY_JAVA_OPTS:-default heap options}."
  echo "$COUNT streams held open at once (\`$(cat "$WORK/hold.txt")\`), v1 → v1 with a team key and quotas; the class"
  echo "histogram after a full collection with none open and with all open. **$TOTAL KiB per open stream** in all."
  echo
  echo "| class | bytes per stream | instances per stream |"
  echo "|---|---|---|"
  awk -v n="$COUNT" 'NR == FNR {b[$3] = $1; i[$3] = $2; next} {d = $1 - b[$3]; if (d > 0) printf "%d %.2f %s\n", d, ($2 - i[$3]) / n, $3}' \
    "$WORK/before.txt" "$WORK/open.txt" | sort -rn | head -40 | awk -v n="$COUNT" '{printf "| `%s` | %.0f | %s |\n", $3, $1 / n, $2}'
} > "$OUT"
cat "$OUT"
