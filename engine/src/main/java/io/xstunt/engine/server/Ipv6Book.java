package io.xstunt.engine.server;

import io.xstunt.engine.registry.Holder;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * The global IPv6 endpoints that the registrations this server holds registered (the A6
 * extension line, docs/PROTOCOL.md "IPv6"), by ID: what an announcement to a peer of one of them
 * adds as the IPv6 peer record. An entry lives as long as its registration (its holder); a new
 * registration of the same ID replaces it. A peer registered on another server of a shared
 * registry is not in here: its endpoint comes from its record, with the announcement
 * ({@link io.xstunt.engine.registry.Registry#reportIpv6}). Loop thread only.
 */
final class Ipv6Book {
    private record Entry(Holder holder, InetSocketAddress endpoint) {
    }

    private final Map<String, Entry> byId = new HashMap<>();
    private final Map<Holder, String> idByHolder = new HashMap<>();

    /** {@code holder}, the registration of {@code id}, registered {@code endpoint}. */
    void put(String id, Holder holder, InetSocketAddress endpoint) {
        Entry old = byId.put(id, new Entry(holder, endpoint));
        if (old != null && !old.holder().equals(holder)) {
            idByHolder.remove(old.holder());
        }
        idByHolder.put(holder, id);
    }

    /** The registration {@code holder} is gone: its endpoint with it. */
    void forget(Holder holder) {
        String id = idByHolder.remove(holder);
        if (id != null) {
            byId.computeIfPresent(id, (k, e) -> e.holder().equals(holder) ? null : e);
        }
    }

    /** @return the IPv6 endpoint {@code id} registered here, or null */
    InetSocketAddress of(String id) {
        Entry e = byId.get(id);
        return e == null ? null : e.endpoint();
    }

    /** @return true if the registration of {@code holder} has one */
    boolean has(Holder holder) {
        return idByHolder.containsKey(holder);
    }

    /** @return how many registrations have one */
    int size() {
        return byId.size();
    }
}
