#!/usr/bin/env bash
# A CPU profile of the gateway at steady load: async-profiler 4.2 (tools.profiler:async-profiler from Maven Central,
# its .so loaded into the running gateway with jcmd JVMTI.agent_load), wrk at 16 connections, the same request and
# pinning as bench/ab.sh (gateway on CPU 1; simulator and wrk on CPU 0).
#   bash bench/profile.sh [label] [gateway args...]    e.g. bash bench/profile.sh ledger-off --gateway.usage.ledger=false
# PROFILE_WARMUP seconds of load before (default 180: pinned to one core the JIT compiles for ~100 s; a profile taken
# after 60 s had 23 % of its samples in the compiler and half the steady rate), PROFILE_SECONDS profiled (default 30),
# PROFILE_EVENT (cpu|alloc),
# PROFILE_BODY the request (default bench/chat-2k.json; bench/chat-2k-stream.json: 32-event streams, sent at once);
# PROFILE_JAVA_OPTS more JVM options for the gateway (split on spaces),
# BENCH_SAFETY blocklist (default: compare.sh's blocklist screens every prompt) or none.
# Writes $PROFILE_DIR/<date>-<label>.collapsed (default /tmp/llgw-profiles; folded stacks, ~100 MB: flamegraph.pl or
# speedscope read them; not for the repository) and prints the hottest frames of our own code and the
# share of samples under a few frames that matter on the request path.
set -euo pipefail
cd "$(dirname "$0")/.."
LABEL=${1:-profile}; shift || true
WARMUP=${PROFILE_WARMUP:-180}; SECONDS_PROFILED=${PROFILE_SECONDS:-30}; EVENT=${PROFILE_EVENT:-cpu}
WORK=$(mktemp -d)
SIM_PORT=18390; GW_PORT=18380; SIM_KEY=bench-sim-key
ADMIN=bench-admin-token-$(date +%s)-0123456789

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || { echo "needs wrk (Debian package wrk)"; exit 1; }
. bench/lib.sh
AGENT=$(profiler_agent)

start_simulator $SIM_PORT $SIM_KEY
write_catalog "$WORK/gateway.yaml" $SIM_PORT $SIM_KEY
[ "${BENCH_SAFETY:-blocklist}" = blocklist ] && safety_yaml >> "$WORK/gateway.yaml"
start_pinned_gateway $GW_PORT -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints ${PROFILE_JAVA_OPTS:-} -- "$@"
URL=http://127.0.0.1:$GW_PORT/v1/chat/completions
# instant answers: the gateway, not the simulated generation, is what the load waits on
sim_delay 0
wrk_load() { BODY_FILE=${PROFILE_BODY:-bench/chat-2k.json} AUTH="Bearer $KEY" taskset -c 0 wrk -t1 -c16 -d"$1" --latency -s bench/post.lua "$URL"; }

# a "Non-2xx" line means some answers were refusals (the bench deployment's tokens ran dry: lib.sh), not completions
echo "warming up for $WARMUP s"
wrk_load "${WARMUP}s" | grep -E "Requests/sec|Non-2xx" | sed 's/^/warm-up, not profiled: /'
PROFILE_DIR=${PROFILE_DIR:-/tmp/llgw-profiles}
mkdir -p "$PROFILE_DIR"
OUT=$PROFILE_DIR/$(date -u +%Y-%m-%d)-$LABEL
# jcmd reads name=value pairs itself: the agent's options go through quoted
jcmd $GW_PID JVMTI.agent_load "$AGENT" "\"start,event=$EVENT,interval=1ms,threads\"" | grep -v "^$GW_PID:" || true
wrk_load "${SECONDS_PROFILED}s" | grep -E "Requests/sec|Non-2xx" | sed 's/^/profiled: /'
# an allocation profile counts bytes (total), not samples
TOTAL_OPT=$([ "$EVENT" = alloc ] && echo ",total" || true)
jcmd $GW_PID JVMTI.agent_load "$AGENT" "\"stop,file=$OUT.collapsed,collapsed$TOTAL_OPT\"" | grep -v "^$GW_PID:" || true
sleep 1
profile_summary "$OUT.collapsed"
