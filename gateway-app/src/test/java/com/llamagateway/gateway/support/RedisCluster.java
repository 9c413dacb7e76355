package com.llamagateway.gateway.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A Redis Cluster of a test's own: three {@code redis-server --cluster-enabled yes} masters on free ports, joined
 * with {@code redis-cli --cluster create}, nothing kept beyond a temporary directory. Skipped where
 * {@code redis-server} is missing, except on CI, where it fails (as {@link RedisProcess}).
 */
public final class RedisCluster implements AutoCloseable {

    private final Path dir;
    private final List<Integer> ports;
    private final List<Process> processes = new ArrayList<>();

    private RedisCluster(Path dir, List<Integer> ports) {
        this.dir = dir;
        this.ports = ports;
    }

    public static RedisCluster start() throws IOException, InterruptedException {
        if (!RedisProcess.available() && System.getenv("CI") != null) {
            throw new IllegalStateException("redis-server is required on CI and is not on the PATH");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(RedisProcess.available(), "redis-server is not on the PATH");
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ports.add(freePort(ports));
        }
        RedisCluster cluster = new RedisCluster(Files.createTempDirectory("redis-cluster"), ports);
        try {
            cluster.startNodes();
            cluster.join();
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** A free port whose cluster bus port (+10000) is free too. */
    private static int freePort(List<Integer> taken) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            if (port + 10_000 < 65_536 && !taken.contains(port)) {
                try (ServerSocket bus = new ServerSocket(port + 10_000)) {
                    return port;
                } catch (IOException busTaken) {
                    // try another
                }
            }
        }
        throw new IOException("no free port pair for a cluster node");
    }

    private void startNodes() throws IOException, InterruptedException {
        for (int port : ports) {
            processes.add(new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes-" + port + ".conf", "--cluster-node-timeout", "5000",
                    "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--daemonize", "no")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        }
        for (int port : ports) {
            RedisProcess.awaitPort(port);
        }
    }

    private void join() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        ports.forEach(port -> command.add("127.0.0.1:" + port));
        command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        Process create = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(create.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (create.waitFor() != 0 || !output.contains("All 16384 slots covered")) {
            throw new IllegalStateException("redis-cli --cluster create failed:\n" + output);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            boolean ok = true;
            for (int port : ports) {
                Process info = new ProcessBuilder("redis-cli", "-p", Integer.toString(port), "cluster", "info").redirectErrorStream(true).start();
                String text = new String(info.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                info.waitFor();
                ok &= text.contains("cluster_state:ok");
            }
            if (ok) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the cluster did not reach cluster_state:ok");
    }

    /** Seed nodes, as {@code gateway.quota.redis.cluster} takes them. */
    public List<String> urls() {
        return ports.stream().map(port -> "redis://127.0.0.1:" + port).toList();
    }

    @Override
    public void close() throws InterruptedException, IOException {
        for (Process process : processes) {
            process.destroyForcibly().waitFor();
        }
        processes.clear();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
