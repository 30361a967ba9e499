package io.xstunt.engine.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The virtual clock, its event order and the runs' bounds. */
@Timeout(10)
class EventQueueTest {
    @Test
    void eventsRunInTimeOrderAndInSchedulingOrderAtEqualTimesAcrossTheClocksWrap() {
        EventQueue q = new EventQueue(Long.MAX_VALUE - 5);
        List<String> ran = new ArrayList<>();
        q.after(10, () -> ran.add("c"));
        q.after(3, () -> ran.add("a"));
        q.after(10, () -> ran.add("d"));
        q.after(3, () -> ran.add("b"));
        EventQueue.Event cancelled = q.after(4, () -> ran.add("never"));
        cancelled.cancel();
        q.timers().schedule(Long.MAX_VALUE - 5 + 10, () -> ran.add("timer"));
        while (q.step(e -> {
            throw new AssertionError(e);
        })) {
            // every item
        }
        assertEquals(List.of("a", "b", "timer", "c", "d"), ran, "an engine timer goes first at equal times");
        assertEquals(Long.MAX_VALUE - 5 + 10, q.nowNs(), "the clock wrapped");
        assertTrue(q.idle());
    }

    @Test
    void aConnectionWorksAcrossTheClocksWrap() throws IOException {
        SimNetwork net = new SimNetwork(1, Long.MAX_VALUE - 10_000_000L);
        Bridge internet = net.bridge("internet", "198.51.100.0/24");
        SimHost a = net.host("a", internet, Link.of(Duration.ofMillis(5)), "198.51.100.1");
        SimHost b = net.host("b", internet, Link.of(Duration.ofMillis(5)), "198.51.100.2");
        EchoService echo = EchoService.echoOn(b, 7);
        Recorder r = Recorder.connect(a, SocketSpec.DEFAULTS, echo.address());
        assertEquals(Duration.ofMillis(20), net.runUntil("the connect", r.connected::isDone, Duration.ofSeconds(1)));
        assertTrue(net.nowNs() < 0, "the clock wrapped");
        r.connection().send(ByteBuffer.wrap(new byte[] {42}));
        assertEquals(Duration.ofMillis(20), net.runUntil("the echo", () -> r.text().length() == 1, Duration.ofSeconds(1)));
    }

    @Test
    void aRunIsBoundedInVirtualTimeAndInEventsAndSaysWhatItWaitedFor() {
        SimNetwork net = new SimNetwork(1);
        AssertionError idle = assertThrows(AssertionError.class,
                () -> net.runUntil("a miracle", () -> false, Duration.ofSeconds(3)));
        assertTrue(idle.getMessage().startsWith("waited PT3S of virtual time for a miracle: nothing is left to happen"),
                idle.getMessage());
        assertEquals(Duration.ofSeconds(3), net.elapsed());

        net.events().after(0, new Runnable() {
            @Override
            public void run() {
                net.events().after(0, this); // a livelock
            }
        });
        net.maxEventsPerRun(1000);
        AssertionError livelock = assertThrows(AssertionError.class,
                () -> net.runUntil("a miracle", () -> false, Duration.ofSeconds(3)));
        assertTrue(livelock.getMessage().startsWith("more than 1000 events while waiting for a miracle"),
                livelock.getMessage());
    }

    @Test
    void anExceptionInACallbackFailsTheRun() {
        SimNetwork net = new SimNetwork(1);
        net.events().after(5, () -> {
            throw new IllegalStateException("boom");
        });
        AssertionError e = assertThrows(AssertionError.class, () -> net.runFor(Duration.ofMillis(1)));
        assertTrue(e.getMessage().contains("boom"), e.getMessage());
        assertEquals(IllegalStateException.class, e.getCause().getClass());
    }

    @Test
    void anotherThreadsTaskWaitsForTheNextStepOnTheSimulationsThread() throws InterruptedException {
        SimNetwork net = new SimNetwork(1);
        AtomicBoolean ranOnOwner = new AtomicBoolean();
        Thread other = new Thread(() -> net.execute(() -> ranOnOwner.set(net.inThread())));
        other.start();
        other.join(5000);
        assertFalse(other.isAlive(), "the other thread only queues");
        assertFalse(ranOnOwner.get());
        net.runUntil("the queued task", ranOnOwner::get, Duration.ZERO);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread runner = new Thread(() -> net.runFor(Duration.ZERO));
        runner.setUncaughtExceptionHandler((t, e) -> failure.set(e));
        runner.start();
        runner.join(5000);
        assertInstanceOf(IllegalStateException.class, failure.get(), "only the simulation's thread may run it");
    }
}
