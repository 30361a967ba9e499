package io.xstunt.engine.wire;

import java.nio.charset.StandardCharsets;

/**
 * FAST's four log lines, client to server (docs/PROTOCOL.md "FAST"): each is
 * {@link Protocol#EXT_LINE_MARK}, the tag {@link #TAG} ("F1", FAST version 1), then one of
 * <ul>
 *   <li>{@code " <punch port> <fp>"}: the capability, once, right after registering IDLE with a
 *       server that set {@link Protocol#EXT_FLAG_FAST}, by every extension client (punch port 0:
 *       the fingerprint only, for the registry's record);</li>
 *   <li>{@code "C <listener id> <punch port>"}: a connect request (in place of MSG_CONNECT);</li>
 *   <li>{@code "X <session> <reason>"}: the fail-over, the punch of {@code session} found nothing;</li>
 *   <li>{@code "D <session>"}: the end, the punch of {@code session} won.</li>
 * </ul>
 * and a newline. {@code <fp>} is the fingerprint's class in two parts: {@code P} (port-preserving)
 * or {@code N}, then the increment in decimal ({@code 0} cone, {@code N} delta-N) or {@code R}
 * (random): {@code P0}, {@code N2}, {@code NR}.
 */
public sealed interface FastLine {
    /** The extension's tag after {@link Protocol#EXT_LINE_MARK}. */
    String TAG = "F1";
    /** The longest capability line: {@code 01 "F1 65535 N2147483647\n"}. */
    int CAPABILITY_MAX = 23;

    /**
     * The capability.
     *
     * @param punchPort the local port the client punches from, reserved for its registration; 0: none
     *     (the line says the fingerprint only, for the registry's record: the client gets no go)
     * @param portPreserving its NAT keeps the local port (or it has none)
     * @param increment its fingerprint's increment (0 cone, N delta-N, {@link Protocol#RANDOM_INCREMENT})
     */
    record Capability(int punchPort, boolean portPreserving, int increment) implements FastLine {
        @Override
        public String body() {
            return " " + punchPort + " " + (portPreserving ? 'P' : 'N')
                    + (increment == Protocol.RANDOM_INCREMENT ? "R" : Integer.toString(increment));
        }

        /** @return the capability of a client with fingerprint {@code f} punching from {@code punchPort} */
        public static Capability of(int punchPort, Fingerprint f) {
            return new Capability(punchPort, f.portPreserving(), f.increment());
        }
    }

    /**
     * A connect request.
     *
     * @param listenerId the peer to connect to
     * @param punchPort the initiator's punch port
     */
    record Connect(String listenerId, int punchPort) implements FastLine {
        @Override
        public String body() {
            return "C " + listenerId + " " + punchPort;
        }
    }

    /**
     * The fail-over of a FAST session.
     *
     * @param session the session id of the go
     * @param reason why, for the server's log (one line)
     */
    record FailOver(int session, String reason) implements FastLine {
        @Override
        public String body() {
            return "X " + session + " " + reason.replace('\n', ' ').replace('\r', ' ');
        }
    }

    /**
     * The end of a FAST session: this side's punch won (its direct connection is up). Each side
     * writes it; the server ends the session at the first (docs/PROTOCOL.md "FAST", 9).
     *
     * @param session the session id of the go
     */
    record Done(int session) implements FastLine {
        @Override
        public String body() {
            return "D " + session;
        }
    }

    /** @return what follows the tag */
    String body();

    /** @return the whole line, newline included */
    default byte[] encode() {
        return ((char) Protocol.EXT_LINE_MARK + TAG + body() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses what followed the tag {@link #TAG}.
     *
     * @throws WireFormatException for anything else than the four forms
     */
    static FastLine parse(String body) {
        try {
            if (body.startsWith(" ")) {
                String[] f = body.substring(1).split(" ", -1);
                if (f.length != 2 || f[1].length() < 2 || (f[1].charAt(0) != 'P' && f[1].charAt(0) != 'N')) {
                    throw new WireFormatException("FAST capability not '<port> <fp>': '" + body + "'");
                }
                String inc = f[1].substring(1);
                int punchPort = f[0].equals("0") ? 0 : port(f[0]); // 0: the fingerprint only, no go
                return new Capability(punchPort, f[1].charAt(0) == 'P',
                        inc.equals("R") ? Protocol.RANDOM_INCREMENT : Integer.parseInt(inc));
            }
            if (body.startsWith("C ")) {
                int last = body.lastIndexOf(' ');
                if (last <= 2) {
                    throw new WireFormatException("FAST connect request not 'C <id> <port>': '" + body + "'");
                }
                return new Connect(ClientId.validate(body.substring(2, last)), port(body.substring(last + 1)));
            }
            if (body.startsWith("D ")) {
                return new Done(Integer.parseInt(body.substring(2)));
            }
            if (body.startsWith("X ")) {
                int sp = body.indexOf(' ', 2);
                String session = sp < 0 ? body.substring(2) : body.substring(2, sp);
                return new FailOver(Integer.parseInt(session), sp < 0 ? "" : body.substring(sp + 1));
            }
        } catch (IllegalArgumentException e) { // NumberFormatException, an invalid ID
            throw new WireFormatException("bad FAST line '" + body + "': " + e.getMessage());
        }
        throw new WireFormatException("unknown FAST line '" + body + "'");
    }

    private static int port(String s) {
        int p = Integer.parseInt(s);
        if (p < 1 || p > 0xffff) {
            throw new WireFormatException("port must be 1..65535, got " + p);
        }
        return p;
    }
}
