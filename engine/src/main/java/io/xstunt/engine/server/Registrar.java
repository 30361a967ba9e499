package io.xstunt.engine.server;

import io.xstunt.engine.proc.EarliestDeadline;
import io.xstunt.engine.proc.Outbound;
import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.registry.ClaimOutcome;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.FastGo;
import io.xstunt.engine.wire.FastLine;
import io.xstunt.engine.wire.FastRefusal;
import io.xstunt.engine.wire.Ipv6Extension;
import io.xstunt.engine.wire.LogHello;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RegistrationProof;
import io.xstunt.engine.wire.RelayFrame;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireFormatException;
import io.xstunt.engine.wire.WireVariant;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The log service's procedure for one connection, the server's half of XInit's registration:
 * greeting {@link LogHello}, ID field, {@link ServerInfo} (empty ID if taken or invalid, then
 * close), {@link LogState}; then PROBE or IDLE, recording the client's text log lines
 * ({@link ClientLogReader}) and sending session announcements. A client that asked for the
 * extensions gets one all-zero record as soon as its IDLE state is applied
 * ({@link Protocol#EXT_FLAG_REG_ACK}), and keepalive records while idle.
 *
 * <p>The ID field tells the client's {@link WireVariant}, and every struct the registration
 * writes afterwards (ServerInfo, announcements, all-zero records) is that variant's: 33 bytes are a
 * field of the reference's variant, and so are 32 without a NUL; 32 with a NUL and no 33rd byte
 * within {@link ServerConfig#variantWait()} are one of the published client's, which writes
 * nothing more before it has read its ServerInfo (docs/PROTOCOL.md, "Wire variants").
 *
 * <p>Sans-IO ({@link Procedure}, one connection): the registry is asked through actions
 * ({@link Action.Claim}, {@link Action.CheckClaim}, {@link Action.ReportState}, {@link Action.Release})
 * and answers through {@link #handleClaim}, at once or later. Bytes that arrive while an answer is
 * awaited (a client that does not wait for its ServerInfo) are kept here, a few at most, and read
 * when it comes.
 */
final class Registrar extends Procedure<Registrar.Action> {
    /** The procedure's states. */
    enum State {
        /** Greeting sent, waiting for the ID field. */
        AWAIT_ID,
        /** Waiting for the registry's answer to the ID's claim (or its check, with a shared secret). */
        AWAIT_CLAIM,
        /** ServerInfo sent, waiting for the state byte and local IP (and the proof). */
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

    /** What the server must do for it. */
    sealed interface Action permits Action.Claim, Action.CheckClaim, Action.ReportState, Action.Release,
            Action.ReportIpv6, Action.Fast, Refused {
        /** Claim {@code id} in the registry for this registration; answer with {@link #handleClaim}. */
        record Claim(String id, long token) implements Action {
        }

        /** Ask the registry whether {@code id} could be claimed; answer with {@link #handleClaim}. */
        record CheckClaim(String id) implements Action {
        }

        /** Tell the registry the state and local IP the holder of {@code id} reported. */
        record ReportState(String id, int state, int localIp) implements Action {
        }

        /** The registration is gone: the registry frees {@code id} if it still holds it. */
        record Release(String id) implements Action {
        }

        /**
         * The holder of {@code id} registered its global IPv6 endpoint (the A6 extension line,
         * docs/PROTOCOL.md "IPv6"): keep it for its peers' announcements.
         */
        record ReportIpv6(String id, InetSocketAddress endpoint) implements Action {
        }

        /**
         * A FAST line of the IDLE client {@code id} (docs/PROTOCOL.md "FAST"): its capability (kept
         * here as well, {@link #fast()}), a connect request or a fail-over.
         */
        record Fast(String id, FastLine line) implements Action {
        }
    }

    /**
     * The most bytes kept while the registry's answer is awaited: LogState, its proof and FAST's
     * capability line, which a FAST client writes with them.
     */
    private static final int MAX_EARLY_BYTES = LogState.SIZE + Protocol.PROOF_LEN + FastLine.CAPABILITY_MAX;

    private final Outbound out = outbound(0);
    private final ServerConfig config;
    private final ServerInfo infoTemplate;
    private final int clientIp;
    private final ClientLogReader lines;
    private final LongSupplier tokens;
    private State state = State.AWAIT_ID;
    /** The client's variant: the reference's until its ID field says otherwise. */
    private WireVariant variant = WireVariant.ID32;
    /** A whole ID field of the published client's variant, held while a 33rd byte may still come. */
    private final HeldBytes shortField = new HeldBytes(WireVariant.ID31.idFieldSize());
    private long handshakeDeadlineNs;
    private long variantDeadlineNs;
    /** The ID claimed or being claimed; null before the ID field was read. */
    private String id;
    /** Whether {@link #id} is claimed (a shared secret delays the claim until the proof). */
    private boolean claimed;
    /** Whether the client asked for the xstunt extensions (token, keepalive, proof). */
    private boolean extended;
    /** An IDLE registration's acknowledgement waits for {@link #handleStateStored}. */
    private boolean ackPending;
    /** The holder token issued, 0 if none (a variant whose Msg cannot carry one gets none). */
    private long token;
    /** What the registration proof signs: the token, or a nonce of its own where no token is issued. */
    private long nonce;
    private LogState reported;
    /** Bytes that came while the registry's answer was awaited, and what of them is not read yet. */
    private final HeldBytes early = new HeldBytes(MAX_EARLY_BYTES);
    private IdleWatch idle;
    /** Round trips of this log connection, for FAST's start offsets. */
    private final RoundTrips roundTrips = new RoundTrips();
    /** The client's FAST capability, null until it sent one. */
    private FastLine.Capability fast;
    private final EarliestDeadline earliest = new EarliestDeadline();
    /** The global IPv6 endpoint an extension client registered (A6 line), or null. */
    private InetSocketAddress ipv6;

    /**
     * @param infoTemplate the ServerInfo to send, with the real echo ports (its ID is replaced)
     * @param clientIp the client's public IPv4 as the server sees it
     * @param tokens where holder tokens come from
     */
    Registrar(ServerConfig config, ServerInfo infoTemplate, int clientIp, ClientLogSink sink, LongSupplier tokens) {
        super(1);
        this.config = Objects.requireNonNull(config, "config");
        this.infoTemplate = Objects.requireNonNull(infoTemplate, "infoTemplate");
        this.clientIp = clientIp;
        this.lines = new ClientLogReader(Objects.requireNonNull(sink, "sink"), this::extensionLine, config.maxLogLine());
        this.tokens = Objects.requireNonNull(tokens, "tokens");
    }

    /** @return the inbound buffer this procedure needs: a whole log line and its newline */
    static int inboundBytes(ServerConfig config) {
        return Math.max(config.maxLogLine() + 1, WireVariant.ID32.serverInfoSize());
    }

    State state() {
        return state;
    }

    /** @return the ID registered or being registered, or null before the ID field */
    String id() {
        return id;
    }

    /** @return the holder token issued to this registration, 0 if none */
    long token() {
        return token;
    }

    /** @return the client's wire variant (the reference's until its ID field is read) */
    WireVariant variant() {
        return variant;
    }

    /** @return the client's FAST capability, null if it sent none */
    FastLine.Capability fast() {
        return fast;
    }

    /** @return the least round trip measured on this log connection, 0 if none yet */
    long rttNs() {
        return roundTrips.rttNs();
    }

    /** @return true while announcements may be sent */
    boolean idle() {
        return state == State.IDLE;
    }

    /** The connection was accepted: the greeting. */
    void start(long nowNs) {
        ByteBuffer b = ByteBuffer.allocate(LogHello.SIZE);
        new LogHello(config.requiredBuild(), config.serverVersion(), clientIp).write(b);
        out.send(b.flip());
        handshakeDeadlineNs = nowNs + config.handshakeTimeout().toNanos();
        deadline(handshakeDeadlineNs);
    }

    @Override
    public void handleBytes(int connection, ByteBuffer in, long nowNs) {
        HeldBytes held = state == State.AWAIT_ID ? shortField : early;
        if (held.isEmpty()) {
            read(in, nowNs); // no allocation on the per-line path
        } else {
            held.readAhead(in, b -> read(b, nowNs));
        }
    }

    private void read(ByteBuffer in, long nowNs) {
        switch (state) {
            case AWAIT_ID -> readIdField(in, nowNs);
            case AWAIT_CLAIM -> keepEarly(in);
            case AWAIT_STATE -> {
                if (in.remaining() >= LogState.SIZE + (claimed ? 0 : Protocol.PROOF_LEN)) {
                    readState(in, nowNs);
                    read(in, nowNs);
                }
            }
            case PROBE -> readLines(in);
            case IDLE -> {
                if (in.hasRemaining()) {
                    idle.heard(nowNs);
                    nextDeadline();
                    long empty = lines.emptyLines();
                    readLines(in);
                    if (lines.emptyLines() != empty) {
                        // an empty line answers a keepalive record or the IDLE acknowledgement; other
                        // bytes (a capability line that came with LogState, a request) answer nothing
                        roundTrips.answered(nowNs);
                    }
                }
            }
            case REFUSED, CLOSED -> in.position(in.limit()); // a refused client's bytes are of no interest
        }
    }

    /**
     * The ID field, whose length is the client's variant: 33 bytes (or 32 without a NUL, which no
     * field of 32 bytes can be) are the reference's; 32 with a NUL are held, and are the published
     * client's if no 33rd byte follows within the variant wait ({@link #handleTimeout}).
     */
    private void readIdField(ByteBuffer in, long nowNs) {
        int shortSize = WireVariant.ID31.idFieldSize();
        if (in.remaining() >= WireVariant.ID32.idFieldSize()) {
            variant = WireVariant.ID32;
            readId(in);
            read(in, nowNs);
        } else if (in.remaining() == shortSize && ClientId.hasTerminator(in, shortSize) && shortField.isEmpty()) {
            shortField.hold(in);
            variantDeadlineNs = nowNs + config.variantWait().toNanos();
            deadline(variantDeadlineNs - handshakeDeadlineNs < 0 ? variantDeadlineNs : handshakeDeadlineNs);
        }
        // else: fewer bytes, or 32 of the reference's variant without their 33rd yet; they stay unread
    }

    /** No 33rd byte came within the variant wait: the held field is the published client's. */
    private void readShortField(long nowNs) {
        variant = WireVariant.ID31;
        deadline(handshakeDeadlineNs);
        shortField.readAhead(ByteBuffer.allocate(0), b -> {
            readId(b);
            read(b, nowNs);
        });
    }

    private void readId(ByteBuffer in) {
        // The byte after a short ID's NUL asks for the extensions; an original client leaves it 0.
        extended = in.get(in.position() + variant.extensionRequestOffset()) == Protocol.EXT_REQUEST;
        String claim;
        try {
            claim = ClientId.read(in, variant);
            if (claim.isEmpty()) {
                throw new WireFormatException("empty ID");
            }
            ClientId.validate(claim, variant);
        } catch (WireFormatException | IllegalArgumentException ex) {
            refuse(Rejection.INVALID_ID, "invalid ID field: " + ex.getMessage());
            return;
        }
        if (config.sharedSecret() != null && !extended) {
            refuse(Rejection.AUTH_FAILED, "ID " + claim + ": this server admits only clients that prove its"
                    + " shared secret");
            return;
        }
        id = claim;
        if (extended) {
            nonce = nextToken();
            // a Msg without pad bytes cannot show a token: such a client is served by the public-IP rule
            token = variant.msgCarriesToken() ? nonce : 0;
        }
        state = State.AWAIT_CLAIM;
        // With a secret the ID is claimed only once proven: a stranger cannot squat it meanwhile.
        emit(config.sharedSecret() != null ? new Action.CheckClaim(claim) : new Action.Claim(claim, token));
    }

    /**
     * The registry answered the claim (or its check) of {@link #id()}.
     *
     * @param outcome what it decided
     */
    void handleClaim(ClaimOutcome outcome, long nowNs) {
        boolean proofPending = config.sharedSecret() != null && reported == null;
        if (state != State.AWAIT_CLAIM) {
            if (state == State.CLOSED && outcome.taken() && !proofPending) {
                emit(new Action.Release(id)); // closed while the registry decided
            }
            return;
        }
        if (!outcome.taken()) {
            Rejection why = outcome == ClaimOutcome.FULL ? Rejection.TOO_MANY_CLIENTS : Rejection.DUPLICATE_ID;
            String detail = outcome == ClaimOutcome.FULL ? "ID " + id + ": " + config.maxClients()
                    + " clients registered" : "ID " + id + " is registered by another client";
            if (reported == null) {
                refuse(why, detail);
            } else {
                // taken while the proof was on its way: the client sees its log connection close
                refuseNow(why, "ID " + id + " taken before its proof arrived");
            }
            return;
        }
        if (reported == null) {
            claimed = !proofPending;
            sendInfo(id);
            roundTrips.sent(nowNs); // LogState follows at once
            state = State.AWAIT_STATE;
        } else {
            claimed = true;
            apply(reported, nowNs);
        }
        if (!early.isEmpty()) {
            handleBytes(0, ByteBuffer.allocate(0), nowNs); // what came meanwhile
        }
    }

    private void keepEarly(ByteBuffer in) {
        if (!early.hold(in)) {
            in.position(in.limit());
            refuseNow(Rejection.UNEXPECTED_DATA, "more than " + MAX_EARLY_BYTES + " bytes before the ServerInfo");
        }
    }

    private void readState(ByteBuffer in, long nowNs) {
        roundTrips.answered(nowNs);
        LogState ls;
        try {
            ls = LogState.read(in);
        } catch (WireFormatException ex) {
            refuseNow(Rejection.BAD_BYTES, ex.getMessage());
            return;
        }
        if (claimed) {
            apply(ls, nowNs);
            return;
        }
        byte[] proof = new byte[Protocol.PROOF_LEN];
        in.get(proof);
        if (!RegistrationProof.verify(config.sharedSecret(), nonce, id, proof)) {
            refuseNow(Rejection.AUTH_FAILED, "wrong registration proof for " + id);
            return;
        }
        reported = ls;
        state = State.AWAIT_CLAIM;
        emit(new Action.Claim(id, token));
    }

    /** The registration is complete: PROBE or IDLE. */
    private void apply(LogState ls, long nowNs) {
        emit(new Action.ReportState(id, ls.state(), ls.localIp()));
        if (ls.state() == Protocol.CSTATE_PROBE) {
            state = State.PROBE;
            deadline(nowNs + config.probeTimeout().toNanos());
            return;
        }
        state = State.IDLE;
        idle = new IdleWatch(extended ? config.idleTimeout().toNanos() : config.originalIdleTimeout().toNanos(),
                extended ? config.keepaliveSeconds() * 1_000_000_000L : 0, nowNs);
        // the acknowledgement (EXT_FLAG_REG_ACK) waits until the registry has the state: handleStateStored
        ackPending = extended;
        nextDeadline();
    }

    /**
     * The registry has the state reported last (every server sharing it reads it now): an IDLE
     * registration of a client that asked for the extensions is acknowledged now, so its XInit
     * completes only when its next MSG_CONNECT, or one to it, finds it IDLE.
     */
    void handleStateStored(long nowNs) {
        if (state == State.IDLE && ackPending) {
            ackPending = false;
            out.send(ByteBuffer.allocate(variant.echoSize()));
            roundTrips.sent(nowNs); // a FAST client answers it at once
        }
    }

    @Override
    public void handleTimeout(long nowNs) {
        if (!expired(nowNs)) {
            return;
        }
        switch (state) {
            case AWAIT_ID -> {
                if (!shortField.isEmpty() && nowNs - variantDeadlineNs >= 0) {
                    readShortField(nowNs);
                } else {
                    timeout("no ID field");
                }
            }
            case AWAIT_CLAIM -> timeout("no answer from the registry for ID " + id);
            case AWAIT_STATE -> timeout(claimed || config.sharedSecret() == null
                    ? "no registration state" : "no registration state and proof");
            case PROBE -> {
                reject(Rejection.PROBE_TIMEOUT, "PROBE registration of " + id + " held longer than "
                        + config.probeTimeout());
                out.closeNow();
            }
            case IDLE -> {
                switch (idle.check(nowNs)) {
                    case EXPIRED -> {
                        reject(Rejection.IDLE_TIMEOUT, id + " silent for " + Duration.ofNanos(idle.idleNs())
                                + (extended ? " (no keepalive)" : ""));
                        out.closeNow();
                    }
                    // the server's own keepalive: an all-zero record, which no announcement can be
                    case BEAT -> {
                        out.send(ByteBuffer.allocate(variant.echoSize()));
                        roundTrips.sent(nowNs); // a FAST client answers it at once
                    }
                    case NOTHING -> { }
                }
                nextDeadline();
            }
            case REFUSED -> out.closeNow();
            case CLOSED -> clearDeadline();
        }
    }

    @Override
    public void handleClosed(int connection, String ioError, long nowNs) {
        boolean handshake = state == State.AWAIT_ID || state == State.AWAIT_CLAIM || state == State.AWAIT_STATE;
        if (handshake && out.closing() == Outbound.Closing.OPEN) {
            reject(Rejection.TRUNCATED, "closed during registration (" + state + ")");
        }
        if (claimed) {
            emit(new Action.Release(id));
        }
        fast = null;
        state = State.CLOSED;
        clearDeadline();
    }

    /**
     * Queues a session announcement in the client's variant; only an IDLE registration gets one.
     * A peer ID longer than the variant's field (a 32-byte ID announced to a client of the
     * published variant) goes as an empty field: the original client never reads it, and ours
     * takes the announcement without it.
     */
    void handleAnnouncement(Echo announcement, long nowNs) {
        handleAnnouncement(announcement, 0, nowNs);
    }

    /**
     * Queues a session announcement with the relay extension's flags, which only a client that
     * asked for the extensions gets (an original client's padding stays 0).
     */
    void handleAnnouncement(Echo announcement, int relayFlags, long nowNs) {
        handleAnnouncement(announcement, relayFlags, null, nowNs);
    }

    /**
     * Queues a session announcement, preceded by the IPv6 peer record of {@code peerIpv6} when
     * both this client and its peer registered one (docs/PROTOCOL.md "IPv6").
     */
    void handleAnnouncement(Echo announcement, int relayFlags, InetSocketAddress peerIpv6, long nowNs) {
        if (state != State.IDLE) {
            return;
        }
        if (extended && ipv6 != null && peerIpv6 != null) {
            out.send(Ipv6Extension.record(announcement.connId(), peerIpv6, variant));
        }
        Echo e = ClientId.fits(announcement.peerId(), variant) ? announcement
                : new Echo(announcement.ip(), announcement.port(), announcement.connId(), "", announcement.peerIp(),
                        announcement.role());
        ByteBuffer b = ByteBuffer.allocate(variant.echoSize());
        e.write(b, variant);
        if (extended && relayFlags != 0) {
            RelayFrame.writeAnnouncementFlags(b, 0, relayFlags);
        }
        out.send(b.flip());
    }

    /** @return the size of the records written to this client: its variant's Echo */
    int recordSize() {
        return variant.echoSize();
    }

    /** Queues a relay's end notice; only an IDLE registration that asked for the extensions gets one. */
    void handleRelayNotice(io.xstunt.engine.wire.RelayNotice notice, long nowNs) {
        if (state == State.IDLE && extended) {
            out.send(notice.encode(variant));
        }
    }

    /** Queues FAST's go for this client; only an IDLE registration that sent its capability gets one. */
    void handleFastGo(FastGo go, long nowNs) {
        if (state == State.IDLE && fast != null && fast.punchPort() != 0) {
            out.send(go.encode(variant));
        }
    }

    /** Queues the refusal of this client's FAST connect request. */
    void handleFastRefusal(FastRefusal refusal, long nowNs) {
        if (state == State.IDLE && fast != null) {
            out.send(refusal.encode(variant));
        }
    }

    /**
     * An extension log line ({@link Protocol#EXT_LINE}): the one place that reads the tags. Only an
     * IDLE client that asked for the extensions may send them; anything else is reported and
     * dropped, the registration goes on.
     */
    /** The registry disconnects this registration (deregistered, or a PROBE registration replaced). */
    void handleDisconnect(long nowNs) {
        if (state != State.CLOSED) {
            out.closeNow();
        }
    }

    /** The earlier of the idle expiry and the next keepalive record, if any. */
    private void nextDeadline() {
        idle.offerDeadlines(earliest.reset());
        if (earliest.any()) {
            deadline(earliest.earliestNs());
        } else {
            clearDeadline();
        }
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
        reject(why, detail);
        sendInfo("");
        out.closeAfterFlush();
        state = State.REFUSED;
    }

    private void sendInfo(String acceptedId) {
        ByteBuffer b = ByteBuffer.allocate(variant.serverInfoSize());
        ServerInfo info = infoTemplate.withId(acceptedId);
        if (extended && !acceptedId.isEmpty()) {
            boolean proof = config.sharedSecret() != null;
            int flags = (token != 0 ? Protocol.EXT_FLAG_TOKEN : 0) | Protocol.EXT_FLAG_REG_ACK
                    | (proof ? Protocol.EXT_FLAG_PROOF : 0) | Protocol.EXT_FLAG_FAST;
            info = new ServerInfo(acceptedId, info.ip1(), info.ip2(), info.echoPort1(), info.echoPort2(), flags,
                    config.keepaliveSeconds(), token != 0 || proof ? nonce : 0);
        }
        info.write(b, variant);
        out.send(b.flip());
    }

    /** Closes at once; an ID already claimed is released when the close is reported. */
    private void refuseNow(Rejection why, String detail) {
        reject(why, detail);
        out.closeNow();
    }

    private void timeout(String missing) {
        refuseNow(Rejection.HANDSHAKE_TIMEOUT, missing + " within " + config.handshakeTimeout());
    }

    /**
     * The one place where a client's extension lines (byte 0x01, a two-character tag) are told
     * apart: only from a client that asked for the extensions, once IDLE. Any other line, and an
     * unknown tag, is counted as bad bytes and dropped; the registration goes on (a client sends a
     * line only for what the server's flags offered).
     */
    private void extensionLine(String tag, String body) {
        if (state != State.IDLE || !extended) {
            reject(Rejection.BAD_BYTES, "extension line '" + tag + "' from " + id + " in state " + state
                    + (extended ? "" : " without the extensions"));
            return;
        }
        switch (tag) {
            case FastLine.TAG -> fastLine(body);
            case Ipv6Extension.TAG -> ipv6Line(body);
            default -> reject(Rejection.BAD_BYTES, "unknown extension line '" + tag + "' from " + id);
        }
    }

    private void fastLine(String body) {
        FastLine line;
        try {
            line = FastLine.parse(body);
        } catch (WireFormatException e) {
            reject(Rejection.BAD_BYTES, id + ": " + e.getMessage());
            return;
        }
        if (line instanceof FastLine.Capability c) {
            fast = c;
        }
        emit(new Action.Fast(id, line));
    }

    private void ipv6Line(String body) {
        try {
            ipv6 = Ipv6Extension.parseLine(body);
        } catch (WireFormatException ex) {
            reject(Rejection.BAD_BYTES, id + ": " + ex.getMessage() + " (ignored; no IPv6 for it)");
            return;
        }
        emit(new Action.ReportIpv6(id, ipv6));
    }

    /** @return the IPv6 endpoint this client registered, or null */
    InetSocketAddress ipv6() {
        return ipv6;
    }

    private void readLines(ByteBuffer in) {
        if (!lines.read(id, in)) {
            refuseNow(Rejection.OVERSIZE, "log line of " + id + " longer than " + config.maxLogLine() + " bytes");
        }
    }

    private void reject(Rejection why, String detail) {
        emit(new Refused(why, detail));
    }

    @Override
    public String toString() {
        return "Registrar[" + id + ", " + state + "]";
    }
}
