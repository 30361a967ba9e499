package io.xstunt.registry.redis;

import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv6Extension;
import io.xstunt.engine.wire.RelayNotice;
import java.net.InetSocketAddress;

/**
 * A message from one server to another through the shared registry's pub/sub channel of the
 * receiving server: what the registry's effects ask of a connection that another server holds.
 * Text, fields separated by {@link #SEP}; a client ID, which may hold any character, comes last.
 */
sealed interface ServerMessage {
    char SEP = '\u001f';

    /**
     * Write {@code echo} on registration {@code registration}'s log connection; {@code sessionServer}
     * runs it. With the announced peer's IPv6 endpoint ({@code peerIpv6}, null if none) the message is
     * of its own kind ({@code A6}), so that a server of an earlier version reads every announcement
     * without one as before.
     */
    record Announce(long registration, Echo echo, int relayFlags, String sessionServer, InetSocketAddress peerIpv6)
            implements ServerMessage {
        /** An announcement without the peer's IPv6 endpoint. */
        Announce(long registration, Echo echo, int relayFlags, String sessionServer) {
            this(registration, echo, relayFlags, sessionServer, null);
        }
    }

    /** Close registration {@code registration}'s log connection (its ID was deregistered or taken over). */
    record Disconnect(long registration, String reason) implements ServerMessage {
    }

    /** End session {@code session} of the receiving server (one of its clients left). */
    record Abort(int session, String reason) implements ServerMessage {
    }

    /** Write a relay's end notice on registration {@code registration}'s log connection. */
    record Notice(long registration, RelayNotice notice) implements ServerMessage {
    }

    /** @return the message as sent */
    static String encode(ServerMessage m) {
        return switch (m) {
            case Announce a when a.peerIpv6 != null -> join("A6", a.registration, a.echo.ip(), a.echo.port(),
                    a.echo.connId(), a.echo.peerIp(), a.echo.role(), a.relayFlags, a.sessionServer,
                    Ipv6Extension.text(a.peerIpv6), a.echo.peerId());
            case Announce a -> join("A", a.registration, a.echo.ip(), a.echo.port(), a.echo.connId(),
                    a.echo.peerIp(), a.echo.role(), a.relayFlags, a.sessionServer, a.echo.peerId());
            case Disconnect d -> join("D", d.registration, d.reason);
            case Abort a -> join("S", a.session, a.reason);
            case Notice n -> join("N", n.registration, n.notice.session(), n.notice.end().ordinal(),
                    n.notice.bytesSent(), n.notice.bytesReceived());
        };
    }

    /**
     * @return the message {@code text} holds
     * @throws IllegalArgumentException if it is not one (another version's, or garbage)
     */
    static ServerMessage decode(String text) {
        String[] f = text.split(String.valueOf(SEP), -1);
        try {
            return switch (f[0]) {
                case "A", "A6" -> {
                    // the peer ID is the rest: it may contain the separator
                    boolean withIpv6 = f[0].equals("A6");
                    String[] g = text.split(String.valueOf(SEP), withIpv6 ? 11 : 10);
                    yield new Announce(Long.parseLong(g[1]), new Echo(Integer.parseInt(g[2]), Integer.parseInt(g[3]),
                            Integer.parseInt(g[4]), g[g.length - 1], Integer.parseInt(g[5]), Byte.parseByte(g[6])),
                            Integer.parseInt(g[7]), g[8], withIpv6 ? Ipv6Extension.parseLine(g[9]) : null);
                }
                case "D" -> new Disconnect(Long.parseLong(f[1]), text.substring(text.indexOf(SEP, 2) + 1));
                case "S" -> new Abort(Integer.parseInt(f[1]), text.substring(text.indexOf(SEP, 2) + 1));
                case "N" -> new Notice(Long.parseLong(f[1]), new RelayNotice(Integer.parseInt(f[2]),
                        RelayNotice.End.of(Integer.parseInt(f[3])), Long.parseLong(f[4]), Long.parseLong(f[5])));
                default -> throw new IllegalArgumentException("unknown message kind " + f[0]);
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a server message: " + text.replace(SEP, '|') + " (" + e + ")", e);
        }
    }

    private static String join(String kind, Object... fields) {
        StringBuilder b = new StringBuilder(kind);
        for (Object o : fields) {
            b.append(SEP).append(o);
        }
        return b.toString();
    }
}
