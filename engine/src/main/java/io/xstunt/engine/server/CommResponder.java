package io.xstunt.engine.server;

import io.xstunt.engine.proc.Outbound;
import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireFormatException;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;

/**
 * The communication service's procedure for one connection: read one {@link Msg}, have it decided
 * ({@link Action.Decide}, answered through {@link #handleAnswer}), write the INT32 answer (if any)
 * and close after it. Sans-IO ({@link Procedure}, one connection).
 *
 * <p>A MSG_CONNECT that names an ID whose LogState has not arrived yet
 * ({@link Rejection#REGISTRATION_PENDING}) is decided again every {@link #RETRY_NS} for up to
 * {@link #PENDING_WAIT_NS}: an original client's XInit returns once it has <em>written</em>
 * LogState(IDLE), so its first MSG_CONNECT can overtake it (docs/PROTOCOL.md, decision 3).
 *
 * <p>The Msg's length tells the client's {@link WireVariant}: more than the published client's
 * 68 bytes are the reference's 72 (and its token, if marked); exactly 68 are held, and are the
 * published client's if nothing follows within the variant wait: such a client writes nothing more
 * before it has read the answer (docs/PROTOCOL.md, "Wire variants"). From a source whose
 * registrations on this server are all of the published variant, 68 bytes are its Msg at once.
 */
final class CommResponder extends Procedure<CommResponder.Action> {
    /** The procedure's states. */
    enum State {
        /** Waiting for the one Msg. */
        AWAIT_MSG,
        /** The Msg is being decided. */
        DECIDING,
        /** A MSG_CONNECT waits for the LogState of an ID it names (bounded). */
        AWAIT_STATE,
        /** Answered; closing once the answer is flushed. */
        ANSWERED,
        /** The connection is gone. */
        CLOSED
    }

    /** What the server must do for it. */
    sealed interface Action permits Action.Decide, Refused {
        /** Decide {@code msg} (the {@link CommService}); answer with {@link #handleAnswer}. */
        record Decide(Msg msg) implements Action {
        }
    }

    /** How long a MSG_CONNECT waits for a pending LogState: half the client's COMM_TIMEOUT. */
    static final long PENDING_WAIT_NS = Protocol.COMM_TIMEOUT_SEC * 1_000_000_000L / 2;
    /** How often it is decided again meanwhile. */
    static final long RETRY_NS = 5_000_000L;

    private final Outbound out = outbound(0);
    private final long handshakeNs;
    private final long variantWaitNs;
    /** The variant of every registration this server holds from the source, or null. */
    private final WireVariant expected;
    /** A whole Msg of the published client's variant, held while more bytes may still come. */
    private final HeldBytes shortMsg = new HeldBytes(WireVariant.ID31.msgSize());
    private long handshakeDeadlineNs;
    private long variantDeadlineNs;
    private WireVariant variant = WireVariant.ID32;
    /** Whether the variant is known: a byte beyond the published client's Msg came, or the wait passed. */
    private boolean variantKnown;
    private State state = State.AWAIT_MSG;
    private Msg msg;
    private long waitEndNs;

    /**
     * @param handshakeNs the bound of each wait: the Msg, the answer's flush
     * @param variantWaitNs how long a Msg of the published client's length waits for more bytes
     * @param expected the wire variant of every registration the server holds from the source
     *     (null: none, or both): {@link WireVariant#ID31} takes a Msg of its length without waiting
     */
    CommResponder(long handshakeNs, long variantWaitNs, WireVariant expected) {
        super(1);
        this.handshakeNs = handshakeNs;
        this.variantWaitNs = variantWaitNs;
        this.expected = expected;
    }

    State state() {
        return state;
    }

    /** @return the client's wire variant (the reference's until its Msg is read) */
    WireVariant variant() {
        return variant;
    }

    /** The connection was accepted. */
    void start(long nowNs) {
        handshakeDeadlineNs = nowNs + handshakeNs;
        deadline(handshakeDeadlineNs);
    }

    @Override
    public void handleBytes(int connection, ByteBuffer in, long nowNs) {
        if (shortMsg.isEmpty()) {
            read(in, nowNs);
        } else {
            shortMsg.readAhead(in, b -> read(b, nowNs));
        }
    }

    private void read(ByteBuffer in, long nowNs) {
        if (state != State.AWAIT_MSG) {
            if (in.hasRemaining() && state != State.CLOSED) {
                emit(new Refused(Rejection.UNEXPECTED_DATA, in.remaining() + " bytes after the Msg"));
            }
            in.position(in.limit());
            return;
        }
        int shortSize = WireVariant.ID31.msgSize();
        if (in.remaining() == shortSize && !variantKnown && expected == WireVariant.ID31) {
            variant = WireVariant.ID31; // the source's clients speak the published variant: no wait
            variantKnown = true;
            readMsg(in, nowNs);
            return;
        }
        if (in.remaining() == shortSize && shortMsg.isEmpty() && !variantKnown) {
            shortMsg.hold(in);
            variantDeadlineNs = nowNs + variantWaitNs;
            deadline(variantDeadlineNs - handshakeDeadlineNs < 0 ? variantDeadlineNs : handshakeDeadlineNs);
            return;
        }
        if (in.remaining() > shortSize && !variantKnown) {
            variantKnown = true; // the reference's Msg, maybe not whole yet: only the handshake bounds it now
            deadline(handshakeDeadlineNs);
        }
        // An xstunt client's Msg may carry its holder token after the struct.
        if (in.remaining() <= shortSize || in.remaining() < variant.msgSize()
                || in.remaining() < Msg.encodedSizeAt(in, variant)) {
            return;
        }
        readMsg(in, nowNs);
    }

    /** No byte followed a Msg of the published client's length within the variant wait: it is one. */
    private void readShortMsg(long nowNs) {
        variant = WireVariant.ID31;
        variantKnown = true;
        shortMsg.readAhead(ByteBuffer.allocate(0), b -> readMsg(b, nowNs));
    }

    private void readMsg(ByteBuffer in, long nowNs) {
        try {
            msg = Msg.read(in, variant);
        } catch (WireFormatException e) {
            emit(new Refused(Rejection.BAD_BYTES, "bad Msg: " + e.getMessage()));
            out.closeNow();
            state = State.ANSWERED;
            return;
        }
        waitEndNs = nowNs + Math.min(handshakeNs, PENDING_WAIT_NS);
        decide(nowNs);
        read(in, nowNs);
    }

    private void decide(long nowNs) {
        state = State.DECIDING;
        deadline(nowNs + handshakeNs); // a decision that does not come (a remote registry) is bounded too
        emit(new Action.Decide(msg));
    }

    /** The decision of the Msg: answers it, or waits a little for a pending LogState. */
    void handleAnswer(CommService.Answer a, long nowNs) {
        if (state != State.DECIDING) {
            return; // closed meanwhile
        }
        if (a.rejection() == Rejection.REGISTRATION_PENDING && nowNs - waitEndNs < 0) {
            state = State.AWAIT_STATE;
            deadline(Math.min(waitEndNs - nowNs, RETRY_NS) + nowNs);
            return;
        }
        if (a.rejection() != null) {
            emit(new Refused(a.rejection(), a.detail()));
        }
        if (a.hasReply()) {
            out.send(ByteBuffer.allocate(Protocol.COMM_REPLY_LEN).putInt(0, a.reply()));
        }
        out.closeAfterFlush();
        // The answer's flush is bounded too: a client that never reads must not pin it.
        deadline(nowNs + handshakeNs);
        state = State.ANSWERED;
    }

    @Override
    public void handleTimeout(long nowNs) {
        if (!expired(nowNs)) {
            return;
        }
        switch (state) {
            case AWAIT_STATE -> decide(nowNs);
            case AWAIT_MSG -> {
                if (!variantKnown && !shortMsg.isEmpty() && nowNs - variantDeadlineNs >= 0) {
                    readShortMsg(nowNs);
                    return;
                }
                emit(new Refused(Rejection.HANDSHAKE_TIMEOUT, "no Msg within " + handshakeNs / 1_000_000 + " ms"));
                out.closeNow();
            }
            case DECIDING -> {
                emit(new Refused(Rejection.HANDSHAKE_TIMEOUT, "no decision on the " + msg.type()
                        + " request within " + handshakeNs / 1_000_000 + " ms (the registry did not answer)"));
                out.closeNow();
            }
            case ANSWERED -> out.closeNow();
            case CLOSED -> clearDeadline();
        }
    }

    @Override
    public void handleClosed(int connection, String ioError, long nowNs) {
        if (state == State.AWAIT_MSG && out.closing() == Outbound.Closing.OPEN) {
            emit(new Refused(Rejection.TRUNCATED, "closed before a whole Msg"));
        }
        state = State.CLOSED;
        clearDeadline();
    }
}
