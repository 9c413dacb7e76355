#!/usr/bin/env bash
# CPU per stream event of the codecs alone (bench/codec/EventCodecBench.java): each revision's jar is built and
# extracted, then measured in alternation, ROUNDS times (default 3), with 1 and with 2 threads (the machine's cores).
#   bash bench/codec.sh <rev A> <rev B> [label]      e.g. bash bench/codec.sh 6920134 HEAD stream-events
# CODEC_SECONDS per measurement (default 3; five of them per run after a warm-up of three). Nothing else may run meanwhile.
# Writes bench/results/<date>-codec-<label>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
REV_A=${1:?rev A}; REV_B=${2:?rev B}; LABEL=${3:-codec}
ROUNDS=${ROUNDS:-3}; SECONDS_PER=${CODEC_SECONDS:-3}
WORK=$(mktemp -d)
cleanup() { git worktree remove --force "$WORK/src" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
build() { # rev dir: the revision's jar, extracted into dir
  git worktree add -q --detach "$WORK/src" "$1"
  (cd "$WORK/src" && ./mvnw -q -B -o -DskipTests package)
  java -Djarmode=tools -jar "$WORK/src/gateway-app/target/gateway-app.jar" extract --destination "$2" > /dev/null
  git worktree remove --force "$WORK/src"
}
echo "building $REV_A and $REV_B"
build "$REV_A" "$WORK/a"; build "$REV_B" "$WORK/b"
SHA_A=$(git rev-parse --short "$REV_A"); SHA_B=$(git rev-parse --short "$REV_B")
SEEDS=gateway-app/src/test/resources/golden/seed
measure() { # dir threads: ns per event
  java -Xmx512m -cp "$1/gateway-app.jar" bench/codec/EventCodecBench.java "$SEEDS" "$SECONDS_PER" "$2" 2>/dev/null | sed -E 's/.*ns_per_event=([0-9]+).*/\1/'
}
OUT=bench/results/$(date -u +%Y-%m-%d)-codec-$LABEL.md
{
  echo "# Stream codecs, CPU ns per event: \`$SHA_A\` (A) vs \`$SHA_B\` (B) ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "\`bash bench/codec.sh $REV_A $REV_B $LABEL\`; $(nproc) cores; $(java -version 2>&1 | head -1). Each cell: the median of five"
  echo "${SECONDS_PER} s measurements after a warm-up of three, in a fresh JVM; the golden seed streams (v1 → v1, Azure → v1,"
  echo "Azure → Azure with annotations, Azure tool calls → v1), data text in, the caller's event frames out (bytes for the wire). Alternating A B, B A."
  echo
  echo "| round | order | A 1 thread | B 1 thread | B/A | A 2 threads | B 2 threads | B/A |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$OUT"
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  declare -A r
  for side in $order; do
    dir=$WORK/a; [ $side = B ] && dir=$WORK/b
    r[${side}1]=$(measure "$dir" 1); r[${side}2]=$(measure "$dir" 2)
  done
  awk -v n=$round -v o="$order" -v a1=${r[A1]} -v b1=${r[B1]} -v a2=${r[A2]} -v b2=${r[B2]} \
    'BEGIN {printf "| %d | %s | %d | %d | %.3f | %d | %d | %.3f |\n", n, o, a1, b1, b1/a1, a2, b2, b2/a2}' >> "$OUT"
done
cat "$OUT"
