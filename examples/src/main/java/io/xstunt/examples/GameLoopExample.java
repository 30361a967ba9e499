package io.xstunt.examples;

import io.xstunt.api.XstuntAsync;
import io.xstunt.api.XstuntOptions;
import io.xstunt.api.ServerOptions;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntServer;
import io.xstunt.api.XstuntConnection;
import io.xstunt.engine.loop.EventLoop;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Embedding the engine in a game loop: a fixed 60 Hz tick drives the engine's {@link EventLoop}
 * with {@link EventLoop#doWork()} (which never blocks) and then does the game's own work. There is
 * no engine thread: the STUNT server and both peers (alice on 127.0.0.11, bob on 127.0.0.12) run
 * on this loop, through the asynchronous API, whose callbacks therefore run inside the tick.
 * Alice connects to bob, they exchange a message over the direct connection (read without
 * blocking, tick by tick), deregister, and the program exits.
 */
public final class GameLoopExample {
    private static final int TICKS_PER_SECOND = 60;
    private static final long TICK_NS = TimeUnit.SECONDS.toNanos(1) / TICKS_PER_SECOND;
    /** The whole exchange takes well under a second on loopback; past this the example failed. */
    private static final int MAX_TICKS = 20 * TICKS_PER_SECOND;
    /** Bounds the engine's share of one tick. */
    private static final int MAX_ENGINE_PASSES_PER_TICK = 64;
    private static final Duration TIMEOUT = Duration.ofSeconds(12);

    private enum Stage { START_SERVER, REGISTER, CONNECT, TALK, DEREGISTER, DONE }

    private final EventLoop loop;
    private final PrintStream out;
    private final Path tmp;
    private Stage stage = Stage.START_SERVER;
    private CompletableFuture<XstuntServer> serverF;
    private CompletableFuture<XstuntClient> aliceF;
    private CompletableFuture<XstuntClient> bobF;
    private CompletableFuture<XstuntConnection> atAliceF;
    private final CompletableFuture<XstuntConnection> atBobF = new CompletableFuture<>();
    private CompletableFuture<Void> goodbye;
    private SocketChannel aliceCh;
    private SocketChannel bobCh;
    private final ByteBuffer aliceIn = ByteBuffer.allocate(256);
    private final ByteBuffer bobIn = ByteBuffer.allocate(256);
    private boolean bobReplied;
    /** The game's own state: a ball bouncing between 0 and 100. */
    private double ballX;
    private double ballV = 1.7;

    private GameLoopExample(EventLoop loop, PrintStream out, Path tmp) {
        this.loop = loop;
        this.out = out;
        this.tmp = tmp;
    }

    /**
     * Runs the example.
     *
     * @param args none
     */
    public static void main(String[] args) {
        System.exit(run(System.out));
    }

    /**
     * Runs the game loop until the peers have talked and left.
     *
     * @param out where progress is printed
     * @return 0 on success, 1 on failure
     */
    public static int run(PrintStream out) {
        Path tmp = null;
        EventLoop loop = EventLoop.open("game-loop"); // not started: the game drives it
        try {
            tmp = Files.createTempDirectory("xstunt-game");
            GameLoopExample game = new GameLoopExample(loop, out, tmp);
            long nextTickNs = System.nanoTime();
            for (int tick = 0; tick < MAX_TICKS; tick++) {
                for (int pass = 0; pass < MAX_ENGINE_PASSES_PER_TICK && loop.doWork() > 0; pass++) {
                    // the engine's share of the tick: commands, ready sockets, due timers
                }
                game.update(tick);
                if (game.stage == Stage.DONE) {
                    out.printf("done after %d ticks (%.2f s of game time)%n", tick + 1, (tick + 1) / (double) TICKS_PER_SECOND);
                    return 0;
                }
                // Frame pacing: the game's fixed tick, not a wait for the engine.
                nextTickNs += TICK_NS;
                long idleNs = nextTickNs - System.nanoTime();
                if (idleNs > 0) {
                    LockSupport.parkNanos(idleNs);
                }
            }
            out.println("gave up after " + MAX_TICKS + " ticks in stage " + game.stage);
            return 1;
        } catch (Exception e) {
            out.println("game loop example failed: " + e);
            return 1;
        } finally {
            loop.close(); // on the host thread, as a host-driven loop requires
            deleteTree(tmp);
        }
    }

    /** One tick of game logic, including the networking steps that became ready. */
    private void update(int tick) throws Exception {
        ballX += ballV;
        if (ballX < 0 || ballX > 100) {
            ballV = -ballV;
        }
        if (tick % 15 == 0) {
            out.printf("tick %3d: ball at %5.1f, network stage %s%n", tick, ballX, stage);
        }
        switch (stage) {
            case START_SERVER -> {
                ServerOptions options = ServerOptions.of("127.0.0.1", "127.0.0.2")
                        .logPort(0).commPort(0).echoPort1(0).echoPort2(0);
                serverF = XstuntServer.start(options, loop);
                stage = Stage.REGISTER;
            }
            case REGISTER -> {
                if (serverF.isDone() && aliceF == null) {
                    XstuntServer server = serverF.join();
                    aliceF = XstuntAsync.xInit("127.0.0.1", "127.0.0.2", "alice", peer(server, "127.0.0.11", "alice"));
                    bobF = XstuntAsync.xInit("127.0.0.1", "127.0.0.2", "bob", peer(server, "127.0.0.12", "bob"));
                } else if (aliceF != null && aliceF.isDone() && bobF.isDone()) {
                    out.printf("tick %3d: registered alice (%s) and bob (%s)%n", tick,
                            aliceF.join().fingerprint().description(), bobF.join().fingerprint().description());
                    XstuntAsync.onIncoming(bobF.join(), atBobF::complete, atBobF::completeExceptionally);
                    atAliceF = XstuntAsync.xConnect(aliceF.join(), "bob", TIMEOUT);
                    stage = Stage.CONNECT;
                }
            }
            case CONNECT -> {
                if (atAliceF.isDone() && atBobF.isDone()) {
                    aliceCh = atAliceF.join().channel();
                    bobCh = atBobF.join().channel();
                    aliceCh.configureBlocking(false); // read tick by tick, never wait
                    bobCh.configureBlocking(false);
                    out.printf("tick %3d: alice connected to bob at %s%n", tick, atAliceF.join().peerAddress());
                    send(aliceCh, "hello bob, from tick " + tick + "\n");
                    stage = Stage.TALK;
                }
            }
            case TALK -> {
                String toBob = poll(bobCh, bobIn);
                if (toBob != null && !bobReplied) {
                    out.printf("tick %3d: bob got \"%s\"%n", tick, toBob);
                    send(bobCh, "hi alice, bob at tick " + tick + "\n");
                    bobReplied = true;
                }
                String toAlice = poll(aliceCh, aliceIn);
                if (toAlice != null) {
                    out.printf("tick %3d: alice got \"%s\"%n", tick, toAlice);
                    aliceCh.close();
                    bobCh.close();
                    goodbye = CompletableFuture.allOf(XstuntAsync.xDeRegister(aliceF.join()),
                            XstuntAsync.xDeRegister(bobF.join()));
                    stage = Stage.DEREGISTER;
                }
            }
            case DEREGISTER -> {
                if (goodbye.isDone()) {
                    goodbye.join(); // throws if a deregistration failed
                    serverF.join().close();
                    out.printf("tick %3d: both deregistered, server closed%n", tick);
                    stage = Stage.DONE;
                }
            }
            case DONE -> { }
        }
        failIfAnyFailed();
    }

    private void failIfAnyFailed() {
        for (CompletableFuture<?> f : new CompletableFuture<?>[] {serverF, aliceF, bobF, atAliceF, atBobF}) {
            if (f != null && f.isCompletedExceptionally()) {
                f.join(); // rethrows the failure (an XstuntException inside a CompletionException)
            }
        }
    }

    private XstuntOptions peer(XstuntServer server, String local, String id) {
        return XstuntOptions.builder()
                .eventLoop(loop)
                .logPort(server.logAddress().getPort())
                .commPort(server.commAddress().getPort())
                .localAddress(local)
                .fingerprintFile(tmp.resolve(id + ".fingerprint"))
                .build();
    }

    /** Writes a short message; a fresh connection's send buffer takes it whole. */
    private static void send(SocketChannel ch, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        ch.write(b);
        if (b.hasRemaining()) {
            throw new IOException("send buffer full on a fresh connection");
        }
    }

    /** @return a whole line if one has arrived, else null (never blocks) */
    private static String poll(SocketChannel ch, ByteBuffer in) throws IOException {
        if (ch.read(in) < 0) {
            throw new IOException("peer closed the connection");
        }
        for (int i = 0; i < in.position(); i++) {
            if (in.get(i) == '\n') {
                String line = new String(in.array(), 0, i, StandardCharsets.UTF_8);
                in.flip().position(i + 1);
                in.compact();
                return line;
            }
        }
        return null;
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temp directory left behind is harmless
        }
    }
}
