package io.xstunt.engine.wire;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The IPv6 address extension (docs/PROTOCOL.md "IPv6"): how an extension client tells its server
 * the global IPv6 endpoint it will open from, and how the server tells each peer of a session the
 * other's. XSTUNT 1.0's structs carry IPv4 only and stay as they are; an original peer never sees
 * either form.
 *
 * <p><b>Registration</b> (client → server, a log line after LogState(IDLE)):
 * {@code \x01A6 <IPv6 literal> <port>\n}: the byte 0x01 that no printable log line starts with,
 * the two-character tag {@link #TAG}, a space, the address in RFC 5952 text, a space, the port in
 * decimal. A server that does not know the tag (an older xstunt server, the original) records it
 * as a log line; nothing else happens.
 *
 * <p><b>Peer record</b> (server → client, on the log connection, right before the announcement it
 * belongs to): an Echo-sized record of the client's {@link WireVariant} (56 bytes, 52 in
 * {@link WireVariant#ID31}) whose fields lie in the first 32 bytes: 0..5 zero ({@code nIP},
 * {@code wPort}); 6..7 {@link #MARKER} ("A6", in {@code wPadding}); 8..11 the session id (INT32,
 * the announcement's {@code nConnID}); 12..13 the peer's IPv6 port (INT16); 14..15 zero;
 * 16..31 the peer's IPv6 address (16 bytes, network order); the rest zero (the role byte too), so
 * a client that does not know it takes it for a keepalive.
 */
public final class Ipv6Extension {
    /** The registration line's tag. */
    public static final String TAG = "A6";
    /** The peer record's marker in {@code wPadding}: "A6". */
    public static final int MARKER = 0x4136;
    /** Where the peer record's fields lie (the first 32 bytes, which both variants' Echo have). */
    private static final int OFF_SESSION = 8;
    private static final int OFF_PORT = 12;
    private static final int OFF_ADDRESS = 16;
    private static final int ADDRESS_BYTES = 16;

    private Ipv6Extension() {
    }

    /** A peer's IPv6 endpoint for session {@code session}. */
    public record PeerRecord(int session, InetSocketAddress endpoint) {
    }

    /** @return the registration line for {@code endpoint}, newline included */
    public static ByteBuffer line(InetSocketAddress endpoint) {
        String text = (char) Protocol.EXT_LINE_MARK + TAG + " " + text(endpoint) + "\n";
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * @return {@code endpoint} as the registration line's arguments write it, {@code "<literal> <port>"}:
     *     the form a shared registry stores too, read back by {@link #parseLine}
     */
    public static String text(InetSocketAddress endpoint) {
        checkEndpoint(endpoint);
        return literal(endpoint.getAddress()) + " " + endpoint.getPort();
    }

    /**
     * Reads a registration line's arguments (what follows {@code "\x01A6 "}).
     *
     * @throws WireFormatException if they are not an IPv6 literal and a port 1..65535
     */
    public static InetSocketAddress parseLine(String arguments) {
        String[] parts = arguments.trim().split(" ");
        if (parts.length != 2) {
            throw new WireFormatException("A6 line: expected '<IPv6 literal> <port>', got '" + arguments + "'");
        }
        InetAddress a = parseLiteral(parts[0]);
        int port;
        try {
            port = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new WireFormatException("A6 line: port '" + parts[1] + "' is not a number");
        }
        if (port < 1 || port > 65535) {
            throw new WireFormatException("A6 line: port " + port + " is outside 1..65535");
        }
        return new InetSocketAddress(a, port);
    }

    /**
     * @return the IPv6 address written as {@code text} (no brackets, no zone, no host name: only a
     *     literal, so nothing is resolved)
     * @throws WireFormatException if it is not an IPv6 literal
     */
    public static Inet6Address parseLiteral(String text) {
        if (text.isEmpty() || text.indexOf(':') < 0 || text.indexOf('%') >= 0 || !text.matches("[0-9A-Fa-f:.]+")) {
            throw new WireFormatException("not an IPv6 literal: '" + text + "'");
        }
        try {
            if (InetAddress.getByName(text) instanceof Inet6Address a) {
                return a;
            }
        } catch (UnknownHostException e) {
            // the message below says what was wrong
        }
        throw new WireFormatException("not an IPv6 literal: '" + text + "'");
    }

    /** @return true if the record at {@code src}'s position (at least an Echo's bytes) is a peer record */
    public static boolean at(ByteBuffer src) {
        return RelayFrame.markedRecord(src, MARKER);
    }

    /** Reads the peer record (an Echo of {@code variant}) at {@code src}'s position and advances past it. */
    public static PeerRecord read(ByteBuffer src, WireVariant variant) {
        ByteBuffer b = src.slice(src.position(), variant.echoSize()).order(ByteOrder.BIG_ENDIAN);
        byte[] address = new byte[ADDRESS_BYTES];
        b.get(OFF_ADDRESS, address);
        int port = b.getShort(OFF_PORT) & 0xffff;
        src.position(src.position() + variant.echoSize());
        try {
            return new PeerRecord(b.getInt(OFF_SESSION), new InetSocketAddress(InetAddress.getByAddress(address), port));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("16 bytes are always an IPv6 address", e);
        }
    }

    /** @return the peer record of {@code endpoint} for {@code session}, in {@code variant}'s size, ready to send */
    public static ByteBuffer record(int session, InetSocketAddress endpoint, WireVariant variant) {
        checkEndpoint(endpoint);
        ByteBuffer b = ByteBuffer.allocate(variant.echoSize()).order(ByteOrder.BIG_ENDIAN);
        RelayFrame.writeAnnouncementFlags(b, 0, MARKER);
        b.putInt(OFF_SESSION, session).putShort(OFF_PORT, (short) endpoint.getPort());
        b.put(OFF_ADDRESS, endpoint.getAddress().getAddress());
        return b;
    }

    /** @return {@code a} in RFC 5952 text (compressed, lower case, no zone) */
    public static String literal(InetAddress a) {
        byte[] bytes = a.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1; // a single zero group is not compressed (RFC 5952 4.2.2)
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append(i == 0 ? "::" : ":");
                i += bestLen - 1;
                continue;
            }
            s.append(Integer.toHexString(groups[i]));
            if (i < 7) {
                s.append(':');
            }
        }
        return s.toString();
    }

    private static void checkEndpoint(InetSocketAddress endpoint) {
        if (!(endpoint.getAddress() instanceof Inet6Address) || endpoint.getPort() == 0) {
            throw new IllegalArgumentException("not an IPv6 endpoint with a port: " + endpoint);
        }
    }
}
