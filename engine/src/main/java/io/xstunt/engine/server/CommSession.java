package io.xstunt.engine.server;

import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireFormatException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The communication service's procedure for one connection: read one {@link Msg}, let the
 * {@link CommService} decide, write its INT32 answer (if any) and close after it. Sans-IO: see
 * {@link ConnectionProcedure}.
 *
 * <p>A MSG_CONNECT that names an ID whose LogState has not arrived yet
 * ({@link Rejection#REGISTRATION_PENDING}) is decided again every {@link #RETRY_NS} for up to
 * {@link #PENDING_WAIT_NS}: an original client's XInit returns once it has <em>written</em>
 * LogState(IDLE), so its first MSG_CONNECT can overtake it (docs/PROTOCOL.md, decision 3).
 */
final class CommSession implements ConnectionProcedure {
    /** The procedure's states. */
    enum State {
        /** Waiting for the one Msg. */
        AWAIT_MSG,
        /** A MSG_CONNECT waits for the LogState of an ID it names (bounded). */
        AWAIT_STATE,
        /** Answered; closing once the answer is flushed. */
        ANSWERED,
        /** The connection is gone. */
        CLOSED
    }

    /** How long a MSG_CONNECT waits for a pending LogState: half the client's COMM_TIMEOUT. */
    static final long PENDING_WAIT_NS = Protocol.COMM_TIMEOUT_SEC * 1_000_000_000L / 2;
    /** How often it is decided again meanwhile. */
    static final long RETRY_NS = 5_000_000L;

    private final ProcedureOutput out = new ProcedureOutput();
    private final CommService service;
    private final int sourceIp;
    private final long handshakeNs;
    private State state = State.AWAIT_MSG;
    private Msg msg;
    private long waitEndNs;

    /** @param sourceIp the comm connection's source IP */
    CommSession(CommService service, int sourceIp, long handshakeNs) {
        this.service = Objects.requireNonNull(service, "service");
        this.sourceIp = sourceIp;
        this.handshakeNs = handshakeNs;
    }

    State state() {
        return state;
    }

    @Override
    public ProcedureOutput output() {
        return out;
    }

    @Override
    public void onOpen(long nowNs) {
        out.deadline(nowNs + handshakeNs);
    }

    @Override
    public void onBytes(ByteBuffer in, long nowNs) {
        switch (state) {
            case AWAIT_MSG -> {
                // An xstunt client's Msg may carry its holder token after the struct.
                if (in.remaining() < Msg.SIZE || in.remaining() < Msg.encodedSizeAt(in)) {
                    return;
                }
                try {
                    msg = Msg.read(in);
                } catch (WireFormatException e) {
                    out.reject(Rejection.BAD_BYTES, "bad Msg: " + e.getMessage());
                    out.closeNow();
                    state = State.ANSWERED;
                    return;
                }
                waitEndNs = nowNs + Math.min(handshakeNs, PENDING_WAIT_NS);
                decide(nowNs);
                onBytes(in, nowNs);
            }
            case AWAIT_STATE, ANSWERED, CLOSED -> {
                if (in.hasRemaining() && state != State.CLOSED) {
                    out.reject(Rejection.UNEXPECTED_DATA, in.remaining() + " bytes after the Msg");
                }
                in.position(in.limit());
            }
        }
    }

    /** Decides the Msg and answers, or waits a little for a pending LogState. */
    private void decide(long nowNs) {
        CommService.Answer a = service.handle(msg, sourceIp, nowNs);
        if (a.rejection() == Rejection.REGISTRATION_PENDING && nowNs - waitEndNs < 0) {
            state = State.AWAIT_STATE;
            out.deadline(Math.min(waitEndNs - nowNs, RETRY_NS) + nowNs);
            return;
        }
        if (a.rejection() != null) {
            out.reject(a.rejection(), a.detail());
        }
        if (a.hasReply()) {
            out.send(ByteBuffer.allocate(4).putInt(0, a.reply()));
        }
        out.closeAfterFlush();
        // The answer's flush is bounded too: a client that never reads must not pin it.
        out.deadline(nowNs + handshakeNs);
        state = State.ANSWERED;
    }

    @Override
    public void onTimeout(long nowNs) {
        if (!out.expired(nowNs)) {
            return;
        }
        if (state == State.AWAIT_STATE) {
            decide(nowNs);
            return;
        }
        if (state == State.AWAIT_MSG) {
            out.reject(Rejection.HANDSHAKE_TIMEOUT, "no Msg within " + handshakeNs / 1_000_000 + " ms");
        }
        out.closeNow();
    }

    @Override
    public void onClosed(long nowNs) {
        if (state == State.AWAIT_MSG) {
            out.reject(Rejection.TRUNCATED, "closed before a whole Msg");
        }
        state = State.CLOSED;
        out.clearDeadline();
    }
}
