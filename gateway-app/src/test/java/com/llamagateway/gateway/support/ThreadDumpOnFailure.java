package com.llamagateway.gateway.support;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;

/**
 * Prints every thread's stack when a test fails (into the test's output file): a request that timed out leaves
 * the threads that held it up in the dump.
 */
public final class ThreadDumpOnFailure implements TestWatcher {

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        StringBuilder dump = new StringBuilder("Threads when " + context.getDisplayName() + " failed:\n");
        for (ThreadInfo thread : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            dump.append(thread.toString().replace("\n\t...\n", "\n"));
            for (StackTraceElement frame : thread.getStackTrace()) {
                dump.append("\t\t").append(frame).append('\n');
            }
        }
        System.out.println(dump);
    }
}
