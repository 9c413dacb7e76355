package com.llamagateway.simulator;

import java.util.concurrent.CountDownLatch;

/**
 * Runs the simulator on its own: {@code java -cp … com.llamagateway.simulator.SimulatorMain [--port=8090] [--host=127.0.0.1]}.
 * The API key of every deployment is {@code SIMULATOR_API_KEY} (default {@code sim-key}).
 */
public final class SimulatorMain {

    private SimulatorMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "simulator-logback.xml");
        }
        int port = Integer.parseInt(option(args, "port", System.getenv().getOrDefault("SIMULATOR_PORT", "8090")));
        String host = option(args, "host", "127.0.0.1");
        String key = System.getenv().getOrDefault("SIMULATOR_API_KEY", "sim-key");
        LlamaSimulator.Builder builder = LlamaSimulator.builder().host(host);
        StandardDeployments.all(key).forEach(builder::deployment);
        StandardDeployments.safety(key).forEach(builder::deployment);
        LlamaSimulator simulator = builder.start(port);
        System.out.println("llama-simulator listening on http://" + host + ":" + simulator.port());
        simulator.deployments().forEach(d -> System.out.println("  " + d.kind() + " " + d.model() + " at " + simulator.baseUrl(d.name())));
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            simulator.close();
            forever.countDown();
        }));
        forever.await();
    }

    private static String option(String[] args, String name, String fallback) {
        for (String arg : args) {
            if (arg.startsWith("--" + name + "=")) {
                return arg.substring(name.length() + 3);
            }
        }
        return fallback;
    }
}
