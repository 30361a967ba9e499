package io.xstunt.api;

import io.xstunt.engine.Failure;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * How the blocking facade waits for the engine: {@link CompletableFuture#get(long, TimeUnit)}
 * with a bound (it parks, so a virtual thread unmounts instead of pinning its carrier), and the
 * engine's failure turned back into the {@link XstuntException} the caller expects.
 */
final class BoundedWait {
    private BoundedWait() {
    }

    /**
     * Waits up to {@code bound} for {@code future}.
     *
     * @param function the reference's function name, for messages ("XConnect")
     * @param discardLate releases a result that arrives after this method gave up (a connected
     *     channel, a registered client), so that nothing leaks
     * @return the result
     * @throws XstuntException the engine's failure with its exact code and detail; ERR_TIMEOUT
     *     when the bound passed; ERR_FAIL when interrupted (the interrupt flag stays set)
     */
    static <T> T await(CompletableFuture<T> future, Duration bound, String function, Consumer<? super T> discardLate)
            throws XstuntException {
        try {
            return future.get(TimeUnit.NANOSECONDS.convert(bound), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.thenAccept(discardLate);
            throw new XstuntException(ErrorCode.ERR_TIMEOUT, 0,
                    function + " got no answer from the engine within " + bound);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.thenAccept(discardLate);
            throw new XstuntException(ErrorCode.ERR_FAIL, 0, function + " was interrupted while waiting", e);
        } catch (ExecutionException | CancellationException e) {
            throw translate(e instanceof ExecutionException ? e.getCause() : e, function);
        }
    }

    /**
     * The exception the caller sees for an engine failure: an engine {@link Failure} or an
     * {@link XstuntException} keeps its code, detail and message but is thrown anew so that its
     * stack shows the caller (the original is the cause); programming errors pass through;
     * anything else is ERR_FAIL.
     */
    static XstuntException translate(Throwable failure, String function) {
        Throwable t = failure;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof XstuntException x) {
            return new XstuntException(x.code(), x.detail(), reason(x), x);
        }
        if (t instanceof Failure f) {
            return new XstuntException(ErrorCode.of(f.code()), f.detail(), f.reason(), f);
        }
        if (t instanceof IllegalArgumentException iae) {
            throw new IllegalArgumentException(iae.getMessage(), iae);
        }
        if (t instanceof IllegalStateException ise) {
            throw new IllegalStateException(ise.getMessage(), ise);
        }
        return new XstuntException(ErrorCode.ERR_FAIL, 0, function + " failed: " + t, t);
    }

    /**
     * The same outcome as {@code future}, with an engine {@link Failure} turned into the
     * {@link XstuntException} that applications see (the asynchronous facade's futures).
     */
    static <T> CompletableFuture<T> translated(CompletableFuture<T> future) {
        CompletableFuture<T> out = new CompletableFuture<>();
        future.whenComplete((v, e) -> {
            if (e == null) {
                out.complete(v);
                return;
            }
            Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            out.completeExceptionally(t instanceof Failure f ? XstuntException.of(f) : t);
        });
        return out;
    }

    /** The message without the "CODE (value): " prefix that XstuntException adds. */
    static String reason(XstuntException x) {
        String prefix = x.code().name() + " (" + x.code().value() + "): ";
        String m = x.getMessage();
        return m != null && m.startsWith(prefix) ? m.substring(prefix.length()) : String.valueOf(m);
    }
}
