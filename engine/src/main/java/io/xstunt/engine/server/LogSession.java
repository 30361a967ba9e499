package io.xstunt.engine.server;

import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.LogHello;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireFormatException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The log service's procedure for one connection (the server's half of XInit's registration):
 * greeting {@link LogHello}, ID field, {@link ServerInfo} (empty ID if taken or invalid, then
 * close), {@link LogState}; then PROBE or IDLE, recording the client's text log lines and sending
 * session announcements. Sans-IO: see {@link ConnectionProcedure}.
 */
final class LogSession implements ConnectionProcedure, LogEndpoint {
    /** The procedure's states. */
    enum State {
        /** Greeting sent, waiting for the ID field. */
        AWAIT_ID,
        /** ServerInfo sent, waiting for the state byte and local IP. */
        AWAIT_STATE,
        /** Registered while probing: holds the ID until the client closes (or the probe timeout). */
        PROBE,
        /** Registered and reachable: announcements may be sent. */
        IDLE,
        /** ID refused: the empty ServerInfo is flushed, then the connection closes. */
        REFUSED,
        /** The connection is gone. */
        CLOSED
    }

    /** The inputs of {@link #step}. */
    private enum Event { OPEN, BYTES, TIMEOUT, CLOSED }

    private final ProcedureOutput out = new ProcedureOutput();
    private final Registry registry;
    private final ServerConfig config;
    private final ServerInfo infoTemplate;
    private final int clientIp;
    private final ClientLogSink sink;
    private State state = State.AWAIT_ID;
    private String id;

    /**
     * @param infoTemplate the ServerInfo to send, with the real echo ports (its ID is replaced)
     * @param clientIp the client's public IPv4 as the server sees it
     */
    LogSession(Registry registry, ServerConfig config, ServerInfo infoTemplate, int clientIp, ClientLogSink sink) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.config = Objects.requireNonNull(config, "config");
        this.infoTemplate = Objects.requireNonNull(infoTemplate, "infoTemplate");
        this.clientIp = clientIp;
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** @return the inbound buffer this procedure needs: a whole log line and its newline */
    static int inboundBytes(ServerConfig config) {
        return Math.max(config.maxLogLine() + 1, ServerInfo.SIZE);
    }

    State state() {
        return state;
    }

    /** @return the registered ID, or null before the ID field was accepted */
    String id() {
        return id;
    }

    @Override
    public ProcedureOutput output() {
        return out;
    }

    @Override
    public void onOpen(long nowNs) {
        step(Event.OPEN, null, nowNs);
    }

    @Override
    public void onBytes(ByteBuffer in, long nowNs) {
        step(Event.BYTES, in, nowNs);
    }

    @Override
    public void onTimeout(long nowNs) {
        if (out.expired(nowNs)) {
            step(Event.TIMEOUT, null, nowNs);
        }
    }

    @Override
    public void onClosed(long nowNs) {
        step(Event.CLOSED, null, nowNs);
    }

    /** Every transition of the procedure. */
    private void step(Event e, ByteBuffer in, long nowNs) {
        if (e == Event.CLOSED) {
            if (id != null && state != State.REFUSED) {
                registry.release(id, this);
            }
            state = State.CLOSED;
            out.clearDeadline();
            return;
        }
        switch (state) {
            case AWAIT_ID -> {
                if (e == Event.OPEN) {
                    ByteBuffer b = ByteBuffer.allocate(LogHello.SIZE);
                    new LogHello(config.requiredBuild(), config.serverVersion(), clientIp).write(b);
                    out.send(b.flip());
                    out.deadline(nowNs + config.handshakeTimeout().toNanos());
                } else if (e == Event.TIMEOUT) {
                    timeout("no ID field");
                } else if (in.remaining() >= Protocol.ID_FIELD_LEN) {
                    readId(in);
                    step(Event.BYTES, in, nowNs);
                }
            }
            case AWAIT_STATE -> {
                if (e == Event.TIMEOUT) {
                    timeout("no registration state");
                } else if (e == Event.BYTES && in.remaining() >= LogState.SIZE) {
                    LogState ls;
                    try {
                        ls = LogState.read(in);
                    } catch (WireFormatException ex) {
                        refuseNow(Rejection.BAD_BYTES, ex.getMessage());
                        return;
                    }
                    registry.reportState(id, this, ls.state(), ls.localIp());
                    if (ls.state() == Protocol.CSTATE_PROBE) {
                        state = State.PROBE;
                        out.deadline(nowNs + config.probeTimeout().toNanos());
                    } else {
                        state = State.IDLE;
                        out.clearDeadline();
                    }
                    step(Event.BYTES, in, nowNs);
                }
            }
            case PROBE, IDLE -> {
                if (e == Event.TIMEOUT) {
                    out.reject(Rejection.PROBE_TIMEOUT, "PROBE registration of " + id + " held longer than "
                            + config.probeTimeout());
                    out.closeNow();
                } else if (e == Event.BYTES) {
                    readLines(in);
                }
            }
            case REFUSED -> {
                if (e == Event.TIMEOUT) {
                    out.closeNow();
                } else if (e == Event.BYTES) {
                    in.position(in.limit()); // a refused client's bytes are of no interest
                }
            }
            case CLOSED -> {
                if (in != null) {
                    in.position(in.limit());
                }
            }
        }
    }

    private void readId(ByteBuffer in) {
        String claimed;
        try {
            claimed = ClientId.read(in);
            if (claimed.isEmpty()) {
                throw new WireFormatException("empty ID");
            }
            ClientId.validate(claimed);
        } catch (WireFormatException | IllegalArgumentException ex) {
            refuse(Rejection.INVALID_ID, "invalid ID field: " + ex.getMessage());
            return;
        }
        Registry.ClaimOutcome outcome = registry.claim(claimed, clientIp, this);
        if (outcome == Registry.ClaimOutcome.DUPLICATE) {
            refuse(Rejection.DUPLICATE_ID, "ID " + claimed + " is registered by another client");
            return;
        }
        id = claimed;
        sendInfo(claimed);
        state = State.AWAIT_STATE;
    }

    /** Answers an empty ServerInfo (ERR_DUPLICATE_ID at the client) and closes after it. */
    private void refuse(Rejection why, String detail) {
        out.reject(why, detail);
        sendInfo("");
        out.closeAfterFlush();
        state = State.REFUSED;
    }

    private void sendInfo(String acceptedId) {
        ByteBuffer b = ByteBuffer.allocate(ServerInfo.SIZE);
        new ServerInfo(acceptedId, infoTemplate.ip1(), infoTemplate.ip2(), infoTemplate.echoPort1(),
                infoTemplate.echoPort2()).write(b);
        out.send(b.flip());
    }

    private void refuseNow(Rejection why, String detail) {
        out.reject(why, detail);
        out.closeNow();
    }

    private void timeout(String missing) {
        refuseNow(Rejection.HANDSHAKE_TIMEOUT, missing + " within " + config.handshakeTimeout());
    }

    private void readLines(ByteBuffer in) {
        while (in.hasRemaining()) {
            int start = in.position();
            int nl = -1;
            for (int i = start; i < in.limit(); i++) {
                if (in.get(i) == '\n') {
                    nl = i;
                    break;
                }
            }
            int len = (nl < 0 ? in.limit() : nl) - start;
            if (len > config.maxLogLine()) {
                refuseNow(Rejection.OVERSIZE, "log line of " + id + " longer than " + config.maxLogLine() + " bytes");
                in.position(in.limit());
                return;
            }
            if (nl < 0) {
                return; // a partial line waits for its newline
            }
            int end = nl > start && in.get(nl - 1) == '\r' ? nl - 1 : nl;
            sink.line(id, printable(in, start, end));
            in.position(nl + 1);
        }
    }

    /** Decodes a line as UTF-8 (malformed bytes replaced) with control characters as '?'. */
    private static String printable(ByteBuffer in, int start, int end) {
        String s = StandardCharsets.UTF_8.decode(in.slice(start, end - start)).toString();
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                if (b == null) {
                    b = new StringBuilder(s);
                }
                b.setCharAt(i, '?');
            }
        }
        return b == null ? s : b.toString();
    }

    /** Queues a session announcement; only an IDLE registration gets one. */
    @Override
    public void announce(Echo announcement) {
        if (state != State.IDLE) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(Echo.SIZE);
        announcement.write(b);
        out.send(b.flip());
        out.wake();
    }

    @Override
    public void disconnect() {
        if (state != State.CLOSED) {
            out.closeNow();
            out.wake();
        }
    }
}
