package io.xstunt.bench;

import io.xstunt.api.ConnectionPath;
import io.xstunt.api.RelayMode;
import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntConnection;
import io.xstunt.api.XstuntOptions;
import io.xstunt.engine.server.RelayLimits;
import io.xstunt.testkit.LoopbackServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The relay's cost on loopback, three paths measured in the same run (issue 12's benchmark):
 * a direct TCP connection (the floor), a bare blocking NIO copy loop between two sockets (what any
 * relay must at least do: read, write), and xstunt's relay through a {@code StuntServer} (two
 * {@code RELAY_ONLY} clients, limits off). For each: throughput of one bulk transfer, the median
 * and p99 round trip of small messages; for the relay also the server loop's CPU time per MiB.
 * Ratios are against the references of the same run. Then the server's capacity for relays
 * ({@link io.xstunt.bench.load.RelayCapacity}: relayed sessions held at once, heap per relayed
 * session, a server in its own JVM). {@code RelayBench [MiB] [round trips] [relays held]}.
 */
public final class RelayBench {
    private static final int CHUNK = 64 * 1024;

    private RelayBench() {
    }

    /**
     * Runs the benchmark and prints its table.
     *
     * @param args MiB to transfer (default 256), round trips (default 2000), relayed sessions to
     *     hold (default 1,000, the server's default limit)
     */
    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int trips = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int held = args.length > 2 ? Integer.parseInt(args[2]) : 1_000;
        long bytes = (long) mib << 20;
        SocketChannel[] direct = directPair();
        Result d = measure(direct[0], direct[1], bytes, trips);
        closeAll(direct);
        SocketChannel[] copy = copyLoopPair();
        Result c = measure(copy[0], copy[1], bytes, trips);
        closeAll(copy);
        try (LoopbackServer server = LoopbackServer.start(b -> b.relay(new RelayLimits(true, 0, Duration.ZERO, 0,
                1000, 16)).maxAnnouncementsPerSecond(1_000_000))) {
            XstuntOptions.Builder base = XstuntOptions.builder().logPort(server.logPort()).commPort(server.commPort())
                    .fingerprintFile(null).relayMode(RelayMode.RELAY_ONLY);
            try (XstuntClient a = Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, "bench-a",
                    base.localAddress(LoopbackServer.peerAddress(11)).build());
                 XstuntClient b = Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, "bench-b",
                         base.localAddress(LoopbackServer.peerAddress(12)).build())) {
                CompletableFuture<XstuntConnection> out = CompletableFuture.supplyAsync(() -> {
                    try {
                        return Xstunt.xConnect(a, "bench-b", Duration.ofSeconds(10));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                XstuntConnection in = null;
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (in == null && System.nanoTime() - end < 0) {
                    try {
                        in = Xstunt.xListen(b, Duration.ofSeconds(10));
                    } catch (io.xstunt.api.XstuntException e) {
                        Thread.onSpinWait(); // nothing pending yet: ask again (bounded by the deadline)
                    }
                }
                XstuntConnection o = out.get(15, TimeUnit.SECONDS);
                if (in == null || o.path() != ConnectionPath.RELAYED) {
                    throw new IllegalStateException("no relayed pair: " + o + " / " + in);
                }
                ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                long tid = serverThread(server);
                long cpu0 = mx.getThreadCpuTime(tid);
                Result r = measure(o.channel(), in.channel(), bytes, trips);
                long cpu = mx.getThreadCpuTime(tid) - cpu0;
                o.close();
                in.close();
                System.out.printf("%-22s %10s %10s %10s %10s%n", "path", "MiB/s", "ratio", "rtt p50", "p99");
                row("direct loopback", d, d);
                row("bare NIO copy loop", c, d);
                row("xstunt relay", r, d);
                System.out.printf("relay / bare copy: throughput %.2f, rtt p50 %.2f%n", r.mibPerS / c.mibPerS,
                        (double) r.p50Ns / c.p50Ns);
                System.out.printf("server loop CPU per relayed MiB: %.1f us (%d MiB one way + %d round trips)%n",
                        cpu / 1e3 / mib, mib, trips);
                handshakesUnderLoad(server, base, mib);
            }
        }
        io.xstunt.bench.load.RelayCapacity.run(held, System.out);
    }

    /**
     * Other clients' XConnect (direct, loopback) while the server is idle and while a relay runs at
     * full speed, alternating rounds in the same run: their p50 and p99.
     */
    private static void handshakesUnderLoad(LoopbackServer server, XstuntOptions.Builder base, int mib)
            throws Exception {
        XstuntOptions.Builder direct = XstuntOptions.builder().logPort(server.logPort()).commPort(server.commPort())
                .fingerprintFile(null).relayMode(RelayMode.DIRECT_ONLY);
        try (XstuntClient ra = Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, "load-a",
                base.localAddress(LoopbackServer.peerAddress(21)).build());
             XstuntClient rb = Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, "load-b",
                     base.localAddress(LoopbackServer.peerAddress(22)).build());
             XstuntClient c = Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, "hs-c",
                     direct.localAddress(LoopbackServer.peerAddress(31)).build());
             XstuntClient d = Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, "hs-d",
                     direct.localAddress(LoopbackServer.peerAddress(32)).build())) {
            io.xstunt.api.XstuntAsync.onIncoming(d, x -> {
                try {
                    x.close();
                } catch (IOException e) {
                    // nothing to do
                }
            }, e -> { });
            XstuntConnection[] relay = relayedPair(ra, rb, "load-b");
            java.util.concurrent.atomic.AtomicBoolean load = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread pump = Thread.ofPlatform().start(() -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
                try {
                    while (!stop.get()) {
                        if (load.get()) {
                            relay[0].channel().write(buf.clear());
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                } catch (IOException e) {
                    // closed at the end
                }
            });
            Thread drain = Thread.ofPlatform().daemon().start(() -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
                try {
                    while (relay[1].channel().read(buf.clear()) >= 0) {
                        // discard
                    }
                } catch (IOException e) {
                    // closed at the end
                }
            });
            int rounds = 10;
            int perRound = 20;
            long[] idle = new long[rounds * perRound];
            long[] loaded = new long[rounds * perRound];
            for (int r = 0; r < rounds; r++) {
                load.set(false);
                for (int i = 0; i < perRound; i++) {
                    idle[r * perRound + i] = handshake(server, c);
                }
                load.set(true);
                for (int i = 0; i < perRound; i++) {
                    loaded[r * perRound + i] = handshake(server, c);
                }
            }
            stop.set(true);
            relay[0].close();
            relay[1].close();
            pump.join();
            Arrays.sort(idle);
            Arrays.sort(loaded);
            int n = idle.length;
            System.out.printf("other clients' XConnect, idle server: p50 %.2f ms, p99 %.2f ms; while a relay runs"
                    + " at full speed: p50 %.2f ms, p99 %.2f ms; p99 ratio %.2f (%d each, alternating rounds)%n",
                    idle[n / 2] / 1e6, idle[n * 99 / 100] / 1e6, loaded[n / 2] / 1e6, loaded[n * 99 / 100] / 1e6,
                    (double) loaded[n * 99 / 100] / idle[n * 99 / 100], n);
            drain.join(5_000);
        }
    }

    /** One XConnect until the initiator holds its connection; then both are IDLE again before the next. */
    private static long handshake(LoopbackServer server, XstuntClient c) throws Exception {
        long t = System.nanoTime();
        long took;
        try (XstuntConnection x = Xstunt.xConnect(c, "hs-d", Duration.ofSeconds(10))) {
            took = System.nanoTime() - t;
        }
        server.awaitIdle("hs-c", Duration.ofSeconds(10));
        server.awaitIdle("hs-d", Duration.ofSeconds(10));
        return took;
    }

    private static XstuntConnection[] relayedPair(XstuntClient a, XstuntClient b, String bId) throws Exception {
        CompletableFuture<XstuntConnection> in = new CompletableFuture<>();
        io.xstunt.api.XstuntAsync.onIncoming(b, in::complete, in::completeExceptionally);
        XstuntConnection out = Xstunt.xConnect(a, bId, Duration.ofSeconds(10));
        return new XstuntConnection[] {out, in.get(15, TimeUnit.SECONDS)};
    }

    /** One path's figures. */
    private record Result(double mibPerS, long p50Ns, long p99Ns) {
    }

    private static void row(String name, Result r, Result ref) {
        System.out.printf("%-22s %10.0f %10.2f %8.1f us %8.1f us%n", name, r.mibPerS, r.mibPerS / ref.mibPerS,
                r.p50Ns / 1e3, r.p99Ns / 1e3);
    }

    private static Result measure(SocketChannel from, SocketChannel to, long bytes, int trips) throws Exception {
        long t0 = System.nanoTime();
        Thread writer = Thread.ofPlatform().start(() -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
            long left = bytes;
            try {
                while (left > 0) {
                    buf.clear().limit((int) Math.min(CHUNK, left));
                    left -= from.write(buf);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        ByteBuffer rbuf = ByteBuffer.allocateDirect(CHUNK);
        long got = 0;
        while (got < bytes) {
            int n = to.read(rbuf.clear());
            if (n < 0) {
                throw new IOException("closed after " + got + " bytes");
            }
            got += n;
        }
        double s = (System.nanoTime() - t0) / 1e9;
        writer.join();
        long[] rtt = new long[trips];
        ByteBuffer ping = ByteBuffer.allocate(64);
        ByteBuffer pong = ByteBuffer.allocate(64);
        for (int i = 0; i < trips; i++) {
            long a = System.nanoTime();
            from.write(ping.clear());
            readFully(to, pong.clear());
            to.write(pong.flip());
            readFully(from, ping.clear());
            rtt[i] = System.nanoTime() - a;
        }
        Arrays.sort(rtt);
        return new Result((bytes >> 20) / s, rtt[trips / 2], rtt[trips * 99 / 100]);
    }

    private static void readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("closed");
            }
        }
    }

    private static SocketChannel[] directPair() throws IOException {
        try (ServerSocketChannel l = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.12", 0))) {
            SocketChannel a = SocketChannel.open(l.getLocalAddress());
            SocketChannel b = l.accept();
            a.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
            b.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
            return new SocketChannel[] {a, b};
        }
    }

    /** Two connections joined by two blocking copy threads (one per direction): the bare relay. */
    private static SocketChannel[] copyLoopPair() throws IOException {
        SocketChannel[] left = directPair();
        SocketChannel[] right = directPair();
        for (SocketChannel[] dir : new SocketChannel[][] {{left[1], right[0]}, {right[0], left[1]}}) {
            Thread.ofPlatform().daemon().start(() -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
                try {
                    while (dir[0].read(buf.clear()) >= 0) {
                        buf.flip();
                        while (buf.hasRemaining()) {
                            dir[1].write(buf);
                        }
                    }
                } catch (IOException e) {
                    // closed at the end of the run
                }
            });
        }
        return new SocketChannel[] {left[0], right[1], left[1], right[0]};
    }

    private static void closeAll(SocketChannel[] chs) throws IOException {
        for (SocketChannel c : chs) {
            c.close();
        }
    }

    private static long serverThread(LoopbackServer server) {
        String name = server.loop().name();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                return t.threadId();
            }
        }
        throw new IllegalStateException("no thread named " + name);
    }
}
