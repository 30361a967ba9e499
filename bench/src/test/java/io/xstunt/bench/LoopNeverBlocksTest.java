package io.xstunt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.api.XstuntAsync;
import io.xstunt.api.XstuntOptions;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntConnection;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogHello;
import io.xstunt.engine.wire.LogLine;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.testkit.Await;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.blockhound.BlockHound;

/**
 * "The engine thread never blocks" (issue #4), checked two ways while the paths of the
 * benchmarks run: registration with probing (echo service, client log lines), registration with
 * the cached fingerprint, XConnect/XListen (comm service, announcements, control relay, punch),
 * raw log lines, MSG_QUERY and MSG_DEREGISTER.
 * <ul>
 *   <li>BlockHound instruments the JDK's blocking primitives (park, so every lock and latch wait;
 *       Object.wait; sleep; file streams; process waits) and reports each call on a loop thread,
 *       except the loop's own {@code Selector.select} in {@code EventLoop.idle}. Deterministic.</li>
 *   <li>A sampler reads the loop threads' state through ThreadMXBean every 100 us and reports a
 *       loop thread seen BLOCKED (monitor contention, which BlockHound does not instrument),
 *       WAITING or TIMED_WAITING outside the JDK selector's own internals. Probabilistic.</li>
 * </ul>
 * Neither sees a blocking-mode NIO read or connect (the JDK does it in a native call, state
 * RUNNABLE); that one is excluded by construction: {@code EventLoop.register} puts every channel
 * in nonblocking mode, and {@code TcpConnection.detach} switches to blocking only after the
 * channel has left the selector. A canary per check proves that it reports a wait on a loop thread.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoopNeverBlocksTest {
    private static final String LOOP_PREFIX = "never-blocks-";
    private static final List<String> VIOLATIONS = new CopyOnWriteArrayList<>();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @BeforeAll
    static void installBlockHound() {
        BlockHound.builder()
                .nonBlockingThreadPredicate(p -> p.or(t -> t.getName().startsWith(LOOP_PREFIX)))
                // the loop's one legitimate wait: select() until the next deadline or command
                .allowBlockingCallsInside("io.xstunt.engine.loop.EventLoop", "idle")
                .blockingMethodCallback(m -> VIOLATIONS.add(m + " on " + Thread.currentThread().getName()
                        + " at " + stackOf(new Throwable())))
                .install();
    }

    private static String stackOf(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().startsWith("io.xstunt")) {
                b.append("\n    ").append(e);
            }
        }
        return b.toString();
    }

    /** Samples the loop threads' states; records any wait outside the selector. */
    private static final class StateSampler implements AutoCloseable {
        final List<String> seen = new CopyOnWriteArrayList<>();
        final java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        final Thread thread;
        /** Completed sampling rounds: a sample is in {@link #seen} before its round counts. */
        final java.util.concurrent.atomic.AtomicLong rounds = new java.util.concurrent.atomic.AtomicLong();
        volatile boolean running = true;

        StateSampler(EventLoop... loops) throws Exception {
            long[] ids = new long[loops.length];
            for (int i = 0; i < loops.length; i++) {
                CompletableFuture<Long> id = new CompletableFuture<>();
                loops[i].execute(() -> id.complete(Thread.currentThread().threadId()));
                ids[i] = id.get(10, TimeUnit.SECONDS);
            }
            thread = Thread.ofPlatform().daemon().name("loop-state-sampler").start(() -> {
                while (running) {
                    for (java.lang.management.ThreadInfo ti : mx.getThreadInfo(ids, 12)) {
                        if (ti != null && waiting(ti)) {
                            seen.add(ti.getThreadName() + " " + ti.getThreadState() + " at "
                                    + java.util.Arrays.toString(ti.getStackTrace()));
                        }
                    }
                    rounds.incrementAndGet();
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                }
            });
        }

        private static boolean waiting(java.lang.management.ThreadInfo ti) {
            Thread.State s = ti.getThreadState();
            if (s == Thread.State.RUNNABLE || s == Thread.State.NEW || s == Thread.State.TERMINATED) {
                return false;
            }
            for (StackTraceElement e : ti.getStackTrace()) {
                // the selector's own locks (wakeup from another thread): part of select
                if (e.getClassName().startsWith("sun.nio.ch.") && e.getClassName().contains("Selector")) {
                    return false;
                }
                // a class loaded on its first use waits for the class loader's lock: a one-time cost
                // of a fresh JVM (seen once under load), not a call on the engine's paths
                if (e.getClassName().startsWith("jdk.internal.loader.") || e.getClassName().equals("java.lang.ClassLoader")) {
                    return false;
                }
            }
            return true;
        }

        /** Waits (bounded) until a round that started after this call has completed. */
        void awaitFreshRound() {
            long target = rounds.get() + 2;
            Await.until("a fresh round of the loop state sampler (it stopped sampling?)", Duration.ofSeconds(10),
                    () -> rounds.get() >= target);
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5_000);
        }
    }

    @Test
    void serverAndClientLoopsNeverBlockOnTheBenchmarkedPaths() throws Exception {
        EventLoop serverLoop = EventLoop.open(LOOP_PREFIX + "server").start();
        EventLoop clientLoop = EventLoop.open(LOOP_PREFIX + "client").start();
        StateSampler sampler = new StateSampler(serverLoop, clientLoop);
        try {
            canary(serverLoop);
            samplerCanary(clientLoop, sampler);
            ServerConfig config = ServerConfig.builder(Ipv4.parse("127.0.0.1"), Ipv4.parse("127.0.0.2"))
                    .logPort(0).commPort(0).echoPort1(0).echoPort2(0).build();
            StuntServer server = StuntServer.start(serverLoop, config).get(10, TimeUnit.SECONDS);
            try {
                exercise(server, clientLoop);
            } finally {
                server.close();
            }
        } finally {
            sampler.close();
            clientLoop.close();
            serverLoop.close();
        }
        assertEquals(List.of(), VIOLATIONS, "blocking calls on a loop thread");
        assertEquals(List.of(), sampler.seen, "loop thread seen waiting");
    }

    /** A 50 ms wait on a loop thread must be seen by the sampler. */
    private static void samplerCanary(EventLoop loop, StateSampler sampler) throws Exception {
        CompletableFuture<Void> ran = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                new CountDownLatch(1).await(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ran.complete(null);
        });
        ran.get(10, TimeUnit.SECONDS);
        // a sample taken while the canary waited may still be on its way into seen: clearing it
        // before then would leave it to fail the real check below
        sampler.awaitFreshRound();
        assertFalse(sampler.seen.isEmpty(), "the sampler did not see a 50 ms wait on the loop thread");
        assertTrue(sampler.seen.get(0).contains("TIMED_WAITING"), sampler.seen.get(0));
        sampler.seen.clear();
        assertFalse(VIOLATIONS.isEmpty(), "BlockHound did not report the canary's park");
        VIOLATIONS.clear();
    }

    /** A park on a loop thread must be reported: otherwise the test could not fail. */
    private static void canary(EventLoop loop) throws Exception {
        CompletableFuture<Void> ran = new CompletableFuture<>();
        loop.execute(() -> {
            // parkNanos always reaches Unsafe.park; a 1 ms latch wait does not when the thread is
            // descheduled past its deadline before it parks (seen on a loaded machine)
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            ran.complete(null);
        });
        ran.get(10, TimeUnit.SECONDS);
        assertFalse(VIOLATIONS.isEmpty(), "BlockHound did not report a park on the loop thread");
        assertTrue(VIOLATIONS.get(0).contains(LOOP_PREFIX + "server"), VIOLATIONS.get(0));
        VIOLATIONS.clear();
    }

    private void exercise(StuntServer server, EventLoop clientLoop) throws Exception {
        XstuntOptions.Builder base = XstuntOptions.builder()
                .logPort(server.logAddress().getPort())
                .commPort(server.commAddress().getPort())
                .eventLoop(clientLoop);
        XstuntOptions aliceOpts = base.localAddress("127.0.0.11").fingerprintFile(dir.resolve("a.dat")).build();
        XstuntOptions bobOpts = base.localAddress("127.0.0.12").fingerprintFile(dir.resolve("b.dat")).build();
        // probing (echo service, client log lines), then the cached fingerprint
        XstuntClient first = XstuntAsync.xInit("127.0.0.1", "127.0.0.2", "alice", aliceOpts).get(20, TimeUnit.SECONDS);
        assertFalse(first.fingerprintCached());
        first.close();
        Await.until("alice freed", TIMEOUT, () -> server.stateOf("alice").isEmpty());
        XstuntClient alice = XstuntAsync.xInit("127.0.0.1", "127.0.0.2", "alice", aliceOpts).get(20, TimeUnit.SECONDS);
        assertTrue(alice.fingerprintCached());
        XstuntClient bob = XstuntAsync.xInit("127.0.0.1", "127.0.0.2", "bob", bobOpts).get(20, TimeUnit.SECONDS);
        // More registrations, so that anything the server draws per registration in small amounts
        // (e.g. a buffered random source refilled from a file) is drawn past any buffer.
        for (int i = 0; i < 12; i++) {
            XstuntOptions o = base.localAddress("127.0.0." + (30 + i)).fingerprintFile(null).build();
            XstuntAsync.xInit("127.0.0.1", "127.0.0.2", "d" + i, o).get(20, TimeUnit.SECONDS).close();
        }
        try {
            for (int i = 0; i < 3; i++) {
                Await.until("both IDLE", TIMEOUT, () -> server.stateOf("alice").equals(OptionalInt.of(Protocol.CSTATE_IDLE))
                        && server.stateOf("bob").equals(OptionalInt.of(Protocol.CSTATE_IDLE)));
                CompletableFuture<XstuntConnection> incoming = new CompletableFuture<>();
                XstuntAsync.onIncoming(bob, incoming::complete, incoming::completeExceptionally);
                XstuntConnection a = XstuntAsync.xConnect(alice, "bob", TIMEOUT).get(20, TimeUnit.SECONDS);
                XstuntConnection b = incoming.get(20, TimeUnit.SECONDS);
                a.channel().close();
                b.channel().close();
            }
            rawClientPaths(server);
            XstuntAsync.xDeRegister(bob).get(20, TimeUnit.SECONDS);
        } finally {
            alice.close();
            bob.close();
        }
    }

    /** Log lines from a raw client (many, in one write), then MSG_QUERY. */
    private static void rawClientPaths(StuntServer server) throws IOException {
        try (SocketChannel log = SocketChannel.open()) {
            log.bind(new InetSocketAddress("127.0.0.13", 0));
            log.connect(server.logAddress());
            readFully(log, LogHello.SIZE);
            ByteBuffer reg = ByteBuffer.allocate(Protocol.ID_FIELD_LEN + LogState.SIZE);
            ClientId.write(reg, "carol");
            new LogState(Protocol.CSTATE_IDLE, Ipv4.toInt(Ipv4.parse("127.0.0.13"))).write(reg);
            log.write(reg.flip().limit(Protocol.ID_FIELD_LEN));
            ByteBuffer info = readFully(log, ServerInfo.SIZE);
            assertEquals("carol", ServerInfo.read(info).id());
            log.write(reg.limit(reg.capacity()));
            for (int i = 0; i < 200; i++) {
                log.write(ByteBuffer.wrap(LogLine.format(System.currentTimeMillis(), "Bench.java", i, "line " + i)));
            }
            Await.until("carol IDLE", TIMEOUT, () -> server.stateOf("carol").equals(OptionalInt.of(Protocol.CSTATE_IDLE)));
            try (SocketChannel comm = SocketChannel.open()) {
                comm.bind(new InetSocketAddress("127.0.0.13", 0));
                comm.connect(server.commAddress());
                ByteBuffer m = ByteBuffer.allocate(Msg.SIZE);
                Msg.query("carol").write(m);
                comm.write(m.flip());
                assertEquals(Protocol.CSTATE_IDLE, readFully(comm, 4).getInt());
            }
        }
    }

    private static ByteBuffer readFully(SocketChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("closed after " + b.position() + " of " + n + " bytes");
            }
        }
        return b.flip();
    }
}
