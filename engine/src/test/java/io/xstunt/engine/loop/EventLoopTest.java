package io.xstunt.engine.loop;

import static io.xstunt.engine.loop.LoopTesting.await;
import static io.xstunt.engine.loop.LoopTesting.onLoop;
import static io.xstunt.engine.loop.LoopTesting.runOnLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class EventLoopTest {
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private EventLoop hostLoop(AtomicLong clock) {
        EventLoop loop = EventLoop.open("host-" + System.identityHashCode(clock), clock::get);
        cleanup.add(loop);
        return loop;
    }

    private Pipe pipe() throws IOException {
        Pipe p = Pipe.open();
        cleanup.add(p.sink());
        cleanup.add(p.source());
        return p;
    }

    /** Records what the loop tells it and drains the channel; optionally throws on readiness. */
    private static class PipeHandler implements IoHandler {
        final Pipe.SourceChannel source;
        final RuntimeException toThrow;
        final AtomicInteger bytesRead = new AtomicInteger();
        final CompletableFuture<Throwable> failure = new CompletableFuture<>();

        PipeHandler(Pipe.SourceChannel source, RuntimeException toThrow) {
            this.source = source;
            this.toThrow = toThrow;
        }

        @Override
        public void onReady(SelectionKey key) {
            if (toThrow != null) {
                throw toThrow;
            }
            try {
                int n = source.read(ByteBuffer.allocate(64));
                bytesRead.addAndGet(Math.max(0, n));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void onFailure(Throwable cause) {
            failure.complete(cause);
            try {
                source.close();
            } catch (IOException e) {
                // test handler: nothing to release beyond the descriptor
            }
        }
    }

    /** Waits until the loop's own thread is inside its blocking select (no wakeup pending). */
    private static void awaitBlockedInSelect(String threadName) {
        Thread t = Thread.getAllStackTraces().keySet().stream()
                .filter(th -> th.getName().equals(threadName)).findFirst()
                .orElseThrow(() -> new AssertionError("no thread " + threadName));
        LoopTesting.until("loop thread " + threadName + " idle in its select", () -> {
            boolean inIdle = false;
            boolean inSelect = false;
            for (StackTraceElement e : t.getStackTrace()) {
                inIdle |= e.getClassName().equals(EventLoop.class.getName()) && e.getMethodName().equals("awaitWork");
                inSelect |= e.getMethodName().equals("doSelect");
            }
            return inIdle && inSelect;
        });
    }

    @Test
    void executeFromAnotherThreadWakesAnIdleOwnThreadLoop() {
        EventLoop loop = EventLoop.open("wake-test").start();
        cleanup.add(loop);
        for (int i = 0; i < 50; i++) {
            awaitBlockedInSelect("wake-test");
            CountDownLatch ran = new CountDownLatch(1);
            AtomicInteger onLoopThread = new AtomicInteger();
            loop.execute(() -> {
                if (loop.inLoop() && Thread.currentThread().getName().equals("wake-test")) {
                    onLoopThread.incrementAndGet();
                }
                ran.countDown();
            });
            await(ran, "command " + i + " to run on the idle loop");
            assertEquals(1, onLoopThread.get());
        }
    }

    @Test
    void executeFromManyThreadsRunsEveryCommandOnce() throws Exception {
        EventLoop loop = EventLoop.open("many-producers").start();
        cleanup.add(loop);
        int threads = 4;
        int perThread = 5_000;
        CountDownLatch all = new CountDownLatch(threads * perThread);
        AtomicInteger ran = new AtomicInteger();
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread p = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    loop.execute(() -> {
                        ran.incrementAndGet();
                        all.countDown();
                    });
                }
            });
            producers.add(p);
            p.start();
        }
        for (Thread p : producers) {
            LoopTesting.join(p);
        }
        await(all, "every command");
        assertEquals(threads * perThread, ran.get());
    }

    @Test
    void ownThreadLoopFiresATimerWhileIdle() {
        EventLoop loop = EventLoop.open("timer-test").start();
        cleanup.add(loop);
        CountDownLatch fired = new CountDownLatch(1);
        long[] firedAtNs = new long[1];
        long scheduledAtNs = onLoop(loop, () -> {
            long now = loop.clockNs();
            loop.schedule(TimeUnit.MILLISECONDS.toNanos(20), () -> {
                firedAtNs[0] = loop.clockNs();
                fired.countDown();
            });
            return now;
        });
        await(fired, "a 20 ms timer");
        assertTrue(firedAtNs[0] - scheduledAtNs >= TimeUnit.MILLISECONDS.toNanos(20), "fired early");
        assertEquals(0, onLoop(loop, loop::pendingTimers));
    }

    @Test
    void executeOnTheLoopThreadRunsAtOnce() {
        EventLoop loop = EventLoop.open("inline").start();
        cleanup.add(loop);
        List<String> order = onLoop(loop, () -> {
            List<String> o = new ArrayList<>();
            o.add("before");
            loop.execute(() -> o.add("inline"));
            o.add("after");
            return o;
        });
        assertEquals(List.of("before", "inline", "after"), order);
    }

    @Test
    void hostDrivenDoWorkNeverBlocksAndReturnsZeroWhenIdle() throws Exception {
        AtomicLong clock = new AtomicLong(1_000);
        EventLoop loop = hostLoop(clock);
        assertEquals(0, loop.doWork());
        Pipe p = pipe();
        PipeHandler h = new PipeHandler(p.source(), null);
        loop.register(p.source(), SelectionKey.OP_READ, h);
        loop.schedule(TimeUnit.HOURS.toNanos(1), () -> { });
        // a pass that blocked would wait for the timer, an hour away: the test's timeout would end it
        for (int i = 0; i < 1_000; i++) {
            assertEquals(0, loop.doWork(), "idle pass " + i);
        }

        p.sink().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        int[] work = new int[1];
        // the pipe's readiness may need a moment to show
        LoopTesting.until("a doWork pass that reads the pipe", () -> (work[0] = loop.doWork()) != 0);
        assertEquals(1, work[0]);
        assertEquals(3, h.bytesRead.get());
        assertEquals(0, loop.doWork());
    }

    @Test
    void commandsFromOtherThreadsRunOnTheHostThread() throws Exception {
        EventLoop loop = hostLoop(new AtomicLong());
        loop.doWork();
        CompletableFuture<Thread> ranOn = new CompletableFuture<>();
        Thread other = new Thread(() -> loop.execute(() -> ranOn.complete(Thread.currentThread())));
        other.start();
        LoopTesting.join(other);
        assertEquals(1, loop.doWork());
        assertSame(Thread.currentThread(), ranOn.getNow(null));
        assertEquals(0, loop.doWork());
    }

    @Test
    void doWorkFromASecondThreadIsRejected() throws Exception {
        EventLoop loop = hostLoop(new AtomicLong());
        loop.doWork();
        Throwable seen = LoopTesting.thrownOnAnotherThread(() -> loop.doWork());
        assertInstanceOf(IllegalStateException.class, seen);
        assertThrows(IllegalStateException.class, loop::start);
        assertEquals(0, loop.doWork(), "the owner still drives it");
    }

    @Test
    void doWorkOnAStartedLoopIsRejected() {
        EventLoop loop = EventLoop.open("started").start();
        cleanup.add(loop);
        assertThrows(IllegalStateException.class, loop::doWork);
        assertThrows(IllegalStateException.class, loop::start);
        assertThrows(IllegalStateException.class, () -> loop.schedule(1, () -> { }));
    }

    @Test
    void timersFireInOrderOnAFakeClock() {
        AtomicLong clock = new AtomicLong(5_000);
        EventLoop loop = hostLoop(clock);
        List<String> fired = new ArrayList<>();
        loop.schedule(300, () -> fired.add("c"));
        loop.schedule(100, () -> fired.add("a"));
        DeadlineTimers.Timer b = loop.schedule(200, () -> fired.add("b"));
        DeadlineTimers.Timer cancelled = loop.schedule(150, () -> fired.add("cancelled"));
        DeadlineTimers.Timer moved = loop.schedule(50, () -> fired.add("moved"));
        cancelled.cancel();
        loop.reschedule(moved, 400); // from now (5000): deadline 5400
        assertEquals(4, loop.pendingTimers());
        assertEquals(0, loop.doWork());

        clock.set(5_099);
        assertEquals(0, loop.doWork());
        clock.set(5_100);
        assertEquals(1, loop.doWork());
        assertEquals(List.of("a"), fired);
        assertEquals(5_100, loop.nowNs());
        clock.set(5_350);
        assertEquals(2, loop.doWork());
        assertEquals(List.of("a", "b", "c"), fired);
        assertFalse(b.pending());
        clock.set(5_400);
        assertEquals(1, loop.doWork());
        assertEquals(List.of("a", "b", "c", "moved"), fired);
        assertEquals(0, loop.pendingTimers());
    }

    @Test
    void timersFireInOrderWhenTheClockWrapsPastLongMaxValue() {
        AtomicLong clock = new AtomicLong(Long.MAX_VALUE - 100);
        EventLoop loop = hostLoop(clock);
        List<String> fired = new ArrayList<>();
        loop.schedule(300, () -> fired.add("after-wrap-2"));
        loop.schedule(50, () -> fired.add("before-wrap"));
        loop.schedule(200, () -> fired.add("after-wrap-1"));
        clock.set(Long.MAX_VALUE);
        assertEquals(1, loop.doWork());
        clock.addAndGet(99); // MIN_VALUE + 98: deadline MAX - 100 + 200 is MIN + 99
        assertEquals(0, loop.doWork());
        clock.addAndGet(1);
        assertEquals(1, loop.doWork());
        clock.addAndGet(100);
        assertEquals(1, loop.doWork());
        assertEquals(List.of("before-wrap", "after-wrap-1", "after-wrap-2"), fired);
    }

    @Test
    void timersScheduledFromTimersUseTheClockAtSchedulingTime() {
        AtomicLong clock = new AtomicLong(0);
        EventLoop loop = hostLoop(clock);
        List<Long> firedAt = new ArrayList<>();
        loop.schedule(10, () -> {
            firedAt.add(clock.get());
            loop.schedule(10, () -> firedAt.add(clock.get()));
        });
        clock.set(15);
        assertEquals(1, loop.doWork());
        clock.set(24);
        assertEquals(0, loop.doWork());
        clock.set(25);
        assertEquals(1, loop.doWork());
        assertEquals(List.of(15L, 25L), firedAt);
    }

    @Test
    void aThrowingTimerOrCommandIsCountedAndTheLoopGoesOn() {
        AtomicLong clock = new AtomicLong(0);
        EventLoop loop = hostLoop(clock);
        List<String> ran = new ArrayList<>();
        loop.schedule(1, () -> {
            throw new IllegalStateException("timer failure (expected by the test)");
        });
        loop.schedule(2, () -> ran.add("timer"));
        clock.set(2);
        assertEquals(2, loop.doWork());
        assertEquals(1, loop.errorCount());
        Thread other = new Thread(() -> {
            loop.execute(() -> {
                throw new IllegalStateException("command failure (expected by the test)");
            });
            loop.execute(() -> ran.add("command"));
        });
        other.start();
        LoopTesting.join(other);
        assertEquals(2, loop.doWork());
        assertEquals(2, loop.errorCount());
        assertEquals(List.of("timer", "command"), ran);
    }

    @Test
    void aThrowingHandlerIsReportedAndItsChannelClosedWhileTheLoopKeepsRunning() throws Exception {
        EventLoop loop = hostLoop(new AtomicLong());
        Pipe bad = pipe();
        Pipe good = pipe();
        RuntimeException boom = new IllegalStateException("handler failure (expected by the test)");
        PipeHandler badHandler = new PipeHandler(bad.source(), boom);
        PipeHandler goodHandler = new PipeHandler(good.source(), null);
        loop.register(bad.source(), SelectionKey.OP_READ, badHandler);
        loop.register(good.source(), SelectionKey.OP_READ, goodHandler);
        assertEquals(2, loop.registeredKeys());

        bad.sink().write(ByteBuffer.wrap(new byte[] {1}));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LoopTesting.WAIT_SECONDS);
        while (!badHandler.failure.isDone() && System.nanoTime() - deadline < 0) {
            loop.doWork();
        }
        assertSame(boom, badHandler.failure.getNow(null));
        assertEquals(1, loop.errorCount());
        assertFalse(bad.source().isOpen());
        loop.doWork(); // the cancelled key leaves the selector at the next select
        assertEquals(1, loop.registeredKeys());

        good.sink().write(ByteBuffer.wrap(new byte[] {1, 2}));
        while (goodHandler.bytesRead.get() < 2 && System.nanoTime() - deadline < 0) {
            loop.doWork();
        }
        assertEquals(2, goodHandler.bytesRead.get());
        assertFalse(goodHandler.failure.isDone());
        assertEquals(1, loop.errorCount());
    }

    @Test
    void closeClosesRegisteredChannelsOfAHostDrivenLoop() throws Exception {
        EventLoop loop = hostLoop(new AtomicLong());
        Pipe p1 = pipe();
        Pipe p2 = pipe();
        PipeHandler h1 = new PipeHandler(p1.source(), null);
        PipeHandler h2 = new PipeHandler(p2.source(), null);
        loop.register(p1.source(), SelectionKey.OP_READ, h1);
        loop.register(p2.source(), SelectionKey.OP_READ, h2);
        loop.doWork();
        loop.close();
        assertFalse(loop.isRunning());
        assertFalse(p1.source().isOpen());
        assertFalse(p2.source().isOpen());
        assertInstanceOf(IllegalStateException.class, h1.failure.getNow(null));
        assertInstanceOf(IllegalStateException.class, h2.failure.getNow(null));
        Throwable seen = LoopTesting.thrownOnAnotherThread(() -> loop.execute(() -> { }));
        assertInstanceOf(RejectedExecutionException.class, seen);
    }

    @Test
    void closeFromAnotherThreadStopsAnOwnThreadLoopAndClosesItsChannels() throws Exception {
        EventLoop loop = EventLoop.open("closing").start();
        Pipe p = pipe();
        PipeHandler h = new PipeHandler(p.source(), null);
        runOnLoop(loop, () -> loop.register(p.source(), SelectionKey.OP_READ, h));
        awaitBlockedInSelect("closing");
        loop.close();
        assertFalse(p.source().isOpen());
        Throwable cause = h.failure.getNow(null);
        assertInstanceOf(IllegalStateException.class, cause);
        Thread t = Thread.getAllStackTraces().keySet().stream().filter(th -> th.getName().equals("closing"))
                .findFirst().orElse(null);
        if (t != null) {
            t.join(TimeUnit.SECONDS.toMillis(LoopTesting.WAIT_SECONDS));
            assertFalse(t.isAlive(), "the loop thread must end");
        }
        assertThrows(RejectedExecutionException.class, () -> loop.execute(() -> { }));
    }

    @Test
    void closeOfAHostDrivenLoopFromAnotherThreadIsRejected() throws Exception {
        EventLoop loop = hostLoop(new AtomicLong());
        loop.doWork();
        Throwable seen = LoopTesting.thrownOnAnotherThread(() -> loop.close());
        assertInstanceOf(IllegalStateException.class, seen);
        // A refused close changes nothing: the loop still takes commands from other threads.
        assertTrue(loop.isRunning());
        Throwable executed = LoopTesting.thrownOnAnotherThread(() -> loop.execute(() -> { }));
        assertNull(executed);
        assertEquals(1, loop.doWork());
    }

    @Test
    void closeFromATaskOfAHostDrivenLoop() throws Exception {
        EventLoop loop = hostLoop(new AtomicLong());
        Pipe p = pipe();
        PipeHandler h = new PipeHandler(p.source(), null);
        loop.register(p.source(), SelectionKey.OP_READ, h);
        assertNull(LoopTesting.thrownOnAnotherThread(() -> loop.execute(loop::close)));
        loop.doWork();
        assertFalse(loop.isRunning());
        assertFalse(p.source().isOpen());
        assertInstanceOf(IllegalStateException.class, h.failure.getNow(null));
        assertEquals(0, loop.doWork(), "a closed loop has nothing to do");
        assertEquals(0, loop.errorCount());
    }

    @Test
    void closeFromAHandlerOfAHostDrivenLoop() throws Exception {
        EventLoop loop = hostLoop(new AtomicLong());
        Pipe p = pipe();
        Pipe other = pipe();
        PipeHandler h = new PipeHandler(p.source(), null) {
            @Override
            public void onReady(SelectionKey key) {
                super.onReady(key);
                loop.close();
            }
        };
        PipeHandler otherHandler = new PipeHandler(other.source(), null);
        loop.register(p.source(), SelectionKey.OP_READ, h);
        loop.register(other.source(), SelectionKey.OP_READ, otherHandler);
        p.sink().write(ByteBuffer.wrap(new byte[] {1}));
        other.sink().write(ByteBuffer.wrap(new byte[] {1}));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LoopTesting.WAIT_SECONDS);
        while (loop.isRunning() && System.nanoTime() - deadline < 0) {
            loop.doWork();
        }
        assertFalse(loop.isRunning());
        assertFalse(p.source().isOpen());
        assertFalse(other.source().isOpen());
        assertEquals(0, loop.doWork());
        assertEquals(0, loop.errorCount());
    }

    @Test
    void closeFromATaskOfAnOwnThreadLoop() throws Exception {
        EventLoop loop = EventLoop.open("self-closing").start();
        Pipe p = pipe();
        PipeHandler h = new PipeHandler(p.source(), null);
        runOnLoop(loop, () -> loop.register(p.source(), SelectionKey.OP_READ, h));
        Thread t = Thread.getAllStackTraces().keySet().stream().filter(th -> th.getName().equals("self-closing"))
                .findFirst().orElseThrow();
        loop.execute(loop::close);
        LoopTesting.join(t);
        assertFalse(p.source().isOpen());
        assertInstanceOf(IllegalStateException.class, h.failure.getNow(null));
        assertEquals(0, loop.errorCount());
    }

    @Test
    void aHandlerThatClosesTheLoopFromOnFailureIsToldOnce() throws Exception {
        EventLoop loop = hostLoop(new AtomicLong());
        AtomicInteger failures = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            Pipe p = pipe();
            loop.register(p.source(), SelectionKey.OP_READ, new PipeHandler(p.source(), null) {
                @Override
                public void onFailure(Throwable cause) {
                    failures.incrementAndGet();
                    super.onFailure(cause);
                    loop.close(); // e.g. an application that stops everything when a connection ends
                }
            });
        }
        loop.doWork();
        loop.close();
        assertEquals(3, failures.get());
        assertFalse(loop.isRunning());
    }
}
