package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.routing.Deployment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The limits of every scope as this replica knows them: what the admin API stored, else the configuration.
 * Reloaded from the database every {@code gateway.quota.limits-refresh}; a change made on this replica applies at
 * once. Other replicas enforce a change before they reload it: the store keeps the newest version of every
 * scope's limits and applies it on the next request (see {@link ScopeLimits#version()}).
 *
 * <p>Configured limits carry this replica's start time as version: a replica started later with other defaults
 * wins over older replicas, and a limit set through the admin API (versioned by the time it was set) wins over
 * both until the configuration of a newer replica changes it again.
 */
public final class QuotaLimits implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(QuotaLimits.class);

    private final LimitsRepository repository;
    private final QuotaProperties.Limits teamDefault;
    private final long configVersion;
    private final Duration refreshInterval;
    private volatile Map<String, ScopeLimits> deployments = Map.of();
    private volatile Map<TeamModel, ScopeLimits> teams = Map.of();
    private volatile Disposable refresher;

    private record TeamModel(String teamId, String model) {
    }

    public QuotaLimits(LimitsRepository repository, QuotaProperties.Limits teamDefault, long configVersion, Duration refreshInterval) {
        this.repository = repository;
        this.teamDefault = teamDefault;
        this.configVersion = configVersion;
        this.refreshInterval = refreshInterval;
    }

    public ScopeLimits deployment(Deployment deployment) {
        ScopeLimits set = deployments.get(deployment.name());
        return set != null ? set : new ScopeLimits(deployment.capacity().tokensPerMinute(), deployment.capacity().requestsPerMinute(),
                ScopeLimits.CONFIG, configVersion);
    }

    public ScopeLimits team(String teamId, String model) {
        ScopeLimits set = teams.get(new TeamModel(teamId, model));
        return set != null ? set : new ScopeLimits(teamDefault.tokensPerMinute(), teamDefault.requestsPerMinute(), ScopeLimits.CONFIG, configVersion);
    }

    /** A version newer than every version this replica knows for the scope, and not older than now. */
    long nextVersion(long previous) {
        return Math.max(System.currentTimeMillis(), Math.max(previous, configVersion) + 1);
    }

    /** Loads what the admin API stored. */
    public Mono<Void> reload() {
        Mono<Map<String, ScopeLimits>> deploymentRows = repository.deploymentLimits()
                .collectMap(LimitsRepository.Row::subject, LimitsRepository.Row::limits);
        Mono<Map<TeamModel, ScopeLimits>> teamRows = repository.teamQuotas()
                .collectMap(row -> new TeamModel(row.subject(), row.model()), LimitsRepository.Row::limits);
        return Mono.zip(deploymentRows, teamRows).doOnNext(rows -> applyLoaded(rows.getT1(), rows.getT2())).then();
    }

    private synchronized void applyLoaded(Map<String, ScopeLimits> deploymentRows, Map<TeamModel, ScopeLimits> teamRows) {
        deployments = newest(deployments, deploymentRows);
        teams = newest(teams, teamRows);
    }

    /** Loaded rows, except where this replica already knows a newer version (a change made here during the load). */
    private static <K> Map<K, ScopeLimits> newest(Map<K, ScopeLimits> known, Map<K, ScopeLimits> loaded) {
        Map<K, ScopeLimits> merged = new HashMap<>(loaded);
        known.forEach((key, limits) -> merged.merge(key, limits, (a, b) -> a.version() >= b.version() ? a : b));
        return Map.copyOf(merged);
    }

    /**
     * Loads the stored limits (after the database migrations, before the web server takes requests), then reloads
     * them every {@code refreshInterval}; a failed reload keeps the limits known and is logged.
     */
    @Override
    public void start() {
        reload().block(Duration.ofSeconds(30));
        // a tick that comes while a reload still runs is dropped: without it, a slow database (or a stalled machine)
        // overflows the interval and ends the refreshing for good
        refresher = Flux.interval(refreshInterval, refreshInterval).onBackpressureDrop()
                .concatMap(tick -> reload().onErrorResume(e -> {
                    log.warn("Could not reload quota limits ({}); keeping the ones known", e.toString());
                    return Mono.empty();
                }))
                .subscribe();
    }

    /** A change made on this replica, known here at once. */
    synchronized void changed(Scope scope, ScopeLimits limits) {
        if (scope.kind() == Scope.Kind.DEPLOYMENT) {
            deployments = newest(deployments, Map.of(scope.name(), limits));
        } else {
            teams = newest(teams, Map.of(new TeamModel(scope.name(), scope.model()), limits));
        }
    }

    @Override
    public void stop() {
        if (refresher != null) {
            refresher.dispose();
            refresher = null;
        }
    }

    @Override
    public boolean isRunning() {
        return refresher != null;
    }

    /** Before the web server (which starts in a late phase). */
    @Override
    public int getPhase() {
        return 0;
    }
}
