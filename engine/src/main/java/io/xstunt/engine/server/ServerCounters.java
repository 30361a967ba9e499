package io.xstunt.engine.server;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the server has done, counted for operators: registrations, MSG_CONNECT answers by the
 * error code the initiator gets, finished rendezvous sessions by path and outcome, rendezvous by the NAT
 * classes of the pair, and the bytes relayed. Refusals are counted by {@link ServerStats}.
 *
 * <p>The engine keeps plain counters and knows no metrics library: a binder outside the engine
 * (the CLI's Prometheus endpoint) reads them when it is scraped. Counting costs the loop one
 * array slot's read and ordered write, no allocation, no lock-prefixed instruction: the loop
 * thread is the one writer ({@link AtomicLongArray#lazySet} publishes without a CAS), any
 * thread reads.
 */
public final class ServerCounters {
    /** How a rendezvous session ended. */
    public enum Outcome {
        /** It ended by its clients (they closed, punched or were relayed). */
        ENDED,
        /** The server ended it at {@link ServerConfig#sessionTimeout()}. */
        TIMED_OUT,
        /** The server ended it: a client left, a malformed frame, a limit, the server closing. */
        ABORTED
    }

    /** What the server learns of a client's NAT in a rendezvous: the relay extension's HELLO says it. */
    public enum NatClass {
        /** Its fingerprint predicts ports (preserving, cone or a fixed increment). */
        PREDICTABLE,
        /** Random-symmetric: its ports cannot be predicted. */
        RANDOM,
        /** An original client (or one without the relay extension): it does not say. */
        UNKNOWN
    }

    /** The answers to MSG_CONNECT, by the error code the initiator's XConnect reads from them. */
    public enum ConnectAnswer {
        /** Accepted: a session is opened and announced (0). */
        OK,
        /** The peer is behind the same public IP (its LAN address): ERR_SAME_NAT. */
        ERR_SAME_NAT,
        /** Refused (-1: unknown, busy, limits, not the holder): ERR_MATCH. */
        ERR_MATCH
    }

    private static final int REGISTRATIONS = 0;
    private static final int RELAYED_BYTES = 1;
    private static final int CONNECT_BASE = 2;
    private static final int PATHS = SessionSummary.Path.values().length;
    private static final int SESSION_BASE = CONNECT_BASE + ConnectAnswer.values().length;
    private static final int NAT_BASE = SESSION_BASE + PATHS * Outcome.values().length;
    private static final int CELLS = NAT_BASE + NatClass.values().length * NatClass.values().length;

    private final AtomicLongArray cells = new AtomicLongArray(CELLS);

    /** Single writer (the loop thread): an ordered write is enough, no CAS. */
    private void add(int cell, long n) {
        cells.lazySet(cell, cells.get(cell) + n);
    }

    /** A client is registered (its LogState said IDLE). Loop thread. */
    void registered() {
        add(REGISTRATIONS, 1);
    }

    /** A MSG_CONNECT was answered. Loop thread. */
    void connectAnswered(ConnectAnswer answer) {
        add(CONNECT_BASE + answer.ordinal(), 1);
    }

    /** A rendezvous session ended. Loop thread. */
    void sessionFinished(SessionSummary.Path path, Outcome outcome) {
        add(SESSION_BASE + path.ordinal() * Outcome.values().length + outcome.ordinal(), 1);
    }

    /** A rendezvous session ended whose clients' NAT classes are these. Loop thread. */
    void handshake(NatClass initiator, NatClass listener) {
        add(NAT_BASE + initiator.ordinal() * NatClass.values().length + listener.ordinal(), 1);
    }

    /** The relay passed {@code n} bytes (either way). Loop thread. */
    void relayed(long n) {
        add(RELAYED_BYTES, n);
    }

    /** @return clients registered since the server started (any thread) */
    public long registrations() {
        return cells.get(REGISTRATIONS);
    }

    /** @return MSG_CONNECTs answered {@code answer} (any thread) */
    public long connectAnswers(ConnectAnswer answer) {
        return cells.get(CONNECT_BASE + answer.ordinal());
    }

    /**
     * @return rendezvous sessions finished on {@code path} with {@code outcome} (any thread); a
     *     pair on one LAN gets no session: {@code connectAnswers(ERR_SAME_NAT)} counts those
     */
    public long sessions(SessionSummary.Path path, Outcome outcome) {
        return cells.get(SESSION_BASE + path.ordinal() * Outcome.values().length + outcome.ordinal());
    }

    /** @return rendezvous sessions finished between NATs of these classes (any thread) */
    public long handshakes(NatClass initiator, NatClass listener) {
        return cells.get(NAT_BASE + initiator.ordinal() * NatClass.values().length + listener.ordinal());
    }

    /** @return bytes the relay passed, both ways together (any thread) */
    public long relayedBytes() {
        return cells.get(RELAYED_BYTES);
    }
}
