package io.xstunt.engine.tcp;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.loop.LoopTesting;
import io.xstunt.engine.net.Incoming;

import static io.xstunt.engine.loop.LoopTesting.onLoop;
import static io.xstunt.engine.loop.LoopTesting.runOnLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A listener in a process that has run out of descriptors (EMFILE): it pauses instead of
 * retrying the pending connection on every loop turn, and accepts it once a descriptor is free.
 * The scenario runs in a child JVM whose open-files limit is lowered to {@link #CHILD_FILES}
 * (lowering is always allowed): filling this JVM's table would disturb everything else in it,
 * and its limit may be in the millions.
 */
class TcpAcceptorDescriptorsTest {
    static final int CHILD_FILES = 512;
    /** Loop turns watched while no descriptor is free. */
    static final int TURNS = 200;

    @Test
    void outOfDescriptorsPausesTheListenerAndItAcceptsOnceOneIsFree() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("bash", "-c", "ulimit -n " + CHILD_FILES + " && exec \"$0\" -cp \"$1\" \"$2\"",
                java, System.getProperty("java.class.path"), Child.class.getName())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not finish within 60 s");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "child failed:\n" + out);
        assertTrue(out.contains("OK accept failed, paused (not retried on every loop turn), accepted once a descriptor was free"), out);
    }

    /** The scenario, in the child JVM with few descriptors. */
    static final class Child {
        public static void main(String[] args) {
            try {
                run();
                System.out.println("OK accept failed, paused (not retried on every loop turn), accepted once a descriptor was free");
                System.exit(0);
            } catch (Throwable t) {
                t.printStackTrace(System.out);
                System.exit(1);
            }
        }

        static void run() throws Exception {
            EventLoop loop = EventLoop.open("descriptors-test").start();
            List<Closeable> filler = new ArrayList<>();
            SocketChannel client = SocketChannel.open(); // its descriptor exists before the table is full
            CompletableFuture<Incoming> accepted = new CompletableFuture<>();
            try {
                TcpAcceptor a = onLoop(loop, () -> TcpAcceptor.open(loop,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8,
                        (acc, ch) -> accepted.complete(ch)));
                String full = null;
                try {
                    for (int i = 0; i < CHILD_FILES; i++) {
                        filler.add(FileChannel.open(Path.of("/dev/null"), StandardOpenOption.READ));
                    }
                } catch (IOException e) {
                    full = e.getMessage();
                }
                assertTrue(full != null, "the descriptor table never filled up");
                client.connect(a.address()); // needs no new descriptor; the kernel queues the connection

                String why = full;
                LoopTesting.until("a failed accept (the table is full: " + why + ")",
                        () -> onLoop(loop, a::acceptFailures) > 0);
                // Paused, not retrying on every turn of the loop while no descriptor is free: over
                // TURNS turns of the loop (each command is one), at most one more failed accept per
                // pause that elapsed meanwhile. Retrying on every turn fails about TURNS times; how
                // fast the machine runs the turns only moves the bound, never the outcome.
                long t0 = System.nanoTime();
                long before = onLoop(loop, a::acceptFailures);
                for (int i = 0; i < TURNS; i++) {
                    onLoop(loop, () -> null);
                }
                long after = onLoop(loop, a::acceptFailures);
                long pauses = (System.nanoTime() - t0) / TcpAcceptor.ACCEPT_PAUSE_NS;
                assertTrue(after - before <= pauses + 1, (after - before) + " failed accepts in " + TURNS
                        + " loop turns that took " + pauses + " pauses: the listener retries on every turn");

                for (int i = 0; i < 16; i++) {
                    filler.remove(filler.size() - 1).close();
                }
                Incoming ch = accepted.get(LoopTesting.WAIT_SECONDS, TimeUnit.SECONDS);
                runOnLoop(loop, ch::refuse);
                assertTrue(!onLoop(loop, a::isPaused), "listening again");
                onLoop(loop, () -> {
                    a.close();
                    return null;
                });
                assertEquals(0, onLoop(loop, loop::pendingTimers), "the pause's timer is gone");
            } finally {
                for (Closeable c : filler) {
                    c.close();
                }
                client.close();
                loop.close();
            }
        }
    }
}
