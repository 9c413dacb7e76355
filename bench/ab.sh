#!/usr/bin/env bash
# Interleaved A/B of two builds of the gateway against one simulated deployment: what a change costs on the request
# path, measured in a way this noisy 2-core machine allows — both gateways run side by side (pinned to CPU 1, only one
# under load at a time), legs alternate A B B A ..., and each round's B/A ratio is reported with their median.
#   bash bench/ab.sh <rev A> <rev B> [label]       e.g. bash bench/ab.sh 221cad4 HEAD usage-ledger
# BENCH_ROUNDS (default 6) rounds of: c=1 latency, c=16 throughput, c=16 streams of 32 events sent at once (CPU per
# stream), 30 streams 20 ms apart (time to first event, gaps); BENCH_DURATION per leg (default 10s). The c=16 legs also
# count the heap each gateway allocates per completion and per stream (KB, bench/AllocProbe.java): unlike CPU time, the
# machine's speed does not move it, so it shows a change in allocations when the hour's noise hides its CPU;
# BENCH_WARMUP seconds of load per gateway before the rounds (default 240: the JIT is still warming after 90 s here).
# A_ARGS / B_ARGS: more arguments for one side (e.g. A_ARGS=--gateway.usage.ledger=false with the same rev twice);
# A_JVM / B_JVM: JVM options for one side (e.g. B_JVM=-Dreactor.netty.native=false).
# BENCH_SAFETY: blocklist (default: compare.sh's blocklist screens every prompt) or none (no content safety, as the
# results before 2026-12-04's blocklist-ascii had it).
# Writes bench/results/<date>-ab-<label>.md. About 16 minutes with the defaults; nothing else may run meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
REV_A=${1:?rev A}; REV_B=${2:?rev B}; LABEL=${3:-ab}
ROUNDS=${BENCH_ROUNDS:-6}; DURATION=${BENCH_DURATION:-10s}; WARMUP=${BENCH_WARMUP:-240}
WORK=$(mktemp -d)
SIM_PORT=18290; PORT_A=18281; PORT_B=18282
SIM_KEY=bench-sim-key
ADMIN=bench-admin-token-$(date +%s)-0123456789

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || { echo "needs wrk (Debian package wrk)"; exit 1; }
. bench/lib.sh
cleanup() { kill "${SIM_PID:-}" "${PID_A:-}" "${PID_B:-}" 2>/dev/null || true; wait 2>/dev/null || true
  git worktree remove --force "$WORK/src" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

build() { # rev jar
  git worktree add -q --detach "$WORK/src" "$1"
  (cd "$WORK/src" && ./mvnw -q -B -o -DskipTests package)
  cp "$WORK/src/gateway-app/target/gateway-app.jar" "$2"
  git worktree remove --force "$WORK/src"
}
echo "building $REV_A and $REV_B"
build "$REV_A" "$WORK/a.jar"
build "$REV_B" "$WORK/b.jar"
SHA_A=$(git rev-parse --short "$REV_A"); SHA_B=$(git rev-parse --short "$REV_B")

start_simulator $SIM_PORT $SIM_KEY
write_catalog "$WORK/gateway.yaml" $SIM_PORT $SIM_KEY
[ "${BENCH_SAFETY:-blocklist}" = blocklist ] && safety_yaml >> "$WORK/gateway.yaml"
start_gateway() { # jar port name extra-args jvm-options: echoes the PID
  # shellcheck disable=SC2086
  taskset -c 1 java $5 -jar "$1" --server.port=$2 --spring.config.additional-location=file:$WORK/gateway.yaml \
    --gateway.data-dir=$WORK/data-$3 --gateway.admin.token=$ADMIN $4 > "$WORK/gw-$3.log" 2>&1 &
  echo $!
}
PID_A=$(start_gateway "$WORK/a.jar" $PORT_A a "${A_ARGS:-}" "${A_JVM:-}")
PID_B=$(start_gateway "$WORK/b.jar" $PORT_B b "${B_ARGS:-}" "${B_JVM:-}")
for port in $PORT_A $PORT_B; do until curl -sf -o /dev/null localhost:$port/actuator/health; do sleep 0.2; done; done
KEY_A=$(team_key $PORT_A $ADMIN); KEY_B=$(team_key $PORT_B $ADMIN)
URL_A=http://127.0.0.1:$PORT_A/v1/chat/completions; URL_B=http://127.0.0.1:$PORT_B/v1/chat/completions
DIRECT=http://127.0.0.1:$SIM_PORT/llama31-70b-serverless/v1/chat/completions

echo "warming up"
sim_delay 0
for i in $(seq 1 $((WARMUP / 15))); do # every other leg streams, so that the stream path is warm too
  body=bench/chat-2k.json; [ $((i % 2)) -eq 0 ] && body=bench/chat-2k-stream.json
  LOAD_BODY=$body load "$URL_A" "Bearer $KEY_A" 8 15s > /dev/null; LOAD_BODY=$body load "$URL_B" "Bearer $KEY_B" 8 15s > /dev/null
done

OUT=bench/results/$(date -u +%Y-%m-%d)-ab-$LABEL.md
{
  echo "# A/B: \`$SHA_A\` (A) vs \`$SHA_B\` (B) on the request path ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "\`A_ARGS='${A_ARGS:-}' B_ARGS='${B_ARGS:-}' A_JVM='${A_JVM:-}' B_JVM='${B_JVM:-}' bash bench/ab.sh $REV_A $REV_B $LABEL\`; $(nproc) cores; $(java -version 2>&1 | head -1). Both gateways run side by side"
  echo "on CPU 1 (only one under load at a time), the simulator, wrk and the stream probe on CPU 0; legs alternate A B, B A, …"
  echo "($ROUNDS rounds, $DURATION per wrk leg: c=1, c=16, and c=16 of \`bench/chat-2k-stream.json\` — 32-event streams with no delay, for CPU per stream; then 30 streams of 32 tokens 20 ms apart per stream leg). Request \`bench/chat-2k.json\`,"
  echo "v1 → v1, team key, quota, ledger and meters as each build has them, content safety: ${BENCH_SAFETY:-blocklist}. After $WARMUP s of warm-up for each, in alternating 15 s legs."
  echo
  echo "| round | order | direct p50 c1 | A p50 c1 | B p50 c1 | A p99 c1 | B p99 c1 | A req/s c16 | B req/s c16 | B/A req/s | A CPU µs/req | B CPU µs/req | B/A CPU | A ttft p50 | B ttft p50 | A gap p99 | B gap p99 | A CPU µs/stream | B CPU µs/stream | B/A CPU stream | A KB/req | B KB/req | A KB/stream | B KB/stream |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$OUT"
sim_delay 0
ERRORS=0
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  read -r _ d50 _ _ <<< "$(load "$DIRECT" "Bearer $SIM_KEY" 1 "$DURATION")"
  declare -A r
  for side in $order; do
    if [ $side = A ]; then url=$URL_A; k=$KEY_A; pid=$PID_A; else url=$URL_B; k=$KEY_B; pid=$PID_B; fi
    read -r _ p50 p99 e1 _ <<< "$(load "$url" "Bearer $k" 1 "$DURATION")"
    read -r rps _ _ e2 cpu kb <<< "$(MEASURE_ALLOC=1 load "$url" "Bearer $k" 16 "$DURATION" "$pid")"
    read -r _ _ _ e3 scpu skb <<< "$(MEASURE_ALLOC=1 LOAD_BODY=bench/chat-2k-stream.json load "$url" "Bearer $k" 16 "$DURATION" "$pid")"
    sim_delay 20
    read -r ttft gap <<< "$(stream "$url" "Bearer $k")"
    sim_delay 0
    [ "$e1$e2$e3" = "000" ] || ERRORS=$((ERRORS + 1))
    r[${side}50]=$p50; r[${side}99]=$p99; r[${side}rps]=$rps; r[${side}ttft]=$ttft; r[${side}gap]=$gap; r[${side}cpu]=$cpu; r[${side}scpu]=$scpu; r[${side}kb]=$kb; r[${side}skb]=$skb
  done
  echo "$d50 ${r[A50]} ${r[B50]} ${r[A99]} ${r[B99]} ${r[Arps]} ${r[Brps]} ${r[Attft]} ${r[Bttft]} ${r[Agap]} ${r[Bgap]} ${r[Acpu]} ${r[Bcpu]} ${r[Ascpu]} ${r[Bscpu]} ${r[Akb]} ${r[Bkb]} ${r[Askb]} ${r[Bskb]}" >> "$WORK/rounds.txt"
  awk -v n=$round -v o="$order" -v d=$d50 -v a50=${r[A50]} -v b50=${r[B50]} -v a99=${r[A99]} -v b99=${r[B99]} -v ar=${r[Arps]} -v br=${r[Brps]} \
      -v at=${r[Attft]} -v bt=${r[Bttft]} -v ag=${r[Agap]} -v bg=${r[Bgap]} -v ac=${r[Acpu]} -v bc=${r[Bcpu]} \
      -v as=${r[Ascpu]} -v bs=${r[Bscpu]} -v ak=${r[Akb]} -v bk=${r[Bkb]} -v ask=${r[Askb]} -v bsk=${r[Bskb]} \
      'BEGIN {printf "| %d | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %d | %d | %.3f | %.0f | %.0f | %.3f | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.3f | %.1f | %.1f | %.1f | %.1f |\n", n, o, d, a50, b50, a99, b99, ar, br, br/ar, ac, bc, bc/ac, at, bt, ag, bg, as, bs, bs/as, ak, bk, ask, bsk}' >> "$OUT"
done
# the median of each column over the rounds (B/A of the medians' req/s as well)
sort_median() { tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
M=()
for col in $(seq 1 19); do M+=("$(cut -d' ' -f$col "$WORK/rounds.txt" | sort_median)"); done
RATIO=$(awk '{print $7 / $6}' "$WORK/rounds.txt" | sort_median)
CPU_RATIO=$(awk '{print $13 / $12}' "$WORK/rounds.txt" | sort_median)
STREAM_RATIO=$(awk '{print $15 / $14}' "$WORK/rounds.txt" | sort_median)
awk -v d=${M[0]} -v a50=${M[1]} -v b50=${M[2]} -v a99=${M[3]} -v b99=${M[4]} -v ar=${M[5]} -v br=${M[6]} -v q=$RATIO \
    -v at=${M[7]} -v bt=${M[8]} -v ag=${M[9]} -v bg=${M[10]} -v ac=${M[11]} -v bc=${M[12]} -v qc=$CPU_RATIO \
    -v as=${M[13]} -v bs=${M[14]} -v qs=$STREAM_RATIO -v ak=${M[15]} -v bk=${M[16]} -v ask=${M[17]} -v bsk=${M[18]} \
    'BEGIN {printf "| **median** | | %.3f | %.3f | %.3f | %.3f | %.3f | %d | %d | %.3f | %.0f | %.0f | %.3f | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.3f | %.1f | %.1f | %.1f | %.1f |\n", d, a50, b50, a99, b99, ar, br, q, ac, bc, qc, at, bt, ag, bg, as, bs, qs, ak, bk, ask, bsk}' >> "$OUT"
{
  echo
  echo "Resident memory at the end: A $(ps -o rss= -p $PID_A | tr -d ' ') KiB, B $(ps -o rss= -p $PID_B | tr -d ' ') KiB. Legs with wrk errors: $ERRORS."
  echo "KB/req, KB/stream: heap allocated by the gateway per completion and per 32-event stream in the c=16 legs."
} >> "$OUT"
cat "$OUT"
