#!/usr/bin/env bash
# The prompt estimate against Llama 3's own tokenizer (docs/quotas.md, "How good is the prompt estimate"):
#   bench/tokenizer/run.sh [seeds directory]
# Needs Node.js + npm (for llama3-tokenizer-js, which carries Llama 3's vocabulary) and a JDK; builds the gateway.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seeds="${1:-$here/../../../shared/seeds}"
cd "$here"
npm install --silent --no-audit --no-fund
node export-vocabulary.mjs llama3.tiktoken
node measure.mjs "$seeds" prompts.txt
(cd ../.. && ./mvnw -q -B -DskipTests install -pl llama-simulator && ./mvnw -q -B -DskipTests compile -pl gateway-app \
  && ./mvnw -q -B dependency:build-classpath -pl gateway-app -Dmdep.outputFile="$here/classpath.txt")
java -cp "$here/../../gateway-app/target/classes:$(cat classpath.txt)" MeasureEstimate.java prompts.txt llama3.tiktoken
