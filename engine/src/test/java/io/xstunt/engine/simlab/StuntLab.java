package io.xstunt.engine.simlab;

import io.xstunt.engine.client.ClientConfig;
import io.xstunt.engine.client.PunchStrategy;
import io.xstunt.engine.client.Rendezvous;
import io.xstunt.engine.client.StuntClient;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.SessionSummary;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.sim.NatLab;
import io.xstunt.engine.sim.SimHost;
import io.xstunt.engine.sim.SimNetwork;
import io.xstunt.engine.wire.Ipv4;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * natlab's lab with the real STUNT server on {@code srv} and real clients on its hosts: the
 * simulated counterpart of natlab's {@code Lab} (the namespaces) plus its {@code Peer}s (a CLI JVM
 * per peer). The server runs with the CLI's settings ({@code server --ip1 --ip2 --session-timeout
 * 30}: the reference's ports); each client has its own ID, no fingerprint file (a cached one would
 * hide the NAT under test, so every client probes, as natlab's fresh file per peer makes it), and
 * the CLI's {@code --strategy} and {@code --timeout}. Everything runs on the test's thread and the
 * lab's virtual clock: the engine's asynchronous calls, then {@link SimNetwork#await} or a bounded
 * run.
 *
 * <p>{@link #attempt} is natlab's one attempt (a listener with {@code --count 1}, a connector that
 * sends a unique payload and reads the echo), with everything a row of the matrix asserts.
 */
final class StuntLab {
    /** Virtual-time bound of XInit: probing through delay and loss (a lost SYN costs 1 s, 3 s, ...). */
    static final Duration REGISTRATION = Duration.ofSeconds(30);
    /** Bigger than all control bytes of a session (44): data through the server would show. */
    static final int PAYLOAD = 1200;
    /** The server's session bound, natlab's {@code --session-timeout 30}. */
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(30);
    /** Slack over a bound the engine keeps itself, before a wait of the test gives up. */
    private static final Duration SLACK = Duration.ofSeconds(5);

    private final NatLab lab;
    private final StuntServer server;
    private final List<SessionSummary> sessions = new ArrayList<>();
    private final Random payloads;
    private int pairs;

    private StuntLab(NatLab lab, StuntServer server, long seed) {
        this.lab = lab;
        this.server = server;
        this.payloads = new Random(seed);
        server.onSessionFinished(sessions::add);
    }

    /**
     * Starts the STUNT server on {@code lab}'s srv (198.51.100.10 and .11) with the reference's
     * ports, without the relay: the matrix is the traversal's (what punches and what does not);
     * the relay of the pairs that cannot punch has its own test ({@code sim.RelayOnSimTest}).
     */
    static StuntLab start(NatLab lab, long seed) {
        ServerConfig config = ServerConfig.builder(ip(NatLab.SRV_IP1), ip(NatLab.SRV_IP2))
                .sessionTimeout(SESSION_TIMEOUT).relay(io.xstunt.engine.server.RelayLimits.OFF).build();
        StuntServer server = lab.net().await("the STUNT server's start on srv",
                StuntServer.start(lab.srv().network(), config), Duration.ofSeconds(1));
        return new StuntLab(lab, server, seed);
    }

    NatLab lab() {
        return lab;
    }

    SimNetwork net() {
        return lab.net();
    }

    StuntServer server() {
        return server;
    }

    /** @return every session the server finished so far, in order */
    List<SessionSummary> sessions() {
        return sessions;
    }

    /** @return a client configuration as the CLI builds one: {@code --strategy}, {@code --timeout} (listen bound) */
    static ClientConfig clientConfig(PunchStrategy strategy, Duration timeout) {
        return ClientConfig.builder(ip(NatLab.SRV_IP1), ip(NatLab.SRV_IP2)).fingerprintFile(null)
                .punchStrategy(strategy).listenTimeout(timeout).build();
    }

    /** XInit of {@code id} on {@code host}: probes the NAT and registers, within {@link #REGISTRATION}. */
    StuntClient register(SimHost host, String id, PunchStrategy strategy, Duration timeout) {
        return register(host, id, clientConfig(strategy, timeout));
    }

    /** XInit of {@code id} on {@code host} with {@code config}, within {@link #REGISTRATION}. */
    StuntClient register(SimHost host, String id, ClientConfig config) {
        return net().await("XInit of '" + id + "' on " + host + " (" + lab.options() + ")",
                StuntClient.register(host.network(), config, id), REGISTRATION);
    }

    /** @return a fresh pair number: IDs l{n} and c{n}, as natlab names its attempts' peers */
    int nextPair() {
        return ++pairs;
    }

    /** @return a unique random payload of {@link #PAYLOAD} letters and digits, seeded with the lab */
    String payload() {
        String abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder sb = new StringBuilder(PAYLOAD);
        for (int i = 0; i < PAYLOAD; i++) {
            sb.append(abc.charAt(payloads.nextInt(abc.length())));
        }
        return sb.toString();
    }

    /**
     * One rendezvous as natlab's attempt runs it: a listener {@code l<n>} on {@code listenerHost},
     * a connector {@code c<n>} on {@code connectorHost}, both registered just before (XConnect
     * right after XInit, as the CLI does), the connector's XConnect to the listener with
     * {@code timeout}, both sides' outcomes, the server's session summary, and over a direct
     * connection the payload there and back. Both clients deregister afterwards.
     */
    Attempt attempt(SimHost listenerHost, SimHost connectorHost, PunchStrategy strategy, Duration timeout) {
        return attempt(listenerHost, id -> clientConfig(strategy, timeout), connectorHost, strategy, timeout);
    }

    /**
     * {@link #attempt(SimHost, SimHost, PunchStrategy, Duration)} with the listener's configuration
     * from {@code listenerConfig}, given the listener's ID (a fingerprint file must name it).
     */
    Attempt attempt(SimHost listenerHost, Function<String, ClientConfig> listenerConfig, SimHost connectorHost,
                    PunchStrategy strategy, Duration timeout) {
        int n = nextPair();
        String lid = "l" + n;
        String cid = "c" + n;
        StuntClient listener = register(listenerHost, lid, listenerConfig.apply(lid));
        StuntClient connector = register(connectorHost, cid, strategy, timeout);
        Attempt.Builder a = new Attempt.Builder(lab, strategy, listener, connector);
        CompletableFuture<Rendezvous> incoming = new CompletableFuture<>();
        listener.onIncoming(incoming::complete, incoming::completeExceptionally);

        long startNs = net().nowNs();
        long[] doneNs = new long[1];
        CompletableFuture<Rendezvous> call = connector.connect(lid, timeout);
        call.whenComplete((r, e) -> doneNs[0] = net().nowNs());
        net().runUntil("the outcome of XConnect " + cid + " -> " + lid + " (" + lab.options() + ")", call::isDone,
                timeout.plus(SLACK));
        a.handshake(Duration.ofNanos(doneNs[0] - startNs));
        a.connector(call);
        // the listener's side: its connection, its failure, or nothing (no session was announced)
        net().tryRunUntil(incoming::isDone, timeout.plus(SLACK));
        a.listener(incoming);
        net().tryRunUntil(() -> session(cid) != null, SESSION_TIMEOUT.plus(SLACK));
        a.session(session(cid));
        a.countersNow();
        if (a.connected() != null && a.incoming() != null) {
            a.echoed(echo(a.connected().channel(), a.incoming().channel(), payload()));
        }
        Attempt attempt = a.build();
        attempt.closeChannels();
        deregister(listener);
        deregister(connector);
        return attempt;
    }

    /** @return the finished session whose initiator is {@code initiatorId}, or null */
    SessionSummary session(String initiatorId) {
        return sessions.stream().filter(s -> s.initiatorId().equals(initiatorId)).findFirst().orElse(null);
    }

    /**
     * The CLI's {@code connect --message}: writes {@code payload} on the connector's channel, the
     * listener reads it all and echoes it back, the connector reads the echo. Blocking reads run
     * the simulation (bounded by the simulated channel).
     *
     * @return what came back to the connector, and what the listener heard
     */
    static Echoed echo(ByteChannel connector, ByteChannel listener, String payload) {
        byte[] bytes = payload.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try {
            connector.write(ByteBuffer.wrap(bytes));
            String heard = readFully(listener, bytes.length);
            listener.write(ByteBuffer.wrap(heard.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            return new Echoed(payload, heard, readFully(connector, bytes.length));
        } catch (IOException e) {
            throw new AssertionError("the payload's round trip failed: " + e, e);
        }
    }

    /** A payload's trip there and back over a direct connection. */
    record Echoed(String sent, String heard, String back) {
        boolean complete() {
            return sent.equals(heard) && sent.equals(back);
        }
    }

    private static String readFully(ByteChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                break;
            }
        }
        return new String(b.array(), 0, b.position(), java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** XDeRegister, bounded; the server then forgets the ID. */
    void deregister(StuntClient client) {
        net().await("XDeRegister of '" + client.id() + "'", client.deregister(), Duration.ofSeconds(10));
    }

    static Inet4Address ip(String dotted) {
        return Ipv4.parse(dotted);
    }
}
