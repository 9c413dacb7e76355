package com.llamagateway.gateway.quota;

/**
 * The buckets' clock, in milliseconds. In production there is none: the memory store reads the system clock and the
 * Redis store the Redis server's. A test that registers one in the context holds time still or moves it by hand;
 * the Redis store then passes it to its scripts.
 */
@FunctionalInterface
public interface QuotaClock {

    long currentTimeMillis();
}
