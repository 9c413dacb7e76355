package com.llamagateway.gateway.security;

import com.llamagateway.gateway.config.GatewayProperties;
import com.llamagateway.gateway.api.ErrorResponses;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.team.KeyAuthenticator;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.WebFilterChainProxy;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.authentication.ServerAuthenticationEntryPointFailureHandler;
import org.springframework.security.web.server.authorization.ServerAccessDeniedHandler;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedHandler;
import org.springframework.security.web.server.firewall.ServerWebExchangeFirewall;
import org.springframework.security.web.server.firewall.StrictServerWebExchangeFirewall;
import org.springframework.security.web.server.header.HttpHeaderWriterWebFilter;
import reactor.core.publisher.Mono;

import java.nio.file.Path;
import java.util.Set;

/**
 * Three filter chains, first match wins: the client routes (team keys; the LLM routes cross the same firewall, headers
 * and key decision in {@link TeamKeyGate}, in front of the chains), the admin API (OAuth2 JWT with scope
 * {@code gateway.admin}, or the bootstrap token where no issuer is configured), and everything else (open: health,
 * unknown routes answered 404). The first two match disjoint paths; the client routes come first because nearly every
 * request is theirs. Stateless: no sessions, no CSRF tokens.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
public class SecurityConfiguration {

    public static final String ADMIN_AUTHORITY = "SCOPE_gateway.admin";
    private static final Set<String> FIREWALL_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    static final String[] CLIENT_PATHS = {"/v1/**", "/chat/completions", "/completions", "/info", "/models/**", "/deployments/**"};
    static final String ADMIN_PATHS = "/admin/**";

    /** The client chain's work in one step, for the LLM routes served in front of the chains ({@code api.ClientRoutes}). */
    @Bean
    TeamKeyGate teamKeyGate(KeyAuthenticator keys, ErrorResponses errors, ServerWebExchangeFirewall firewall,
                            ServerExchangeRejectedHandler rejections) {
        return new TeamKeyGate(keys, new DialectEntryPoint(errors), firewall, rejections);
    }

    @Bean
    @Order(1)
    SecurityWebFilterChain clientChain(ServerHttpSecurity http, TeamKeyGate gate) {
        return stateless(http.securityMatcher(new PathsMatcher(CLIENT_PATHS)))
                .addFilterAt(new TeamKeyWebFilter(gate), SecurityWebFiltersOrder.AUTHENTICATION)
                .build();
    }

    @Bean
    @Order(2)
    SecurityWebFilterChain adminChain(ServerHttpSecurity http, ObjectProvider<ReactiveJwtDecoder> jwtDecoder,
                                      GatewayProperties properties, ErrorResponses errors) {
        ServerAuthenticationEntryPoint unauthorized = (exchange, e) -> errors.write(exchange, new GatewayError(HttpStatus.UNAUTHORIZED,
                "unauthorized", "An admin token is required: 'Authorization: Bearer <token>'.", null, null));
        ServerAccessDeniedHandler forbidden = (exchange, e) -> errors.write(exchange, new GatewayError(HttpStatus.FORBIDDEN,
                "forbidden", "The token lacks the scope gateway.admin.", null, null));
        stateless(http.securityMatcher(new PathsMatcher(ADMIN_PATHS)))
                .exceptionHandling(e -> e.authenticationEntryPoint(unauthorized).accessDeniedHandler(forbidden))
                .authorizeExchange(a -> a.pathMatchers(HttpMethod.GET, "/admin/v1/openapi.json").permitAll()
                        .anyExchange().hasAuthority(ADMIN_AUTHORITY));
        if (jwtDecoder.getIfAvailable() != null) {
            http.oauth2ResourceServer(o -> o.jwt(Customizer.withDefaults()).authenticationEntryPoint(unauthorized).accessDeniedHandler(forbidden));
        } else {
            BootstrapAdminToken token = BootstrapAdminToken.resolve(properties.admin().token(), Path.of(properties.dataDir()));
            ReactiveAuthenticationManager manager = presented -> token.matches((String) presented.getCredentials())
                    ? Mono.just(UsernamePasswordAuthenticationToken.authenticated("bootstrap-admin", "",
                    AuthorityUtils.createAuthorityList(ADMIN_AUTHORITY)))
                    : Mono.error(new BadCredentialsException("not the bootstrap admin token"));
            http.addFilterAt(authenticationFilter(manager, unauthorized), SecurityWebFiltersOrder.AUTHENTICATION);
        }
        return http.build();
    }

    @Bean
    @Order(3)
    SecurityWebFilterChain everythingElse(ServerHttpSecurity http) {
        return stateless(http).authorizeExchange(a -> a.anyExchange().permitAll()).build();
    }

    /**
     * No observations around Spring Security's filters, authentications and authorizations: on every request they cost
     * more CPU than the rest of the security chain does (bench/results/2026-12-02-ab-security-obs-off.md) and tell nothing that
     * {@code http.server.requests} (status 401/403) and the gateway's own meters do not.
     */
    @Bean
    SecurityObservationSettings noSecurityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    /** The security filters run without a checkpoint per filter ({@link SecurityFiltersInOrder}). */
    @Bean
    static BeanPostProcessor securityFiltersInOrder() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String name) {
                if (bean instanceof WebFilterChainProxy proxy) {
                    proxy.setFilterChainDecorator(new SecurityFiltersInOrder());
                }
                return bean;
            }
        };
    }

    /**
     * Spring Security's firewall with its default rules, deciding header names and values with {@link HeaderCharacters}
     * (the same decision as its regular expressions, at a fraction of their cost for the headers every request has).
     */
    @Bean
    ServerWebExchangeFirewall firewall() {
        StrictServerWebExchangeFirewall firewall = new StrictServerWebExchangeFirewall();
        firewall.setAllowedHeaderNames(HeaderCharacters.NAMES);
        firewall.setAllowedHeaderValues(HeaderCharacters.VALUES);
        firewall.setAllowedParameterNames(HeaderCharacters.NAMES);
        return firewall;
    }

    /**
     * Requests Spring Security's firewall refuses ({@code //}, {@code ;}, encoded {@code /}, {@code %}, NUL, {@code .}
     * and {@code ..} segments, methods other than GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS): a JSON error in the
     * path's shape instead of an empty 400. The path is not echoed.
     */
    @Bean
    ServerExchangeRejectedHandler firewallRejections(ErrorResponses errors) {
        return (exchange, rejected) -> {
            String method = exchange.getRequest().getMethod().name();
            GatewayError error = FIREWALL_METHODS.contains(method)
                    ? GatewayError.badRequest(ErrorCode.INVALID_REQUEST, null, "The request path is not allowed: it must not contain "
                    + "'//', ';', '.' or '..' segments, or encoded '/', '\\', '%' or control characters.")
                    : new GatewayError(HttpStatus.METHOD_NOT_ALLOWED, ErrorCode.METHOD_NOT_ALLOWED, "The method is not allowed.", null, null);
            return errors.write(exchange, error);
        };
    }

    private static AuthenticationWebFilter authenticationFilter(ReactiveAuthenticationManager manager, ServerAuthenticationEntryPoint unauthorized) {
        AuthenticationWebFilter filter = new AuthenticationWebFilter(manager);
        filter.setServerAuthenticationConverter(PresentedKey::from);
        filter.setSecurityContextRepository(NoOpServerSecurityContextRepository.getInstance());
        filter.setAuthenticationFailureHandler(new ServerAuthenticationEntryPointFailureHandler(unauthorized));
        return filter;
    }

    /** No session, CSRF token, login or logout; Spring Security's default response headers ({@link SecurityHeaders}). */
    private static ServerHttpSecurity stateless(ServerHttpSecurity http) {
        return http.headers(ServerHttpSecurity.HeaderSpec::disable)
                .addFilterAt(new HttpHeaderWriterWebFilter(new SecurityHeaders()), SecurityWebFiltersOrder.HTTP_HEADERS_WRITER)
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(ServerHttpSecurity.RequestCacheSpec::disable)
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance());
    }
}
