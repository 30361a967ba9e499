package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.proc.Outbound;
import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireVariant;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;

/**
 * One request to the communication service as a sans-IO state machine ({@link Procedure}, one
 * connection): connect, write one {@link Msg}, then for MSG_CONNECT read the 4-byte answer
 * (XConnect's first step), for MSG_DEREGISTER flush and close (XDeRegister).
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

    /** What the driver's owner must do. */
    public sealed interface Action {
        /** Open connection 0 to the comm service; its events come back as inputs. */
        record Connect() implements Action {
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

    private final Outbound out = outbound(0);
    private final Msg msg;
    private final WireVariant variant;
    private final long timeoutNs;
    private State state = State.CONNECTING;

    /**
     * @param msg the request
     * @param variant the wire variant it is written in
     * @param timeout bound of the whole request (COMM_TIMEOUT)
     */
    public CommRequest(Msg msg, WireVariant variant, Duration timeout) {
        super(1);
        this.msg = msg;
        this.variant = variant;
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

    @Override
    public void handleConnected(int connection, InetSocketAddress local, long nowNs) {
        if (state != State.CONNECTING) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(msg.encodedSize(variant)); // with the holder token, if any
        msg.write(b, variant);
        out.send(b.flip());
        if (msg.type() == Protocol.MSG_CONNECT) {
            state = State.AWAIT_ANSWER;
        } else {
            state = State.CLOSING;
            out.closeAfterFlush();
        }
    }

    @Override
    public void handleConnectFailed(int connection, String reason, long nowNs) {
        if (state == State.CONNECTING) {
            fail(ErrorStat.ERR_CONNECT, "cannot connect to the communication service: " + reason);
        }
    }

    @Override
    public void handleBytes(int connection, ByteBuffer in, long nowNs) {
        if (state != State.AWAIT_ANSWER) {
            in.position(in.limit());
            return;
        }
        if (in.remaining() < Protocol.COMM_REPLY_LEN) {
            return;
        }
        int value = in.slice(in.position(), Protocol.COMM_REPLY_LEN).order(ByteOrder.BIG_ENDIAN).getInt(0);
        in.position(in.position() + Protocol.COMM_REPLY_LEN); // the driver's buffer keeps its byte order
        state = State.DONE;
        clearDeadline();
        out.closeNow();
        emit(new Action.Answered(value));
    }

    @Override
    public void handleClosed(int connection, String ioError, long nowNs) {
        if (state == State.CONNECTING) {
            handleConnectFailed(connection, ioError == null ? "closed" : ioError, nowNs);
        } else if (state == State.CLOSING) {
            if (ioError == null) {
                state = State.DONE;
                clearDeadline();
                emit(new Action.Delivered());
            } else {
                fail(ErrorStat.ERR_SEND, "could not deliver the message to the communication service: " + ioError);
            }
        } else if (state == State.AWAIT_ANSWER) {
            fail(ErrorStat.ERR_RECEIVE, "the communication service closed the connection without an answer"
                    + (ioError == null ? "" : ": " + ioError));
        }
    }

    @Override
    public void handleTimeout(long nowNs) {
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
            out.closeNow();
            emit(new Action.Failed(error));
        }
    }

    private void fail(ErrorStat code, String message) {
        abort(new Failure(code, 0, message));
    }

    /**
     * Reads XConnect's answer: 0 accepted (null); -1 ERR_MATCH; any other value is the peer's
     * local IPv4, ERR_SAME_NAT, whose detail is the answer as the original reads it: its four bytes
     * as an INT32 in x86 host order (little-endian), which is what its example stores into
     * {@code sin_addr.s_addr} (see {@link Failure#peerLocalAddress()}).
     *
     * @param value the answer read in network order
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
        return new Failure(ErrorStat.ERR_SAME_NAT, Integer.reverseBytes(value), "peer '" + peerId
                + "' is behind the same NAT; its local address is " + Ipv4.toString(value));
    }
}
