package io.xstunt.bench;

import io.xstunt.engine.server.ServerPaths;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.ControlFrame;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogHello;
import io.xstunt.engine.wire.LogLine;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encode and decode of every wire struct and control frame, and the server's per-message paths
 * without sockets: the echo reply (an address record written into a reused buffer, and the echo
 * service's whole procedure per connection, {@link Echo#addressReply} in a fresh buffer), a client's text log line on an IDLE registration, and one relayed
 * control frame. Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is the bytes allocated per
 * operation, the figure for "no allocation per message on the server's steady-state paths".
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class CodecBenchmark {
    private static final int IP_A = Ipv4.toInt(Ipv4.parse("203.0.113.7"));
    private static final int IP_B = Ipv4.toInt(Ipv4.parse("198.51.100.9"));

    private final ByteBuffer out = ByteBuffer.allocate(512);
    private final ServerInfo serverInfo = new ServerInfo("alice", IP_A, IP_B, 8124, 8125);
    private final Echo announcement = new Echo(IP_A, 40000, 17, "bob", IP_B, Protocol.ROLE_INITIATOR);
    private final Msg connect = Msg.connect("alice", "bob");
    private final Fingerprint fingerprint = new Fingerprint(Protocol.BUILD_VERSION, 1, "alice", true, IP_A, 2, false);
    private final LogHello hello = new LogHello(Protocol.BUILD_VERSION, 1, IP_A);
    private final LogState logState = new LogState(Protocol.CSTATE_IDLE, IP_B);
    private final ControlFrame one = ControlFrame.one();
    private ByteBuffer serverInfoBytes;
    private ByteBuffer announcementBytes;
    private ByteBuffer addressBytes;
    private ByteBuffer connectBytes;
    private ByteBuffer fingerprintBytes;
    private ByteBuffer helloBytes;
    private ByteBuffer logStateBytes;
    private ByteBuffer idBytes;
    private ByteBuffer frameBytes;
    private ByteBuffer logLineBytes;
    private ByteBuffer relayBytes;
    private ServerPaths.IdleLog idleLog;
    private ServerPaths.IdleLog idleLogSlf4j;
    private ServerPaths.Relay relay;
    private final io.xstunt.engine.server.ServerCounters counters = ServerPaths.counters();

    @Setup
    public void setUp() {
        serverInfoBytes = encoded(b -> serverInfo.write(b, WireVariant.ID32));
        announcementBytes = encoded(b -> announcement.write(b, WireVariant.ID32));
        addressBytes = encoded(b -> Echo.writeAddress(b, WireVariant.ID32, IP_A, 40001));
        connectBytes = encoded(b -> connect.write(b, WireVariant.ID32));
        fingerprintBytes = encoded(b -> fingerprint.write(b, WireVariant.ID32));
        helloBytes = encoded(hello::write);
        logStateBytes = encoded(logState::write);
        idBytes = encoded(b -> ClientId.write(b, "alice", WireVariant.ID32));
        frameBytes = encoded(ControlFrame.port(40002)::write);
        logLineBytes = ByteBuffer.wrap(LogLine.format(1_700_000_000_123L, "Probe.cpp", 120,
                "probe 3 of 4 answered from 203.0.113.7:40001"));
        relayBytes = encoded(one::write);
        idleLog = ServerPaths.idleRegistration("alice", ServerPaths.LineSink.DISCARD);
        idleLogSlf4j = ServerPaths.idleRegistration("bob", ServerPaths.LineSink.SLF4J);
        relay = ServerPaths.relaying();
    }

    private static ByteBuffer encoded(java.util.function.Consumer<ByteBuffer> writer) {
        ByteBuffer b = ByteBuffer.allocate(512);
        writer.accept(b);
        return b.flip();
    }

    private ByteBuffer cleared() {
        return out.clear();
    }

    private static ByteBuffer rewound(ByteBuffer b) {
        return b.position(0);
    }

    // ---- structs: encode

    @Benchmark
    public ByteBuffer serverInfoWrite() {
        ByteBuffer b = cleared();
        serverInfo.write(b, WireVariant.ID32);
        return b;
    }

    @Benchmark
    public ByteBuffer echoAnnouncementWrite() {
        ByteBuffer b = cleared();
        announcement.write(b, WireVariant.ID32);
        return b;
    }

    /** An address record written into a reused buffer, in a variant given at run time. */
    @Benchmark
    public ByteBuffer echoWriteAddress() {
        ByteBuffer b = cleared();
        Echo.writeAddress(b, WireVariant.ID32, IP_A, 40001);
        return b;
    }

    @Benchmark
    public ByteBuffer msgConnectWrite() {
        ByteBuffer b = cleared();
        connect.write(b, WireVariant.ID32);
        return b;
    }

    @Benchmark
    public ByteBuffer fingerprintWrite() {
        ByteBuffer b = cleared();
        fingerprint.write(b, WireVariant.ID32);
        return b;
    }

    @Benchmark
    public ByteBuffer logHelloWrite() {
        ByteBuffer b = cleared();
        hello.write(b);
        return b;
    }

    @Benchmark
    public ByteBuffer logStateWrite() {
        ByteBuffer b = cleared();
        logState.write(b);
        return b;
    }

    @Benchmark
    public ByteBuffer clientIdWrite() {
        ByteBuffer b = cleared();
        ClientId.write(b, "alice", WireVariant.ID32);
        return b;
    }

    @Benchmark
    public ByteBuffer controlFrameOneWrite() {
        ByteBuffer b = cleared();
        ControlFrame.one().write(b);
        return b;
    }

    @Benchmark
    public ByteBuffer controlFrameAddressWrite() {
        ByteBuffer b = cleared();
        ControlFrame.address(IP_A).write(b);
        ControlFrame.port(40002).write(b);
        return b;
    }

    @Benchmark
    public ByteBuffer controlFrameAbortWrite() {
        ByteBuffer b = cleared();
        ControlFrame.abort("prediction failed").write(b);
        return b;
    }

    /**
     * The operators' counts of one whole rendezvous (two registrations, the MSG_CONNECT, the
     * session's end and NAT classes, a relayed read): what counting adds to a session, whose
     * server CPU the load generator measures (PERFORMANCE.md, section 8).
     */
    @Benchmark
    public io.xstunt.engine.server.ServerCounters countOneRendezvous() {
        return ServerPaths.countOneRendezvous(counters);
    }

    @Benchmark
    public byte[] logLineFormat() {
        return LogLine.format(1_700_000_000_123L, "Probe.cpp", 120, "probe 3 of 4 answered");
    }

    // ---- structs: decode

    @Benchmark
    public ServerInfo serverInfoRead() {
        return ServerInfo.read(rewound(serverInfoBytes), WireVariant.ID32);
    }

    @Benchmark
    public Echo echoAnnouncementRead() {
        return Echo.read(rewound(announcementBytes), WireVariant.ID32);
    }

    @Benchmark
    public Echo echoAddressRead() {
        return Echo.read(rewound(addressBytes), WireVariant.ID32);
    }

    @Benchmark
    public Msg msgConnectRead() {
        return Msg.read(rewound(connectBytes), WireVariant.ID32);
    }

    @Benchmark
    public Fingerprint fingerprintRead() {
        return Fingerprint.read(rewound(fingerprintBytes), WireVariant.ID32);
    }

    @Benchmark
    public LogHello logHelloRead() {
        return LogHello.read(rewound(helloBytes));
    }

    @Benchmark
    public LogState logStateRead() {
        return LogState.read(rewound(logStateBytes));
    }

    @Benchmark
    public String clientIdRead() {
        return ClientId.read(rewound(idBytes), WireVariant.ID32);
    }

    @Benchmark
    public ControlFrame controlFrameTryRead() {
        return ControlFrame.tryRead(rewound(frameBytes));
    }

    // ---- the server's per-message paths (sans-IO, the server's own procedures)

    /** The echo service's procedure for one connection: responder, reply buffer, close decision. */
    @Benchmark
    public ByteBuffer serverEchoReply() {
        return ServerPaths.echoReply(IP_A, 40001);
    }

    /** One client log line on an IDLE registration, sink discarding: the server's parsing only. */
    @Benchmark
    public boolean serverLogLine() {
        idleLog.onBytes(rewound(logLineBytes));
        return idleLog.idle();
    }

    /**
     * One client log line through the production slf4j sink; what it costs beyond
     * {@link #serverLogLine} is the logging binding's (bench's tinylog configuration).
     */
    @Benchmark
    public boolean serverLogLineSlf4j() {
        idleLogSlf4j.onBytes(rewound(logLineBytes));
        return idleLogSlf4j.idle();
    }

    /** One control frame (OK(1), 6 bytes) relayed from initiator to listener. */
    @Benchmark
    public ByteBuffer serverRelayFrame() {
        return relay.initiatorToListener(rewound(relayBytes));
    }
}
