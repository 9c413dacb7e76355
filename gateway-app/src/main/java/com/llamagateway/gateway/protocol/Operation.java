package com.llamagateway.gateway.protocol;

/** What the caller asks for. */
public enum Operation {
    /** chat/completions: a list of messages in, an assistant message out. */
    CHAT,
    /** completions: a prompt in, text out. */
    COMPLETION
}
