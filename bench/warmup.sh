#!/usr/bin/env bash
# How fast the gateway reaches its steady throughput from a cold start, with what the JDK offers for it: the extracted
# jar (Spring Boot's `extract`), a CDS archive on JDK 17 (classes from a start-up training run), JDK 25, and JDK 25's
# AOT cache (JEP 483/515: classes loaded and linked, method profiles, from a training run that served load).
#   bash bench/warmup.sh          # about 16 minutes; nothing else may run meanwhile
#   WARMUP_VARIANTS="extracted c2-sooner" bash bench/warmup.sh [label]   # some of them (names below), in that order
# Variants: jar (the README's command), extracted, cds, jdk25, jdk25-aot (the default set), and JIT settings on the
# extracted jar: c2-sooner (C2 at a third of its default invocation/back-edge thresholds), compilers-N
# (-XX:CICompilerCount=N; on 2 cores the JVM picks 2: one C1 and one C2 thread; 3 gives two C2 threads, 4 three, so
# the compiler gets a larger share of the CPU while the load competes for it); light-N (the extracted jar under 2
# connections until N s after start, then 32: whether a light warm-up at start would let the JIT finish sooner).
# jdk25-<variant> runs one on JDK 25 (jdk25 alone: the extracted jar; aot only there).
# Each variant: a fresh gateway (every feature of bench/compare.sh's path on) in front of bench/compare/upstream.mjs,
# wrk at c=32 in 5 s windows for BENCH_RAMP s (150) from the moment /actuator/health answers. JDK25 (default
# /usr/lib/jvm/temurin-25-jdk-amd64) is skipped where absent. Every process on both cores, as in bench/compare.sh.
# Writes bench/results/<date>-warmup[-label].md.
set -euo pipefail
cd "$(dirname "$0")/.."
RAMP=${BENCH_RAMP:-150}
JDK25=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}
WORK=$(mktemp -d)
UP=18602; GW=18605
ADMIN=bench-admin-token-$(date +%s)-0123456789
. bench/lib.sh
PIDS=()
cleanup() { kill "${PIDS[@]}" "${GW_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
export LOAD_CPUS=0,1

node bench/compare/upstream.mjs $UP > "$WORK/upstream.log" 2>&1 & PIDS+=($!)
java -Djarmode=tools -jar gateway-app/target/gateway-app.jar extract --destination "$WORK/app" > /dev/null
cat > "$WORK/gateway.yaml" <<YAML
gateway:
  deployments:
$(pool_yaml bench-chat bench-chat "http://127.0.0.1:$UP/chat" k)
  safety:
    default: { input: [blocklist] }
    filters:
      blocklist: { terms: ["project nightingale", "forbidden fruit"] }
YAML
chat_body bench-chat plain "$WORK/chat.json"
ARGS=(--server.port=$GW "--spring.config.additional-location=file:$WORK/gateway.yaml" --gateway.admin.token=$ADMIN)

start_gateway() { # java data-dir jvm-options...: sets GW_PID, GW_START; the extracted jar unless $JAR names another
  GW_START=$(date +%s%N)
  "$1" "${@:3}" -jar "${JAR:-$WORK/app/gateway-app.jar}" "${ARGS[@]}" "--gateway.data-dir=$2" > "$WORK/gw.log" 2>&1 &
  GW_PID=$!
  until curl -sf -o /dev/null localhost:$GW/actuator/health; do
    kill -0 $GW_PID 2>/dev/null || { tail -20 "$WORK/gw.log"; exit 1; }; sleep 0.1
  done
}
stop_gateway() { kill $GW_PID; wait $GW_PID 2>/dev/null || true; GW_PID=; }
ramp() { # label: loads the started gateway, appends its row
  local key ready rows steady t90
  ready=$(( ($(date +%s%N) - GW_START) / 1000000 ))
  key=$(team_key $GW $ADMIN)
  : > "$WORK/ramp.txt"
  for i in $(seq 1 $((RAMP / 5))); do
    # light-N: 2 connections until N s after start (what a warm-up at start would put on it), then 32
    local connections=32; [ $(( ($(date +%s%N) - GW_START) / 1000000000 )) -lt "${LIGHT:-0}" ] && connections=2
    read -r rps _ _ err _ <<< "$(LOAD_BODY=$WORK/chat.json load "http://127.0.0.1:$GW/v1/chat/completions" "Bearer $key" $connections 5s)"
    echo "$(( ($(date +%s%N) - GW_START) / 1000000 )) $rps $err" >> "$WORK/ramp.txt"
  done
  read -r steady t90 <<< "$(ramp_summary "$WORK/ramp.txt")"
  rows=$(awk '{printf "%s%d%s", sep, $2, ($3 == "ERR" ? " (ERR: answers other than 2xx or socket errors, timeouts at 2 s among them)" : ""); sep=" "}' "$WORK/ramp.txt")
  echo "| $1 | $ready | $(awk 'NR == 1 {print $2}' "$WORK/ramp.txt") | $(awk 'NR == 6 {print $2}' "$WORK/ramp.txt") | $steady | $t90 | $(( $(awk '/^VmRSS/ {print $2}' /proc/$GW_PID/status) / 1024 )) |" >> "$WORK/table.md"
  echo "- $1: $rows" >> "$WORK/windows.md"
  stop_gateway
}
train_with_load() { # java jvm-options...: a run that serves 60 s of load, then exits (writing what the options ask for)
  start_gateway "$1" "$WORK/data-train-$RANDOM" "${@:2}"
  LOAD_BODY=$WORK/chat.json load "http://127.0.0.1:$GW/v1/chat/completions" "Bearer $(team_key $GW $ADMIN)" 32 60s > /dev/null
  stop_gateway
}

: > "$WORK/table.md"; : > "$WORK/windows.md"
C2_SOONER=(-XX:Tier4InvocationThreshold=1666 -XX:Tier4MinInvocationThreshold=200 -XX:Tier4CompileThreshold=5000 -XX:Tier4BackEdgeThreshold=13333)
n=0
for variant in ${WARMUP_VARIANTS:-jar extracted cds jdk25 jdk25-aot}; do
  n=$((n + 1)); echo "$variant"
  # jdk25[-<variant>]: the same on JDK 25 (the extracted jar when nothing follows)
  JAVA=java; JDK="JDK 17"; setting=$variant
  if [[ $variant == jdk25* ]]; then
    if [ ! -x "$JDK25/bin/java" ]; then echo "no JDK 25 at $JDK25: $variant skipped"; continue; fi
    JAVA=$JDK25/bin/java; JDK="JDK 25"; setting=${variant#jdk25}; setting=${setting#-}
  fi
  DATA=$WORK/data-$n-$variant
  case $setting in
    jar) JAR=gateway-app/target/gateway-app.jar start_gateway "$JAVA" "$DATA"; ramp "$JDK, \`java -jar gateway-app.jar\`" ;;
    ''|extracted) start_gateway "$JAVA" "$DATA"; ramp "$JDK, extracted jar" ;;
    cds)
      "$JAVA" -XX:ArchiveClassesAtExit="$WORK/app.jsa" -Dspring.context.exit=onRefresh -jar "$WORK/app/gateway-app.jar" "${ARGS[@]}" "--gateway.data-dir=$DATA-training" > "$WORK/cds.log" 2>&1 || true
      start_gateway "$JAVA" "$DATA" -XX:SharedArchiveFile="$WORK/app.jsa"; ramp "$JDK, extracted jar + CDS archive (\`-XX:SharedArchiveFile\`)" ;;
    aot)
      train_with_load "$JAVA" -XX:AOTCacheOutput="$WORK/app.aot"
      start_gateway "$JAVA" "$DATA" -XX:AOTCache="$WORK/app.aot"; ramp "$JDK, extracted jar + AOT cache of a 60 s loaded run (\`-XX:AOTCache\`)" ;;
    c2-sooner) start_gateway "$JAVA" "$DATA" "${C2_SOONER[@]}"; ramp "$JDK, extracted jar, C2 sooner (\`${C2_SOONER[*]}\`)" ;;
    light-*) LIGHT=${setting#light-}; start_gateway "$JAVA" "$DATA"; ramp "$JDK, extracted jar, 2 connections until ${LIGHT} s after start, then 32"; LIGHT=0 ;;
    compilers-*) start_gateway "$JAVA" "$DATA" -XX:CICompilerCount=${setting#compilers-}; ramp "$JDK, extracted jar, \`-XX:CICompilerCount=${setting#compilers-}\`" ;;
    *) echo "unknown variant $variant"; exit 2 ;;
  esac
done

OUT=bench/results/$(date -u +%Y-%m-%d)-warmup${1:+-$1}.md
{
  echo "# From a cold start to steady throughput ($(date -u +%Y-%m-%dT%H:%MZ), \`$(git rev-parse --short HEAD)\`)"
  echo
  echo "\`WARMUP_VARIANTS=\"${WARMUP_VARIANTS:-jar extracted cds jdk25 jdk25-aot}\" bash bench/warmup.sh${1:+ $1}\` (BENCH_RAMP=$RAMP); $(nproc) cores, every process on both; the gateway with bench/compare.sh's"
  echo "features in front of \`bench/compare/upstream.mjs\`; wrk at c=32 in 5 s windows from the moment \`/actuator/health\` answers."
  echo "JDK 17: $(java -version 2>&1 | head -1); JDK 25: $("$JDK25/bin/java" -version 2>&1 | head -1 || echo absent)."
  echo
  echo "| variant | process start → health (ms) | req/s, first 5 s | req/s, 25–30 s | steady req/s (median of the last 6 windows without ERR) | 90 % of steady reached (s after start) | RSS at the end (MiB) |"
  echo "|---|---|---|---|---|---|---|"
  cat "$WORK/table.md"
  echo
  echo "Every window (req/s):"
  echo
  cat "$WORK/windows.md"
} > "$OUT"
cat "$OUT"
