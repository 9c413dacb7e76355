# Shared by the bench scripts (sourced, from the project's root): the jars built when missing, the standalone
# simulator started on CPU 0, the one-deployment catalog, a team's key, wrk and the stream probe on CPU 0, and on exit
# every process the script started stopped and its $WORK removed (a script with more processes redefines cleanup
# after sourcing this).

[ -f gateway-app/target/gateway-app.jar ] && ls llama-simulator/target/llama-simulator-*-exec.jar >/dev/null 2>&1 \
  || ./mvnw -q -B -DskipTests package

cleanup() { kill "${SIM_PID:-}" "${GW_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

start_simulator() { # port key: sets SIM_PID, returns once it answers
  SIMULATOR_API_KEY=$2 taskset -c 0 java -jar llama-simulator/target/llama-simulator-*-exec.jar --port=$1 > "$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  until curl -sf -o /dev/null -X POST localhost:$1/_simulator/llama31-70b-serverless/reset; do sleep 0.2; done
}

pool_yaml() { # name model url key [members]: catalog entries (under gateway.deployments), <name>-1 to -8, a pool of that model, each
  # member at the most a deployment may have (50,000,000 tokens and requests a minute) and weight 1, so admission spreads
  # the load evenly: 8 members hold chat-2k's ~760 tokens for ~8,700 req/s sustained, where one runs dry above ~1,100
  local i
  for i in $(seq 1 "${5:-8}"); do
    echo "    $1-$i: { kind: serverless, dialect: v1, model: $2, url: \"$3\", api-key: $4, weight: 1, limits: { tokens-per-minute: 50000000, requests-per-minute: 50000000 } }"
  done
}

write_catalog() { # file simulator-port simulator-key: the model of bench/chat-2k.json on the simulator's v1 deployment,
  # as a pool of 8 (pool_yaml) with limits far above any leg's load: the quota stage runs, but must not refuse (every
  # leg measures answers, not 429s; a leg that saw any reports ERR)
  cat > "$1" <<YAML
gateway:
  deployments:
$(pool_yaml bench Meta-Llama-3.1-70B-Instruct "http://127.0.0.1:$2/llama31-70b-serverless" "$3")
YAML
}

safety_yaml() { # the catalog's content safety as compare.sh runs it (under gateway:): a blocklist screening every prompt
  cat <<'YAML'
  safety:
    default: { input: [blocklist] }
    filters:
      blocklist: { terms: ["project nightingale", "forbidden fruit"], patterns: ['\bproject\s+x-?\d{2}\b'] }
YAML
}

start_pinned_gateway() { # port [jvm options... --] [gateway args...]: the jar ($GATEWAY_JAR, default the packaged one) on
  # CPU 1 in front of the simulated deployment of $WORK/gateway.yaml (write_catalog), admin token $ADMIN; sets GW_PID and
  # KEY (a new team's), returns once healthy
  local port=$1 jvm=() && shift
  if [[ " $* " == *" -- "* ]]; then while [ "$1" != "--" ]; do jvm+=("$1"); shift; done; shift; fi
  taskset -c 1 java "${jvm[@]}" -jar "${GATEWAY_JAR:-gateway-app/target/gateway-app.jar}" --server.port=$port \
    --spring.config.additional-location=file:$WORK/gateway.yaml --gateway.data-dir=$WORK/data --gateway.admin.token=$ADMIN "$@" > "$WORK/gw.log" 2>&1 &
  GW_PID=$!
  await_gateway $port
  KEY=$(team_key $port $ADMIN)
}

await_gateway() { # port: returns once the gateway $GW_PID answers its health check; stops with its log if it exited
  until curl -sf -o /dev/null localhost:$1/actuator/health; do
    kill -0 $GW_PID 2>/dev/null || { echo "the gateway did not start:"; tail -30 "$WORK/gw.log"; exit 1; }
    sleep 0.2
  done
}

team_key() { # gateway-port admin-token [team name [model...]]: echoes the key of a new team, with the most allowance a
  # team may have (50,000,000 tokens and requests a minute) on each model named
  local team model
  team=$(curl -s localhost:$1/admin/v1/teams -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "{\"name\":\"${3:-bench}\"}" | sed -E 's/.*"id":"([^"]+)".*/\1/')
  for model in "${@:4}"; do
    curl -sf "localhost:$1/admin/v1/teams/$team/quotas/$model" -X PUT -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
      -d '{"tokensPerMinute":50000000,"requestsPerMinute":50000000}' > /dev/null
  done
  curl -s -X POST localhost:$1/admin/v1/teams/$team/keys -H "Authorization: Bearer $2" | sed -E 's/.*"key":"([^"]+)".*/\1/'
}

TICK=$(getconf CLK_TCK)
cpu_ticks() { # pid: user + system CPU time of the process so far, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

get_load() { # url pid duration [authorization]: wrk GETs at 16 connections on CPU 0; prints
  # "<req/s> <CPU µs per request of pid> <answers other than 2xx>"
  local before after auth=()
  [ -n "${4:-}" ] && auth=(-H "Authorization: $4")
  before=$(cpu_ticks "$2")
  taskset -c 0 wrk -t1 -c16 -d"$3" "${auth[@]}" "$1" > "$WORK/get.txt"
  after=$(cpu_ticks "$2")
  awk -v ticks=$((after - before)) -v tick=$TICK '/Requests\/sec/ {r=$2} / requests in / {n=$1} /Non-2xx/ {o=$NF}
    END {printf "%.0f %.1f %d\n", r, ticks * 1e6 / tick / n, o}' "$WORK/get.txt"
}

alloc_bytes() { # pid of a JVM: the heap bytes it has allocated since it started (bench/AllocProbe.java, on CPU 0)
  taskset -c 0 java bench/AllocProbe.java "$1"
}

# wrk on CPU 0 with bench/chat-2k.json (or $LOAD_BODY; $EXTRA_HEADERS as post.lua reads them): prints "<req/s> <p50 ms> <p99 ms> <errors: 0 or ERR> <CPU µs per request of the
# gateway pid, 0 without one> <KB of heap allocated per request by that pid, with MEASURE_ALLOC=1 (a JVM's pid), else 0>";
# wrk's error lines are kept in $WORK/errors.txt
load() { # url auth connections duration [gateway pid]
  local before=0 after=0 allocated_before=0 allocated_after=0
  [ -n "${5:-}" ] && [ -n "${MEASURE_ALLOC:-}" ] && allocated_before=$(alloc_bytes "$5")
  [ -n "${5:-}" ] && before=$(cpu_ticks "$5")
  BODY_FILE=${LOAD_BODY:-bench/chat-2k.json} AUTH="$2" taskset -c "${LOAD_CPUS:-0}" wrk -t1 -c"$3" -d"$4" --latency -s bench/post.lua "$1" > "$WORK/wrk.txt"
  [ -n "${5:-}" ] && after=$(cpu_ticks "$5")
  [ -n "${5:-}" ] && [ -n "${MEASURE_ALLOC:-}" ] && allocated_after=$(alloc_bytes "$5")
  awk -v ticks=$((after - before)) -v tick=$TICK -v allocated=$((allocated_after - allocated_before)) '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /^ +50%/ {p50=ms($2)} /^ +99%/ {p99=ms($2)} /Requests\/sec/ {rps=$2} / requests in / {n=$1} /Non-2xx|Socket errors/ {err=err $0}
    END {printf "%.0f %.3f %.3f %s %.1f %.1f\n", rps, p50, p99, (err=="" ? "0" : "ERR"), (n > 0 ? ticks * 1e6 / tick / n : 0), (n > 0 ? allocated / 1024 / n : 0)}' "$WORK/wrk.txt"
  grep -E "Non-2xx|Socket errors" "$WORK/wrk.txt" | sed "s|^|$1, $3 connections, $4: |" >> "$WORK/errors.txt" || true
}

sim_delay() { # ms: the bench deployment's delay between generated tokens (0: answers at once)
  curl -s -X PUT localhost:$SIM_PORT/_simulator/llama31-70b-serverless/behaviour -H 'Content-Type: application/json' -d "{\"tokenDelayMs\":$1}" > /dev/null
}

stream() { # url auth: 30 streams of bench/chat-2k-stream.json, "<ttft p50 ms> <gap p99 ms>"
  taskset -c 0 java bench/StreamProbe.java "$1" "$2" bench/chat-2k-stream.json 30 | sed -E 's/.*ttft_ms_p50=([0-9.]+).*gap_ms_p99=([0-9.]+).*/\1 \2/'
}

chat_body() { # model plain|stream file: bench/chat-2k.json for that model with max_tokens 64 (streamed with include_usage)
  sed -E "s/\"model\": \"[^\"]+\"/\"model\": \"$1\"/; s/\"max_tokens\": [0-9]+/\"max_tokens\": 64/" bench/chat-2k.json > "$3"
  [ "$2" = stream ] && sed -i -E 's/\}$/, "stream": true, "stream_options": {"include_usage": true}}/' "$3"
  return 0
}

ramp_summary() { # file of "<ms since start> <req/s> [ERR]" windows: "<steady req/s> <s when 90 % of it was first reached, or never>"
  # steady: the median of the last 6 windows without answers other than 2xx (ERR: refusals are cheap and would count
  # as throughput); 90 % is looked for among those windows too
  local steady
  steady=$(awk '$3 != "ERR" {print $2}' "$1" | tail -6 | sort -g | awk '{a[NR]=$1} END {print (NR < 2 ? a[1] + 0 : (a[int((NR + 1) / 2)] + a[int(NR / 2) + 1]) / 2)}')
  echo "$steady $(awk -v s="$steady" '$3 != "ERR" && $2 >= 0.9 * s {printf "%.0f", $1 / 1000; found=1; exit} END {if (!found) print "never"}' "$1")"
}

profiler_agent() { # echoes the path of async-profiler 4.2's agent (tools.profiler:async-profiler, fetched when missing) in $WORK
  local jar=$HOME/.m2/repository/tools/profiler/async-profiler/4.2/async-profiler-4.2.jar
  [ -f "$jar" ] || ./mvnw -q -B dependency:get -Dartifact=tools.profiler:async-profiler:4.2 >&2
  mkdir -p "$WORK/ap" && unzip -q -o "$jar" 'linux-x64/*' -d "$WORK/ap"
  echo "$WORK/ap/linux-x64/libasyncProfiler.so"
}

profile_summary() { # collapsed-stacks file: the share of samples under a few frames that matter on the request path and
  # the hottest frames of our own code
  local out=$1 total
  total=$(awk '{s+=$NF} END {print s}' "$out")
  share() { # label regex: the share of all samples whose stack (thread name first, as [name tid=N]) matches
    awk -v p="$2" -v t="$total" -v l="$1" '$0 ~ p {s+=$NF} END {printf "%-44s %5.1f %%\n", l, 100 * s / t}' "$out"
  }
  echo "samples: $total ($out)"
  share "JIT compiler threads" "^[[]C[12] CompilerThre"
  share "GC and VM threads" "^[[](GC Thread|G1 |VM Thread)"
  share "Spring Security filter chain" "WebFilterChainProxy.filter"
  share "Micrometer observations" "io/micrometer/observation"
  share "upstream WebClient exchange" "UpstreamClient"
  share "usage ledger (flush, H2)" "UsageLedger"
  share "usage recorder (meters, queue)" "UsageRecorder.record"
  share "request usage tracking" "RequestUsage"
  share "quota admission" "Admission"
  share "Jackson" "tools/jackson"
  share "Netty's buffer leak detection" "ResourceLeakDetector"
  echo "hottest frames of com/llamagateway (self + callees):"
  awk '{n=$NF; $NF=""; split($0, f, ";"); delete seen; for (i in f) if (f[i] ~ /^com\/llamagateway/ && !(f[i] in seen)) {seen[f[i]]=1; c[f[i]]+=n}}
       END {for (k in c) print c[k], k}' "$out" | sort -rn | head -25 | awk -v t="$total" '{printf "  %5.1f %%  %s\n", 100 * $1 / t, $2}'
}
