package io.xstunt.engine.server;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the server refused: one counter per {@link Rejection} (read from any thread) and one log
 * line per refusal with the service and the address; and what it did, in {@link #counters()}.
 */
final class ServerStats {
    private static final Logger LOG = LoggerFactory.getLogger(StuntServer.class);

    private final AtomicLongArray rejections = new AtomicLongArray(Rejection.values().length);
    private final ServerCounters counters = new ServerCounters();

    /** @return what the server did, counted (written on the loop thread, read from any) */
    ServerCounters counters() {
        return counters;
    }

    /** Counts and logs a refusal. Loop thread. */
    void refused(Rejection why, String service, InetSocketAddress remote, String detail) {
        rejections.incrementAndGet(why.ordinal());
        if (remote == null) {
            LOG.info("{}: refused {}: {}", service, why, detail);
        } else {
            LOG.info("{}: refused {} from {}: {}", service, why, remote, detail);
        }
    }

    /** Counts and logs a procedure's refusal. Loop thread. */
    void refused(Refused r, String service, InetSocketAddress remote) {
        refused(r.why(), service, remote, r.detail());
    }

    /** @return how many inputs were refused for {@code why} (any thread) */
    long count(Rejection why) {
        return rejections.get(why.ordinal());
    }

    /** @return how many inputs were refused, all reasons together (any thread) */
    long total() {
        long n = 0;
        for (int i = 0; i < rejections.length(); i++) {
            n += rejections.get(i);
        }
        return n;
    }
}
