package io.xstunt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.api.ErrorCode;
import io.xstunt.api.XstuntException;

import io.xstunt.testkit.Await;
import io.xstunt.testkit.LoopbackServer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The blocking API on virtual threads does not pin their carriers: a JFR recording of
 * {@code jdk.VirtualThreadPinned} (threshold 0, with stacks) around XInit, XListen (ERR_TIMEOUT
 * and success), XConnect, data over the connection and XDeRegister holds no event with a frame of
 * our code. A deliberate pin (a virtual thread waiting inside a class initialiser) proves the
 * recording sees pinning.
 *
 * <p>What it sees depends on the JDK: on JDK 21 a virtual thread blocking while it holds a monitor
 * ({@code synchronized}) pins, and this recording shows it; from JDK 24 on (JEP 491; CI runs 25)
 * monitors no longer pin, and only the other causes remain (a wait in a class initialiser or
 * under a native frame). {@link NoBlockingUnderMonitorTest} checks the monitors on any JDK, by
 * reading the compiled engine and api.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PinningTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final CompletableFuture<Void> RELEASE_PIN = new CompletableFuture<>();

    @TempDir
    Path dir;

    /** Waits inside its class initialiser, where a virtual thread cannot unmount. */
    static final class PinsInClassInit {
        static final boolean DONE;

        static {
            try {
                RELEASE_PIN.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new ExceptionInInitializerError(e);
            }
            DONE = true;
        }

        private PinsInClassInit() {
        }
    }

    @Test
    void blockingCallsOnVirtualThreadsDoNotPin() throws Exception {
        Path jfr = dir.resolve("pinning.jfr");
        try (Recording rec = new Recording();
             LoopbackServer server = LoopbackServer.start();
             ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor()) {
            rec.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
            // one round before recording: the JVM loads each class once, under a lock that a
            // virtual thread cannot leave (two first-time loads at once pin: the JVM's, not ours)
            warmUp(server, virtual);
            rec.start();

            Future<XstuntClient> aliceF = virtual.submit(() -> Peers.register(server, "alice", 11, dir));
            Future<XstuntClient> bobF = virtual.submit(() -> Peers.register(server, "bob", 12, dir));
            XstuntClient alice = aliceF.get(30, TimeUnit.SECONDS);
            XstuntClient bob = bobF.get(30, TimeUnit.SECONDS);
            Future<ErrorCode> nothingPending = virtual.submit(() -> {
                try {
                    Xstunt.xListen(bob, TIMEOUT);
                    return ErrorCode.ERR_NONE;
                } catch (XstuntException e) {
                    return e.code();
                }
            });
            assertEquals(ErrorCode.ERR_TIMEOUT, nothingPending.get(30, TimeUnit.SECONDS));
            Future<XstuntConnection> atAlice = virtual.submit(() -> Xstunt.xConnect(alice, "bob", TIMEOUT));
            Future<XstuntConnection> atBob = virtual.submit(() -> PeerIo.listenUntilConnected(bob, TIMEOUT, TIMEOUT));
            try (SocketChannel a = atAlice.get(30, TimeUnit.SECONDS).channel();
                 SocketChannel b = atBob.get(30, TimeUnit.SECONDS).channel()) {
                Future<String> read = virtual.submit(() -> PeerIo.readLine(b));
                PeerIo.sendLine(a, "ping");
                assertEquals("ping", read.get(30, TimeUnit.SECONDS));
            }
            virtual.submit(() -> {
                Xstunt.xDeRegister(alice);
                Xstunt.xDeRegister(bob);
                return null;
            }).get(30, TimeUnit.SECONDS);

            Thread pinned = Thread.ofVirtual().start(() -> assertTrue(PinsInClassInit.DONE));
            Await.until("the control thread waits in the class initialiser", TIMEOUT,
                    () -> pinned.getState() == Thread.State.TIMED_WAITING);
            RELEASE_PIN.complete(null);
            assertTrue(pinned.join(TIMEOUT));

            rec.stop();
            rec.dump(jfr);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
        assertTrue(events.stream().anyMatch(e -> hasFrame(e, PinsInClassInit.class.getName())),
                "the deliberate pin was not recorded, so this test could not see one: " + events);
        List<String> ours = events.stream()
                .filter(e -> !hasFrame(e, PinsInClassInit.class.getName()))
                .filter(e -> hasFrame(e, "io.xstunt."))
                .map(RecordedEvent::toString)
                .toList();
        assertEquals(List.of(), ours, "virtual threads pinned in our code");
        assertFalse(events.isEmpty());
    }

    private void warmUp(LoopbackServer server, ExecutorService virtual) throws Exception {
        XstuntClient w1 = virtual.submit(() -> Peers.register(server, "warm1", 13, dir)).get(30, TimeUnit.SECONDS);
        XstuntClient w2 = virtual.submit(() -> Peers.register(server, "warm2", 14, dir)).get(30, TimeUnit.SECONDS);
        Future<XstuntConnection> in = virtual.submit(() -> PeerIo.listenUntilConnected(w2, TIMEOUT, TIMEOUT));
        Future<XstuntConnection> out = virtual.submit(() -> Xstunt.xConnect(w1, "warm2", TIMEOUT));
        try (SocketChannel a = out.get(30, TimeUnit.SECONDS).channel();
             SocketChannel b = in.get(30, TimeUnit.SECONDS).channel()) {
            Future<String> read = virtual.submit(() -> PeerIo.readLine(b));
            PeerIo.sendLine(a, "warm");
            assertEquals("warm", read.get(30, TimeUnit.SECONDS));
        }
        virtual.submit(() -> {
            Xstunt.xDeRegister(w1);
            Xstunt.xDeRegister(w2);
            return null;
        }).get(30, TimeUnit.SECONDS);
    }

    private static boolean hasFrame(RecordedEvent e, String typePrefix) {
        if (e.getStackTrace() == null) {
            return false;
        }
        for (RecordedFrame f : e.getStackTrace().getFrames()) {
            if (f.getMethod() != null && f.getMethod().getType().getName().startsWith(typePrefix)) {
                return true;
            }
        }
        return false;
    }
}
