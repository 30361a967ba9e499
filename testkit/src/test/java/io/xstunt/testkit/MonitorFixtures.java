package io.xstunt.testkit;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Code that {@link MonitorScanTest} scans to prove that {@link MonitorScan} finds what
 * it must (and nothing else). Never run. Each method's name says whether it is a violation.
 */
@SuppressWarnings("unused")
final class MonitorFixtures {
    private final Object lock = new Object();
    private final CompletableFuture<String> future = new CompletableFuture<>();
    private int counter;

    /** Bad: a synchronized method that waits for a future. */
    synchronized String badSynchronizedMethodWaits() throws Exception {
        return future.get(1, TimeUnit.SECONDS);
    }

    /** Bad: a synchronized block around a call that sleeps two calls further down. */
    void badBlockCallsSomethingThatSleeps() throws InterruptedException {
        synchronized (lock) {
            counter++;
            helperThatPauses();
        }
    }

    private void helperThatPauses() throws InterruptedException {
        deeperHelper();
    }

    private static void deeperHelper() throws InterruptedException {
        Thread.sleep(1);
    }

    /** Bad: an early return inside the block does not end the block for what follows. */
    String badBlockedAfterAnEarlyReturn(boolean quick) throws ExecutionException, InterruptedException {
        synchronized (lock) {
            if (quick) {
                return "quick";
            }
            return future.get();
        }
    }

    /** Bad: an overriding method blocks, and the call under the lock goes through the base type. */
    void badCallsAnOverrideThatBlocks(Base b) {
        synchronized (lock) {
            b.step();
        }
    }

    /** Fine: the block only updates state; the wait comes after it. */
    String fineWaitsAfterTheBlock() throws ExecutionException, InterruptedException, TimeoutException {
        synchronized (lock) {
            counter++;
        }
        return future.get(1, TimeUnit.SECONDS);
    }

    /** Fine: a lambda made under the lock does not run there. */
    Runnable fineLambdaMadeUnderTheLock() {
        synchronized (lock) {
            return () -> future.join();
        }
    }

    /** Fine: a synchronized method that does not block. */
    synchronized int fineSynchronizedCounter() {
        return ++counter;
    }

    abstract static class Base {
        abstract void step();
    }

    static final class Blocking extends Base {
        @Override
        void step() {
            future().join();
        }

        private static CompletableFuture<Void> future() {
            return new CompletableFuture<>();
        }
    }
}
