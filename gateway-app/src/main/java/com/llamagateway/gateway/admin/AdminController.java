package com.llamagateway.gateway.admin;

import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.quota.QuotaAdmin;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentCatalog;
import com.llamagateway.gateway.team.TeamError;
import com.llamagateway.gateway.team.TeamService;
import com.llamagateway.gateway.team.TeamViews;
import com.llamagateway.gateway.usage.UsageQuery;
import com.llamagateway.gateway.usage.UsageStore;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/** The admin API, {@code /admin/v1} (docs/admin-api.md). Every change is audited with the caller as actor. */
@RestController
@RequestMapping(path = "/admin/v1", produces = MediaType.APPLICATION_JSON_VALUE)
public class AdminController {

    private final TeamService teams;
    private final QuotaAdmin quotas;
    private final TeamViews views;
    private final DeploymentCatalog catalog;
    private final Json json;
    private final UsageStore usage;
    private final String openApi;

    public AdminController(TeamService teams, QuotaAdmin quotas, TeamViews views, DeploymentCatalog catalog, Json json, UsageStore usage) {
        this.teams = teams;
        this.usage = usage;
        this.quotas = quotas;
        this.views = views;
        this.catalog = catalog;
        this.json = json;
        try {
            this.openApi = new ClassPathResource("admin-openapi.json").getContentAsString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Who made a change: the JWT's subject, or the bootstrap admin. */
    static String actor(Authentication authentication) {
        if (authentication instanceof JwtAuthenticationToken jwt) {
            String subject = jwt.getToken().getSubject();
            return "jwt:" + (subject != null ? subject : jwt.getToken().getClaimAsString("client_id"));
        }
        return authentication.getName();
    }

    @GetMapping("/openapi.json")
    String openApi() {
        return openApi;
    }

    // ---------------------------------------------------------------- teams

    @PostMapping("/teams")
    Mono<ResponseEntity<ObjectNode>> createTeam(@RequestBody(required = false) byte[] bytes, Authentication who) {
        JsonNode body = AdminBodies.read(json, bytes);
        AdminBodies.requireObject(body);
        return teams.createTeam(actor(who), AdminBodies.text(body, "name"), AdminBodies.text(body, "description"),
                        body.has("models") ? AdminBodies.models(body).orElse(null) : null)
                .map(team -> ResponseEntity.created(URI.create("/admin/v1/teams/" + team.id())).body(views.team(team)));
    }

    @GetMapping("/teams")
    Mono<ObjectNode> listTeams() {
        return teams.listTeams().map(views::team).collectList().map(list -> page("teams", list));
    }

    @GetMapping("/teams/{id}")
    Mono<ObjectNode> getTeam(@PathVariable String id) {
        return teams.getTeam(id).map(views::team);
    }

    @PatchMapping("/teams/{id}")
    Mono<ObjectNode> updateTeam(@PathVariable String id, @RequestBody(required = false) byte[] bytes, Authentication who) {
        JsonNode body = AdminBodies.read(json, bytes);
        AdminBodies.requireObject(body);
        if (body.has("name") && !body.get("name").isString()) {
            throw TeamError.invalid("name", "'name' must be a string.");
        }
        TeamService.TeamPatch patch = new TeamService.TeamPatch(
                body.has("name") ? body.get("name").stringValue() : null,
                body.has("description") ? Optional.ofNullable(AdminBodies.text(body, "description")) : null,
                body.has("models") ? AdminBodies.models(body) : null);
        return teams.updateTeam(actor(who), id, patch).map(views::team);
    }

    /** Replaces the team's model permissions: a list, or null for every model. */
    @PutMapping("/teams/{id}/models")
    Mono<ObjectNode> setModels(@PathVariable String id, @RequestBody(required = false) byte[] bytes, Authentication who) {
        JsonNode body = AdminBodies.read(json, bytes);
        AdminBodies.requireObject(body);
        if (!body.has("models")) {
            throw TeamError.invalid("models", "'models' is required: a list of model names, or null for every model.");
        }
        return teams.updateTeam(actor(who), id, new TeamService.TeamPatch(null, null, AdminBodies.models(body))).map(views::team);
    }

    @DeleteMapping("/teams/{id}")
    Mono<ResponseEntity<Void>> deleteTeam(@PathVariable String id, Authentication who) {
        return teams.deleteTeam(actor(who), id).thenReturn(ResponseEntity.noContent().build());
    }

    // ---------------------------------------------------------------- keys

    @PostMapping("/teams/{id}/keys")
    Mono<ResponseEntity<ObjectNode>> createKey(@PathVariable String id, @RequestBody(required = false) byte[] bytes, Authentication who) {
        JsonNode body = bytes == null || bytes.length == 0 ? null : AdminBodies.read(json, bytes);
        JsonNode fields = body == null || body.isNull() ? json.object() : body;
        AdminBodies.requireObject(fields);
        Instant expiresAt = null;
        String expires = AdminBodies.text(fields, "expiresAt");
        if (expires != null) {
            try {
                expiresAt = Instant.parse(expires);
            } catch (DateTimeParseException e) {
                throw TeamError.invalid("expiresAt", "'expiresAt' must be an ISO-8601 instant such as 2027-01-31T00:00:00Z.");
            }
            if (expiresAt.isAfter(AdminBodies.LATEST)) {
                throw TeamError.invalid("expiresAt", "'expiresAt' must be no later than " + AdminBodies.LATEST + ".");
            }
        }
        return teams.createKey(actor(who), id, AdminBodies.text(fields, "name"), expiresAt).map(created -> {
            ObjectNode view = views.key(created.key());
            view.put("key", created.secret()); // the only time the secret is shown
            return ResponseEntity.created(URI.create("/admin/v1/teams/" + id + "/keys/" + created.key().id())).body(view);
        });
    }

    @GetMapping("/teams/{id}/keys")
    Mono<ObjectNode> listKeys(@PathVariable String id) {
        return teams.listKeys(id).map(views::key).collectList().map(list -> page("keys", list));
    }

    @DeleteMapping("/teams/{id}/keys/{keyId}")
    Mono<ObjectNode> revokeKey(@PathVariable String id, @PathVariable String keyId, Authentication who) {
        return teams.revokeKey(actor(who), id, keyId).map(views::key);
    }

    // ---------------------------------------------------------------- quotas

    /** The team's allowance on each model it may use, with what is left of it. */
    @GetMapping("/teams/{id}/quotas")
    Mono<ObjectNode> teamQuotas(@PathVariable String id) {
        return quotas.teamQuotas(id).map(list -> page("quotas", list));
    }

    /** {@code {"tokensPerMinute", "requestsPerMinute"}}: each a positive integer, or null for "not limited". */
    @PutMapping("/teams/{id}/quotas/{model}")
    Mono<ObjectNode> setTeamQuota(@PathVariable String id, @PathVariable String model, @RequestBody(required = false) byte[] bytes, Authentication who) {
        JsonNode body = AdminBodies.read(json, bytes);
        AdminBodies.requireObject(body);
        return quotas.setTeamQuota(actor(who), id, model, AdminBodies.perMinute(body, "tokensPerMinute", false),
                AdminBodies.perMinute(body, "requestsPerMinute", false));
    }

    /** {@code {"tokensPerMinute", "requestsPerMinute"}}: both positive integers. Spent capacity stays spent. */
    @PutMapping("/deployments/{name}/limits")
    Mono<ObjectNode> setDeploymentLimits(@PathVariable String name, @RequestBody(required = false) byte[] bytes, Authentication who) {
        JsonNode body = AdminBodies.read(json, bytes);
        AdminBodies.requireObject(body);
        return quotas.setDeploymentLimits(actor(who), name, AdminBodies.perMinute(body, "tokensPerMinute", true),
                AdminBodies.perMinute(body, "requestsPerMinute", true));
    }

    // ---------------------------------------------------------------- catalog and audit

    /** The catalog (never a key), each deployment with its limits and what is left of them. */
    @GetMapping("/deployments")
    Mono<ObjectNode> deployments() {
        return Flux.fromIterable(catalog.deployments())
                .concatMap(d -> quotas.deployment(d).map(limits -> {
                    ObjectNode node = deployment(d);
                    node.set("limits", limits);
                    return node;
                }))
                .collectList()
                .map(list -> page("deployments", list));
    }

    private ObjectNode deployment(Deployment d) {
        ObjectNode node = json.object();
        node.put("name", d.name());
        node.put("kind", d.kind().name().toLowerCase().replace('_', '-'));
        node.put("model", d.model());
        node.put("dialect", d.dialect().label());
        node.put("url", d.url().toString());
        node.put("deploymentName", d.deploymentName());
        node.put("connectTimeout", d.timeouts().connect().toString());
        node.put("firstByteTimeout", d.timeouts().firstByte().toString());
        node.put("streamIdleTimeout", d.timeouts().streamIdle().toString());
        return node; // never the api-key
    }

    @GetMapping("/audit")
    Mono<ObjectNode> audit(@RequestParam(defaultValue = "50") int limit, @RequestParam(required = false) Long before) {
        if (limit < 1 || limit > 500) {
            throw TeamError.invalid("limit", "'limit' must be between 1 and 500.");
        }
        return teams.auditLog(limit, before).map(views::audit).collectList().map(list -> page("entries", list));
    }

    // ---------------------------------------------------------------- usage

    /**
     * The usage ledger summed by {@code groupBy} (default team, model, deployment) over the rows the filters select;
     * JSON, or CSV for {@code Accept: text/csv} or {@code format=csv}.
     */
    @GetMapping(path = "/usage", produces = {MediaType.APPLICATION_JSON_VALUE, UsageReport.CSV})
    Mono<ResponseEntity<String>> usage(@RequestParam(required = false) String team, @RequestParam(required = false) String model,
                                       @RequestParam(required = false) String deployment, @RequestParam(required = false) String key,
                                       @RequestParam(required = false) String from, @RequestParam(required = false) String to,
                                       @RequestParam(required = false) String groupBy, @RequestParam(required = false) String format,
                                       @RequestHeader(value = "Accept", required = false) String accept) {
        UsageQuery query = UsageReport.query(team, model, deployment, key, from, to, groupBy);
        boolean csv = format != null ? "csv".equalsIgnoreCase(format) : UsageReport.wantsCsv(accept);
        return usage.sums(query).take(UsageReport.MAX_ROWS + 1).collectList().map(rows -> {
            if (rows.size() > UsageReport.MAX_ROWS) {
                throw TeamError.invalid("groupBy", "More than " + UsageReport.MAX_ROWS + " groups: narrow 'from'/'to' or group by less.");
            }
            return csv
                    ? ResponseEntity.ok().contentType(MediaType.parseMediaType(UsageReport.CSV + ";charset=UTF-8")).body(UsageReport.csv(query, rows))
                    : ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(json.write(UsageReport.json(json, query, rows)));
        });
    }

    private ObjectNode page(String name, List<ObjectNode> items) {
        ObjectNode page = json.object();
        ArrayNode array = page.putArray(name);
        items.forEach(array::add);
        return page;
    }

}
