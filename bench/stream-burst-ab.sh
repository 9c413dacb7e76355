#!/usr/bin/env bash
# Two builds of the gateway side by side, each with compare.sh's upstream and configuration, under compare.sh's
# 500-streams-at-once leg only: what a change does to a burst of stream starts, which compare.sh (one build, its rounds
# minutes apart) cannot tell from the hour's noise. Both gateways run all the time on both cores (as compare.sh's
# shared pinning), one under load at a time; legs alternate A B, B A, ...
#   bash bench/stream-burst-ab.sh <jar A> <jar B|direct> [label]   # about 12 minutes; nothing else may run meanwhile
# B "direct": the upstream itself, called as compare.sh's direct leg calls it — the gateway's warm figures against
# the floor, side by side.
# BENCH_ROUNDS (8) rounds; BENCH_STREAMS (500) streams at once per leg; BENCH_WARMUP s (120) of completions at c=32 and
# BENCH_WARMUP_BURSTS (10) bursts per gateway before, each burst's figures, CPU and JIT compilations in a table of the
# results (the stream path's own warm-up). Writes bench/results/<date>-stream-burst-ab[-label].md.
# BURST_PROFILE=cpu|alloc: async-profiler in B through all of the rounds (B only works in its own legs; both gateways get
# -XX:+DebugNonSafepoints), written to $PROFILE_DIR/<date>-stream-burst[-label].collapsed with profile.sh's summary: what
# a burst of stream starts costs, where profile.sh's steady load shows a steady state. Same jar twice for a profile alone.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR_A=$1; JAR_B=$2; LABEL=${3:+-$3}
[ -n "${BURST_PROFILE:-}" ] && [ "$JAR_B" = direct ] && { echo "BURST_PROFILE profiles gateway B: not with direct"; exit 1; }
ROUNDS=${BENCH_ROUNDS:-8}; STREAMS=${BENCH_STREAMS:-500}; WARMUP=${BENCH_WARMUP:-120}; WARMUP_BURSTS=${BENCH_WARMUP_BURSTS:-10}
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
PROFILE_OPTS=(); [ -n "${BURST_PROFILE:-}" ] && PROFILE_OPTS=(-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints)
start() { # jar port side
  java "${PROFILE_OPTS[@]}" -jar "$1" --server.port=$2 --spring.config.additional-location=file:$WORK/gateway.yaml \
    --gateway.data-dir=$WORK/data-$3 --gateway.admin.token=$ADMIN > "$WORK/gw-$3.log" 2>&1 &
  PIDS+=($!); eval "PID_$3=$!"
  until curl -sf -o /dev/null localhost:$2/actuator/health; do sleep 0.2; done
}
start "$JAR_A" $GW_A a; [ "$JAR_B" = direct ] || start "$JAR_B" $GW_B b
until curl -s -o /dev/null localhost:$UP/; do sleep 0.2; done
KEY_A=$(team_key $GW_A $ADMIN burst bench-chat bench-stream)
KEY_B=$([ "$JAR_B" = direct ] || team_key $GW_B $ADMIN burst bench-chat bench-stream)
chat_body bench-chat plain "$WORK/chat.json"; chat_body bench-stream stream "$WORK/stream.json"
burst() { # side: StreamLoad's line for $STREAMS streams at once
  local url="http://127.0.0.1:$GW_A/v1/chat/completions" auth="Bearer $KEY_A"
  if [ "$1" = b ]; then
    url="http://127.0.0.1:$GW_B/v1/chat/completions" auth="Bearer $KEY_B"
    [ "$JAR_B" = direct ] && url="http://127.0.0.1:$UP/n20g50/v1/chat/completions" auth="Bearer $MOCK_KEY"
  fi
  java bench/compare/StreamLoad.java "$url" "$WORK/stream.json" "$STREAMS" "Authorization: $auth" 2>&1 | tail -1
}
field() { sed -E "s/.*$1=([^ ]+).*/\1/"; }
compilations() { jstat -compiler "$1" | awk 'NR == 2 {print $1}'; } # pid: methods the JIT has compiled so far
echo "warming up: $WARMUP s of completions and $WARMUP_BURSTS bursts each"
WARM=$WORK/warm.md
for side in a b; do
  [ $side = b ] && [ "$JAR_B" = direct ] && continue
  port=$([ $side = a ] && echo $GW_A || echo $GW_B); key=$([ $side = a ] && echo "$KEY_A" || echo "$KEY_B"); pid=$(eval echo "\$PID_$side")
  LOAD_BODY="$WORK/chat.json" load "http://127.0.0.1:$port/v1/chat/completions" "Bearer $key" 32 "${WARMUP}s" > /dev/null
  for i in $(seq 1 "$WARMUP_BURSTS"); do
    compiled=$(compilations "$pid"); ticks=$(cpu_ticks "$pid")
    line=$(burst $side)
    echo "| ${side^^} | $i | $(field ttft_ms_p50 <<< "$line") | $(field gap_ms_p99 <<< "$line") | $(field complete <<< "$line") |" \
      "$(awk -v t=$(($(cpu_ticks "$pid") - ticks)) -v k="$TICK" 'BEGIN {printf "%.2f", t / k}') | $(($(compilations "$pid") - compiled)) |" >> "$WARM"
  done
done
OUT=bench/results/$(date -u +%Y-%m-%d)-stream-burst-ab$LABEL.md
{
  echo "# $STREAMS streams at once, $([ "$JAR_B" = direct ] && echo "the gateway and the upstream direct" || echo "two builds") side by side ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "\`bash bench/stream-burst-ab.sh $JAR_A $JAR_B ${3:-}\`; $(nproc) cores; $(java -version 2>&1 | head -1). compare.sh's upstream, configuration"
  echo "and stream leg (20 events 50 ms apart, StreamLoad); every process on both cores; $ROUNDS rounds, A B then B A in turn."
  echo
  echo "Warm-up, after $WARMUP s of completions at c=32: each burst in turn, the gateway's CPU (s) and JIT compilations during it."
  echo
  echo "| side | burst | ttft p50 | gap p99 | complete | CPU s | compilations |"
  echo "|---|---|---|---|---|---|---|"
  cat "$WARM"
  echo
  echo "| round | order | A ttft p50 | B ttft p50 | B/A | A ttft p99 | B ttft p99 | A gap p99 | B gap p99 | complete A / B |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$OUT"
if [ -n "${BURST_PROFILE:-}" ]; then
  AGENT=$(profiler_agent); PROFILE_DIR=${PROFILE_DIR:-/tmp/llgw-profiles}; mkdir -p "$PROFILE_DIR"
  PROFILE_OUT=$PROFILE_DIR/$(date -u +%Y-%m-%d)-stream-burst$LABEL.collapsed
  jcmd "$PID_b" JVMTI.agent_load "$AGENT" "\"start,event=$BURST_PROFILE,interval=1ms,threads\"" | grep -v "^$PID_b:" || true
fi
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order="A B"; a=$(burst a); b=$(burst b)
  else order="B A"; b=$(burst b); a=$(burst a); fi
  ta=$(field ttft_ms_p50 <<< "$a"); tb=$(field ttft_ms_p50 <<< "$b")
  echo "| $round | $order | $ta | $tb | $(awk -v a="$ta" -v b="$tb" 'BEGIN {printf "%.3f", b / a}') | $(field ttft_ms_p99 <<< "$a") | $(field ttft_ms_p99 <<< "$b") | $(field gap_ms_p99 <<< "$a") | $(field gap_ms_p99 <<< "$b") | $(field complete <<< "$a") / $(field complete <<< "$b") |" >> "$OUT"
done
median() { sort -g | awk '{v[NR]=$1} END {printf "%.3f", (NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2)}'; }
column() { awk -F'|' -v c="$1" '$3 ~ /^ (A B|B A) $/ {print $c}' "$OUT" | median; }
{
  echo
  echo "Medians of the rounds: B/A of time to first event p50 $(column 6) (rounds $(awk -F'|' '$3 ~ /^ (A B|B A) $/ {print $6 + 0}' "$OUT" | sort -g | sed -n '1p;$p' | paste -sd/ | sed 's|/| to |')); time to first event p50 A $(column 4), B $(column 5) ms; gap p99 A $(column 9), B $(column 10) ms."
} >> "$OUT"
cat "$OUT"
if [ -n "${BURST_PROFILE:-}" ]; then
  jcmd "$PID_b" JVMTI.agent_load "$AGENT" "\"stop,file=$PROFILE_OUT,collapsed$([ "$BURST_PROFILE" = alloc ] && echo ",total")\"" \
    | grep -v "^$PID_b:" || true
  sleep 1; profile_summary "$PROFILE_OUT"
fi
