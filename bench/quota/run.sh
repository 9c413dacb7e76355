#!/usr/bin/env bash
# Quotas across replicas, cold (docs/quotas.md; results in bench/results/<date>-quota.md):
#  1. exactness: freshly started replicas (2 and 3) on one Redis, a deployment of 1,000 requests/min, 1,300 requests
#     from 20, 64 and 256 clients, 10 runs each; every run must admit between the limit and the limit plus what the
#     bucket refilled during the burst, with the breaker never opening;
#  2. cost: the Redis store's added latency over the memory store, one replica, 1 and 64 clients.
# Needs redis-server and a PostgreSQL at 127.0.0.1:5432 (database test, user postgres); about 30 minutes.
#   bash bench/quota/run.sh [label]    RUNS=3 for a quick look, RUNS=0 for the cost alone; GATEWAY_JAR: another build
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-10}
LABEL=${1:+-$1}
GATEWAY_JAR=${GATEWAY_JAR:-gateway-app/target/gateway-app.jar}
WORK=$(mktemp -d)
SIM_PORT=18290
REDIS_PORT=18291
SIM_KEY=bench-sim-key
ADMIN=bench-quota-admin-token-0123456789
MODEL=Meta-Llama-3.1-70B-Instruct
LIMIT=1000
OFFERED=1300
PIDS=()

[ -f gateway-app/target/gateway-app.jar ] && ls llama-simulator/target/llama-simulator-*-exec.jar >/dev/null 2>&1 \
  || ./mvnw -q -B -DskipTests package
stop_replicas() { for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
                  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done; PIDS=(); }
cleanup() { stop_replicas; kill "${SIM_PID:-}" "${REDIS_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true
            [ "${KEEP_LOGS:-}" ] && echo "logs in $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT

redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no > "$WORK/redis.log" 2>&1 &
REDIS_PID=$!
SIMULATOR_API_KEY=$SIM_KEY java -jar llama-simulator/target/llama-simulator-*-exec.jar --port=$SIM_PORT > "$WORK/sim.log" 2>&1 &
SIM_PID=$!
until redis-cli -p $REDIS_PORT ping >/dev/null 2>&1; do sleep 0.1; done
until curl -sf -o /dev/null localhost:$SIM_PORT/_simulator/deployments; do sleep 0.2; done
psql -q -h 127.0.0.1 -U postgres -d test -c "drop schema if exists bench_quota cascade" >/dev/null

cat > "$WORK/gateway.yaml" <<YAML
gateway:
  deployments:
    bench-1:
      url: http://127.0.0.1:$SIM_PORT/llama31-70b-serverless
      api-key: $SIM_KEY
      model: $MODEL
      limits:
        requests-per-minute: \${BENCH_RPM:$LIMIT}
        tokens-per-minute: 50000000
spring:
  r2dbc: { url: "r2dbc:postgresql://127.0.0.1:5432/test?schema=bench_quota", username: postgres }
  flyway: { url: "jdbc:postgresql://127.0.0.1:5432/test", user: postgres, schemas: bench_quota }
management.endpoints.web.exposure.include: health,metrics
logging.level.root: warn
YAML

start_replicas() { # count store [rpm]
  stop_replicas
  local urls=()
  for i in $(seq 1 "$1"); do
    local port=$((18200 + i))
    BENCH_RPM=${3:-$LIMIT} java -jar "$GATEWAY_JAR" --server.port=$port --spring.config.additional-location=file:$WORK/gateway.yaml \
      --gateway.admin.token=$ADMIN --gateway.data-dir=$WORK/data-$i --gateway.quota.store="$2" \
      --gateway.quota.redis.url=redis://127.0.0.1:$REDIS_PORT --gateway.quota.redis.replicas="$1" > "$WORK/gw-$i.log" 2>&1 &
    PIDS+=($!)
    urls+=("http://127.0.0.1:$port")
  done
  for i in "${!urls[@]}"; do
    until curl -sf -o /dev/null "${urls[$i]}/actuator/health"; do
      kill -0 "${PIDS[$i]}" 2>/dev/null || { echo "replica $((i + 1)) did not start:"; tail -30 "$WORK/gw-$((i + 1)).log"; exit 1; }
      sleep 0.2
    done
  done
  URLS=$(IFS=,; echo "${urls[*]}")
}
new_key() {
  local base=${URLS%%,*}
  local team=$(curl -s "$base/admin/v1/teams" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench-$(date +%s%N)\"}" | sed -E 's/.*"id":"([^"]+)".*/\1/')
  curl -s -X POST "$base/admin/v1/teams/$team/keys" -H "Authorization: Bearer $ADMIN" | sed -E 's/.*"key":"([^"]+)".*/\1/'
}
metric() { # url name [tag] → the metric's count, 0 when it was never recorded
  local v=$(curl -s "$1/actuator/metrics/$2${3:+?tag=$3}" | sed -nE 's/.*"statistic":"(COUNT|VALUE)","value":([0-9.E]+).*/\2/p')
  echo "${v:-0}"
}

max_ms() { # url timer → its largest recorded call in ms (all outcomes)
  local v=$(curl -s "$1/actuator/metrics/$2" | sed -nE 's/.*"statistic":"MAX","value":([0-9.E-]+).*/\1/p')
  awk -v s="${v:-0}" 'BEGIN {printf "%.0f", s * 1000}'
}

OUT=bench/results/$(date -u +%Y-%m-%d)-quota$LABEL.md
{
  echo "# Quotas across cold replicas ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "Commit \`$(git rev-parse --short HEAD)\`, gateway \`$GATEWAY_JAR\`; $(nproc) cores; $(java -version 2>&1 | head -1); $(redis-server --version | awk '{print $3}')."
  echo "Every run: Redis flushed, replicas freshly started (JVMs cold), a new team; one deployment of $LIMIT requests/min"
  echo "(simulated, instant answers); $OFFERED requests sent round-robin over the replicas. Bound: admitted within"
  echo "[limit, limit + ⌈limit × burst ms / 60,000⌉] (what the bucket refilled during the burst, on the Redis clock)."
  echo
  echo "| replicas | clients | run | admitted | refused (429) | other | burst ms | bound | within | breaker opened | local admissions | retries | slowest Redis call ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$OUT"
FAILED=0
for replicas in 2 3; do
  for clients in 20 64 256; do
    for run in $(seq 1 "$RUNS"); do
      redis-cli -p $REDIS_PORT flushall >/dev/null
      curl -s -X POST localhost:$SIM_PORT/_simulator/llama31-70b-serverless/reset >/dev/null
      start_replicas $replicas redis
      KEY=$(new_key)
      RESULT=$(java bench/quota/BurstProbe.java "$URLS" "$KEY" $OFFERED $clients $MODEL)
      admitted=$(sed -E 's/.*admitted=([0-9]+).*/\1/' <<< "$RESULT")
      refused=$(sed -E 's/.*refused=([0-9]+).*/\1/' <<< "$RESULT")
      other=$(sed -E 's/.*other=([0-9]+).*/\1/' <<< "$RESULT")
      millis=$(sed -E 's/.*millis=([0-9]+).*/\1/' <<< "$RESULT")
      bound=$(( LIMIT + (LIMIT * millis + 59999) / 60000 ))
      opened=0; local_admitted=0; retries=0; slowest=0
      for u in ${URLS//,/ }; do
        opened=$(awk -v a=$opened -v b=$(metric "$u" gateway.quota.store.breaker.transitions to:open) 'BEGIN {print a + b}')
        local_admitted=$(awk -v a=$local_admitted -v b=$(metric "$u" gateway.quota.local.admitted) 'BEGIN {print a + b}')
        retries=$(awk -v a=$retries -v b=$(metric "$u" gateway.quota.store.retries) 'BEGIN {print a + b}')
        slowest=$(awk -v a=$slowest -v b=$(max_ms "$u" gateway.quota.store.calls) 'BEGIN {print (b > a ? b : a)}')
      done
      within=yes
      if [ "$admitted" -lt $LIMIT ] || [ "$admitted" -gt $bound ] || [ "$opened" != 0 ]; then within=NO; FAILED=$((FAILED + 1)); fi
      echo "| $replicas | $clients | $run | $admitted | $refused | $other | $millis | $LIMIT–$bound | $within | $opened | $local_admitted | $retries | $slowest |" | tee -a "$OUT"
    done
  done
done
stop_replicas

# the Redis store's cost over the memory store: one replica, limits far above the load, warmed up
{
  echo
  echo "## Added latency of the Redis store (one replica, warmed up with 3,000 requests; 5,000 measured)"
  echo
  echo "| clients | memory p50 ms | redis p50 ms | added p50 ms | memory p99 ms | redis p99 ms | added p99 ms |"
  echo "|---|---|---|---|---|---|---|"
} >> "$OUT"
declare -A P50 P99
for store in memory redis; do
  redis-cli -p $REDIS_PORT flushall >/dev/null
  start_replicas 1 $store 50000000
  KEY=$(new_key)
  java bench/quota/BurstProbe.java "$URLS" "$KEY" 3000 16 $MODEL > /dev/null
  for clients in 1 64; do
    RESULT=$(java bench/quota/BurstProbe.java "$URLS" "$KEY" 5000 $clients $MODEL)
    P50[$store-$clients]=$(sed -E 's/.*p50=([0-9.]+).*/\1/' <<< "$RESULT")
    P99[$store-$clients]=$(sed -E 's/.*p99=([0-9.]+).*/\1/' <<< "$RESULT")
  done
done
stop_replicas
for clients in 1 64; do
  awk -v c=$clients -v a=${P50[memory-$clients]} -v b=${P50[redis-$clients]} -v x=${P99[memory-$clients]} -v y=${P99[redis-$clients]} \
    'BEGIN {printf "| %d | %.3f | %.3f | %+.3f | %.3f | %.3f | %+.3f |\n", c, a, b, b-a, x, y, y-x}' >> "$OUT"
done
echo >> "$OUT"
echo "Runs outside the bound or with the breaker opened: $FAILED." >> "$OUT"
cat "$OUT"
[ "$FAILED" = 0 ]
