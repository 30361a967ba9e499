package io.xstunt.engine.server;

import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.LogHello;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RegistrationProof;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireFormatException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The log service's procedure for one connection (the server's half of XInit's registration):
 * greeting {@link LogHello}, ID field, {@link ServerInfo} (empty ID if taken or invalid, then
 * close), {@link LogState}; then PROBE or IDLE, recording the client's text log lines and sending
 * session announcements. A client that asked for the extensions gets one all-zero record as soon
 * as its IDLE state is applied ({@link Protocol#EXT_FLAG_REG_ACK}). Sans-IO: see
 * {@link ConnectionProcedure}.
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
    private final LongSupplier tokens;
    private State state = State.AWAIT_ID;
    private String id;
    /** The ID waiting for its proof (shared secret on): claimed only once proven. */
    private String provenId;
    /** Whether the client asked for the xstunt extensions (token, keepalive, proof). */
    private boolean extended;
    private long token;
    private long idleNs;
    private long idleExpiryNs;
    /** Interval of the server's own keepalive records to an extension client, 0 for none. */
    private long beatNs;
    private long nextBeatNs;

    /**
     * @param infoTemplate the ServerInfo to send, with the real echo ports (its ID is replaced)
     * @param clientIp the client's public IPv4 as the server sees it
     */
    LogSession(Registry registry, ServerConfig config, ServerInfo infoTemplate, int clientIp, ClientLogSink sink) {
        this(registry, config, infoTemplate, clientIp, sink, HolderTokens.secure());
    }

    /** @param tokens where holder tokens come from (never 0) */
    LogSession(Registry registry, ServerConfig config, ServerInfo infoTemplate, int clientIp, ClientLogSink sink,
               LongSupplier tokens) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.config = Objects.requireNonNull(config, "config");
        this.infoTemplate = Objects.requireNonNull(infoTemplate, "infoTemplate");
        this.clientIp = clientIp;
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** @return the holder token issued to this registration, 0 if none */
    long token() {
        return token;
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
            if (state == State.AWAIT_ID || state == State.AWAIT_STATE) {
                out.reject(Rejection.TRUNCATED, "closed during registration (" + state + ")");
            }
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
                int need = LogState.SIZE + (provenId != null ? Protocol.PROOF_LEN : 0);
                if (e == Event.TIMEOUT) {
                    timeout(provenId != null ? "no registration state and proof" : "no registration state");
                } else if (e == Event.BYTES && in.remaining() >= need) {
                    LogState ls;
                    try {
                        ls = LogState.read(in);
                    } catch (WireFormatException ex) {
                        refuseNow(Rejection.BAD_BYTES, ex.getMessage());
                        return;
                    }
                    if (provenId != null && !claimProven(in)) {
                        return;
                    }
                    registry.reportState(id, this, ls.state(), ls.localIp());
                    if (ls.state() == Protocol.CSTATE_PROBE) {
                        state = State.PROBE;
                        out.deadline(nowNs + config.probeTimeout().toNanos());
                    } else {
                        state = State.IDLE;
                        idleNs = extended ? config.idleTimeout().toNanos() : config.originalIdleTimeout().toNanos();
                        beatNs = extended ? config.keepaliveSeconds() * 1_000_000_000L : 0;
                        nextBeatNs = nowNs + beatNs;
                        if (extended) {
                            // acknowledges the IDLE registration (EXT_FLAG_REG_ACK): the client's XInit
                            // completes only now, so its next MSG_CONNECT finds it IDLE
                            out.send(ByteBuffer.allocate(Echo.SIZE));
                        }
                        keepAlive(nowNs);
                    }
                    step(Event.BYTES, in, nowNs);
                }
            }
            case PROBE -> {
                if (e == Event.TIMEOUT) {
                    out.reject(Rejection.PROBE_TIMEOUT, "PROBE registration of " + id + " held longer than "
                            + config.probeTimeout());
                    out.closeNow();
                } else if (e == Event.BYTES) {
                    readLines(in);
                }
            }
            case IDLE -> {
                if (e == Event.TIMEOUT && idleNs > 0 && nowNs - idleExpiryNs >= 0) {
                    out.reject(Rejection.IDLE_TIMEOUT, id + " silent for " + java.time.Duration.ofNanos(idleNs)
                            + (extended ? " (no keepalive)" : ""));
                    out.closeNow();
                } else if (e == Event.TIMEOUT && beatNs > 0) {
                    // the server's own keepalive: an all-zero record, which no announcement can be
                    out.send(ByteBuffer.allocate(Echo.SIZE));
                    nextBeatNs = nowNs + beatNs;
                    nextDeadline();
                } else if (e == Event.BYTES && in.hasRemaining()) {
                    keepAlive(nowNs);
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

    /** Any byte from an IDLE client shows it is alive: its idle deadline moves on. */
    private void keepAlive(long nowNs) {
        idleExpiryNs = nowNs + idleNs;
        nextDeadline();
    }

    /** The earlier of the idle expiry and the next keepalive record, if any. */
    private void nextDeadline() {
        if (idleNs > 0 && beatNs > 0) {
            out.deadline(idleExpiryNs - nextBeatNs < 0 ? idleExpiryNs : nextBeatNs);
        } else if (idleNs > 0) {
            out.deadline(idleExpiryNs);
        } else if (beatNs > 0) {
            out.deadline(nextBeatNs);
        } else {
            out.clearDeadline();
        }
    }

    /** Checks the proof that follows LogState, then claims the ID; false if refused (closed). */
    private boolean claimProven(ByteBuffer in) {
        byte[] proof = new byte[Protocol.PROOF_LEN];
        in.get(proof);
        byte[] secret = config.sharedSecret();
        if (!RegistrationProof.verify(secret, token, provenId, proof)) {
            refuseNow(Rejection.AUTH_FAILED, "wrong registration proof for " + provenId);
            return false;
        }
        Registry.ClaimOutcome outcome = registry.claim(provenId, clientIp, this, token);
        if (outcome == Registry.ClaimOutcome.DUPLICATE || outcome == Registry.ClaimOutcome.FULL) {
            // taken while the proof was on its way: the client sees its log connection close
            refuseNow(outcome == Registry.ClaimOutcome.FULL ? Rejection.TOO_MANY_CLIENTS : Rejection.DUPLICATE_ID,
                    "ID " + provenId + " taken before its proof arrived");
            return false;
        }
        id = provenId;
        provenId = null;
        return true;
    }

    private void readId(ByteBuffer in) {
        String claimed;
        // The byte after a short ID's NUL asks for the extensions; an original client leaves it 0.
        extended = in.get(in.position() + Protocol.EXT_REQUEST_OFFSET) == Protocol.EXT_REQUEST;
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
        if (config.sharedSecret() != null && !extended) {
            refuse(Rejection.AUTH_FAILED, "ID " + claimed + ": this server admits only clients that prove its"
                    + " shared secret");
            return;
        }
        if (extended) {
            token = nextToken();
        }
        boolean proofRequired = config.sharedSecret() != null;
        // With a secret the ID is claimed only once proven: a stranger cannot squat it meanwhile.
        Registry.ClaimOutcome outcome = proofRequired ? registry.checkClaim(claimed, clientIp)
                : registry.claim(claimed, clientIp, this, token);
        if (outcome == Registry.ClaimOutcome.DUPLICATE) {
            refuse(Rejection.DUPLICATE_ID, "ID " + claimed + " is registered by another client");
            return;
        }
        if (outcome == Registry.ClaimOutcome.FULL) {
            refuse(Rejection.TOO_MANY_CLIENTS, "ID " + claimed + ": " + config.maxClients() + " clients registered");
            return;
        }
        if (proofRequired) {
            provenId = claimed;
        } else {
            id = claimed;
        }
        sendInfo(claimed);
        state = State.AWAIT_STATE;
    }

    private long nextToken() {
        long t;
        do {
            t = tokens.getAsLong();
        } while (t == 0);
        return t;
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
        ServerInfo info = infoTemplate.withId(acceptedId);
        if (extended && !acceptedId.isEmpty()) {
            int flags = Protocol.EXT_FLAG_TOKEN | Protocol.EXT_FLAG_REG_ACK
                    | (config.sharedSecret() != null ? Protocol.EXT_FLAG_PROOF : 0);
            info = new ServerInfo(acceptedId, info.ip1(), info.ip2(), info.echoPort1(), info.echoPort2(), flags,
                    config.keepaliveSeconds(), token);
        }
        info.write(b);
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
            if (end > start && sink.enabled()) { // an empty line is a keepalive, not recorded
                sink.line(id, printable(in, start, end)); // decoded only for a sink that records it
            }
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

    @Override
    public boolean canAnnounce() {
        return state == State.IDLE
                && out.unwrittenBytes() <= (config.maxPendingAnnouncements() - 1) * Echo.SIZE;
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
