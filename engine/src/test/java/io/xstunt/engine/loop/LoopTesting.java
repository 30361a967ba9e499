package io.xstunt.engine.loop;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Bounded waits for the engine's tests: every wait fails with a clear message instead of hanging.
 * {@link #until} is public for the tests of every engine package.
 */
public final class LoopTesting {
    public static final long WAIT_SECONDS = 5;
    /** The pause between two checks of {@link #until}. */
    private static final Duration PAUSE = Duration.ofMillis(1);

    private LoopTesting() {
    }

    /**
     * Waits until {@code condition} holds, checking at once and then every millisecond on the
     * calling thread (Awaitility): the cores stay with the code under test, unlike a spin-wait.
     * The other modules use testkit's {@code Await}, which the engine's own tests cannot reach
     * (testkit depends on the engine).
     *
     * @throws AssertionError "not within BOUND: WHAT" when the bound passes first
     */
    public static void until(String what, Duration bound, BooleanSupplier condition) {
        try {
            Awaitility.await(what).atMost(bound).pollDelay(Duration.ZERO).pollInterval(PAUSE).pollInSameThread()
                    .until(condition::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("not within " + bound + ": " + what, e);
        }
    }

    /** {@link #until(String, Duration, BooleanSupplier)} within {@link #WAIT_SECONDS}. */
    public static void until(String what, BooleanSupplier condition) {
        until(what, Duration.ofSeconds(WAIT_SECONDS), condition);
    }

    /** Runs {@code task} on the loop's thread and returns its result. */
    public static <T> T onLoop(EventLoop loop, Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return await(result, "a task on loop " + loop.name());
    }

    /** Like {@link #onLoop(EventLoop, Callable)} for a task without a result. */
    public static void runOnLoop(EventLoop loop, ThrowingRunnable task) {
        onLoop(loop, () -> {
            task.run();
            return null;
        });
    }

    public static void await(CountDownLatch latch, String what) {
        try {
            assertTrue(latch.await(WAIT_SECONDS, TimeUnit.SECONDS), "timed out after " + WAIT_SECONDS + " s waiting for " + what);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted waiting for " + what);
        }
    }

    public static <T> T await(CompletableFuture<T> future, String what) {
        try {
            return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return fail("timed out after " + WAIT_SECONDS + " s waiting for " + what);
        } catch (ExecutionException e) {
            return fail(what + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted waiting for " + what);
        }
    }

    /** Joins a helper thread, failing if it does not end in time. */
    public static void join(Thread t) {
        try {
            t.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted joining " + t);
        }
        assertTrue(!t.isAlive(), "thread " + t.getName() + " did not end within " + WAIT_SECONDS + " s");
    }

    /** Runs {@code task} on a new thread and returns what it threw, or null. */
    public static Throwable thrownOnAnotherThread(ThrowingRunnable task) {
        CompletableFuture<Throwable> seen = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                task.run();
                seen.complete(null);
            } catch (Throwable e) {
                seen.complete(e);
            }
        });
        t.start();
        join(t);
        return await(seen, "a task on another thread");
    }

    /** A task that may throw checked exceptions. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }
}
