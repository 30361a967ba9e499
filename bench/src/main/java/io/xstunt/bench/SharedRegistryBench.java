package io.xstunt.bench;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntAsync;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntConnection;
import io.xstunt.api.XstuntOptions;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.testkit.Await;
import io.xstunt.testkit.RedisServer;
import io.xstunt.testkit.SharedPorts;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * The shared registry's cost, measured in one run against its reference, the in-memory registry:
 * registrations/s (XInit with a cached fingerprint, then its close) and sessions/s (XConnect
 * between two clients of one server, then both ends closed) on a server with the in-memory
 * registry and on one with Redis, rounds alternating; the Redis commands each registration and
 * each session costs (the servers' own count); and the XConnect latency between clients of two
 * servers sharing Redis against two clients of one of them. A real redis-server on loopback
 * (started here). Sequential on purpose: it measures what one operation costs, not the servers'
 * capacity (load.LoadGenerator does that).
 *
 * <p>{@code java -cp ... io.xstunt.bench.SharedRegistryBench [--rounds N] [--registrations N] [--sessions N]}
 */
public final class SharedRegistryBench {
    private static final Duration BOUND = Duration.ofSeconds(20);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Path dir;
    private final EventLoop clientLoop = EventLoop.open("bench-clients").start();
    private final int logPort;
    private final int commPort;

    private SharedRegistryBench(Path dir) throws Exception {
        this.dir = dir;
        int[] ports = SharedPorts.pair();
        logPort = ports[0];
        commPort = ports[1];
    }

    public static void main(String[] args) throws Exception {
        int rounds = 5;
        int registrations = 200;
        int sessions = 100;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--registrations" -> registrations = Integer.parseInt(args[++i]);
                case "--sessions" -> sessions = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("usage: SharedRegistryBench [--rounds N]"
                        + " [--registrations N] [--sessions N], not " + args[i]);
            }
        }
        Path dir = Files.createTempDirectory("xstunt-registry-bench");
        try (RedisServer redis = RedisServer.start(dir)) {
            new SharedRegistryBench(dir).run(redis.uri(30_000), rounds, registrations, sessions);
        }
    }

    private StuntServer server(EventLoop loop, String ip1, String ip2, String registry) throws Exception {
        ServerConfig c = ServerConfig.builder(Ipv4.parse(ip1), Ipv4.parse(ip2)).logPort(logPort).commPort(commPort)
                .echoPort1(0).echoPort2(0).backlog(1024).maxAnnouncementsPerSecond(1_000_000).build();
        StuntServer s = StuntServer.start(loop, c, registry == null ? null : URI.create(registry))
                .get(BOUND.toSeconds(), TimeUnit.SECONDS);
        Await.until(ip1 + "'s registry ready", BOUND, () -> s.registryHealth().reachable());
        return s;
    }

    private XstuntOptions options(String local) {
        return XstuntOptions.builder().logPort(logPort).commPort(commPort).localAddress(local)
                .fingerprintFile(dir.resolve("fp-" + local + ".dat")).eventLoop(clientLoop).build();
    }

    private void run(String redis, int rounds, int registrations, int sessions) throws Exception {
        EventLoop l1 = EventLoop.open("memory").start();
        EventLoop l2 = EventLoop.open("redis-1").start();
        EventLoop l3 = EventLoop.open("redis-2").start();
        StuntServer memory = server(l1, "127.0.0.1", "127.0.0.2", null);
        StuntServer r1 = server(l2, "127.0.0.3", "127.0.0.4", redis);
        StuntServer r2 = server(l3, "127.0.0.5", "127.0.0.6", redis);
        String[] mem = {"127.0.0.1", "127.0.0.2"};
        String[] red1 = {"127.0.0.3", "127.0.0.4"};
        String[] red2 = {"127.0.0.5", "127.0.0.6"};
        double[] regMem = new double[rounds];
        double[] regRedis = new double[rounds];
        double[] sesMem = new double[rounds];
        double[] sesRedis = new double[rounds];
        long[] sameNs = new long[rounds * sessions];
        long[] crossNs = new long[rounds * sessions];
        long regCommands = 0;
        long sessionCommands = 0;
        long crossCommands = 0;
        // warm-up: one round of each, discarded (the JIT, the fingerprint files)
        registrations(mem, memory, Math.min(50, registrations), null);
        registrations(red1, r1, Math.min(50, registrations), null);
        long[] memNs = new long[rounds * sessions];
        for (int r = 0; r < rounds; r++) {
            // the order alternates, so that neither registry always runs on a warmer or cooler machine
            boolean memoryFirst = r % 2 == 0;
            long[] cmds = new long[1];
            if (memoryFirst) {
                regMem[r] = registrations(mem, memory, registrations, null);
            }
            regRedis[r] = registrations(red1, r1, registrations, cmds);
            if (!memoryFirst) {
                regMem[r] = registrations(mem, memory, registrations, null);
            }
            regCommands += cmds[0];
            long[] c = new long[1];
            if (memoryFirst) {
                sesMem[r] = sessions(mem, memory, mem, memory, sessions, memNs, r * sessions, null);
            }
            sesRedis[r] = sessions(red1, r1, red1, r1, sessions, sameNs, r * sessions, c);
            if (!memoryFirst) {
                sesMem[r] = sessions(mem, memory, mem, memory, sessions, memNs, r * sessions, null);
            }
            sessionCommands += c[0];
            sessions(red1, r1, red2, r2, sessions, crossNs, r * sessions, c);
            crossCommands += c[0];
        }
        Arrays.sort(memNs);
        Arrays.sort(sameNs);
        Arrays.sort(crossNs);
        System.out.printf(Locale.ROOT, "SharedRegistryBench: %d rounds, %d registrations and %d sessions each%n",
                rounds, registrations, sessions);
        System.out.printf(Locale.ROOT, "registrations/s  in memory %8.0f   redis %8.0f   ratio redis/memory %.2f%n",
                median(regMem), median(regRedis), median(regRedis) / median(regMem));
        System.out.printf(Locale.ROOT, "sessions/s       in memory %8.0f   redis %8.0f   ratio redis/memory %.2f%n",
                median(sesMem), median(sesRedis), median(sesRedis) / median(sesMem));
        System.out.printf(Locale.ROOT, "redis commands per registration %.2f, per session (one server) %.2f,"
                + " per session (two servers, both counted) %.2f%n", (double) regCommands / (rounds * registrations),
                (double) sessionCommands / (rounds * sessions), (double) crossCommands / (rounds * sessions));
        System.out.printf(Locale.ROOT, "XConnect latency  in memory p50 %.2f ms p99 %.2f ms   redis, same server p50 %.2f ms"
                + " p99 %.2f ms   redis, across servers p50 %.2f ms p99 %.2f ms   added by crossing p50 %.2f ms%n",
                ms(memNs, 0.5), ms(memNs, 0.99), ms(sameNs, 0.5), ms(sameNs, 0.99), ms(crossNs, 0.5),
                ms(crossNs, 0.99), ms(crossNs, 0.5) - ms(sameNs, 0.5));
        for (StuntServer s : List.of(memory, r1, r2)) {
            s.close();
        }
        for (EventLoop l : List.of(l1, l2, l3, clientLoop)) {
            l.close();
        }
    }

    /** @return registrations/s of {@code n} XInits on {@code server}; cmds[0] gets their Redis commands */
    private double registrations(String[] ips, StuntServer server, int n, long[] cmds) throws Exception {
        List<XstuntClient> clients = new ArrayList<>(n);
        long c0 = server.registryHealth().commands();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            clients.add(Xstunt.xInit(ips[0], ips[1], "reg" + i, options("127.0.2." + (10 + i % 200))));
        }
        long t1 = System.nanoTime();
        long c1 = server.registryHealth().commands();
        for (XstuntClient c : clients) {
            c.close();
        }
        Await.until("the registrations gone", BOUND, () -> server.registeredCount() == 0);
        if (cmds != null) {
            cmds[0] = c1 - c0;
        }
        return n / ((t1 - t0) / 1e9);
    }

    /**
     * @return sessions/s of {@code n} XConnects from a client of {@code s1} to one of {@code s2}
     *     (over the XConnects' own time: the waits for IDLE in between are not counted); latencies
     *     into {@code ns}; cmds[0], if given, gets the Redis commands of both servers during the XConnects
     */
    private double sessions(String[] ips1, StuntServer s1, String[] ips2, StuntServer s2, int n, long[] ns, int at,
                            long[] cmds) throws Exception {
        XstuntClient a = Xstunt.xInit(ips1[0], ips1[1], "sa", options("127.0.3.1"));
        XstuntClient b = Xstunt.xInit(ips2[0], ips2[1], "sb", options("127.0.3.2"));
        XstuntAsync.onIncoming(b, SharedRegistryBench::closeQuietly, e -> { });
        Await.until("sa and sb IDLE", BOUND, () -> s1.stateOf("sa").equals(OptionalInt.of(1))
                && s2.stateOf("sb").equals(OptionalInt.of(1)));
        long c0 = s1.registryHealth().commands() + (s2 == s1 ? 0 : s2.registryHealth().commands());
        polls = 0;
        long total = 0;
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            try (XstuntConnection c = Xstunt.xConnect(a, "sb", TIMEOUT)) {
                long took = System.nanoTime() - s;
                ns[at + i] = took;
                total += took;
            }
            // the next XConnect needs both IDLE again (the session's end is a few loop turns later)
            Await.until("sa and sb IDLE", BOUND, () -> idle(s1, "sa") && idle(s2, "sb"));
        }
        if (cmds != null) {
            // without this bench's own MSG_QUERYs (one HGET each on a shared registry)
            cmds[0] = s1.registryHealth().commands() + (s2 == s1 ? 0 : s2.registryHealth().commands()) - c0 - polls;
        }
        a.close();
        b.close();
        Await.until("sa and sb gone", BOUND, () -> s1.stateOf("sa").isEmpty() && s2.stateOf("sb").isEmpty());
        return n / (total / 1e9);
    }

    /** The bench's own state queries since the last reset: each is a store command on a shared registry. */
    private long polls;

    private boolean idle(StuntServer s, String id) {
        polls++;
        return s.stateOf(id).equals(OptionalInt.of(1));
    }

    private static void closeQuietly(XstuntConnection c) {
        try {
            c.close();
        } catch (java.io.IOException | RuntimeException e) {
            // the listener's end of a measured connection: nothing to keep
        }
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    private static double ms(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))] / 1e6;
    }
}
