package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.proc.Outbound;
import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.FastLine;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogHello;
import io.xstunt.engine.wire.LogLine;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RegistrationProof;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireFormatException;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * XInit's registration on the log service, as a sans-IO state machine ({@link Procedure}, two
 * connections: {@link #FIRST} for the first round, {@link #IDLE_ROUND} for the IDLE round after
 * probing): fed "connected", bytes, "closed", probe outcomes and timeouts; emits {@link Action}s,
 * bytes and one deadline. The connection of a completed registration is the one of
 * {@link #connection()}: its owner takes it over.
 *
 * <p>Sequence (wire notes, log service): read LogHello (a build other than
 * {@link Protocol#BUILD_VERSION} is ERR_VERSION); write the ID field; read ServerInfo (an
 * empty ID is ERR_DUPLICATE_ID); write LogState. If the cached fingerprint is
 * {@linkplain FingerprintFile#reusable reusable} the state is IDLE and registration is done
 * (with an xstunt server that sets {@link Protocol#EXT_FLAG_REG_ACK}: once the server's all-zero
 * record acknowledges it, so that a MSG_CONNECT sent right after finds the ID IDLE).
 * Otherwise the state is PROBE: the adapter runs the {@link EchoProbe}, this machine writes
 * the probe's log lines, asks for the fingerprint to be stored, closes the PROBE connection and
 * registers again with IDLE.
 *
 * <p>Every wait for the server is bounded by {@code replyTimeout}: ERR_TIMEOUT. A failed connect
 * is ERR_CONNECT; a connection closed or garbled by the server is ERR_RECEIVE.
 */
public final class Registration extends Procedure<Registration.Action> {
    /** The connection of the first round: PROBE, or IDLE with a reusable fingerprint. */
    public static final int FIRST = 0;
    /** The connection of the IDLE round after probing. */
    public static final int IDLE_ROUND = 1;

    /** The machine's states; transitions are all in this class's {@code on*} methods. */
    public enum State {
        /** Connecting to the log service (first round or the IDLE round after probing). */
        CONNECTING,
        /** Waiting for the three INT32 of the greeting. */
        AWAIT_HELLO,
        /** ID written; waiting for ServerInfo. */
        AWAIT_SERVER_INFO,
        /** Registered as PROBE; the echo probe runs. */
        PROBING,
        /** LogState(IDLE) written to a server that acknowledges it; waiting for the all-zero record. */
        AWAIT_ACK,
        /** Registered as IDLE: done. */
        REGISTERED,
        /** Failed: done. */
        FAILED
    }

    /** What the adapter must do. */
    public sealed interface Action {
        /** Open connection {@code connection} to the log service; its events come back as inputs. */
        record ConnectLog(int connection) implements Action {
        }

        /** Run the NAT probe; report {@link #handleProbeDone} or {@link #handleProbeFailed}. */
        record StartProbe(ServerInfo serverInfo) implements Action {
        }

        /** Store this fresh fingerprint in the fingerprint file. */
        record StoreFingerprint(Fingerprint fingerprint) implements Action {
        }

        /** Registration completed; the log connection {@link #connection()} stays open (IDLE) for its owner. */
        record Registered(Outcome outcome) implements Action {
        }

        /** Registration failed; the log connection is (being) closed. */
        record Failed(Failure error) implements Action {
        }
    }

    /**
     * What a completed registration yields.
     *
     * @param serverInfo the ServerInfo of the IDLE registration
     * @param fingerprint the fingerprint used (probed now or cached)
     * @param cached true if read from the file
     * @param publicIp this client's public IP per the server's greeting
     * @param localIp the local IP sent in LogState
     * @param phases elapsed time of each phase: connect, probe (if any), register
     * @param probeRun what this registration's NAT probe saw; null when the fingerprint was cached
     */
    public record Outcome(ServerInfo serverInfo, Fingerprint fingerprint, boolean cached, int publicIp, int localIp,
                          Map<String, Duration> phases, NatAnalysis.ProbeRun probeRun) {
    }

    private final String id;
    private final WireVariant variant;
    private final Fingerprint cachedFingerprint;
    private final long replyTimeoutNs;
    private final byte[] secret;
    private final boolean askExtensions;
    /** The FAST capability line with a punch port went with LogState(IDLE). */
    private boolean fastOffered;
    private final Map<String, Duration> phases = new LinkedHashMap<>();
    private State state = State.CONNECTING;
    private boolean probed;
    private NatAnalysis.ProbeRun probeRun;
    private Fingerprint fingerprint;
    private int registeringState;
    private int localIp;
    private LogHello hello;
    private ServerInfo idleInfo;
    private long startNs;
    private long phaseStartNs;
    /** FAST's punch port to announce with the IDLE state, 0 for none. */
    private int punchPort;
    /** Registering over IPv6: no echo probing, the fingerprint is {@link #openFingerprint}'s. */
    private boolean overIpv6;

    /**
     * @param id the ID to register (already validated)
     * @param cachedFingerprint the fingerprint read from the file, or null
     * @param replyTimeout bound of each wait for the server
     */
    public Registration(String id, Fingerprint cachedFingerprint, Duration replyTimeout) {
        this(id, WireVariant.ID32, cachedFingerprint, replyTimeout, false, null);
    }

    /**
     * @param variant the wire variant to speak
     * @param askExtensions whether to ask an xstunt server for a holder token and keepalive
     *     (docs/PROTOCOL.md "Authentication and ownership"); false: the original bytes exactly
     * @param secret the shared secret to prove if the server asks (xstunt extension), or null
     */
    public Registration(String id, WireVariant variant, Fingerprint cachedFingerprint, Duration replyTimeout,
                        boolean askExtensions, byte[] secret) {
        super(2);
        this.askExtensions = askExtensions;
        this.variant = variant;
        this.id = ClientId.validate(id, variant);
        this.cachedFingerprint = cachedFingerprint;
        this.replyTimeoutNs = replyTimeout.toNanos();
        this.secret = secret == null ? null : secret.clone();
    }

    /** @return the current state */
    public State state() {
        return state;
    }

    /** @return the log connection in use: {@link #FIRST}, or {@link #IDLE_ROUND} once probed */
    public int connection() {
        return probed ? IDLE_ROUND : FIRST;
    }

    /**
     * Offers FAST (docs/PROTOCOL.md "FAST"): to a server that sets {@link Protocol#EXT_FLAG_FAST},
     * the capability line with {@code port} goes right after LogState(IDLE), in the same write, so
     * that the registration is FAST-capable as soon as it is IDLE. Before {@link #start}. Without
     * it (port 0) an extension client sends the line all the same, with port 0: its fingerprint
     * for the registry's record, and no go.
     */
    public void offerFast(int port) {
        this.punchPort = port;
    }

    /**
     * Registers over IPv6 (the server's one IPv6 address): the echo probing needs the server's two
     * IPv4 addresses and there is no NAT to learn over IPv6, so the client does not probe; its
     * fingerprint says "no NAT" (port-preserving, increment 0: the class of a host whose ports are
     * its own) and is not stored. Before {@link #start}.
     */
    public void registerOverIpv6() {
        this.overIpv6 = true;
    }

    /** Starts: connect to the log service. */
    public void start(long nowNs) {
        startNs = nowNs;
        phaseStartNs = nowNs;
        connect(nowNs);
    }

    private void connect(long nowNs) {
        state = State.CONNECTING;
        emit(new Action.ConnectLog(connection()));
        deadline(nowNs + replyTimeoutNs);
    }

    /** The log connection is up; its local address is sent in LogState. */
    @Override
    public void handleConnected(int connection, java.net.InetSocketAddress local, long nowNs) {
        if (state != State.CONNECTING || connection != connection()) {
            return;
        }
        // LogState's local IP is IPv4; an IPv6 local address has none to give (0, "unknown"), and
        // its peers reach it by its A6 endpoint, never by this field
        this.localIp = local.getAddress() instanceof java.net.Inet4Address v4 ? Ipv4.toInt(v4) : 0;
        if (!probed) {
            phase("connect", nowNs);
        }
        state = State.AWAIT_HELLO;
        deadline(nowNs + replyTimeoutNs);
    }

    /** The connect to the log service failed. */
    @Override
    public void handleConnectFailed(int connection, String reason, long nowNs) {
        if (state == State.CONNECTING && connection == connection()) {
            fail(ErrorStat.ERR_CONNECT, "cannot connect to the log service: " + reason);
        }
    }

    /**
     * Bytes from the log service; consumes what forms whole messages. Once registered, it consumes
     * nothing more: what follows the acknowledgement is the owner's.
     */
    @Override
    public void handleBytes(int connection, ByteBuffer in, long nowNs) {
        if (connection != connection() || state == State.FAILED) {
            in.position(in.limit());
            return;
        }
        try {
            if (state == State.AWAIT_HELLO && in.remaining() >= LogHello.SIZE) {
                onHello(LogHello.read(in), nowNs);
            }
            if (state == State.AWAIT_SERVER_INFO && in.remaining() >= variant.serverInfoSize()) {
                onServerInfo(ServerInfo.read(in, variant), nowNs);
            }
            if (state == State.AWAIT_ACK && in.remaining() >= variant.echoSize()) {
                onAck(Echo.read(in, variant), nowNs);
            }
        } catch (WireFormatException e) {
            fail(ErrorStat.ERR_RECEIVE, "malformed answer from the log service: " + e.getMessage());
        }
    }

    private void onHello(LogHello h, long nowNs) {
        if (h.requiredBuild() != Protocol.BUILD_VERSION) {
            fail(ErrorStat.ERR_VERSION, "server requires client build " + h.requiredBuild() + ", this is build "
                    + Protocol.BUILD_VERSION);
            return;
        }
        hello = h;
        if (probed) {
            registeringState = Protocol.CSTATE_IDLE;
        } else if (overIpv6) {
            fingerprint = openFingerprint(h);
            registeringState = Protocol.CSTATE_IDLE;
        } else if (FingerprintFile.reusable(cachedFingerprint, Protocol.BUILD_VERSION, h.serverVersion(),
                h.clientPublicIp(), id)) {
            fingerprint = cachedFingerprint;
            registeringState = Protocol.CSTATE_IDLE;
        } else {
            registeringState = Protocol.CSTATE_PROBE;
        }
        ByteBuffer b = ByteBuffer.allocate(variant.idFieldSize());
        ClientId.write(b, id, variant);
        if (askExtensions && id.getBytes(StandardCharsets.UTF_8).length < variant.maxIdLen()) {
            // asks an xstunt server for a holder token (padding after the NUL: an original server ignores it)
            b.put(variant.extensionRequestOffset(), Protocol.EXT_REQUEST);
        }
        outbound(connection()).send(b.flip());
        state = State.AWAIT_SERVER_INFO;
        deadline(nowNs + replyTimeoutNs);
    }

    /** The fingerprint of a client over IPv6: no NAT, keyed by the server's view of it (its source key). */
    private Fingerprint openFingerprint(LogHello h) {
        return new NatAnalysis.Nature(h.clientPublicIp(), 0, true, true)
                .toFingerprint(Protocol.BUILD_VERSION, h.serverVersion(), id, h.clientPublicIp());
    }

    private void onServerInfo(ServerInfo info, long nowNs) {
        if (info.id().isEmpty()) {
            fail(ErrorStat.ERR_DUPLICATE_ID, "the server refused ID '" + id + "' (taken or invalid)");
            return;
        }
        if (!info.id().equals(id)) {
            fail(ErrorStat.ERR_RECEIVE, "the server accepted ID '" + info.id() + "', not '" + id + "'");
            return;
        }
        if (info.proofRequired() && secret == null) {
            fail(ErrorStat.ERR_DUPLICATE_ID, "the server admits only clients with its shared secret, and none is"
                    + " configured (ClientConfig.sharedSecret)");
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(LogState.SIZE + (info.proofRequired() ? Protocol.PROOF_LEN : 0));
        new LogState(registeringState, localIp).write(b);
        if (info.proofRequired()) {
            b.put(RegistrationProof.compute(secret, info.token(), id));
        }
        outbound(connection()).send(b.flip());
        // every extension client sends it, for the registry's record of its fingerprint; punch port 0:
        // fingerprint only, never a go (ORIGINAL, relay only, or no port could be reserved)
        if (registeringState == Protocol.CSTATE_IDLE && askExtensions
                && (info.extFlags() & Protocol.EXT_FLAG_FAST) != 0) {
            outbound(connection()).send(ByteBuffer.wrap(FastLine.Capability.of(punchPort, fingerprint).encode()));
            fastOffered = punchPort != 0;
        }
        if (registeringState == Protocol.CSTATE_IDLE && askExtensions && info.acknowledgesIdle()) {
            // the server has not necessarily applied IDLE yet: its all-zero record will say so
            idleInfo = info;
            state = State.AWAIT_ACK;
            deadline(nowNs + replyTimeoutNs);
        } else if (registeringState == Protocol.CSTATE_IDLE) {
            registered(info, nowNs);
        } else {
            state = State.PROBING;
            clearDeadline(); // the probe bounds itself
            phase("register", nowNs);
            emit(new Action.StartProbe(info));
        }
    }

    private void onAck(Echo ack, long nowNs) {
        if (!ack.hasNoAddress()) {
            fail(ErrorStat.ERR_RECEIVE, "the log service sent a record before acknowledging the registration");
            return;
        }
        if (fastOffered) {
            // answered at once, as a keepalive: the server's first clean round-trip sample for FAST's
            // offsets (its ServerInfo-to-LogState sample also holds this client's own work)
            outbound(connection()).send(ByteBuffer.wrap(new byte[] {'\n'}));
        }
        registered(idleInfo, nowNs);
    }

    private void registered(ServerInfo info, long nowNs) {
        state = State.REGISTERED;
        clearDeadline();
        phase("register", nowNs);
        phases.put("total", Duration.ofNanos(nowNs - startNs));
        emit(new Action.Registered(new Outcome(info, fingerprint, !probed, hello.clientPublicIp(), localIp,
                Collections.unmodifiableMap(phases), probeRun)));
    }

    /**
     * The probe finished: writes its log lines on the PROBE connection, stores the fingerprint,
     * and registers again as IDLE.
     *
     * @param run what the probe saw
     * @param nature its analysis
     * @param lines what the probe saw, one message per line
     * @param epochMillis wall-clock time stamped on the log lines
     */
    public void handleProbeDone(NatAnalysis.ProbeRun run, NatAnalysis.Nature nature, List<String> lines,
                                long epochMillis, long nowNs) {
        if (state != State.PROBING) {
            return;
        }
        // XProbe records the server's view of the client's IP (g_nClientIP), whatever the echoes
        // said: the next XInit compares the fingerprint with exactly that view
        fingerprint = nature.toFingerprint(Protocol.BUILD_VERSION, hello.serverVersion(), id, hello.clientPublicIp());
        probeRun = run;
        int n = 0;
        Outbound probeLog = outbound(FIRST);
        for (String line : lines) {
            probeLog.send(LogLine.format(epochMillis, "EchoProbe", ++n, line));
        }
        probeLog.send(LogLine.format(epochMillis, "EchoProbe", ++n, "ID " + id + " build "
                + Protocol.BUILD_VERSION + " public " + Ipv4.toString(fingerprint.publicIp()) + " fingerprint "
                + fingerprint.describe()));
        probeLog.closeAfterFlush();
        emit(new Action.StoreFingerprint(fingerprint));
        phase("probe", nowNs);
        probed = true;
        connect(nowNs);
    }

    /** The probe failed for good: ERR_PROBE. */
    public void handleProbeFailed(Failure error) {
        if (state == State.PROBING) {
            failWith(error);
        }
    }

    /** A log connection closed (by the server, an error, or our own close). */
    @Override
    public void handleClosed(int connection, String reason, long nowNs) {
        if (connection != connection()) {
            return; // the PROBE round's connection, closed by us after its log lines
        }
        if (state == State.CONNECTING) {
            handleConnectFailed(connection, reason == null ? "closed" : reason, nowNs);
        } else if (state == State.AWAIT_HELLO || state == State.AWAIT_SERVER_INFO || state == State.PROBING
                || state == State.AWAIT_ACK) {
            fail(ErrorStat.ERR_RECEIVE, "the log service closed the connection during registration"
                    + (reason == null ? "" : ": " + reason));
        }
    }

    /** A deadline passed. */
    @Override
    public void handleTimeout(long nowNs) {
        if (!expired(nowNs)) {
            return;
        }
        fail(ErrorStat.ERR_TIMEOUT, "no answer from the log service within " + Duration.ofNanos(replyTimeoutNs)
                + " (state " + state + ")");
    }

    /** Gives up (the client is closing). */
    public void abort(Failure error) {
        failWith(error);
    }

    private void fail(ErrorStat code, String message) {
        failWith(new Failure(code, 0, message));
    }

    private void failWith(Failure error) {
        if (state == State.REGISTERED || state == State.FAILED) {
            return;
        }
        state = State.FAILED;
        clearDeadline();
        outbound(FIRST).closeNow();
        outbound(IDLE_ROUND).closeNow();
        emit(new Action.Failed(error));
    }

    private void phase(String name, long nowNs) {
        phases.merge(name, Duration.ofNanos(nowNs - phaseStartNs), Duration::plus);
        phaseStartNs = nowNs;
    }

    @Override
    public String toString() {
        return "Registration[" + id + ", " + state + "]";
    }
}
