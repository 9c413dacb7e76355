package com.llamagateway.gateway.admin;

import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.team.TeamError;
import com.llamagateway.gateway.usage.UsageQuery;
import com.llamagateway.gateway.usage.UsageQuery.GroupBy;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /admin/v1/usage}: the query parameters read into a {@link UsageQuery}, and its rows rendered as JSON
 * or CSV (docs/admin-api.md, "Usage").
 */
final class UsageReport {

    static final String CSV = "text/csv";

    /** More groups than this: the caller is asked to narrow the question. */
    static final int MAX_ROWS = 10_000;
    static final List<GroupBy> DEFAULT_GROUP_BY = List.of(GroupBy.TEAM, GroupBy.MODEL, GroupBy.DEPLOYMENT);
    private static final String[] COUNTS = {"requests", "promptTokens", "completionTokens", "totalTokens", "estimatedPromptTokens",
            "reservedTokens", "ok", "upstreamErrors", "contentFiltered", "cancelled", "meanLatencyMs"};

    private UsageReport() {
    }

    static UsageQuery query(String team, String model, String deployment, String key, String from, String to, String groupBy) {
        Instant start = instant("from", from);
        Instant end = instant("to", to);
        if (start != null && end != null && !start.isBefore(end)) {
            throw TeamError.invalid("from", "'from' must be before 'to'.");
        }
        List<GroupBy> by = new ArrayList<>();
        if (groupBy == null || groupBy.isBlank()) {
            by.addAll(DEFAULT_GROUP_BY);
        } else {
            for (String label : groupBy.split(",")) {
                GroupBy value;
                try {
                    value = GroupBy.of(label);
                } catch (IllegalArgumentException e) {
                    throw TeamError.invalid("groupBy", "'groupBy' takes a comma-separated list of team, model, deployment, key, hour, day.");
                }
                if (!by.contains(value)) {
                    by.add(value);
                }
            }
        }
        try {
            return new UsageQuery(blankToNull(team), blankToNull(model), blankToNull(deployment), blankToNull(key), start, end, by);
        } catch (IllegalArgumentException e) {
            throw TeamError.invalid("groupBy", "'groupBy' takes hour or day, not both.");
        }
    }

    /** Whether the Accept header prefers CSV to JSON (JSON when it names neither). */
    static boolean wantsCsv(String accept) {
        if (accept == null) {
            return false;
        }
        double csv = -1;
        double json = -1;
        try {
            for (org.springframework.http.MediaType type : org.springframework.http.MediaType.parseMediaTypes(accept)) {
                if (type.getType().equals("text") && type.getSubtype().equals("csv")) {
                    csv = Math.max(csv, type.getQualityValue());
                } else if (type.getType().equals("application") && (type.getSubtype().equals("json") || type.getSubtype().equals("*"))) {
                    json = Math.max(json, type.getQualityValue());
                }
            }
        } catch (org.springframework.http.InvalidMediaTypeException e) {
            return false;
        }
        return csv > json;
    }

    /** An ISO-8601 instant ({@code 2026-12-01T00:00:00Z}) or a date ({@code 2026-12-01}, its start in UTC). */
    private static Instant instant(String field, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return value.length() == 10 ? LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw TeamError.invalid(field, "'" + field + "' must be an ISO-8601 instant such as 2026-12-01T00:00:00Z or a date such as 2026-12-01.");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    static ObjectNode json(Json json, UsageQuery query, List<UsageQuery.Row> rows) {
        ObjectNode body = json.object();
        ArrayNode usage = body.putArray("usage");
        for (UsageQuery.Row row : rows) {
            ObjectNode node = usage.addObject();
            List<String> keys = groupColumns(query);
            List<String> values = groupValues(query, row);
            for (int i = 0; i < keys.size(); i++) {
                node.put(keys.get(i), values.get(i));
            }
            long[] counts = counts(row);
            for (int i = 0; i < COUNTS.length; i++) {
                node.put(COUNTS[i], counts[i]);
            }
        }
        ArrayNode groups = body.putArray("groupBy");
        query.groupBy().forEach(by -> groups.add(by.label()));
        body.put("from", query.from() == null ? null : query.from().toString());
        body.put("to", query.to() == null ? null : query.to().toString());
        return body;
    }

    /** RFC 4180: a header line, then one line per group, CRLF-ended; fields quoted where they need it. */
    static String csv(UsageQuery query, List<UsageQuery.Row> rows) {
        StringBuilder csv = new StringBuilder();
        List<String> header = new ArrayList<>(groupColumns(query));
        header.addAll(List.of(COUNTS));
        csv.append(String.join(",", header)).append("\r\n");
        for (UsageQuery.Row row : rows) {
            List<String> fields = new ArrayList<>();
            groupValues(query, row).forEach(value -> fields.add(quoted(value)));
            for (long count : counts(row)) {
                fields.add(Long.toString(count));
            }
            csv.append(String.join(",", fields)).append("\r\n");
        }
        return csv.toString();
    }

    private static List<String> groupColumns(UsageQuery query) {
        List<String> columns = new ArrayList<>();
        for (GroupBy by : query.groupBy()) {
            switch (by) {
                case TEAM -> columns.addAll(List.of("team", "teamId"));
                case MODEL -> columns.add("model");
                case DEPLOYMENT -> columns.add("deployment");
                case KEY -> columns.add("keyId");
                case HOUR, DAY -> columns.add(by.label());
            }
        }
        return columns;
    }

    private static List<String> groupValues(UsageQuery query, UsageQuery.Row row) {
        List<String> values = new ArrayList<>();
        for (GroupBy by : query.groupBy()) {
            switch (by) {
                case TEAM -> values.addAll(List.of(row.team(), row.teamId()));
                case MODEL -> values.add(row.model());
                case DEPLOYMENT -> values.add(row.deployment());
                case KEY -> values.add(row.key());
                case HOUR, DAY -> values.add(row.period().toString());
            }
        }
        return values;
    }

    private static long[] counts(UsageQuery.Row row) {
        return new long[]{row.requests(), row.promptTokens(), row.completionTokens(), row.totalTokens(), row.estimatedPromptTokens(),
                row.reservedTokens(), row.ok(), row.upstreamErrors(), row.contentFiltered(), row.cancelled(), row.meanLatencyMillis()};
    }

    private static String quoted(String value) {
        if (value == null) {
            return "";
        }
        // a leading =, +, - or @ would be a formula to a spreadsheet: quoted and prefixed with '
        String safe = !value.isEmpty() && "=+-@".indexOf(value.charAt(0)) >= 0 ? "'" + value : value;
        return safe.contains(",") || safe.contains("\"") || safe.contains("\n") || safe.contains("\r") || !safe.equals(value)
                ? "\"" + safe.replace("\"", "\"\"") + "\"" : safe;
    }
}
