#!/usr/bin/env bash
# Two builds of the gateway side by side, each with compare.sh's upstream and configuration, under compare.sh's
# 500-streams-at-once leg only: what a change does to a burst of stream starts, which compare.sh (one build, its rounds
# minutes apart) cannot tell from the hour's noise. Both gateways run all the time on both cores (as compare.sh's
# shared pinning), one under load at a time; legs alternate A B, B A, ...
#   bash bench/stream-burst-ab.sh <jar A> <jar B> [label]     # about 12 minutes; nothing else may run meanwhile
# BENCH_ROUNDS (8) rounds; BENCH_STREAMS (500) streams at once per leg; BENCH_WARMUP s (120) of completions at c=32 and
# 10 bursts per gateway before. Writes bench/results/<date>-stream-burst-ab[-label].md.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR_A=$1; JAR_B=$2; LABEL=${3:+-$3}
ROUNDS=${BENCH_ROUNDS:-8}; STREAMS=${BENCH_STREAMS:-500}; WARMUP=${BENCH_WARMUP:-120}
LOAD_CPUS=0,1; export LOAD_CPUS
WORK=$(mktemp -d)
UP=18512; GW_A=18515; GW_B=18516
ADMIN=bench-admin-token-$(date +%s)-0123456789
MOCK_KEY=bench-upstream-key
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
. bench/lib.sh
PIDS=()
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

node bench/compare/upstream.mjs $UP > "$WORK/upstream.log" 2>&1 & PIDS+=($!)
cat > "$WORK/gateway.yaml" <<YAML
gateway:
  deployments:
$(pool_yaml bench-chat bench-chat "http://127.0.0.1:$UP/chat" "$MOCK_KEY")
    bench-stream: { kind: serverless, dialect: v1, model: bench-stream, url: "http://127.0.0.1:$UP/n20g50", api-key: $MOCK_KEY, limits: { tokens-per-minute: 50000000, requests-per-minute: 50000000 } }
$(safety_yaml)
YAML
start() { # jar port side
  java -jar "$1" --server.port=$2 --spring.config.additional-location=file:$WORK/gateway.yaml \
    --gateway.data-dir=$WORK/data-$3 --gateway.admin.token=$ADMIN > "$WORK/gw-$3.log" 2>&1 &
  PIDS+=($!)
  until curl -sf -o /dev/null localhost:$2/actuator/health; do sleep 0.2; done
}
start "$JAR_A" $GW_A a; start "$JAR_B" $GW_B b
until curl -s -o /dev/null localhost:$UP/; do sleep 0.2; done
key_of() { # port: a new team's key, with an allowance on both models
  local team
  team=$(curl -sf "localhost:$1/admin/v1/teams" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d '{"name":"burst"}' \
    | sed -E 's/.*"id":"([^"]+)".*/\1/')
  for model in bench-chat bench-stream; do
    curl -sf "localhost:$1/admin/v1/teams/$team/quotas/$model" -X PUT -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
      -d '{"tokensPerMinute":50000000,"requestsPerMinute":50000000}' > /dev/null
  done
  curl -sf "localhost:$1/admin/v1/teams/$team/keys" -X POST -H "Authorization: Bearer $ADMIN" | sed -E 's/.*"key":"([^"]+)".*/\1/'
}
KEY_A=$(key_of $GW_A); KEY_B=$(key_of $GW_B)
chat_body bench-chat plain "$WORK/chat.json"; chat_body bench-stream stream "$WORK/stream.json"
burst() { # port key: StreamLoad's line for $STREAMS streams at once
  java bench/compare/StreamLoad.java "http://127.0.0.1:$1/v1/chat/completions" "$WORK/stream.json" "$STREAMS" "Authorization: Bearer $2" 2>&1 | tail -1
}
field() { sed -E "s/.*$1=([^ ]+).*/\1/"; }
echo "warming up: $WARMUP s of completions and 10 bursts each"
for side in a b; do
  port=$([ $side = a ] && echo $GW_A || echo $GW_B); key=$([ $side = a ] && echo "$KEY_A" || echo "$KEY_B")
  LOAD_BODY="$WORK/chat.json" load "http://127.0.0.1:$port/v1/chat/completions" "Bearer $key" 32 "${WARMUP}s" > /dev/null
  for i in $(seq 1 10); do burst $port "$key" > /dev/null; done
done
OUT=bench/results/$(date -u +%Y-%m-%d)-stream-burst-ab$LABEL.md
{
  echo "# $STREAMS streams at once, two builds side by side ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "\`bash bench/stream-burst-ab.sh $JAR_A $JAR_B ${3:-}\`; $(nproc) cores; $(java -version 2>&1 | head -1). compare.sh's upstream, configuration"
  echo "and stream leg (20 events 50 ms apart, StreamLoad); every process on both cores; $ROUNDS rounds, A B then B A in turn."
  echo
  echo "| round | order | A ttft p50 | B ttft p50 | B/A | A ttft p99 | B ttft p99 | A gap p99 | B gap p99 | complete A / B |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$OUT"
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order="A B"; a=$(burst $GW_A "$KEY_A"); b=$(burst $GW_B "$KEY_B")
  else order="B A"; b=$(burst $GW_B "$KEY_B"); a=$(burst $GW_A "$KEY_A"); fi
  ta=$(field ttft_ms_p50 <<< "$a"); tb=$(field ttft_ms_p50 <<< "$b")
  echo "| $round | $order | $ta | $tb | $(awk -v a="$ta" -v b="$tb" 'BEGIN {printf "%.3f", b / a}') | $(field ttft_ms_p99 <<< "$a") | $(field ttft_ms_p99 <<< "$b") | $(field gap_ms_p99 <<< "$a") | $(field gap_ms_p99 <<< "$b") | $(field complete <<< "$a") / $(field complete <<< "$b") |" >> "$OUT"
done
awk -F'|' 'NR > 6 && $5 ~ /[0-9]/ {print $6}' "$OUT" | sort -n | awk '{v[NR]=$1} END {printf "\nMedian B/A of time to first event p50: %.3f (rounds %s to %s).\n", (NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2), v[1], v[NR]}' >> "$OUT"
cat "$OUT"
