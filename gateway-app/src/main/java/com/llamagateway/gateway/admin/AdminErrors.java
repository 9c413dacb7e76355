package com.llamagateway.gateway.admin;

import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.security.AdminProblems;
import com.llamagateway.gateway.team.TeamError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;
import tools.jackson.databind.node.ObjectNode;

/** Admin API failures as problem details: 400 with the field, 404, 409; never a stack trace. */
@RestControllerAdvice(assignableTypes = AdminController.class)
class AdminErrors {

    private static final Logger log = LoggerFactory.getLogger(AdminErrors.class);

    private final Json json;

    AdminErrors(Json json) {
        this.json = json;
    }

    @ExceptionHandler(TeamError.class)
    ResponseEntity<ObjectNode> teamError(TeamError e) {
        return problem(e.status(), e.code(), e.field(), e.getMessage());
    }

    @ExceptionHandler(ServerWebInputException.class)
    ResponseEntity<ObjectNode> unreadable(ServerWebInputException e) {
        return problem(HttpStatus.BAD_REQUEST, "invalid_body", null, "The body is missing or is not valid JSON.");
    }

    @ExceptionHandler(ResponseStatusException.class)
    ResponseEntity<ObjectNode> status(ResponseStatusException e) {
        HttpStatus status = HttpStatus.valueOf(e.getStatusCode().value());
        return problem(status, status.is5xxServerError() ? "internal_error" : "invalid_request", null, status.getReasonPhrase());
    }

    @ExceptionHandler(RuntimeException.class)
    ResponseEntity<ObjectNode> unexpected(RuntimeException e) {
        log.error("Admin request failed", e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal_error", null, "The gateway failed to process the request.");
    }

    private ResponseEntity<ObjectNode> problem(HttpStatus status, String code, String field, String detail) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(AdminProblems.body(json, status, code, field, detail));
    }
}
