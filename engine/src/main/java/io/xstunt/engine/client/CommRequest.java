package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

/**
 * One request to the communication service as a sans-IO state machine: connect, write one
 * {@link Msg}, then for MSG_CONNECT read the 4-byte answer (XConnect's first step), for
 * MSG_DEREGISTER just flush and close (XDeRegister).
 *
 * <p>Errors: a failed connect is ERR_CONNECT; no answer within the comm timeout is
 * ERR_COMM_TIMEOUT; a connection closed before the answer is ERR_RECEIVE; a deregister whose
 * bytes could not be written is ERR_SEND. The answer itself is read by {@link #connectAnswer}.
 */
public final class CommRequest extends Procedure<CommRequest.Action> {
    /** The machine's states. */
    public enum State {
        /** Connecting to the comm service. */
        CONNECTING,
        /** MSG_CONNECT written; waiting for the INT32 answer. */
        AWAIT_ANSWER,
        /** MSG_DEREGISTER written; waiting for the close after flush. */
        CLOSING,
        /** Done. */
        DONE,
        /** Failed. */
        FAILED
    }

    /** What the adapter must do. */
    public sealed interface Action {
        /** Connect to the comm service; report {@code onConnected} or {@code onConnectFailed}. */
        record Connect() implements Action {
        }

        /** Write these bytes. */
        record Send(byte[] bytes) implements Action {
        }

        /** Close after flushing; report the close with {@code onClosed}. */
        record CloseAfterFlush() implements Action {
        }

        /** Close at once; do not report it. */
        record Close() implements Action {
        }

        /** MSG_CONNECT answered with {@code value}. */
        record Answered(int value) implements Action {
        }

        /** The message without answer was delivered and the connection closed. */
        record Delivered() implements Action {
        }

        /** The request failed. */
        record Failed(Failure error) implements Action {
        }
    }

    private final Msg msg;
    private final long timeoutNs;
    private State state = State.CONNECTING;

    /**
     * @param msg the request
     * @param timeout bound of the whole request (COMM_TIMEOUT)
     */
    public CommRequest(Msg msg, Duration timeout) {
        this.msg = msg;
        this.timeoutNs = timeout.toNanos();
    }

    /** @return the current state */
    public State state() {
        return state;
    }

    /** Starts: connect. */
    public void start(long nowNs) {
        emit(new Action.Connect());
        deadline(nowNs + timeoutNs);
    }

    /** Connected: write the message. */
    public void onConnected(long nowNs) {
        if (state != State.CONNECTING) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(msg.encodedSize()); // with the holder token, if any
        msg.write(b);
        emit(new Action.Send(b.array()));
        if (msg.type() == Protocol.MSG_CONNECT) {
            state = State.AWAIT_ANSWER;
        } else {
            state = State.CLOSING;
            emit(new Action.CloseAfterFlush());
        }
    }

    /** The connect failed. */
    public void onConnectFailed(String reason) {
        if (state == State.CONNECTING) {
            fail(ErrorStat.ERR_CONNECT, "cannot connect to the communication service: " + reason);
        }
    }

    /** Bytes from the comm service. */
    public void onBytes(ByteBuffer in) {
        if (state != State.AWAIT_ANSWER || in.remaining() < Protocol.COMM_REPLY_LEN) {
            return;
        }
        int value = in.order(java.nio.ByteOrder.BIG_ENDIAN).getInt();
        state = State.DONE;
        clearDeadline();
        emit(new Action.Close());
        emit(new Action.Answered(value));
    }

    /** The connection closed (by the server, an error, or our close after flush). */
    public void onClosed(String error) {
        if (state == State.CLOSING) {
            if (error == null) {
                state = State.DONE;
                clearDeadline();
                emit(new Action.Delivered());
            } else {
                fail(ErrorStat.ERR_SEND, "could not deliver the message to the communication service: " + error);
            }
        } else if (state == State.AWAIT_ANSWER || state == State.CONNECTING) {
            fail(ErrorStat.ERR_RECEIVE, "the communication service closed the connection without an answer"
                    + (error == null ? "" : ": " + error));
        }
    }

    /** A deadline passed: ERR_COMM_TIMEOUT. */
    public void onTimeout(long nowNs) {
        if (expired(nowNs)) {
            fail(ErrorStat.ERR_COMM_TIMEOUT, "no answer from the communication service within "
                    + Duration.ofNanos(timeoutNs));
        }
    }

    /** Gives up (the client is closing). */
    public void abort(Failure error) {
        if (state != State.DONE && state != State.FAILED) {
            state = State.FAILED;
            clearDeadline();
            emit(new Action.Close());
            emit(new Action.Failed(error));
        }
    }

    private void fail(ErrorStat code, String message) {
        abort(new Failure(code, 0, message));
    }

    /**
     * Reads XConnect's answer: 0 accepted (null); -1 ERR_MATCH; any other value is the peer's
     * local IPv4, ERR_SAME_NAT with that value as detail.
     *
     * @return null if accepted, else the error
     */
    public static Failure connectAnswer(int value, String peerId) {
        if (value == Protocol.COMM_ACCEPTED) {
            return null;
        }
        if (value == Protocol.COMM_NO_MATCH) {
            return new Failure(ErrorStat.ERR_MATCH, 0, "the server found no match for peer '" + peerId
                    + "' (unknown, busy, or this client itself)");
        }
        return new Failure(ErrorStat.ERR_SAME_NAT, value, "peer '" + peerId
                + "' is behind the same NAT; its local address is " + Ipv4.toString(value));
    }
}
