package com.llamagateway.gateway.support;

import com.llamagateway.gateway.team.TeamService;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

/** Teams and keys made through the service, for tests whose subject is not the admin API. */
public final class TestTeams {

    private TestTeams() {
    }

    /** A new team that may use every model, and the secret of a new key of it. */
    public static String newKey(TeamService teams) {
        return newKey(teams, null);
    }

    public static String newKey(TeamService teams, List<String> models) {
        return teams.createTeam("test", "team-" + UUID.randomUUID(), null, models)
                .flatMap(team -> teams.createKey("test", team.id(), "test", null))
                .map(TeamService.CreatedKey::secret)
                .block(Duration.ofSeconds(10));
    }
}
