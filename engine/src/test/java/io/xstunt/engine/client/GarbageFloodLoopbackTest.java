package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * A flood of garbage on one port of the server (the log service: connections of 2 KiB random
 * bytes, paced at most one each half millisecond) while two clients rendezvous: the handshake's median
 * time under the flood stays within twice its median time without it, both measured in the same
 * run, in alternating rounds.
 */
class GarbageFloodLoopbackTest {
    private static final int ROUNDS = 8;
    private static final int PER_ROUND = 8;
    private static final long WAIT_S = 20;
    private static final long FLOOD_PAUSE_NS = 500_000;

    @Test
    void aLegitimateHandshakeKeepsItsPaceUnderAGarbageFlood() throws Exception {
        EventLoop serverLoop = EventLoop.open("flood-server").start();
        EventLoop clientLoop = EventLoop.open("flood-clients").start();
        StuntServer server = StuntServer.start(serverLoop, ServerConfig.builder(Ipv4.parse("127.0.0.1"),
                Ipv4.parse("127.0.0.2")).logPort(0).commPort(0).echoPort1(0).echoPort2(0).maxAnnouncementsPerSecond(1_000_000).build())
                .get(WAIT_S, TimeUnit.SECONDS);
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicLong floodConnections = new AtomicLong();
        // one permit per garbage connection: a flooded round starts once the flood is under way (a
        // FAST handshake can be over before a paced flood has made its first connection)
        Semaphore floodMade = new Semaphore(0);
        Thread flood = null;
        try {
            StuntClient alice = register(clientLoop, server, "127.0.0.71", "alice");
            StuntClient bob = register(clientLoop, server, "127.0.0.72", "bob");
            handshakes(alice, bob, 3); // warm-up
            InetSocketAddress target = server.logAddress();
            AtomicBoolean on = new AtomicBoolean();
            flood = Thread.ofPlatform().name("garbage-flood").start(() -> {
                Random rnd = new Random(7);
                byte[] junk = new byte[2048];
                while (flooding.get()) {
                    if (!on.get()) {
                        LockSupport.parkNanos(FLOOD_PAUSE_NS);
                        continue;
                    }
                    try (Socket s = new Socket()) {
                        s.bind(new InetSocketAddress("127.0.0.79", 0));
                        s.connect(target, 2000);
                        s.setSoLinger(true, 0);
                        rnd.nextBytes(junk);
                        s.getOutputStream().write(junk);
                    } catch (IOException e) {
                        // the server closed it first: that is its reaction to garbage
                    }
                    floodConnections.incrementAndGet();
                    floodMade.release();
                    // Paced: the flood generator shares this machine's two cores with the server and both
                    // clients; unpaced it would measure the core it steals rather than the server (a
                    // remote flooder spends its own CPU).
                    LockSupport.parkNanos(FLOOD_PAUSE_NS);
                }
            });
            // Quiet and flooded rounds alternate, so that load from outside the test hits both alike.
            long[] quiet = new long[ROUNDS * PER_ROUND];
            long[] flooded = new long[ROUNDS * PER_ROUND];
            long rejectedBefore = server.rejectedTotal();
            for (int round = 0; round < ROUNDS; round++) {
                on.set(false);
                System.arraycopy(handshakes(alice, bob, PER_ROUND), 0, quiet, round * PER_ROUND, PER_ROUND);
                floodMade.drainPermits();
                on.set(true);
                assertTrue(floodMade.tryAcquire(PER_ROUND, WAIT_S, TimeUnit.SECONDS),
                        "the flood made no " + PER_ROUND + " connections within " + WAIT_S + " s");
                System.arraycopy(handshakes(alice, bob, PER_ROUND), 0, flooded, round * PER_ROUND, PER_ROUND);
            }
            long unloaded = median(quiet);
            long loaded = median(flooded);
            long floods = floodConnections.get();
            flooding.set(false);
            flood.join(TimeUnit.SECONDS.toMillis(WAIT_S));

            assertTrue(floods >= ROUNDS * PER_ROUND, "the flood ran during the handshakes: " + floods + " connections");
            assertTrue(server.rejectedTotal() > rejectedBefore, "the garbage was refused and counted");
            assertTrue(loaded <= 2 * unloaded, "median handshake " + loaded / 1000 + " us under a flood of " + floods
                    + " garbage connections, " + unloaded / 1000 + " us without");
            assertEquals(2, server.registeredCount(), "the flood took no registration");
            alice.close();
            bob.close();
        } finally {
            flooding.set(false);
            if (flood != null) {
                flood.join(TimeUnit.SECONDS.toMillis(WAIT_S));
            }
            clientLoop.close();
            server.close();
            serverLoop.close();
        }
    }

    private static StuntClient register(EventLoop loop, StuntServer server, String local, String id)
            throws Exception {
        ClientConfig c = ClientConfig.builder(Ipv4.parse("127.0.0.1"), Ipv4.parse("127.0.0.2"))
                .logPort(server.logAddress().getPort()).commPort(server.commAddress().getPort())
                .localAddress(Ipv4.parse(local)).fingerprintFile(null)
                // RACE: the handshake that asks the most of the server (comm, announcements, the
                // control relay), which is what the flood competes with; FAST's ~1 ms handshake is
                // mostly the clients' kernel work, which a local flood merely steals CPU from
                .punchStrategy(PunchStrategy.RACE).build();
        return StuntClient.register(loop, c, id).get(WAIT_S, TimeUnit.SECONDS);
    }

    /** @return the duration of each XConnect, in ns, from the call to the direct connection */
    private static long[] handshakes(StuntClient a, StuntClient b, int n) throws Exception {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            Rendezvous r = a.connect(b.id(), Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
            t[i] = System.nanoTime() - start;
            r.socketChannel().close();
            b.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS).socketChannel().close();
        }
        return t;
    }

    private static long median(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
