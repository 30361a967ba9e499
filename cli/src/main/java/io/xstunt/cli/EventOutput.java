package io.xstunt.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.JSONComposer;
import com.fasterxml.jackson.jr.ob.comp.ObjectComposer;
import io.xstunt.api.XstuntSession;
import io.xstunt.engine.ErrorCode;
import io.xstunt.engine.XstuntException;
import io.xstunt.engine.client.Rendezvous;
import io.xstunt.engine.server.SessionSummary;
import io.xstunt.engine.wire.Fingerprint;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * What the CLI reports: with {@code --json} one JSON object per line per event on stdout
 * (registered, fingerprint, connected, data, error, server, session), otherwise lines for people
 * (errors on stderr). Safe from several threads: a line is printed whole. The JSON is written by
 * jackson-jr; milliseconds are numbers with at most two decimals and no trailing zeros.
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
    public void registered(XstuntSession s) {
        Fingerprint f = s.fingerprint();
        if (json) {
            emit("registered", e -> e.put("id", s.id())
                    .put("publicIp", s.publicAddress().getHostAddress())
                    .put("fingerprint", f.describe()).put("cached", s.fingerprintCached())
                    .putObject("phases", phasesMs(s.registrationPhases())));
        } else {
            line("registered '" + s.id() + "' as " + s.publicAddress().getHostAddress() + ", "
                    + f.describe() + (s.fingerprintCached() ? " (from fingerprint file)" : " (probed)")
                    + ", " + phasesText(s.registrationPhases()));
        }
    }

    /** The NAT fingerprint (XGenFingerprint's text): for {@code probe}. */
    public void fingerprint(XstuntSession s) {
        Fingerprint f = s.fingerprint();
        if (json) {
            emit("fingerprint", e -> e.put("id", s.id())
                    .put("publicIp", s.publicAddress().getHostAddress())
                    .put("fingerprint", f.describe()).put("portPreserving", f.portPreserving())
                    .put("increment", f.increment()).put("cached", s.fingerprintCached()));
        } else {
            line(f.describe());
        }
    }

    /** A direct connection came up (XConnect or XListen succeeded). */
    public void connected(String id, Rendezvous r, Duration total) throws java.io.IOException {
        InetSocketAddress local = (InetSocketAddress) r.channel().getLocalAddress();
        if (json) {
            emit("connected", e -> e.put("id", id).put("peer", r.peerId())
                    .put("role", r.initiator() ? "connect" : "listen")
                    .put("local", address(local)).put("remote", address(r.peerAddress()))
                    .putObject("phases", phasesMs(r.phases())).putObject("totalMs", jsonMs(total)));
        } else {
            line("connected '" + id + "' " + address(local) + " <-> '" + r.peerId() + "' "
                    + address(r.peerAddress()) + " in " + ms(total) + " ms (" + phasesText(r.phases()) + ")");
        }
    }

    /**
     * A plain TCP connection in the LAN came up: the fallback after ERR_SAME_NAT ({@code role}
     * "connect") or one accepted on {@code listen --lan-port} ({@code role} "listen"; peer unknown).
     */
    public void connectedLan(String id, String peer, String role, InetSocketAddress local, InetSocketAddress remote,
                             Duration total) {
        if (json) {
            emit("connected", e -> e.put("id", id).put("peer", peer).put("role", role)
                    .put("local", address(local)).put("remote", address(remote)).putObject("totalMs", jsonMs(total))
                    .put("via", "lan"));
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
    public void session(SessionSummary s, int sessionsInFlight, int registered) {
        if (json) {
            emit("session", e -> e.put("session", s.sessionId())
                    .put("initiator", s.initiatorId()).put("listener", s.listenerId())
                    .startObjectField("relayedBytes").put("fromInitiator", s.bytesFromInitiator())
                            .put("fromListener", s.bytesFromListener()).end()
                    .put("reason", s.endReason()).put("sessionsInFlight", sessionsInFlight)
                    .put("registered", registered));
        } else {
            line("session " + s.sessionId() + " '" + s.initiatorId() + "' -> '" + s.listenerId() + "' ended ("
                    + s.endReason() + "), relayed " + s.bytesFromInitiator() + " + " + s.bytesFromListener()
                    + " control bytes");
        }
    }

    /** Bytes went over a direct connection ({@code direction}: "sent" or "received"). */
    public void data(String id, String peer, String direction, String text, int bytes) {
        if (json) {
            emit("data", e -> e.put("id", id).put("peer", peer)
                    .put("direction", direction).put("bytes", bytes).put("text", text));
        } else {
            line(("sent".equals(direction) ? "> " : "< ") + text);
        }
    }

    /** A STUNT server is serving. */
    public void server(Map<String, Object> fields) {
        if (json) {
            emit("server", e -> {
                for (Map.Entry<String, Object> f : fields.entrySet()) {
                    e.putObject(f.getKey(), f.getValue());
                }
            });
        } else {
            StringJoiner sj = new StringJoiner(", ", "server up: ", "");
            fields.forEach((k, v) -> sj.add(k + " " + v));
            line(sj.toString());
        }
    }

    /** An XSTUNT failure: code name, value, detail ({@code pnErrCode}) and message. */
    public void error(XstuntException e) {
        if (json) {
            emit("error", j -> {
                j.put("code", e.code().name()).put("value", e.code().value()).put("detail", e.detail())
                        .put("message", reason(e));
                if (e.code() == ErrorCode.ERR_SAME_NAT) {
                    j.put("peerLocalAddress", e.peerLocalAddress().getHostAddress());
                }
            });
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
            emit("error", j -> j.put("code", ErrorCode.ERR_FAIL.name())
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

    /** The fields of one JSON event after its "event" name, written in order. */
    @FunctionalInterface
    private interface Fields {
        void write(ObjectComposer<JSONComposer<String>> event) throws IOException;
    }

    /** Writes one event as a line of JSON: {"event":name, fields...}. */
    private void emit(String name, Fields fields) {
        String text;
        try {
            ObjectComposer<JSONComposer<String>> event = JsonLines.WRITER.composeString().startObject().put("event", name);
            fields.write(event);
            text = event.end().finish();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to a string", e); // a string does not fail to grow
        }
        line(text);
    }

    /** The JSON writer, made on first use: text mode does not load it. */
    private static final class JsonLines {
        /** Plain BigDecimals (12.5, not 1.25E+1) so that milliseconds read as written; null fields kept. */
        static final JSON WRITER = JSON.builder(JsonFactory.builder()
                        .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build())
                .enable(JSON.Feature.WRITE_NULL_PROPERTIES)
                .build();
    }

    private void line(String s) {
        out.println(s); // PrintStream.println writes the line and its end under one lock
        out.flush();
    }

    /** @return milliseconds with two decimals */
    public static double ms(Duration d) {
        return Math.round(d.toNanos() / 10_000.0) / 100.0;
    }

    /** @return {@link #ms} as JSON writes it: 12.5, 12 (not 12.0), 0.07 */
    static BigDecimal jsonMs(Duration d) {
        return BigDecimal.valueOf(ms(d)).stripTrailingZeros();
    }

    /** @return each phase's duration in ms ({@link #jsonMs}), in order */
    static Map<String, BigDecimal> phasesMs(Map<String, Duration> phases) {
        Map<String, BigDecimal> m = new LinkedHashMap<>();
        phases.forEach((k, v) -> m.put(k, jsonMs(v)));
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
