package io.xstunt.engine.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A NAT router's conntrack table: entries found by their original tuple (packets from the LAN) or
 * their reply tuple (packets from the internet), and by original source for
 * {@link PortMapping}. Entries expire after their state's timeout; they are removed when next
 * looked at.
 */
final class Conntrack {
    private final EventQueue clock;
    private final Map<Flow, ConntrackEntry> byOriginal = new HashMap<>();
    private final Map<Flow, ConntrackEntry> byReply = new HashMap<>();
    private final Map<Endpoint, List<ConntrackEntry>> bySource = new HashMap<>();

    Conntrack(EventQueue clock) {
        this.clock = clock;
    }

    /** @return the live entry whose original tuple is {@code f}, or null */
    ConntrackEntry original(Flow f) {
        return live(byOriginal.get(f));
    }

    /** @return the live entry whose reply tuple is {@code f}, or null */
    ConntrackEntry reply(Flow f) {
        return live(byReply.get(f));
    }

    /** @return true if a live entry has reply tuple {@code f} (the public port is taken towards that remote) */
    boolean replyTaken(Flow f) {
        return reply(f) != null;
    }

    /** @return the public address a live entry gives {@code source}, or null (find_appropriate_src) */
    Endpoint mappingOf(Endpoint source) {
        List<ConntrackEntry> entries = bySource.get(source);
        if (entries == null) {
            return null;
        }
        for (ConntrackEntry e : List.copyOf(entries)) {
            if (live(e) != null) {
                return e.mapped();
            }
        }
        return null;
    }

    ConntrackEntry create(Flow original, Endpoint mapped) {
        ConntrackEntry e = new ConntrackEntry(original, mapped, clock.nowNs());
        byOriginal.put(original, e);
        byReply.put(e.reply(), e);
        bySource.computeIfAbsent(original.src(), s -> new ArrayList<>()).add(e);
        return e;
    }

    void remove(ConntrackEntry e) {
        byOriginal.remove(e.original(), e);
        byReply.remove(e.reply(), e);
        List<ConntrackEntry> entries = bySource.get(e.original().src());
        if (entries != null) {
            entries.remove(e);
            if (entries.isEmpty()) {
                bySource.remove(e.original().src());
            }
        }
    }

    /** @return the live entries, as {@code conntrack -L} lists them */
    List<String> describe() {
        return List.copyOf(byOriginal.values()).stream().filter(e -> live(e) != null).map(Object::toString)
                .sorted().toList();
    }

    private ConntrackEntry live(ConntrackEntry e) {
        if (e != null && e.expired(clock.nowNs())) {
            remove(e);
            return null;
        }
        return e;
    }
}
