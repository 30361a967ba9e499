package io.xstunt.api;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;

/**
 * How this process's calls of XInit, XConnect and XListen ended, by error code and path: the
 * client side of the server's counts. Counted once per finished call (not per byte), from any
 * thread; {@link ClientMeterBinder} reads them into Micrometer.
 */
final class ClientOutcomes {
    /** One count's labels: the call (xinit, xconnect, xlisten), its code, its path ("none" if it failed or made no connection). */
    record Key(String call, String code, String path) {
    }

    static final ClientOutcomes PROCESS = new ClientOutcomes();
    static final String NO_PATH = "none";

    private final Map<Key, LongAdder> counts = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<BiConsumer<Key, LongAdder>> watchers = new CopyOnWriteArrayList<>();

    /** Counts one finished call. */
    void count(String call, ErrorCode code, ConnectionPath path) {
        Key key = new Key(call, code.name(), path == null ? NO_PATH : path.name().toLowerCase(Locale.ROOT));
        LongAdder[] created = new LongAdder[1];
        LongAdder n = counts.computeIfAbsent(key, k -> created[0] = new LongAdder());
        n.increment();
        if (created[0] != null) {
            for (BiConsumer<Key, LongAdder> w : watchers) {
                w.accept(key, n);
            }
        }
    }

    /** Tells {@code watcher} of every count there is and of each new one as it appears. */
    void watch(BiConsumer<Key, LongAdder> watcher) {
        watchers.add(watcher);
        counts.forEach(watcher);
    }

    /** @return the count of {@code key} (0 if never counted) */
    long get(String call, String code, String path) {
        LongAdder n = counts.get(new Key(call, code, path));
        return n == null ? 0 : n.sum();
    }
}
