package com.llamagateway.gateway.config;

import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the configuration before anything is built and names every mistake at once ({@link StartupProblems}):
 * environment variables the configuration refers to that are not set, deployments without url, api-key or model or
 * with an unknown dialect, a bootstrap admin token too short, and a Redis or PostgreSQL the configuration points at
 * that does not accept connections (host:port named, never a password). The beans' own checks stay: this one only
 * makes the first start-up of a new installation a single, readable list.
 */
public final class StartupCheck implements ApplicationListener<ApplicationEnvironmentPreparedEvent> {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}:]+)}");
    private static final Pattern DEPLOYMENT_KEY = Pattern.compile("gateway\\.deployments\\.([^.\\[]+|\\[[^]]+])\\.(.+)");
    private static final Set<String> DIALECTS = Set.of("v1", "azure-inference", "azure_inference", "azureinference", "score");
    private static final int CONNECT_MILLIS = 1_000;

    @Override
    public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
        List<StartupProblems.Problem> problems = problems(event.getEnvironment());
        if (!problems.isEmpty()) {
            throw new StartupProblems(problems);
        }
    }

    static List<StartupProblems.Problem> problems(ConfigurableEnvironment environment) {
        List<StartupProblems.Problem> problems = new ArrayList<>();
        Map<String, String> raw = rawGatewayAndSpringProperties(environment);
        unsetVariables(environment, raw, problems);
        deployments(environment, raw, problems);
        String token = environment.getProperty("gateway.admin.token");
        if (token != null && !token.isBlank() && !token.contains("${") && token.length() < 24) {
            problems.add(new StartupProblems.Problem("gateway.admin.token (GATEWAY_ADMIN_TOKEN) has " + token.length()
                    + " characters; it must have at least 24", "Set GATEWAY_ADMIN_TOKEN to a random secret of 24 characters or more "
                    + "(e.g. `openssl rand -hex 24`), or leave it unset to have one generated into <gateway.data-dir>/admin-token."));
        }
        if ("redis".equalsIgnoreCase(environment.getProperty("gateway.quota.store", "memory"))) {
            List<String> urls = new ArrayList<>();
            for (int i = 0; environment.containsProperty("gateway.quota.redis.cluster[" + i + "]"); i++) {
                urls.add(environment.getProperty("gateway.quota.redis.cluster[" + i + "]"));
            }
            if (urls.isEmpty()) {
                urls.add(environment.getProperty("gateway.quota.redis.url", "redis://127.0.0.1:6379"));
            }
            reachable("Redis", urls, 6379, "Start Redis there, point gateway.quota.redis.url (or gateway.quota.redis.cluster) at it, "
                    + "or run one replica on its own buckets with gateway.quota.store=memory.", problems);
        }
        String r2dbc = environment.getProperty("spring.r2dbc.url", "");
        if (r2dbc.startsWith("r2dbc:postgresql://") || r2dbc.startsWith("r2dbc:pool:postgresql://")) {
            reachable("PostgreSQL", List.of(r2dbc.substring(r2dbc.indexOf("postgresql://"))), 5432,
                    "Start PostgreSQL there or correct spring.r2dbc.url and spring.flyway.url (without them the gateway keeps an "
                            + "embedded H2 database under gateway.data-dir).", problems);
        }
        return problems;
    }

    /** Every gateway.* and spring.* property as written, before placeholders are resolved. */
    private static Map<String, String> rawGatewayAndSpringProperties(ConfigurableEnvironment environment) {
        Map<String, String> raw = new LinkedHashMap<>();
        for (PropertySource<?> source : environment.getPropertySources()) {
            if (!(source instanceof EnumerablePropertySource<?> enumerable)) {
                continue;
            }
            for (String name : enumerable.getPropertyNames()) {
                Object value = enumerable.getProperty(name);
                if ((name.startsWith("gateway.") || name.startsWith("spring.")) && !raw.containsKey(name) && value != null) {
                    raw.put(name, value.toString());
                }
            }
        }
        return raw;
    }

    private static void unsetVariables(ConfigurableEnvironment environment, Map<String, String> raw, List<StartupProblems.Problem> problems) {
        Map<String, List<String>> unset = new LinkedHashMap<>();
        raw.forEach((name, value) -> {
            Matcher placeholder = PLACEHOLDER.matcher(value);
            while (placeholder.find()) {
                String variable = placeholder.group(1);
                if (!environment.containsProperty(variable)) {
                    unset.computeIfAbsent(variable, v -> new ArrayList<>()).add(name);
                }
            }
        });
        if (unset.isEmpty()) {
            return;
        }
        unset.forEach((variable, usedBy) -> problems.add(new StartupProblems.Problem(variable + " is not set (" + String.join(", ", usedBy) + ")",
                "Set the environment variables the configuration refers to: " + String.join(", ", unset.keySet())
                        + " (e.g. in the shell, the compose .env file or the Helm chart's secret).")));
    }

    private static void deployments(ConfigurableEnvironment environment, Map<String, String> raw, List<StartupProblems.Problem> problems) {
        Set<String> names = new TreeSet<>();
        for (String key : raw.keySet()) {
            Matcher m = DEPLOYMENT_KEY.matcher(key);
            if (m.matches()) {
                names.add(m.group(1));
            }
        }
        for (String name : names) {
            String prefix = "gateway.deployments." + name + ".";
            List<String> missing = new ArrayList<>();
            for (String required : new String[]{"url", "api-key", "model"}) {
                if (!has(environment, raw, prefix, required)) {
                    missing.add(required);
                }
            }
            if (!missing.isEmpty()) {
                problems.add(new StartupProblems.Problem(prefix.substring(0, prefix.length() - 1) + " has no " + String.join(", no ", missing),
                        "Give every deployment a url, an api-key (from the environment) and the model it serves."));
            }
            String dialect = value(raw, prefix, "dialect");
            if (dialect != null && !DIALECTS.contains(dialect.trim().toLowerCase(Locale.ROOT))) {
                problems.add(new StartupProblems.Problem(prefix + "dialect is '" + dialect + "'",
                        "A deployment's dialect is one of v1, azure-inference, score."));
            }
        }
    }

    /** Set in a file or argument (any relaxed spelling) or through the environment (GATEWAY_DEPLOYMENTS_EAST_APIKEY). */
    private static boolean has(ConfigurableEnvironment environment, Map<String, String> raw, String prefix, String key) {
        String value = value(raw, prefix, key);
        if (value == null) {
            value = environment.getProperty(prefix + key);
        }
        return value != null && !value.isBlank();
    }

    /** The value under {@code key} or its camel-case / no-dash spelling (Spring's relaxed names). */
    private static String value(Map<String, String> raw, String prefix, String key) {
        String camel = Pattern.compile("-([a-z])").matcher(key).replaceAll(m -> m.group(1).toUpperCase(Locale.ROOT));
        for (String spelling : new String[]{key, camel, key.replace("-", "")}) {
            if (raw.containsKey(prefix + spelling)) {
                return raw.get(prefix + spelling);
            }
        }
        return null;
    }

    private static void reachable(String what, List<String> urls, int defaultPort, String action, List<StartupProblems.Problem> problems) {
        for (String url : urls) {
            URI uri;
            try {
                uri = URI.create(url.contains("://") ? url : "x://" + url);
            } catch (IllegalArgumentException e) {
                problems.add(new StartupProblems.Problem(what + " URL cannot be read", action));
                continue;
            }
            String host = uri.getHost() == null ? "127.0.0.1" : uri.getHost();
            int port = uri.getPort() < 0 ? defaultPort : uri.getPort();
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), CONNECT_MILLIS);
            } catch (IOException e) {
                problems.add(new StartupProblems.Problem(what + " at " + host + ":" + port + " does not accept connections ("
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")", action));
            }
        }
    }
}
