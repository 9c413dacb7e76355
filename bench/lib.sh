# Shared by the bench scripts (sourced, from the project's root): the jars built when missing, the standalone
# simulator started on CPU 0, and on exit every process the script started stopped and its $WORK removed.

[ -f gateway-app/target/gateway-app.jar ] && ls llama-simulator/target/llama-simulator-*-exec.jar >/dev/null 2>&1 \
  || ./mvnw -q -B -DskipTests package

cleanup() { kill "${SIM_PID:-}" "${GW_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

start_simulator() { # port key: sets SIM_PID, returns once it answers
  SIMULATOR_API_KEY=$2 taskset -c 0 java -jar llama-simulator/target/llama-simulator-*-exec.jar --port=$1 > "$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  until curl -sf -o /dev/null -X POST localhost:$1/_simulator/llama31-70b-serverless/reset; do sleep 0.2; done
}
