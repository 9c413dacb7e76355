package com.llamagateway.gateway.team;

import io.r2dbc.spi.ConnectionFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ClassPathResource;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A key's team from the store (H2, the real schema), then from the cache: the cached answer is checked against the
 * clock on every request (a key that expires while cached is refused at once), records the key's last use, and an
 * unknown or malformed key is refused either way.
 */
class KeyAuthenticatorTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Instant START = Instant.parse("2026-12-06T10:00:00Z");

    /** A clock a test moves by hand. */
    private static final class MovableClock extends Clock {
        private final AtomicReference<Instant> now = new AtomicReference<>(START);

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        void advance(Duration by) {
            now.updateAndGet(at -> at.plus(by));
        }
    }

    private final MovableClock clock = new MovableClock();
    private DatabaseClient db;
    private TeamStore store;
    private KeyAuthenticator keys;

    @BeforeEach
    void schema() throws Exception {
        db = DatabaseClient.create(ConnectionFactories.get("r2dbc:h2:mem:///keys-" + UUID.randomUUID() + "?options=DB_CLOSE_DELAY=-1"));
        String migration = new ClassPathResource("db/migration/V1__teams_keys_quotas_audit.sql").getContentAsString(StandardCharsets.UTF_8)
                .replaceAll("(?m)--.*$", "");
        Flux.fromArray(migration.split(";")).filter(sql -> !sql.isBlank()).concatMap(sql -> db.sql(sql).then()).blockLast(WAIT);
        store = new TeamStore(db);
        // a cached look-up lives an hour here: every answer after the first comes from the cache
        keys = new KeyAuthenticator(store, clock, Duration.ofHours(1), Duration.ofHours(6));
    }

    @AfterEach
    void close() {
        keys.close();
    }

    private String newKey(String teamId, Instant expiresAt) {
        String secret = KeyFormat.generate();
        ApiKey key = new ApiKey(UUID.randomUUID().toString(), teamId, "k", KeyFormat.displayPrefix(secret), START, expiresAt, null, null);
        store.insertKey(key, KeyFormat.hash(secret)).block(WAIT);
        return secret;
    }

    private Optional<CallerTeam> authenticate(String secret) {
        return keys.authenticate(secret).block(WAIT);
    }

    @Test
    void aCachedKeyIsCheckedAgainstTheClockAndRecordsItsUseOnEveryRequest() {
        store.insertTeam(new Team("team-a", "Team A", null, null, START, START)).block(WAIT);
        String secret = newKey("team-a", START.plusSeconds(60));

        assertThat(authenticate(secret)).get().extracting(CallerTeam::teamId, CallerTeam::teamName).containsExactly("team-a", "Team A");
        clock.advance(Duration.ofSeconds(30));
        assertThat(authenticate(secret)).as("from the cache").get().extracting(CallerTeam::teamId).isEqualTo("team-a");
        keys.flushLastUsed().block(WAIT);
        Instant lastUsed = db.sql("select last_used_at from api_keys").map(row -> row.get("last_used_at", java.time.OffsetDateTime.class))
                .one().block(WAIT).toInstant();
        assertThat(lastUsed.truncatedTo(ChronoUnit.MILLIS)).isEqualTo(START.plusSeconds(30));

        clock.advance(Duration.ofSeconds(30)); // the key's expiry: no longer active, though its look-up is still cached
        assertThat(authenticate(secret)).isEmpty();
    }

    @Test
    void unknownAndMalformedKeysAreRefusedFromTheStoreAndFromTheCache() {
        store.insertTeam(new Team("team-b", "Team B", null, null, START, START)).block(WAIT);
        newKey("team-b", null);
        String unknown = KeyFormat.generate();
        assertThat(authenticate(unknown)).isEmpty();
        assertThat(authenticate(unknown)).as("from the cache").isEmpty();
        String typo = unknown.substring(0, 10) + (unknown.charAt(10) == 'a' ? 'b' : 'a') + unknown.substring(11);
        assertThat(authenticate(typo)).isEmpty();
        assertThat(authenticate("llgw_short")).isEmpty();
    }
}
