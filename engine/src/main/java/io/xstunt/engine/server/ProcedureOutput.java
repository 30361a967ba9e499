package io.xstunt.engine.server;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.function.IntSupplier;

/**
 * What a sans-IO connection procedure wants done after an input: bytes to send, whether to
 * close, the next deadline, and the rejection to report. Polled by {@link ProcedureBinding}, or by a
 * test. Loop thread only.
 */
final class ProcedureOutput {
    /** Whether and how the connection should close. */
    enum Closing {
        /** Keep it open. */
        OPEN,
        /** Close once the queued bytes are written (the server closes first). */
        AFTER_FLUSH,
        /** Close now. */
        NOW
    }

    private final ArrayDeque<ByteBuffer> transmit = new ArrayDeque<>();
    private Closing closing = Closing.OPEN;
    private boolean hasDeadline;
    private long deadlineNs;
    private Rejection rejection;
    private String rejectionDetail;
    private Runnable wake = () -> { };
    private IntSupplier unwritten = () -> 0;

    /** Queues bytes (a buffer in read mode, owned from now on) to send. */
    void send(ByteBuffer bytes) {
        if (closing == Closing.OPEN) {
            transmit.add(bytes);
        }
    }

    /**
     * Queues bytes borrowed from the input being handled, without copying them: the relay's
     * per-message path, which would otherwise allocate a buffer per read. The borrowing rule: the
     * adapter hands every polled buffer to {@code TcpConnection.send} before the input call that
     * produced it returns (send writes what the socket takes and copies only the rest); what it
     * has not sent by then (the connection closed meanwhile) is dropped, and the adapter counts
     * the whole input as consumed. A test polls the buffer before it touches the input again.
     */
    void forward(ByteBuffer borrowed) {
        send(borrowed);
    }

    /** @return the next bytes to send, or null */
    ByteBuffer pollTransmit() {
        return transmit.poll();
    }

    /** @return true if bytes wait to be polled */
    boolean hasTransmit() {
        return !transmit.isEmpty();
    }

    void closeAfterFlush() {
        if (closing == Closing.OPEN) {
            closing = Closing.AFTER_FLUSH;
        }
    }

    void closeNow() {
        closing = Closing.NOW;
        transmit.clear();
    }

    Closing closing() {
        return closing;
    }

    /** Records a refusal (reported once) without closing by itself. */
    void reject(Rejection why, String detail) {
        if (rejection == null) {
            rejection = why;
            rejectionDetail = detail;
        }
    }

    /** @return the pending rejection, or null; the detail is {@link #rejectionDetail()} */
    Rejection pollRejection() {
        Rejection r = rejection;
        rejection = null;
        return r;
    }

    String rejectionDetail() {
        return rejectionDetail;
    }

    void deadline(long atNs) {
        hasDeadline = true;
        deadlineNs = atNs;
    }

    void clearDeadline() {
        hasDeadline = false;
    }

    boolean hasDeadline() {
        return hasDeadline;
    }

    long deadlineNs() {
        return deadlineNs;
    }

    /** @return true once {@code nowNs} is at or past the deadline (wrap-safe) */
    boolean expired(long nowNs) {
        return hasDeadline && deadlineNs - nowNs <= 0;
    }

    /** Sets what runs when output appears outside an input (an announcement, a disconnect). */
    void onWake(Runnable r) {
        this.wake = r;
    }

    /** Sets where the bytes queued on the connection but not yet written are counted (the binding). */
    void unwrittenSource(IntSupplier bytes) {
        this.unwritten = bytes;
    }

    /** @return bytes sent but not yet written to the socket: still here, or queued on the connection */
    int unwrittenBytes() {
        int n = unwritten.getAsInt();
        for (ByteBuffer b : transmit) {
            n += b.remaining();
        }
        return n;
    }

    /** Tells the binding that output appeared outside an input callback. */
    void wake() {
        wake.run();
    }
}
