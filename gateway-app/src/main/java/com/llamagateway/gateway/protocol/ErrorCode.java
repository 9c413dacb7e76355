package com.llamagateway.gateway.protocol;

/** The {@code code} values of the gateway's errors (docs/api.md lists them with their statuses). */
public final class ErrorCode {

    public static final String INVALID_JSON = "invalid_json";
    public static final String INVALID_TYPE = "invalid_type";
    public static final String INVALID_VALUE = "invalid_value";
    public static final String MISSING_REQUIRED_PARAMETER = "missing_required_parameter";
    public static final String EXTRA_PARAMETERS_NOT_ALLOWED = "extra_parameters_not_allowed";
    public static final String UNSUPPORTED_PARAMETER = "unsupported_parameter";
    public static final String MODEL_REQUIRED = "model_required";
    public static final String MODEL_NOT_FOUND = "model_not_found";
    public static final String REQUEST_TOO_LARGE = "request_too_large";
    public static final String INVALID_REQUEST = "invalid_request";
    public static final String INVALID_UTF8 = "invalid_utf8";
    public static final String REQUEST_TIMEOUT = "request_timeout";
    public static final String URI_TOO_LONG = "uri_too_long";
    public static final String HEADERS_TOO_LARGE = "headers_too_large";
    public static final String NOT_FOUND = "not_found";
    public static final String METHOD_NOT_ALLOWED = "method_not_allowed";
    public static final String UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type";
    public static final String UPSTREAM_ERROR = "upstream_error";
    public static final String UPSTREAM_RATE_LIMITED = "upstream_rate_limited";
    public static final String UPSTREAM_UNAVAILABLE = "upstream_unavailable";
    public static final String UPSTREAM_TIMEOUT = "upstream_timeout";
    public static final String UPSTREAM_RESPONSE_TOO_LARGE = "upstream_response_too_large";
    public static final String INTERNAL_ERROR = "internal_error";
    public static final String INVALID_API_KEY = "invalid_api_key";
    public static final String MODEL_NOT_ALLOWED = "model_not_allowed";
    public static final String TEAM_QUOTA_EXCEEDED = "team_quota_exceeded";
    public static final String DEPLOYMENT_CAPACITY_EXCEEDED = "deployment_capacity_exceeded";
    public static final String DEPLOYMENT_BUSY = "deployment_busy";
    public static final String REQUEST_EXCEEDS_QUOTA = "request_exceeds_quota";
    public static final String QUOTA_UNAVAILABLE = "quota_unavailable";
    public static final String CONTENT_FILTER = "content_filter";
    public static final String CONTENT_FILTER_UNAVAILABLE = "content_filter_unavailable";

    private ErrorCode() {
    }
}
