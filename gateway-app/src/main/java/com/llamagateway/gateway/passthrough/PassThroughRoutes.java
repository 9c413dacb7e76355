package com.llamagateway.gateway.passthrough;

import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.cloud.gateway.support.RouteMetadataUtils;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * One Spring Cloud Gateway route per deployment that allows pass-through: {@code /deployments/<name>/<rest>} →
 * the deployment's {@linkplain Deployment#root() root} + {@code /<rest>}, query kept, with standard filters only
 * (strip the prefix, prefix the root's path) around {@link PassThrough}'s own; the deployment's connect timeout and
 * first-byte timeout (the time until the answer's headers) as the route's metadata. Nothing modifies a body.
 */
public final class PassThroughRoutes {

    static final String PREFIX = "/deployments/";
    private static final Logger log = LoggerFactory.getLogger(PassThroughRoutes.class);
    /** A name that is a literal path segment of a route pattern. */
    private static final Pattern ROUTABLE = Pattern.compile("[A-Za-z0-9._~-]+");

    private PassThroughRoutes() {
    }

    public static RouteLocator of(RouteLocatorBuilder builder, DeploymentCatalog catalog, PassThrough passThrough) {
        RouteLocatorBuilder.Builder routes = builder.routes();
        for (Deployment deployment : catalog.deployments()) {
            if (!deployment.passThrough()) {
                continue;
            }
            if (!ROUTABLE.matcher(deployment.name()).matches()) {
                log.warn("Deployment {} has no pass-through route: its name is not a plain path segment", deployment.name());
                continue;
            }
            URI root = deployment.root();
            String rootPath = root.getRawPath() == null || root.getRawPath().equals("/") ? "" : root.getRawPath();
            routes.route("passthrough-" + deployment.name(), route -> route.path(PREFIX + deployment.name() + "/**")
                    .filters(filters -> {
                        filters.filter(passThrough.filterFor(deployment)).stripPrefix(2);
                        if (!rootPath.isEmpty()) {
                            filters.prefixPath(rootPath);
                        }
                        return filters;
                    })
                    .metadata(RouteMetadataUtils.CONNECT_TIMEOUT_ATTR, (int) deployment.timeouts().connect().toMillis())
                    .metadata(RouteMetadataUtils.RESPONSE_TIMEOUT_ATTR, deployment.timeouts().firstByte().toMillis())
                    .uri(URI.create(root.getScheme() + "://" + root.getRawAuthority())));
            log.info("Pass-through {}{}/** -> {}", PREFIX, deployment.name(), root);
        }
        return routes.build();
    }

    /** The part of a pass-through path the deployment sees: {@code /deployments/<name>/score} → {@code /score}. */
    static String deploymentPath(String path, Deployment deployment) {
        String prefix = PREFIX + deployment.name();
        String rest = path.startsWith(prefix) ? path.substring(prefix.length()) : path;
        return rest.isEmpty() ? "/" : rest;
    }
}
