#!/usr/bin/env bash
# The gateway side by side with the nginx floor and a peer LLM gateway (Portkey), in one run, against the same simple
# upstream: shared/research/perf-reliability.md §5 as this 2-core machine allows. See bench/README.md.
#   bash bench/compare.sh            # about 17 minutes; nothing else may run meanwhile
# BENCH_ROUNDS (3) interleaved rounds of, for each of direct, nginx, Portkey and the gateway: c=1, c=32, c=256 (wrk,
# BENCH_DURATION each, default 10s), an open-loop leg at BENCH_RATE req/s (300), BENCH_STREAMS streams at once (500);
# then once each: BENCH_MANY_STREAMS streams at once (2000) and memory per open stream (as many, held open 20 s).
# Before the rounds the gateway is started fresh and loaded at c=32 in 5 s windows for BENCH_RAMP s (150): its
# throughput from the start (time to 90 % of steady); then every system's stream path is warmed with BENCH_STREAM_WARMUP
# (12) bursts of BENCH_STREAMS streams (the gateway's JIT compiles it over ~10 bursts: stream-burst-ab.sh).
# GATEWAY_JAR, GATEWAY_JAVA, GATEWAY_JAVA_OPTS: another build, another java, JVM options.
# BENCH_PINNING: shared (default: every process on both cores, as a co-located deployment runs) or pinned (the
# upstreams and the load generators on CPU 0, the system under test alone on CPU 1: then nginx has a core to itself
# and the throughput ratios measure CPU per request; cpu_us, reported in both, is the figure pinning does not move).
# Writes bench/results/<date>-compare[-BENCH_LABEL].md (and the raw legs beside it, .tsv).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${BENCH_ROUNDS:-3}; DURATION=${BENCH_DURATION:-10s}; RATE=${BENCH_RATE:-300}; RAMP=${BENCH_RAMP:-150}
STREAMS=${BENCH_STREAMS:-500}; MANY=${BENCH_MANY_STREAMS:-2000}; STREAM_WARMUP=${BENCH_STREAM_WARMUP:-12}
GATEWAY_JAR=${GATEWAY_JAR:-gateway-app/target/gateway-app.jar}
PINNING=${BENCH_PINNING:-shared}
if [ "$PINNING" = pinned ]; then LOAD_CPUS=0; SUT_CPUS=1; else LOAD_CPUS=0,1; SUT_CPUS=0,1; fi
export LOAD_CPUS
PORTKEY_VERSION=1.15.2
PORTKEY_DIR=$HOME/.cache/llgw-bench/portkey-$PORTKEY_VERSION
WORK=$(mktemp -d)
UP=18502; NGINX=18503; PORTKEY=18504; GW=18505
ADMIN=bench-admin-token-$(date +%s)-0123456789
MOCK_KEY=bench-upstream-key

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light; }
if [ ! -f "$PORTKEY_DIR/node_modules/@portkey-ai/gateway/build/start-server.js" ]; then
  mkdir -p "$PORTKEY_DIR"
  (cd "$PORTKEY_DIR" && npm init -y > /dev/null && npm install --no-audit --no-fund "@portkey-ai/gateway@$PORTKEY_VERSION" > /dev/null)
fi
# Portkey 1.15.2 on Node 20 answers every stream "Something went wrong" (TypeError: immutable, Portkey-AI/gateway#1550):
# the response is cloned before its headers are changed, as Portkey-AI/gateway#1551 does
sed -i 's/r?(i=t,c=s)/r?(i=new Response(t.body,t),c=s)/' "$PORTKEY_DIR/node_modules/@portkey-ai/gateway/build/start-server.js"
. bench/lib.sh
PIDS=()
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"   # 2,000 streams through a proxy: 4,000 sockets in one process

# ---- the upstream: bench/compare/upstream.mjs, a Node chat deployment (one chat.completion, or an event stream)
taskset -c $LOAD_CPUS node bench/compare/upstream.mjs $UP > "$WORK/upstream.log" 2>&1 & PIDS+=($!)

# ---- the systems under test: nginx (the floor), Portkey (the peer), the gateway
nginx_conf() { # file, http block body
  cat > "$1" <<CONF
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid $1.pid;
error_log $1.err warn;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_max_body_size 2m;
  client_body_buffer_size 64k;
  $2
}
CONF
}
nginx_conf "$WORK/proxy.conf" "
  upstream mock { server 127.0.0.1:$UP; keepalive 256; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$NGINX backlog=4096;
    proxy_http_version 1.1;
    proxy_set_header Connection \"\";
    location /stream/ { proxy_pass http://mock/; proxy_buffering off; proxy_read_timeout 300s; }
    location / { proxy_pass http://mock; }
  }"
taskset -c $SUT_CPUS nginx -p "$WORK" -c "$WORK/proxy.conf" & NGINX_MASTER=$!; PIDS+=($NGINX_MASTER)
(cd "$PORTKEY_DIR" && NODE_ENV=production exec taskset -c $SUT_CPUS node node_modules/@portkey-ai/gateway/build/start-server.js --headless --port=$PORTKEY) > "$WORK/portkey.log" 2>&1 &
PORTKEY_PID=$!; PIDS+=($PORTKEY_PID)
cat > "$WORK/gateway.yaml" <<YAML
gateway:
  deployments:
$(pool_yaml bench-chat bench-chat "http://127.0.0.1:$UP/chat" "$MOCK_KEY")
    bench-stream: { kind: serverless, dialect: v1, model: bench-stream, url: "http://127.0.0.1:$UP/n20g50", api-key: $MOCK_KEY, limits: { tokens-per-minute: 50000000, requests-per-minute: 50000000 } }
    bench-hold:   { kind: serverless, dialect: v1, model: bench-hold,   url: "http://127.0.0.1:$UP/n20g1000", api-key: $MOCK_KEY, limits: { tokens-per-minute: 50000000, requests-per-minute: 50000000 } }
$(safety_yaml)
YAML
GW_START=$(date +%s%N)
# shellcheck disable=SC2086
taskset -c $SUT_CPUS "${GATEWAY_JAVA:-java}" ${GATEWAY_JAVA_OPTS:-} -jar "$GATEWAY_JAR" --server.port=$GW --spring.config.additional-location=file:$WORK/gateway.yaml \
  --gateway.data-dir=$WORK/data --gateway.admin.token=$ADMIN > "$WORK/gw.log" 2>&1 &
GW_PID=$!; PIDS+=($GW_PID)
until curl -sf -o /dev/null localhost:$GW/actuator/health; do
  kill -0 $GW_PID 2>/dev/null || { grep -A12 'APPLICATION FAILED' "$WORK/gw.log" || tail -20 "$WORK/gw.log"; exit 1; }; sleep 0.1
done
GW_READY_MS=$(( ($(date +%s%N) - GW_START) / 1000000 ))
until curl -s -o /dev/null localhost:$UP/ && curl -s -o /dev/null localhost:$NGINX/ && curl -s -o /dev/null localhost:$PORTKEY/; do sleep 0.2; done
NGINX_PID=$(pgrep -P $NGINX_MASTER)

# 8 teams, each with an allowance on each bench model (the team quota runs, never refuses) and a key: wrk's requests
# take the keys in turn (post.lua's ROTATE_AUTH), as one team's most, 50,000,000 tokens a minute, runs dry like one
# deployment's (pool_yaml); the stream and open-loop legs use the first key
admin() { curl -sf "localhost:$GW/admin/v1/$1" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' "${@:2}"; }
KEYS=()
for t in $(seq 1 8); do
  TEAM=$(admin teams -d "{\"name\":\"bench-$t\"}" | sed -E 's/.*"id":"([^"]+)".*/\1/')
  for model in bench-chat bench-stream bench-hold; do
    admin "teams/$TEAM/quotas/$model" -X PUT -d '{"tokensPerMinute":50000000,"requestsPerMinute":50000000}' > /dev/null
  done
  KEYS+=("Bearer $(admin "teams/$TEAM/keys" -X POST | sed -E 's/.*"key":"([^"]+)".*/\1/')")
done
KEY=${KEYS[0]#Bearer }
GATEWAY_KEYS=$(IFS='|'; echo "${KEYS[*]}")

# the request bodies: bench/chat-2k.json (2.9 KB, v1) for 64 completion tokens, streamed with include_usage
chat_body bench-chat plain "$WORK/chat.json"; chat_body bench-stream stream "$WORK/stream.json"; chat_body bench-hold stream "$WORK/hold.json"

# per system: its URL, the headers it needs (post.lua's EXTRA_HEADERS form) and the pid whose CPU and memory count
url() { # sut shape(chat|stream|hold)
  local path; case $2 in chat) path=;; stream) path=/n20g50;; hold) path=/n20g1000;; esac
  case $1 in
    direct) echo "http://127.0.0.1:$UP$path/v1/chat/completions";;
    nginx) if [ "$2" = chat ]; then echo "http://127.0.0.1:$NGINX/v1/chat/completions"; else echo "http://127.0.0.1:$NGINX/stream$path/v1/chat/completions"; fi;;
    portkey) echo "http://127.0.0.1:$PORTKEY/v1/chat/completions";;
    gateway) echo "http://127.0.0.1:$GW/v1/chat/completions";;
  esac
}
headers() { # sut shape
  case $1 in
    gateway) echo "Authorization: Bearer $KEY";;
    portkey) if [ "$2" = chat ]; then host=http://127.0.0.1:$UP/v1; elif [ "$2" = stream ]; then host=http://127.0.0.1:$UP/n20g50/v1; else host=http://127.0.0.1:$UP/n20g1000/v1; fi
             echo "Authorization: Bearer $MOCK_KEY|x-portkey-provider: openai|x-portkey-custom-host: $host";;
    *) echo "Authorization: Bearer $MOCK_KEY";;
  esac
}
pid_of() { case $1 in nginx) echo "$NGINX_PID";; portkey) echo "$PORTKEY_PID";; gateway) echo "$GW_PID";; *) echo "";; esac; }
body_of() { case $1 in chat) echo "$WORK/chat.json";; stream) echo "$WORK/stream.json";; hold) echo "$WORK/hold.json";; esac; }
header_args() { local IFS='|'; for h in $1; do printf '%s\n' "$h"; done; }
wrk_leg() { # sut connections: "<req/s> <p50> <p99> <errors> <cpu µs/req> <KB/req, 0 here>"
  local rotate=; [ "$1" = gateway ] && rotate=$GATEWAY_KEYS
  ROTATE_AUTH="$rotate" EXTRA_HEADERS="$(headers "$1" chat)" LOAD_BODY="$WORK/chat.json" load "$(url "$1" chat)" "" "$2" "$3" "$(pid_of "$1")"
}
streams() { # sut shape count [--open-marker file]: StreamLoad's line
  local -a hs; mapfile -t hs < <(header_args "$(headers "$1" "$2")")
  taskset -c $LOAD_CPUS java bench/compare/StreamLoad.java "$(url "$1" "$2")" "$(body_of "$2")" "$3" "${@:4}" "${hs[@]}" 2>&1 | tail -1
}
open_loop() { # sut: OpenLoop's line
  local -a hs; mapfile -t hs < <(header_args "$(headers "$1" chat)")
  taskset -c $LOAD_CPUS java bench/compare/OpenLoop.java "$(url "$1" chat)" "$WORK/chat.json" "$RATE" "${DURATION%s}" "${hs[@]}" 2>&1 | tail -1
}
field() { sed -E "s/.*$1=([^ ]+).*/\1/"; }
steal() { awk '/^cpu /{print $9}' /proc/stat; }
STEAL_START=$(steal); TOTAL_START=$(awk '/^cpu /{s=0; for (i=2;i<=NF;i++) s+=$i; print s}' /proc/stat)

# ---- the gateway's throughput from a cold start (its JIT warm-up), then the others warmed up
echo "gateway from cold: $RAMP s in 5 s windows at c=32"
: > "$WORK/ramp.txt"
for i in $(seq 1 $((RAMP / 5))); do
  read -r rps _ _ err _ <<< "$(wrk_leg gateway 32 5s)"
  echo "$(( ($(date +%s%N) - GW_START) / 1000000 )) $rps $err" >> "$WORK/ramp.txt"
done
for sut in nginx portkey; do wrk_leg $sut 32 20s > /dev/null; done
# the stream legs measure warm systems, as the throughput legs do: bursts as large as the legs' until the JIT is done
for sut in portkey nginx gateway; do for i in $(seq 1 "$STREAM_WARMUP"); do streams $sut stream "$STREAMS" > /dev/null; done; done
RSS_WARM=$(ps -o rss= -p "$GW_PID" | tr -d ' ')

# ---- interleaved rounds
RAW=$WORK/legs.tsv   # round sut metric value
SUTS=(direct nginx portkey gateway)
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then order=("${SUTS[@]}"); else order=(gateway portkey nginx direct); fi
  for sut in "${order[@]}"; do
    echo "round $round: $sut"
    read -r _ p50 p99 e1 _ <<< "$(wrk_leg $sut 1 "$DURATION")"
    read -r rps32 p50_32 p99_32 e2 cpu _ <<< "$(wrk_leg $sut 32 "$DURATION")"
    read -r rps256 _ p99_256 e3 _ <<< "$(wrk_leg $sut 256 "$DURATION")"
    ol=$(open_loop $sut)
    st=$(streams $sut stream "$STREAMS")
    printf '%s\t%s\t%s\t%s\n' \
      $round $sut c1_p50 "$p50" $round $sut c1_p99 "$p99" $round $sut c32_rps "$rps32" $round $sut c32_p50 "$p50_32" \
      $round $sut c32_p99 "$p99_32" $round $sut cpu_us "$cpu" $round $sut c256_rps "$rps256" $round $sut c256_p99 "$p99_256" \
      $round $sut wrk_errors "$e1/$e2/$e3" \
      $round $sut open_p50 "$(field p50_ms <<< "$ol")" $round $sut open_p99 "$(field p99_ms <<< "$ol")" \
      $round $sut open_p999 "$(field p999_ms <<< "$ol")" $round $sut open_errors "$(field errors <<< "$ol")" \
      $round $sut s_complete "$(field complete <<< "$st")" $round $sut s_events "$(field events <<< "$st")" \
      $round $sut s_ttft_p50 "$(field ttft_ms_p50 <<< "$st")" $round $sut s_ttft_p99 "$(field ttft_ms_p99 <<< "$st")" \
      $round $sut s_gap_p99 "$(field gap_ms_p99 <<< "$st")" $round $sut s_gap_max "$(field gap_ms_max <<< "$st")" >> "$RAW"
  done
done

# ---- once each: many streams at once, and memory per open stream
gc_heap_kb() { # pid: heap in use after a full collection, KiB
  jcmd "$1" GC.run > /dev/null; jcmd "$1" GC.heap_info | awk '/used/ {for (i=1;i<=NF;i++) if ($i=="used") {v=$(i+1); sub(/K,?/,"",v); print v; exit}}'
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
for sut in "${SUTS[@]}"; do
  echo "$sut: $MANY streams at once"
  st=$(streams $sut stream "$MANY")
  printf '%s\t%s\t%s\t%s\n' many $sut m_line "$st" >> "$RAW"
  pid=$(pid_of $sut)
  [ -z "$pid" ] && continue
  echo "$sut: $MANY streams held open"
  sleep 5
  heap0=0; [ $sut = gateway ] && heap0=$(gc_heap_kb "$pid")
  rss0=$(rss_kb "$pid")
  rm -f "$WORK/open"
  streams $sut hold "$MANY" --open-marker "$WORK/open" > "$WORK/hold-$sut.txt" &
  HOLD=$!
  until [ -f "$WORK/open" ]; do sleep 0.2; done
  sleep 3
  heap1=0; [ $sut = gateway ] && heap1=$(gc_heap_kb "$pid")
  rss1=$(rss_kb "$pid")
  wait $HOLD
  printf '%s\t%s\t%s\t%s\n' many $sut rss_per_stream_kib "$(( (rss1 - rss0) / MANY ))" many $sut heap_per_stream_kib "$(( (heap1 - heap0) / MANY ))" \
    many $sut rss_before_mib "$((rss0 / 1024))" many $sut rss_open_mib "$((rss1 / 1024))" many $sut hold_line "$(tail -1 "$WORK/hold-$sut.txt")" >> "$RAW"
done
STEAL_PCT=$(awk -v s0="$STEAL_START" -v t0="$TOTAL_START" '/^cpu /{s=0; for (i=2;i<=NF;i++) s+=$i; printf "%.1f", 100 * ($9 - s0) / (s - t0)}' /proc/stat)

# ---- the report
DAY=$(date -u +%Y-%m-%d)
OUT=bench/results/$DAY-compare${BENCH_LABEL:+-$BENCH_LABEL}.md
cp "$RAW" "${OUT%.md}.tsv"
med() { # sut metric: median over the rounds
  awk -F'\t' -v s="$1" -v m="$2" '$2 == s && $3 == m {print $4}' "$RAW" | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'
}
all() { awk -F'\t' -v s="$1" -v m="$2" '$2 == s && $3 == m {printf "%s%s", sep, $4; sep=" · "}' "$RAW"; }
once() { awk -F'\t' -v s="$1" -v m="$2" '$1 == "many" && $2 == s && $3 == m {print $4}' "$RAW"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0) print "-"; else printf "%.3f", a / b}'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a - b}'; }
read -r STEADY T90 <<< "$(ramp_summary "$WORK/ramp.txt")"
{
  echo "# The gateway vs nginx vs Portkey, one run ($(date -u +%Y-%m-%dT%H:%MZ), \`$(git rev-parse --short HEAD)\`)"
  echo
  echo "\`bash bench/compare.sh\` (BENCH_PINNING=$PINNING, BENCH_ROUNDS=$ROUNDS, BENCH_DURATION=$DURATION, BENCH_RATE=$RATE, BENCH_STREAMS=$STREAMS, BENCH_MANY_STREAMS=$MANY);"
  echo "$(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p')), $(uname -r); gateway on $("${GATEWAY_JAVA:-java}" -version 2>&1 | head -1), JVM options: \`${GATEWAY_JAVA_OPTS:-none}\`;"
  echo "$(nginx -v 2>&1 | sed 's|nginx version: ||'); Portkey $PORTKEY_VERSION on Node $(node --version) (streaming patched, see the script); $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}')."
  echo "Upstream (CPUs $LOAD_CPUS): \`bench/compare/upstream.mjs\` (Node): a 64-token chat.completion at once, or an event stream"
  echo "(role, 20 content events 50 ms apart, finish, usage, [DONE]). Load generators (CPUs $LOAD_CPUS): wrk; OpenLoop and StreamLoad (JDK HttpClient)."
  echo "Each system under test (CPUs $SUT_CPUS): nginx (1 worker, keepalive upstream, proxy_buffering off for streams); Portkey"
  echo "(\`x-portkey-provider: openai\`, custom host); the gateway with every feature of the path on: team key, deployment and"
  echo "team quotas (memory store), the v1 codec both ways, a blocklist screening every prompt, usage ledger (H2), meters."
  echo "Request: \`bench/chat-2k.json\` (2.9 KB) with max_tokens 64. Steal time over the run: ${STEAL_PCT} %."
  echo
  echo "## Medians of $ROUNDS interleaved rounds"
  echo
  echo "| metric | direct | nginx | Portkey | gateway | gateway / nginx | gateway / Portkey | gateway − direct |"
  echo "|---|---|---|---|---|---|---|---|"
  for m in c1_p50 c1_p99 c32_rps c32_p50 c32_p99 cpu_us c256_rps c256_p99 open_p50 open_p99 open_p999 s_ttft_p50 s_ttft_p99 s_gap_p99 s_gap_max; do
    d=$(med direct $m); n=$(med nginx $m); p=$(med portkey $m); g=$(med gateway $m)
    echo "| $m | $d | $n | $p | $g | $(ratio "$g" "$n") | $(ratio "$g" "$p") | $(minus "$g" "$d") |"
  done
  echo
  echo "c1/c32/c256: wrk closed loop at 1/32/256 connections, latencies in ms, throughput in req/s; cpu_us: CPU time of"
  echo "the system's process per request at c=32 (user + system); open: $RATE req/s open loop for $DURATION, latency from each"
  echo "request's due time (ms); s_*: $STREAMS streams opened at once, time to the first event and gaps between events (ms)."
  echo
  echo "Every round: errors (wrk c1/c32/c256, open loop) and complete streams (of $STREAMS, events per stream):"
  echo
  for sut in "${SUTS[@]}"; do
    echo "- $sut: wrk $(all $sut wrk_errors); open loop $(all $sut open_errors); streams $(all $sut s_complete) complete, events $(all $sut s_events)"
  done
  echo "- direct c1 p50 by round: $(all direct c1_p50) ms (a run is suspect when it moves > 20 %)"
  echo
  echo "## $MANY streams at once, and memory per open stream"
  echo
  echo "| system | $MANY streams at once | RSS before → with $MANY open (MiB) | RSS per open stream (KiB) | heap per open stream after GC (KiB) |"
  echo "|---|---|---|---|---|"
  for sut in "${SUTS[@]}"; do
    echo "| $sut | \`$(once $sut m_line)\` | $(once $sut rss_before_mib) → $(once $sut rss_open_mib) | $(once $sut rss_per_stream_kib) | $( [ $sut = gateway ] && once $sut heap_per_stream_kib || echo -) |"
  done
  echo
  echo "Held streams (20 events 1 s apart): $(for sut in nginx portkey gateway; do printf '%s `%s`; ' $sut "$(once $sut hold_line)"; done)"
  echo
  echo "## The gateway from a cold start"
  echo
  echo "Process start → /actuator/health 200: $GW_READY_MS ms. Then wrk at c=32 in 5 s windows (time since the process"
  echo "started, s → req/s; ERR: the window had answers other than 2xx): $(awk '{printf "%s%.0f → %d%s", sep, $1 / 1000, $2, ($3 == "ERR" ? " ERR" : ""); sep=", "}' "$WORK/ramp.txt")."
  echo "Steady (median of the last 6 windows without ERR): $STEADY req/s; first window at ≥ 90 % of it ended $T90 s after start."
  echo "Resident memory after the warm-up: $((RSS_WARM / 1024)) MiB."
} > "$OUT"
cat "$OUT"
