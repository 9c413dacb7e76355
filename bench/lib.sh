# Shared by the bench scripts (sourced, from the project's root): the jars built when missing, the standalone
# simulator started on CPU 0, the one-deployment catalog, a team's key, and on exit every process the script started
# stopped and its $WORK removed.

[ -f gateway-app/target/gateway-app.jar ] && ls llama-simulator/target/llama-simulator-*-exec.jar >/dev/null 2>&1 \
  || ./mvnw -q -B -DskipTests package

cleanup() { kill "${SIM_PID:-}" "${GW_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

start_simulator() { # port key: sets SIM_PID, returns once it answers
  SIMULATOR_API_KEY=$2 taskset -c 0 java -jar llama-simulator/target/llama-simulator-*-exec.jar --port=$1 > "$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  until curl -sf -o /dev/null -X POST localhost:$1/_simulator/llama31-70b-serverless/reset; do sleep 0.2; done
}

write_catalog() { # file simulator-port simulator-key: one v1 deployment on the simulator, limits far above any leg's load
  # the quota stage runs, but must not refuse: every leg measures answers, not 429s
  cat > "$1" <<YAML
gateway:
  deployments:
    bench-v1:
      kind: serverless
      url: http://127.0.0.1:$2/llama31-70b-serverless
      api-key: $3
      model: Meta-Llama-3.1-70B-Instruct
      dialect: v1
      limits: { tokens-per-minute: 50000000, requests-per-minute: 50000000 }
YAML
}

team_key() { # gateway-port admin-token [team name]: echoes the key of a new team
  local team
  team=$(curl -s localhost:$1/admin/v1/teams -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "{\"name\":\"${3:-bench}\"}" | sed -E 's/.*"id":"([^"]+)".*/\1/')
  curl -s -X POST localhost:$1/admin/v1/teams/$team/keys -H "Authorization: Bearer $2" | sed -E 's/.*"key":"([^"]+)".*/\1/'
}
