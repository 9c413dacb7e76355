package com.llamagateway.gateway.team;

import org.springframework.http.HttpStatus;

/** An admin request that cannot be done: 400 with the offending field, 404 unknown id, 409 conflict. */
public final class TeamError extends RuntimeException {

    private final HttpStatus status;
    private final String code;
    private final String field;

    public TeamError(HttpStatus status, String code, String field, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.field = field;
    }

    public static TeamError invalid(String field, String message) {
        return new TeamError(HttpStatus.BAD_REQUEST, "invalid_field", field, message);
    }

    public static TeamError notFound(String what, String id) {
        String shown = id.length() > 64 ? id.substring(0, 64) + "…" : id;
        return new TeamError(HttpStatus.NOT_FOUND, what + "_not_found", null, "No " + what + " with id '" + shown + "'.");
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String field() {
        return field;
    }
}
