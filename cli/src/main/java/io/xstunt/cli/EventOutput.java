package io.xstunt.cli;

import io.xstunt.api.XstuntClient;
import io.xstunt.api.ErrorCode;
import io.xstunt.api.XstuntException;
import io.xstunt.api.XstuntConnection;
import io.xstunt.api.RelayEnd;
import io.xstunt.api.SessionReport;
import io.xstunt.api.NatFingerprint;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * What the CLI reports: with {@code --json} one JSON object per line per event on stdout
 * (registered, fingerprint, connected, data, transfer, relayEnded, directOffer, error, server,
 * session), otherwise lines for people
 * (errors on stderr). Safe from several threads: a line is printed whole.
 */
public final class EventOutput {
    private final boolean json;
    private final PrintStream out;
    private final PrintStream err;

    /**
     * @param json one JSON object per line instead of text
     * @param out program output
     * @param err errors in text mode
     */
    public EventOutput(boolean json, PrintStream out, PrintStream err) {
        this.json = json;
        this.out = out;
        this.err = err;
    }

    /** @return true in {@code --json} mode */
    public boolean json() {
        return json;
    }

    /** A client registered (XInit succeeded). */
    public void registered(XstuntClient s) {
        NatFingerprint f = s.fingerprint();
        if (json) {
            emit(Json.object().put("event", "registered").put("id", s.id())
                    .put("publicIp", s.publicAddress().getHostAddress())
                    .put("fingerprint", f.description()).put("cached", s.fingerprintCached())
                    .put("probe", probe(s)).put("phases", phasesMs(s.registrationPhases())));
        } else {
            line("registered '" + s.id() + "' as " + s.publicAddress().getHostAddress() + ", "
                    + f.description() + (s.fingerprintCached() ? " (from fingerprint file)" : " (probed)")
                    + ", " + phasesText(s.registrationPhases()));
        }
    }

    /** The NAT fingerprint (XGenFingerprint's text): for {@code probe}. */
    public void fingerprint(XstuntClient s) {
        NatFingerprint f = s.fingerprint();
        if (json) {
            emit(Json.object().put("event", "fingerprint").put("id", s.id())
                    .put("publicIp", s.publicAddress().getHostAddress())
                    .put("fingerprint", f.description()).put("portPreserving", f.portPreserving())
                    .put("increment", f.increment()).put("cached", s.fingerprintCached())
                    .put("probe", probe(s)));
        } else {
            line(f.description());
        }
    }

    /** What the NAT probe saw ({@code null} when the fingerprint came from the file): its local port and each echo's answer. */
    private static Json probe(XstuntClient s) {
        return s.natProbe().map(p -> Json.object().put("localPort", p.localPort())
                .put("seen", p.publicAddresses().stream()
                        .map(a -> a.getAddress().getHostAddress() + ":" + a.getPort()).toList()))
                .orElse(null);
    }

    /** A direct connection came up (XConnect or XListen succeeded). */
    public void connected(String id, XstuntConnection r, Duration total) throws java.io.IOException {
        InetSocketAddress local = (InetSocketAddress) r.channel().getLocalAddress();
        if (json) {
            Json j = Json.object().put("event", "connected").put("id", id).put("peer", r.peerId())
                    .put("role", r.initiator() ? "connect" : "listen")
                    .put("local", address(local)).put("remote", address(r.peerAddress()))
                    .put("path", r.path().name().toLowerCase(java.util.Locale.ROOT))
                    .put("family", r.family() == java.net.StandardProtocolFamily.INET6 ? "ipv6" : "ipv4");
            if (r.relayReason() != null) {
                j.put("relayReason", r.relayReason());
            }
            emit(j.put("phases", phasesMs(r.phases())).put("totalMs", ms(total)));
        } else {
            line("connected '" + id + "' " + address(local) + " <-> '" + r.peerId() + "' "
                    + address(r.peerAddress()) + (r.relayReason() == null ? "" : ", relayed by the server ("
                    + r.relayReason() + ")") + (r.family() == java.net.StandardProtocolFamily.INET6 ? " over IPv6" : "")
                    + " in " + ms(total) + " ms (" + phasesText(r.phases()) + ")");
        }
    }

    /**
     * A plain TCP connection in the LAN came up: the fallback after ERR_SAME_NAT ({@code role}
     * "connect") or one accepted on {@code listen --lan-port} ({@code role} "listen"; peer unknown).
     */
    public void connectedLan(String id, String peer, String role, InetSocketAddress local, InetSocketAddress remote,
                             Duration total) {
        if (json) {
            emit(Json.object().put("event", "connected").put("id", id).put("peer", peer).put("role", role)
                    .put("local", address(local)).put("remote", address(remote)).put("path", "lan")
                    .put("totalMs", ms(total)).put("via", "lan"));
        } else {
            line("connected '" + id + "' " + address(local) + " <-> " + (peer == null ? "" : "'" + peer + "' ")
                    + address(remote) + " in the LAN in " + ms(total) + " ms");
        }
    }

    /**
     * A rendezvous session ended on the server: the control bytes it relayed from each side (the
     * data of a direct connection never passes the server), why it ended, and what the server
     * still holds.
     */
    public void session(SessionReport s, int sessionsInFlight, int registered) {
        if (json) {
            emit(Json.object().put("event", "session").put("session", s.sessionId())
                    .put("initiator", s.initiatorId()).put("listener", s.listenerId())
                    .put("relayedBytes", Json.object().put("fromInitiator", s.bytesFromInitiator())
                            .put("fromListener", s.bytesFromListener()))
                    .put("reason", s.endReason()).put("path", s.path())
                    .put("relayedData", Json.object().put("fromInitiator", s.relayedFromInitiator())
                            .put("fromListener", s.relayedFromListener()))
                    .put("strategy", s.strategy()).put("phases", phasesMs(s.phases()))
                    .put("sessionsInFlight", sessionsInFlight)
                    .put("registered", registered));
        } else {
            line("session " + s.sessionId() + " '" + s.initiatorId() + "' -> '" + s.listenerId() + "' ended ("
                    + s.endReason() + "), relayed " + s.bytesFromInitiator() + " + " + s.bytesFromListener()
                    + " control bytes");
        }
    }

    /**
     * A bulk transfer ended ({@code connect --send-bytes}, {@code listen --sha256}): bytes and
     * SHA-256 of each direction as this end saw them, whether it ran to its end, its rate;
     * {@code r} null for a LAN connection.
     */
    void transfer(String id, String peer, XstuntConnection r, BulkTransfer.Outcome t, boolean complete) {
        String path = r == null ? "lan" : r.path().name().toLowerCase(java.util.Locale.ROOT);
        double s = t.took().toNanos() / 1e9;
        double mib = Math.max(t.sent().bytes(), t.received().bytes()) / (double) (1 << 20);
        double rate = s > 0 ? Math.round(mib / s * 10) / 10.0 : 0;
        if (json) {
            Json j = Json.object().put("event", "transfer").put("id", id).put("peer", peer).put("path", path)
                    .put("sent", Json.object().put("bytes", t.sent().bytes()).put("sha256", t.sent().sha256()))
                    .put("received", Json.object().put("bytes", t.received().bytes())
                            .put("sha256", t.received().sha256()))
                    .put("complete", complete).put("ms", ms(t.took())).put("mibPerS", rate);
            if (t.failure() != null) {
                j.put("failure", String.valueOf(t.failure()));
            }
            emit(j);
        } else {
            line("transfer with '" + peer + "': sent " + t.sent().bytes() + " B (sha256 " + t.sent().sha256()
                    + "), received " + t.received().bytes() + " B (sha256 " + t.received().sha256() + ") in "
                    + ms(t.took()) + " ms, " + rate + " MiB/s" + (complete ? "" : ", INCOMPLETE")
                    + (t.failure() == null ? "" : ": " + t.failure()));
        }
    }

    /** A relayed connection ended, with the reason the server gave this side (a limit, a close). */
    public void relayEnded(String id, String peer, RelayEnd end) {
        if (json) {
            emit(Json.object().put("event", "relayEnded").put("id", id).put("peer", peer)
                    .put("reason", end.reason().name()).put("bytesSent", end.bytesSent())
                    .put("bytesReceived", end.bytesReceived()));
        } else {
            line("relay to '" + peer + "' ended: " + end.reason() + " (" + end.bytesSent() + " B sent, "
                    + end.bytesReceived() + " B received)");
        }
    }

    /**
     * The way back to direct: a direct connection to the peer of a relayed one was offered
     * ({@code direct} non-null, {@code after} since the relayed connection came up), or none was
     * within {@code after}.
     */
    public void directOffer(String id, XstuntConnection relayed, XstuntConnection direct, Duration after)
            throws java.io.IOException {
        if (json) {
            Json j = Json.object().put("event", "directOffer").put("id", id).put("peer", relayed.peerId())
                    .put("role", relayed.initiator() ? "connect" : "listen").put("offered", direct != null);
            if (direct != null) {
                j.put("local", address((InetSocketAddress) direct.channel().getLocalAddress()))
                        .put("remote", address(direct.peerAddress()))
                        .put("path", direct.path().name().toLowerCase(java.util.Locale.ROOT));
            }
            emit(j.put("afterMs", ms(after)));
        } else if (direct != null) {
            line("direct connection to '" + relayed.peerId() + "' offered " + ms(after) + " ms after the relayed one: "
                    + address(direct.peerAddress()));
        } else {
            line("no direct connection to '" + relayed.peerId() + "' offered within " + ms(after) + " ms: staying"
                    + " relayed");
        }
    }

    /** Bytes went over a direct connection ({@code direction}: "sent" or "received"). */
    public void data(String id, String peer, String direction, String text, int bytes) {
        if (json) {
            emit(Json.object().put("event", "data").put("id", id).put("peer", peer)
                    .put("direction", direction).put("bytes", bytes).put("text", text));
        } else {
            line(("sent".equals(direction) ? "> " : "< ") + text);
        }
    }

    /** A STUNT server is serving. */
    public void server(Map<String, Object> fields) {
        if (json) {
            Json j = Json.object().put("event", "server");
            fields.forEach(j::put);
            emit(j);
        } else {
            StringJoiner sj = new StringJoiner(", ", "server up: ", "");
            fields.forEach((k, v) -> sj.add(k + " " + v));
            line(sj.toString());
        }
    }

    /** An XSTUNT failure: code name, value, detail ({@code pnErrCode}) and message. */
    public void error(XstuntException e) {
        if (json) {
            Json j = Json.object().put("event", "error").put("code", e.code().name())
                    .put("value", e.code().value()).put("detail", e.detail()).put("message", reason(e));
            if (e.code() == ErrorCode.ERR_SAME_NAT) {
                j.put("peerLocalAddress", e.peerLocalAddress().getHostAddress());
            }
            if (e.asymmetricCause() != null) {
                j.put("cause", e.asymmetricCause().name()); // the asymmetric phase's failing step: the detail
            }
            emit(j);
        } else {
            String more = e.code() == ErrorCode.ERR_SAME_NAT
                    ? " (the peer's LAN address is " + e.peerLocalAddress().getHostAddress() + "; connect to it directly)"
                    : "";
            err.println("error: " + e.getMessage() + more);
            err.flush();
        }
    }

    /** @return the exception's message without the "ERR_X (value): " prefix the code already gives */
    static String reason(XstuntException e) {
        String prefix = e.code().name() + " (" + e.code().value() + "): ";
        String m = String.valueOf(e.getMessage());
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    /** A failure that is not an XSTUNT error code (I/O on the direct connection, for one). */
    public void failure(String what, Exception e) {
        if (json) {
            emit(Json.object().put("event", "error").put("code", ErrorCode.ERR_FAIL.name())
                    .put("value", ErrorCode.ERR_FAIL.value()).put("detail", 0).put("message", what + ": " + e));
        } else {
            err.println("error: " + what + ": " + e);
            err.flush();
        }
    }

    /** A line for people; nothing in {@code --json} mode. */
    public void info(String text) {
        if (!json) {
            line(text);
        }
    }

    private void emit(Json j) {
        line(j.toString());
    }

    private void line(String s) {
        out.println(s); // PrintStream.println writes the line and its end under one lock
        out.flush();
    }

    /** @return milliseconds with two decimals */
    public static double ms(Duration d) {
        return Math.round(d.toNanos() / 10_000.0) / 100.0;
    }

    /** @return each phase's duration in ms, in order */
    public static Map<String, Object> phasesMs(Map<String, Duration> phases) {
        Map<String, Object> m = new LinkedHashMap<>();
        phases.forEach((k, v) -> m.put(k, ms(v)));
        return m;
    }

    /** @return "name 1.23 ms, name 4.56 ms" */
    public static String phasesText(Map<String, Duration> phases) {
        StringJoiner sj = new StringJoiner(", ");
        phases.forEach((k, v) -> sj.add(k + " " + ms(v) + " ms"));
        return sj.toString();
    }

    /** @return "ip:port" */
    public static String address(InetSocketAddress a) {
        return a == null ? "?" : a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
