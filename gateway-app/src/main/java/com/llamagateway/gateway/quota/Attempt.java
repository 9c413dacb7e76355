package com.llamagateway.gateway.quota;

/**
 * One bucket's answer to an admission: taken, refused ({@code take.taken()} false), or failed (the store did not
 * answer and the scope's failure policy refused).
 */
record Attempt(BucketSpec bucket, long amount, BucketStore.Take take, Throwable failure) {

    boolean taken() {
        return take != null && take.taken();
    }

    boolean refused() {
        return take != null && !take.taken();
    }

    /** What the bucket holds without this request: after a refusal, or once what it took is given back. */
    long remainingWithout() {
        return Math.max(0, taken() ? take.remaining() + amount : take.remaining());
    }
}
