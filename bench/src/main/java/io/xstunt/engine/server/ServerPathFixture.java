package io.xstunt.engine.server;

import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The server's per-message procedures without sockets, for the codec benchmarks: an IDLE log
 * registration fed text log lines, the echo service's reply, and a control relay in RELAYING.
 * It lives in the server's package (in the bench module, on the classpath) because those
 * procedures are package-private; it drives them through the same calls as
 * {@link ProcedureBinding}, so what is measured is the server's own code, not a copy.
 */
public final class ServerPathFixture {
    private static final long NOW = 1_000_000_000L;
    private static final int CLIENT_IP = Ipv4.toInt(Ipv4.parse("127.0.0.11"));
    private static final int PEER_IP = Ipv4.toInt(Ipv4.parse("127.0.0.12"));

    private ServerPathFixture() {
    }

    /** Where the log lines of {@link #idleLogSession} go. */
    public enum LineSink {
        /** A sink that records nothing and says so: the server's own parsing only (lines not decoded). */
        DISCARD,
        /** The production slf4j sink (what it costs depends on the binding's level and writer). */
        SLF4J
    }

    /** An IDLE log registration that accepts text log lines. */
    public static final class IdleLog {
        private final LogSession session;

        private IdleLog(LogSession session) {
            this.session = session;
        }

        /** Feeds bytes as one read would; whole lines are consumed, a partial one is left. */
        public void onBytes(ByteBuffer in) {
            session.onBytes(in, NOW);
        }

        /** @return true while the registration is IDLE (a refused line would close it) */
        public boolean idle() {
            return session.state() == LogSession.State.IDLE;
        }
    }

    /**
     * A log session taken through LogHello, ID field and LogState(IDLE), as a real client does.
     *
     * @param sink where the client's lines go
     */
    public static IdleLog idleLogSession(String id, LineSink sink) {
        ServerConfig config = ServerConfig.builder(Ipv4.parse("127.0.0.1"), Ipv4.parse("127.0.0.2")).build();
        ClientLogSink s = sink == LineSink.SLF4J ? ClientLogSink.slf4j() : ClientLogSink.discard();
        LogSession session = new LogSession(new Registry(), config,
                new io.xstunt.engine.wire.ServerInfo("", Ipv4.toInt(config.ip1()), Ipv4.toInt(config.ip2()),
                        config.echoPort1(), config.echoPort2()), CLIENT_IP, s);
        session.onOpen(NOW);
        drain(session.output());
        ByteBuffer b = ByteBuffer.allocate(Protocol.ID_FIELD_LEN + LogState.SIZE);
        ClientId.write(b, id);
        new LogState(Protocol.CSTATE_IDLE, CLIENT_IP).write(b);
        session.onBytes(b.flip(), NOW);
        drain(session.output());
        if (session.state() != LogSession.State.IDLE) {
            throw new IllegalStateException("log session did not reach IDLE: " + session.state());
        }
        return new IdleLog(session);
    }

    /**
     * The echo service's whole procedure for one accepted connection: the responder, its
     * reply and the close decision (what the server allocates per echo connection, sockets apart).
     *
     * @return the reply bytes the server would write
     */
    public static ByteBuffer echoReply(int clientIp, int clientPort) {
        EchoResponder r = new EchoResponder(clientIp, clientPort, 1_000_000_000L);
        r.onOpen(NOW);
        ByteBuffer reply = r.output().pollTransmit();
        if (r.output().closing() != ProcedureOutput.Closing.AFTER_FLUSH) {
            throw new IllegalStateException("echo responder does not close after its reply");
        }
        return reply;
    }

    /** A control relay with both sides connected. */
    public static final class Relay {
        private final ControlRelay relay;

        private Relay(ControlRelay relay) {
            this.relay = relay;
        }

        /**
         * Bytes from the initiator, as one read: the relay forwards them to the listener.
         *
         * @return what the server would hand to the listener's {@code TcpConnection.send} (the
         *     next queued buffer: {@code in} itself, borrowed, see {@link ProcedureOutput#forward})
         */
        public ByteBuffer initiatorToListener(ByteBuffer in) {
            relay.onBytes(ControlRelay.Side.INITIATOR, in, NOW);
            return relay.pollTransmit(ControlRelay.Side.LISTENER);
        }
    }

    /** @return a relay in RELAYING, as after both control connections arrived */
    public static Relay relaying() {
        ControlRelay r = new ControlRelay(CLIENT_IP, PEER_IP, ServerConfig.DEFAULT_MAX_RELAY_BACKLOG, NOW,
                30_000_000_000L, 1_000_000_000L);
        Objects.requireNonNull(r.onConnect(CLIENT_IP, NOW), "initiator refused");
        Objects.requireNonNull(r.onConnect(PEER_IP, NOW), "listener refused");
        if (r.state() != ControlRelay.State.RELAYING) {
            throw new IllegalStateException("relay not RELAYING: " + r.state());
        }
        return new Relay(r);
    }

    private static void drain(ProcedureOutput out) {
        while (out.pollTransmit() != null) {
            // the greeting and ServerInfo: not part of the steady state
        }
    }
}
