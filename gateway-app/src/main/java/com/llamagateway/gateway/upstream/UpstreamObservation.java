package com.llamagateway.gateway.upstream;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.RequestReplySenderContext;
import org.springframework.http.client.observation.ClientHttpObservationDocumentation.HighCardinalityKeyNames;
import org.springframework.http.client.observation.ClientHttpObservationDocumentation.LowCardinalityKeyNames;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A call to a deployment as an {@code http.client.requests} observation, with Spring's own key names
 * ({@code ClientHttpObservationDocumentation}) and the values of its WebClient convention ({@code client.name} = host,
 * {@code method}, {@code status}, {@code outcome}, {@code exception}, {@code uri} = {@code none}; {@code http.url}
 * high-cardinality), so its timer and spans read as they did when the calls went through WebClient. The trace context
 * is written into the request's own headers (the context's carrier). It ends, as WebClient's does, once the
 * deployment's status and headers have arrived (or the call failed or was cancelled before).
 */
final class UpstreamObservation {

    static final String NAME = "http.client.requests";
    private static final KeyValue METHOD_POST = LowCardinalityKeyNames.METHOD.withValue("POST");
    private static final KeyValue URI_NONE = LowCardinalityKeyNames.URI.withValue(KeyValue.NONE_VALUE);
    private static final KeyValue EXCEPTION_NONE = LowCardinalityKeyNames.EXCEPTION.withValue(KeyValue.NONE_VALUE);
    private static final KeyValue STATUS_IO_ERROR = LowCardinalityKeyNames.STATUS.withValue("IO_ERROR");
    private static final KeyValue STATUS_CLIENT_ERROR = LowCardinalityKeyNames.STATUS.withValue("CLIENT_ERROR");
    private static final KeyValue OUTCOME_UNKNOWN = LowCardinalityKeyNames.OUTCOME.withValue("UNKNOWN");

    static final Convention CONVENTION = new Convention();

    private UpstreamObservation() {
    }

    /**
     * A POST to {@code uri}; the response is its status code. The context is its own carrier: what a tracer
     * propagates when the observation starts is kept here ({@link #propagated}) for the request's headers, which do not
     * exist yet then.
     */
    static final class Context extends RequestReplySenderContext<Context, Integer> {

        private final URI uri;
        private Map<String, String> propagated = Map.of();

        Context(URI uri) {
            super((carrier, key, value) -> {
                if (carrier != null) {
                    carrier.propagate(key, value);
                }
            }, Kind.CLIENT);
            this.uri = uri;
            setCarrier(this);
            setRemoteServiceAddress(uri.getScheme() + "://" + uri.getAuthority());
        }

        URI uri() {
            return uri;
        }

        /** The headers a tracer asked the request to carry (none when tracing is off). */
        Map<String, String> propagated() {
            return propagated;
        }

        private void propagate(String name, String value) {
            if (propagated.isEmpty()) {
                propagated = new LinkedHashMap<>(4);
            }
            propagated.put(name, value);
        }
    }

    static final class Convention implements ObservationConvention<Context> {

        @Override
        public String getName() {
            return NAME;
        }

        @Override
        public String getContextualName(Context context) {
            return "http post";
        }

        @Override
        public KeyValues getLowCardinalityKeyValues(Context context) {
            // sorted by name, as KeyValues keeps them
            return KeyValues.of(LowCardinalityKeyNames.CLIENT_NAME.withValue(String.valueOf(context.uri().getHost())), exception(context), METHOD_POST,
                    outcome(context), status(context), URI_NONE);
        }

        @Override
        public KeyValues getHighCardinalityKeyValues(Context context) {
            return KeyValues.of(HighCardinalityKeyNames.HTTP_URL.withValue(context.uri().toASCIIString()));
        }

        @Override
        public boolean supportsContext(Observation.Context context) {
            return context instanceof Context;
        }

        private static KeyValue exception(Context context) {
            Throwable error = context.getError();
            if (error == null) {
                return EXCEPTION_NONE;
            }
            String name = error.getClass().getSimpleName();
            return LowCardinalityKeyNames.EXCEPTION.withValue(name.isEmpty() ? error.getClass().getName() : name);
        }

        private static KeyValue status(Context context) {
            Integer status = context.getResponse();
            if (status != null) {
                return LowCardinalityKeyNames.STATUS.withValue(String.valueOf(status));
            }
            return context.getError() != null ? STATUS_IO_ERROR : STATUS_CLIENT_ERROR;
        }

        private static KeyValue outcome(Context context) {
            Integer status = context.getResponse();
            if (status == null) {
                return OUTCOME_UNKNOWN;
            }
            return LowCardinalityKeyNames.OUTCOME.withValue(switch (status / 100) {
                case 1 -> "INFORMATIONAL";
                case 2 -> "SUCCESS";
                case 3 -> "REDIRECTION";
                case 4 -> "CLIENT_ERROR";
                case 5 -> "SERVER_ERROR";
                default -> "UNKNOWN";
            });
        }
    }
}
