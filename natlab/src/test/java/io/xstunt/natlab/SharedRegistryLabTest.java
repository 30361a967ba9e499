package io.xstunt.natlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.xstunt.natlab.Peer.Event;
import io.xstunt.testkit.Await;
import io.xstunt.testkit.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 13 in the NAT lab: two STUNT servers on different addresses share one Redis (in xl-srv);
 * peers behind different NATs registered on different servers connect directly, and when one
 * server is killed mid-run its client registers on the other and is reached there.
 */
@NatLabGate.NatLab
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SharedRegistryLabTest {
    /** The second server: xl-pub's address and one more on the same link. */
    private static final String PUB_IP2 = "198.51.100.21";
    private static final int REDIS_PORT = 6390;
    private static final String REGISTRY = "redis://" + Lab.SRV_IP1 + ":" + REDIS_PORT + "?lease-ms=60000";
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration BOUND = Duration.ofSeconds(45);

    private final List<Peer> peers = new ArrayList<>();
    private Process redis;
    private Path dir;

    @AfterEach
    void cleanup() throws Exception {
        peers.forEach(Peer::close);
        if (redis != null) {
            redis.descendants().forEach(ProcessHandle::destroyForcibly);
            redis.destroyForcibly();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
        Lab.down();
    }

    @Test
    @DisplayName("two servers sharing Redis: peers on different servers connect directly; a killed server's client is reached through the other")
    void twoServersSharingRedis() throws Exception {
        if (RedisServer.binary() == null) {
            String why = "redis-server is not installed (apt-get install redis-server; .ci/run installs it)";
            if (Lab.inCi()) {
                fail(why);
            }
            Assumptions.abort(why);
        }
        Lab.up("--nat", "preserve", "--inbound", "drop");
        dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "natlab-redis");
        run("ip", "-n", "xl-pub", "addr", "add", PUB_IP2 + "/24", "dev", "eth0");
        redis = new ProcessBuilder("ip", "netns", "exec", "xl-srv", RedisServer.binary().toString(), "--bind", Lab.SRV_IP1,
                "--port", String.valueOf(REDIS_PORT), "--save", "", "--appendonly", "no", "--dir", dir.toString(),
                // the lab's internet is closed: let the other namespace's server in without a password
                "--protected-mode", "no")
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        String[] lastPing = {""};
        try {
            // from xl-pub, where server B connects from
            await("redis answering in xl-srv", BOUND, () -> {
                lastPing[0] = Lab.run(List.of("ip", "netns", "exec", "xl-pub", "redis-cli", "-h", Lab.SRV_IP1, "-p",
                        String.valueOf(REDIS_PORT), "ping"), 5).output();
                return lastPing[0].contains("PONG");
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; redis-cli said: " + lastPing[0] + "; redis.log: "
                    + Files.readString(dir.resolve("redis.log")), e);
        }

        Peer a = start("srv", "server-a", "server", "--ip1", Lab.SRV_IP1, "--ip2", Lab.SRV_IP2, "--registry", REGISTRY);
        Peer b = start("pub", "server-b", "server", "--ip1", Lab.PUB_IP, "--ip2", PUB_IP2, "--registry", REGISTRY);
        a.await("server", START);
        b.await("server", START);
        await("both servers on Redis", BOUND, () -> a.logContains("is reachable") && b.logContains("is reachable"));

        // h1 (behind nat1) on server A, with B to fail over to; h2's peers (behind nat2) on server B
        String serverA = Lab.SRV_IP1 + "," + Lab.SRV_IP2;
        String serverB = Lab.PUB_IP + "," + PUB_IP2;
        Peer h1 = start("h1", "h1", "listen", "--id", "h1", "--count", "2", "--relay", "direct-only",
                "--server", serverA, "--server", serverB, "--fingerprint", dir.resolve("h1.fp").toString());
        h1.await("registered", START);

        String first = NatLabTest.payload();
        Peer c1 = start("h2", "c1", "connect", "--id", "c1", "--peer", "h1", "--message", first, "--relay",
                "direct-only", "--server", serverB, "--fingerprint", dir.resolve("c1.fp").toString());
        assertEquals(0, c1.awaitExit(BOUND), c1.describe() + h1.describe());
        assertDirect(c1, first);
        Event s1 = b.await("session", 1, BOUND);
        assertEquals("c1", s1.str("initiator"), "the session runs on the initiator's server, B: " + s1);
        assertTrue(NatLabTest.relayed(s1) < NatLabTest.PAYLOAD, "server B relayed no data: " + s1);
        assertTrue(a.events("session").isEmpty(), "nothing of it on server A");

        long killed = System.nanoTime();
        a.close(); // server A dies mid-run: its process is killed
        await("h1 registered again (on server B)", BOUND, () -> h1.logContains("registered again with the server"));
        long failoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        assertTrue(h1.logContains("failing over to server " + Lab.PUB_IP + "/" + PUB_IP2), h1.describe());

        String second = NatLabTest.payload();
        Peer c2 = start("h2", "c2", "connect", "--id", "c2", "--peer", "h1", "--message", second, "--relay",
                "direct-only", "--server", serverB, "--fingerprint", dir.resolve("c2.fp").toString());
        assertEquals(0, c2.awaitExit(BOUND), c2.describe() + h1.describe());
        assertDirect(c2, second);
        assertEquals(0, h1.awaitExit(Duration.ofSeconds(15)), h1.describe());
        System.err.printf("natlab, two servers sharing Redis: h1 registered on server B %d ms after server A was killed;"
                + " both connections direct (%s)%n", failoverMs, c2.await("connected", Duration.ZERO).str("remote"));
    }

    /** Direct: the connector's data connection goes to nat1's public address, and the payload came back. */
    private static void assertDirect(Peer connector, String payload) {
        Event connected = connector.await("connected", Duration.ZERO);
        assertNull(connected.str("via"), "not a LAN connection: " + connected);
        assertEquals(Lab.NAT1_IP, NatLabTest.host(connected.str("remote")), connected.toString());
        StringBuilder got = new StringBuilder();
        connector.events("data").stream().filter(e -> "received".equals(e.str("direction")))
                .forEach(e -> got.append(e.str("text")));
        assertEquals(payload, got.toString(), "the payload came back");
    }

    private Peer start(String ns, String name, String... args) {
        Peer p = Peer.start(ns, "shared-registry-" + name, List.of(args));
        peers.add(p);
        return p;
    }

    private static void run(String... cmd) {
        Lab.Result r = Lab.run(List.of(cmd), 10);
        if (r.code() != 0) {
            fail(String.join(" ", cmd) + " failed: " + r.output());
        }
    }

    private static void await(String what, Duration bound, BooleanSupplier condition) {
        Await.until(what, bound, condition);
    }
}
