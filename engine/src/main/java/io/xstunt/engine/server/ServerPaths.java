package io.xstunt.engine.server;

import io.xstunt.engine.proc.Outbound;
import io.xstunt.engine.registry.ClaimOutcome;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The server's per-message paths without sockets, for the codec benchmarks (exported to the bench
 * module only): an IDLE registration fed text log lines, the echo service's reply, and a control
 * relay in RELAYING. The procedures are fed through the same calls as {@code ProcedureDriver}, so
 * what is measured is the server's own code, not a copy.
 */
public final class ServerPaths {
    private static final long NOW = 1_000_000_000L;
    private static final int CLIENT_IP = Ipv4.toInt(Ipv4.parse("127.0.0.11"));
    private static final int PEER_IP = Ipv4.toInt(Ipv4.parse("127.0.0.12"));

    private ServerPaths() {
    }

    /** Where the log lines of {@link #idleRegistration} go. */
    public enum LineSink {
        /** A sink that records nothing and says so: the server's own parsing only (lines not decoded). */
        DISCARD,
        /** The production slf4j sink (what it costs depends on the binding's level and writer). */
        SLF4J
    }

    /** An IDLE registration that accepts text log lines. */
    public static final class IdleLog {
        private final Registrar registrar;

        private IdleLog(Registrar registrar) {
            this.registrar = registrar;
        }

        /** Feeds bytes as one read would; whole lines are consumed, a partial one is left. */
        public void onBytes(ByteBuffer in) {
            registrar.handleBytes(0, in, NOW);
        }

        /** @return true while the registration is IDLE (a refused line would close it) */
        public boolean idle() {
            return registrar.idle();
        }
    }

    /**
     * A registration taken through LogHello, ID field and LogState(IDLE), as a real client does,
     * with the registry's claim answered at once.
     *
     * @param sink where the client's lines go
     */
    public static IdleLog idleRegistration(String id, LineSink sink) {
        ServerConfig config = ServerConfig.builder(Ipv4.parse("127.0.0.1"), Ipv4.parse("127.0.0.2")).build();
        ClientLogSink s = sink == LineSink.SLF4J ? ClientLogSink.slf4j() : ClientLogSink.discard();
        Registrar r = new Registrar(config, new ServerInfo("", Ipv4.toInt(config.ip1()), Ipv4.toInt(config.ip2()),
                config.echoPort1(), config.echoPort2()), CLIENT_IP, s, () -> 1L);
        r.start(NOW);
        drain(r.outbound(0));
        ByteBuffer b = ByteBuffer.allocate(WireVariant.ID32.idFieldSize());
        ClientId.write(b, id, WireVariant.ID32);
        r.handleBytes(0, b.flip(), NOW);
        r.handleClaim(ClaimOutcome.ACCEPTED, NOW);
        ByteBuffer st = ByteBuffer.allocate(LogState.SIZE);
        new LogState(Protocol.CSTATE_IDLE, CLIENT_IP).write(st);
        r.handleBytes(0, st.flip(), NOW);
        drain(r.outbound(0));
        while (r.pollAction() != null) {
            // the registry's reports: not part of the steady state
        }
        if (!r.idle()) {
            throw new IllegalStateException("registration did not reach IDLE: " + r.state());
        }
        return new IdleLog(r);
    }

    /**
     * The echo service's whole procedure for one accepted connection: the responder, its reply and
     * the close decision (what the server allocates per echo connection, sockets apart).
     *
     * @return the reply bytes the server would write
     */
    public static ByteBuffer echoReply(int clientIp, int clientPort) {
        EchoResponder r = new EchoResponder(clientIp, clientPort, 1_000_000_000L);
        r.start(NOW);
        ByteBuffer reply = r.outbound(0).pollTransmit();
        if (r.outbound(0).closing() != Outbound.Closing.AFTER_FLUSH) {
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
         * @return what the server would hand to the listener's {@code Connection.send} (the next
         *     queued buffer: {@code in} itself, borrowed, see {@link Outbound#forward})
         */
        public ByteBuffer initiatorToListener(ByteBuffer in) {
            relay.handleBytes(ControlRelay.Side.INITIATOR.ordinal(), in, NOW);
            return relay.outbound(ControlRelay.Side.LISTENER.ordinal()).pollTransmit();
        }
    }

    /** @return a relay in RELAYING, as after both control connections arrived */
    public static Relay relaying() {
        ControlRelay r = new ControlRelay(CLIENT_IP, PEER_IP, ServerConfig.DEFAULT_MAX_RELAY_BACKLOG, NOW,
                30_000_000_000L, 1_000_000_000L);
        Objects.requireNonNull(r.handleArrival(CLIENT_IP, NOW), "initiator refused");
        Objects.requireNonNull(r.handleArrival(PEER_IP, NOW), "listener refused");
        if (r.state() != ControlRelay.State.RELAYING) {
            throw new IllegalStateException("relay not RELAYING: " + r.state());
        }
        while (r.pollAction() != null) {
            // StopListening: not part of the steady state
        }
        return new Relay(r);
    }

    /**
     * What the server counts for operators over one rendezvous, as its I/O counts it: the two
     * registrations, the MSG_CONNECT's answer, the finished session and its NAT classes, and one
     * relayed read ({@link ServerCounters}).
     *
     * @return the counters, to read
     */
    public static ServerCounters countOneRendezvous(ServerCounters c) {
        c.registered();
        c.registered();
        c.connectAnswered(ServerCounters.ConnectAnswer.OK);
        c.relayed(1024);
        c.sessionFinished(SessionSummary.Path.DIRECT, ServerCounters.Outcome.ENDED);
        c.handshake(ServerCounters.NatClass.PREDICTABLE, ServerCounters.NatClass.RANDOM);
        return c;
    }

    /** @return fresh counters for {@link #countOneRendezvous} */
    public static ServerCounters counters() {
        return new ServerCounters();
    }

    private static void drain(Outbound out) {
        while (out.pollTransmit() != null) {
            // the greeting and ServerInfo: not part of the steady state
        }
    }
}
