package io.xstunt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.api.ErrorCode;
import io.xstunt.api.XstuntException;
import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.wire.Ipv4;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The blocking facade's wait: bounded, exact error codes, nothing leaked when it gives up. */
class BoundedWaitTest {
    @Test
    void returnsTheResult() throws XstuntException {
        assertEquals("ok", BoundedWait.await(CompletableFuture.completedFuture("ok"), Duration.ofSeconds(1), "X", r -> { }));
    }

    @Test
    void engineFailureKeepsCodeDetailAndReason() {
        int lan = Integer.reverseBytes(Ipv4.toInt(Ipv4.parse("192.168.1.7"))); // as the original reads it
        XstuntException original = new XstuntException(ErrorCode.ERR_SAME_NAT, lan, "peer bob is behind your NAT");
        XstuntException e = assertThrows(XstuntException.class, () -> BoundedWait.await(
                CompletableFuture.failedFuture(original), Duration.ofSeconds(1), "XConnect", r -> { }));
        assertEquals(ErrorCode.ERR_SAME_NAT, e.code());
        assertEquals(lan, e.detail());
        assertEquals("192.168.1.7", e.peerLocalAddress().getHostAddress());
        assertEquals(original.getMessage(), e.getMessage());
        assertSame(original, e.getCause());
    }

    /** A failure of the asymmetric phase reads the same from either API: ERR_ASYMCLIENT, the step in the detail. */
    @Test
    void anAsymmetricFailureCarriesItsStepInTheDetail() {
        Failure engine = new Failure(ErrorStat.ERR_ASYMCLIENT, ErrorStat.ERR_HAIRPIN.value(), "both public IPs equal");
        XstuntException blocking = assertThrows(XstuntException.class, () -> BoundedWait.await(
                CompletableFuture.failedFuture(engine), Duration.ofSeconds(1), "XConnect", r -> { }));
        XstuntException async = assertInstanceOf(XstuntException.class, assertThrows(
                java.util.concurrent.ExecutionException.class,
                () -> BoundedWait.translated(CompletableFuture.failedFuture(engine)).get()).getCause());
        for (XstuntException e : new XstuntException[] {blocking, async}) {
            assertEquals(ErrorCode.ERR_ASYMCLIENT, e.code());
            assertEquals(ErrorCode.ERR_HAIRPIN.value(), e.detail(), "pnErrCode: the inner code");
            assertEquals(ErrorCode.ERR_HAIRPIN, e.asymmetricCause());
        }
        assertEquals(null, new XstuntException(ErrorCode.ERR_MATCH, 0, "x").asymmetricCause());
        assertEquals(null, new XstuntException(ErrorCode.ERR_ASYMSERVER, 12345, "x").asymmetricCause(),
                "a detail that names no code");
    }

    @Test
    void completionExceptionIsUnwrapped() {
        XstuntException original = new XstuntException(ErrorCode.ERR_MATCH, 0, "no such peer");
        XstuntException e = assertThrows(XstuntException.class, () -> BoundedWait.await(
                CompletableFuture.failedFuture(new CompletionException(original)), Duration.ofSeconds(1), "XConnect",
                r -> { }));
        assertEquals(ErrorCode.ERR_MATCH, e.code());
        assertEquals("ERR_MATCH (-3976): no such peer", e.getMessage());
    }

    @Test
    void unexpectedFailureIsErrFail() {
        XstuntException e = assertThrows(XstuntException.class, () -> BoundedWait.await(
                CompletableFuture.failedFuture(new UnsupportedOperationException("boom")), Duration.ofSeconds(1), "XInit",
                r -> { }));
        assertEquals(ErrorCode.ERR_FAIL, e.code());
        assertTrue(e.getMessage().contains("XInit failed"), e.getMessage());
    }

    @Test
    void programmingErrorsPassThrough() {
        assertThrows(IllegalStateException.class, () -> BoundedWait.await(
                CompletableFuture.failedFuture(new IllegalStateException("closed")), Duration.ofSeconds(1), "X", r -> { }));
    }

    @Test
    void boundPassedIsErrTimeoutAndALateResultIsReleased() {
        CompletableFuture<String> f = new CompletableFuture<>();
        AtomicReference<String> released = new AtomicReference<>();
        long t0 = System.nanoTime();
        XstuntException e = assertThrows(XstuntException.class,
                () -> BoundedWait.await(f, Duration.ofMillis(50), "XListen", released::set));
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(ErrorCode.ERR_TIMEOUT, e.code());
        // the bound, not less; and in milliseconds: 50 s would be a unit mistake, not a slow machine
        assertTrue(tookMs >= 50 && tookMs < 25_000, "waited " + tookMs + " ms for a 50 ms bound");
        f.complete("late");
        assertEquals("late", released.get());
    }

    @Test
    void interruptIsErrFailAndKeepsTheFlag() {
        CompletableFuture<String> f = new CompletableFuture<>();
        AtomicReference<String> released = new AtomicReference<>();
        Thread.currentThread().interrupt();
        try {
            XstuntException e = assertThrows(XstuntException.class,
                    () -> BoundedWait.await(f, Duration.ofSeconds(10), "XConnect", released::set));
            assertEquals(ErrorCode.ERR_FAIL, e.code());
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
        assertFalse(f.isDone());
        f.complete("late");
        assertEquals("late", released.get());
    }
}
