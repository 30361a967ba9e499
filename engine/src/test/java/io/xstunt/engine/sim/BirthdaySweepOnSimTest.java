package io.xstunt.engine.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.client.ClientConfig;
import io.xstunt.engine.client.ConnectionPath;
import io.xstunt.engine.client.Rendezvous;
import io.xstunt.engine.client.StuntClient;
import io.xstunt.engine.client.SweepBudget;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.SessionSummary;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The birthday sweep on the simulated internet (every build, virtual time): h1 behind a
 * port-preserving NAT (the easy side) whose inbound policy varies, h2 behind a NAT that picks a
 * random port for every connection (the hard side), each side as the initiator in turn. Each pair
 * connects directly through the sweep within XConnect's timeout, data crosses both ways and the
 * server saw no relay; with both NATs answering RST the pair is relayed with that reason, and with
 * the sweep switched off the pair is relayed after the punch window, as before. The seeds are
 * fixed: the ports are random but the runs repeat.
 */
class BirthdaySweepOnSimTest {
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final Duration TIMEOUT = Duration.ofSeconds(12);

    /**
     * RACE: the sweep is RACE's (a random NAT is declined FAST, whose request would only change the
     * sockets opened before the session, and so the simulation's random draws these seeds were
     * chosen with).
     */
    private static ClientConfig client(String local, SweepBudget sweep) {
        return ClientConfig.builder(Ipv4.parse(NatLab.SRV_IP1), Ipv4.parse(NatLab.SRV_IP2))
                .localAddress(Ipv4.parse(local)).fingerprintFile(null).listenTimeout(TIMEOUT).sweep(sweep)
                .punchStrategy(io.xstunt.engine.client.PunchStrategy.RACE).build();
    }

    @ParameterizedTest(name = "easy side {0}, hard side {1}, initiator h{2}, seed {3}")
    @CsvSource({"DROP, DROP, 1, 1", "DROP, DROP, 2, 2", "RST, DROP, 1, 3", "RST, DROP, 2, 4", "ICMP, DROP, 1, 5",
        "ICMP, DROP, 2, 6", "DROP, RST, 1, 7", "DROP, RST, 2, 8"})
    void oneRandomNatConnectsDirectlyThroughTheSweep(InboundPolicy easy, InboundPolicy hard, int initiator, long seed) {
        Rendezvous[] r = run(lab(easy, hard, seed), initiator, SweepBudget.DEFAULT);
        for (Rendezvous x : r) {
            assertEquals(ConnectionPath.DIRECT, x.path(), x.toString());
            assertTrue(x.phases().containsKey("sweep"), "the sweep made it: " + x.phases());
        }
    }

    @ParameterizedTest(name = "initiator h{0}")
    @CsvSource({"1, 11", "2, 12"})
    void bothNatsAnsweringRstAreRelayedWithTheReason(int initiator, long seed) {
        for (Rendezvous x : run(lab(InboundPolicy.RST, InboundPolicy.RST, seed), initiator, SweepBudget.DEFAULT)) {
            assertEquals(ConnectionPath.RELAYED, x.path(), x.toString());
            assertEquals("both NATs refuse unsolicited SYNs: no birthday sweep", x.relayReason());
        }
    }

    @ParameterizedTest(name = "initiator h{0}")
    @CsvSource({"1, 21", "2, 22"})
    void withTheSweepOffThePairIsRelayedAfterThePunch(int initiator, long seed) {
        for (Rendezvous x : run(lab(InboundPolicy.DROP, InboundPolicy.DROP, seed), initiator, SweepBudget.OFF)) {
            assertEquals(ConnectionPath.RELAYED, x.path(), x.toString());
            assertTrue(x.relayReason().startsWith("punch timed out"), x.relayReason());
        }
    }

    private static NatLab lab(InboundPolicy easy, InboundPolicy hard, long seed) {
        return NatLab.builder().nat1(NatMapping.PRESERVE).nat2(NatMapping.RANDOM).inbound1(easy).inbound2(hard)
                .seed(seed).build();
    }

    /** @return the initiator's and the listener's connection, after data crossed both ways */
    private static Rendezvous[] run(NatLab lab, int initiator, SweepBudget sweep) {
        SimNetwork net = lab.net();
        StuntServer server = net.await("server", StuntServer.start(lab.srv().network(),
                ServerConfig.builder(Ipv4.parse(NatLab.SRV_IP1), Ipv4.parse(NatLab.SRV_IP2)).build()), BOUND);
        CompletableFuture<SessionSummary> summary = new CompletableFuture<>();
        server.onSessionFinished(summary::complete);
        StuntClient h1 = net.await("h1 registered", StuntClient.register(lab.h1().network(),
                client(NatLab.H1_IP, sweep), "h1"), BOUND);
        StuntClient h2 = net.await("h2 registered", StuntClient.register(lab.h2().network(),
                client(NatLab.H2_IP, sweep), "h2"), BOUND);
        StuntClient from = initiator == 1 ? h1 : h2;
        StuntClient to = initiator == 1 ? h2 : h1;
        CompletableFuture<Rendezvous> incoming = new CompletableFuture<>();
        to.onIncoming(incoming::complete, incoming::completeExceptionally);
        long t0 = net.nowNs();
        Rendezvous a = net.await("the XConnect", from.connect(initiator == 1 ? "h2" : "h1", TIMEOUT), BOUND);
        long took = net.nowNs() - t0;
        Rendezvous b = net.await("the incoming connection", incoming, BOUND);
        assertTrue(took < TIMEOUT.toNanos(), "within XConnect's timeout: " + took / 1_000_000 + " ms");
        RelayOnSimTest.crossBothWays(a, b, "ping", "ok");
        SessionSummary s = net.await("the server's report", summary, BOUND);
        assertEquals(a.path() == ConnectionPath.DIRECT ? SessionSummary.Path.DIRECT : SessionSummary.Path.RELAYED,
                s.path());
        return new Rendezvous[] {a, b};
    }
}
