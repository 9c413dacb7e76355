package com.llamagateway.gateway.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

/**
 * A Redis server of a test's own ({@code redis-server} from the PATH, nothing kept on disk) on a free port, so the
 * test can stop it and start it again without touching anyone else's Redis. Where {@code redis-server} is missing
 * a test is skipped — except on CI ({@code CI} set), where it fails.
 */
public final class RedisProcess implements AutoCloseable {

    private final int port;
    private Process process;

    private RedisProcess(int port) {
        this.port = port;
    }

    public static boolean available() {
        String path = System.getenv("PATH");
        return path != null && List.of(path.split(File.pathSeparator)).stream().anyMatch(dir -> new File(dir, "redis-server").canExecute());
    }

    public static RedisProcess start() throws IOException, InterruptedException {
        if (!available() && System.getenv("CI") != null) {
            throw new IllegalStateException("redis-server is required on CI and is not on the PATH");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(available(), "redis-server is not on the PATH");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        RedisProcess redis = new RedisProcess(port);
        redis.resume();
        return redis;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts the server (again, empty) on the same port and waits until it answers. */
    public synchronized void resume() throws IOException, InterruptedException {
        process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        awaitPort(port);
    }

    /** Waits (at most 10 s) until a server listens on the local port. */
    static void awaitPort(int port) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("redis-server did not start on port " + port);
    }

    /** Kills the server, as a crash would. */
    public synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly().waitFor();
            process = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
