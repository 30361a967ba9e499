package io.xstunt.engine.client;

import io.xstunt.engine.proc.Outbound;
import io.xstunt.engine.wire.Ipv6Extension;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A client's side of the IPv6 address extension on its log connection (docs/PROTOCOL.md "IPv6"):
 * registers its own endpoint (the A6 line) with a server that answered the extensions, and keeps
 * the peer records the server sends before announcements until the rendezvous of that session
 * takes them. Sans-IO, on the endpoint's thread.
 */
final class Ipv6Peers {
    /** Peer records kept at most: more than a client has sessions announced and not yet started. */
    static final int MAX_KEPT = 64;

    private final Map<Integer, InetSocketAddress> bySession = new LinkedHashMap<>();
    private InetSocketAddress local;

    /** @param endpoint this client's IPv6 endpoint, or null for none */
    void useLocal(InetSocketAddress endpoint) {
        this.local = endpoint;
    }

    /** @return this client's IPv6 endpoint, or null */
    InetSocketAddress local() {
        return local;
    }

    /**
     * Writes the A6 line on {@code log} if there is a local endpoint and the server answered the
     * extensions (an original server would only log it; it is not sent there at all).
     */
    void register(Outbound log, ServerInfo info) {
        if (local != null && info.extFlags() != 0) {
            log.send(Ipv6Extension.line(local));
        }
    }

    /**
     * Reads a peer record at {@code in}'s position, if there is one.
     *
     * @return true if one was read (and {@code in} advanced past it)
     */
    boolean readPeer(ByteBuffer in, WireVariant variant) {
        if (!Ipv6Extension.at(in)) {
            return false;
        }
        Ipv6Extension.PeerRecord r = Ipv6Extension.read(in, variant);
        if (local != null) { // a record for a client without IPv6 has no use
            if (bySession.size() >= MAX_KEPT) {
                bySession.remove(bySession.keySet().iterator().next()); // the oldest: its session is long gone
            }
            bySession.put(r.session(), r.endpoint());
        }
        return true;
    }

    /** @return the peer's IPv6 endpoint for {@code session} (removed), or null */
    InetSocketAddress takePeer(int session) {
        return bySession.remove(session);
    }
}
