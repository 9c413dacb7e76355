# syntax=docker/dockerfile:1
# Two images from one build (docs/operations.md, "Container image"):
#   docker build --target gateway -t llama-gateway .         the gateway
#   docker build --target simulator -t llama-gateway-sim .   the simulated deployments (docker-compose.yml)

FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY gateway-app/pom.xml gateway-app/
COPY llama-simulator/pom.xml llama-simulator/
COPY gateway-app/src gateway-app/src
COPY llama-simulator/src llama-simulator/src
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q -DskipTests package \
 && java -Djarmode=tools -jar gateway-app/target/gateway-app.jar extract --layers --destination /layers \
 && cp llama-simulator/target/llama-simulator-*-exec.jar /simulator.jar

FROM eclipse-temurin:17-jre AS simulator
RUN useradd --system --uid 10001 --home-dir /app simulator
WORKDIR /app
COPY --from=build /simulator.jar ./simulator.jar
USER 10001
EXPOSE 8090
ENTRYPOINT ["java", "-jar", "/app/simulator.jar"]

# the runtime is JDK 25 (the code is built for 17, which the README's command uses): on the same jar it reaches a higher
# throughput sooner after a start (docs/performance.md, "Warm-up")
FROM eclipse-temurin:25-jre AS gateway
RUN useradd --system --uid 10001 --home-dir /app gateway && mkdir -p /app/data && chown 10001 /app/data
WORKDIR /app
# the extracted jar (dependencies in lib/, the application jar last): a new build usually replaces only the last layer
COPY --from=build /layers/dependencies/ ./
COPY --from=build /layers/spring-boot-loader/ ./
COPY --from=build /layers/snapshot-dependencies/ ./
COPY --from=build /layers/application/ ./
# an AOT cache of the classes a start loads and links (JEP 483), from one start of the embedded default: the gateway
# starts in about half the time; a JVM the cache does not fit (other GC, other options) starts without it
RUN java -XX:MaxRAMPercentage=75 -XX:AOTCacheOutput=/app/gateway.aot -Dspring.context.exit=onRefresh -jar /app/gateway-app.jar \
      --gateway.data-dir=/tmp/aot-training --server.port=0 \
    || echo "no AOT cache: the gateway starts without one" >&2; rm -rf /tmp/aot-training
USER 10001
EXPOSE 8080 8081
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:AOTCache=/app/gateway.aot"
ENTRYPOINT ["java", "-jar", "/app/gateway-app.jar"]
