package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.nat.NatAnalysis.Observation;
import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.ServerInfo;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * XProbeNAT / XCheckConeTCP / XCheckConeTCPProbe as a sans-IO state machine ({@link Procedure}
 * without connections of its own: each query is an {@link EchoQuery}): from ONE local port, query
 * the four echo endpoints in turn (IP1:P1, IP1:P2, IP2:P1, IP2:P2), then
 * {@link NatAnalysis#analyze analyse} the four public addresses.
 *
 * <p>Each query is bounded by the echo timeout; a failed query, a timeout or an analysis that
 * fails (an echo that reports address or port 0) ends the attempt, and the next attempt starts from a fresh local
 * port after a short backoff timer (no fixed sleeps: XSTUNT 1.0 slept 10 s). After the
 * configured number of attempts: ERR_PROBE.
 */
public final class EchoProbe extends Procedure<EchoProbe.Action> {
    /** Pause between attempts: long enough not to hammer a failing server, short enough not to matter. */
    static final Duration BACKOFF = Duration.ofMillis(50);
    /** Number of echo endpoints queried per attempt. */
    public static final int QUERIES = 4;

    /** The machine's states. */
    public enum State {
        /** A query is in flight. */
        QUERYING,
        /** Waiting out the backoff before the next attempt. */
        BACKOFF,
        /** Analysis done. */
        DONE,
        /** All attempts failed. */
        FAILED
    }

    /** What the adapter must do. */
    public sealed interface Action {
        /**
         * Run an {@link EchoQuery} from {@code localPort} (0: a fresh port) to {@code endpoint};
         * report {@link #handleQueryResult} or {@link #handleQueryFailed}.
         */
        record Query(int attempt, int seq, int localPort, InetSocketAddress endpoint) implements Action {
        }

        /** Abandon the query in flight (close its socket); do not report it. */
        record AbortQuery() implements Action {
        }

        /** Probing finished: what the last attempt saw, read by the client's rules, and the log lines. */
        record Done(NatAnalysis.ProbeRun run, NatAnalysis.Nature nature, List<String> lines) implements Action {
        }

        /** Probing failed for good. */
        record Failed(Failure error) implements Action {
        }
    }

    private final InetSocketAddress[] endpoints;
    private final int attempts;
    private final long queryTimeoutNs;
    private final List<Observation> observations = new ArrayList<>();
    private final List<String> lines = new ArrayList<>();
    private State state = State.QUERYING;
    private int attempt;
    private int seq;
    private int localPort;
    private String lastFailure = "";

    /**
     * @param serverInfo gives the echo endpoints
     * @param attempts how many runs of four queries before giving up (PROBE_RETRY_TIMES)
     * @param queryTimeout bound of one query (RCV_ECHO_TIMEOUT)
     */
    public EchoProbe(ServerInfo serverInfo, int attempts, Duration queryTimeout) {
        super(0);
        this.endpoints = endpoints(serverInfo);
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1");
        }
        this.attempts = attempts;
        this.queryTimeoutNs = queryTimeout.toNanos();
    }

    /** @return the four echo endpoints in probe order: IP1:P1, IP1:P2, IP2:P1, IP2:P2 */
    public static InetSocketAddress[] endpoints(ServerInfo info) {
        return new InetSocketAddress[] {
            new InetSocketAddress(Ipv4.toAddress(info.ip1()), info.echoPort1()),
            new InetSocketAddress(Ipv4.toAddress(info.ip1()), info.echoPort2()),
            new InetSocketAddress(Ipv4.toAddress(info.ip2()), info.echoPort1()),
            new InetSocketAddress(Ipv4.toAddress(info.ip2()), info.echoPort2()),
        };
    }

    /** @return the current state */
    public State state() {
        return state;
    }

    /** Starts the first attempt. */
    public void start(long nowNs) {
        attempt = 0;
        nextAttempt(nowNs);
    }

    private void nextAttempt(long nowNs) {
        attempt++;
        seq = 0;
        localPort = 0;
        observations.clear();
        query(nowNs);
    }

    private void query(long nowNs) {
        state = State.QUERYING;
        emit(new Action.Query(attempt, seq, localPort, endpoints[seq]));
        deadline(nowNs + queryTimeoutNs);
    }

    /** A query answered: the public address the echo service saw, from {@code boundPort}. */
    public void handleQueryResult(int attempt, int seq, int boundPort, Observation observation, long nowNs) {
        if (state != State.QUERYING || attempt != this.attempt || seq != this.seq) {
            return;
        }
        if (localPort == 0) {
            localPort = boundPort;
        } else if (boundPort != localPort) {
            attemptFailed("query " + seq + " left from port " + boundPort + " instead of " + localPort, nowNs);
            return;
        }
        observations.add(observation);
        lines.add("probe " + attempt + "." + seq + " local port " + boundPort + " -> " + endpoints[seq]
                + " saw " + observation);
        if (++this.seq < QUERIES) {
            query(nowNs);
            return;
        }
        try {
            NatAnalysis.ProbeRun run = new NatAnalysis.ProbeRun(localPort, observations);
            NatAnalysis.Nature nature = run.analyze(NatAnalysis.Rules.XSTUNT_1_0);
            if (!nature.publicIpsAgree()) {
                // XAnalyzeNature marks this and goes on: the fingerprint takes the server's view
                lines.add("echo services disagree on the public IP: " + observations);
            }
            state = State.DONE;
            clearDeadline();
            emit(new Action.Done(run, nature, List.copyOf(lines)));
        } catch (Failure e) {
            attemptFailed(e.getMessage(), nowNs);
        }
    }

    /** A query failed (connect refused, closed before the echo, malformed echo...). */
    public void handleQueryFailed(int attempt, int seq, String reason, long nowNs) {
        if (state != State.QUERYING || attempt != this.attempt || seq != this.seq) {
            return;
        }
        attemptFailed("query " + seq + " to " + endpoints[seq] + " failed: " + reason, nowNs);
    }

    /** A deadline passed: a query timed out, or the backoff is over. */
    @Override
    public void handleTimeout(long nowNs) {
        if (!expired(nowNs)) {
            return;
        }
        if (state == State.QUERYING) {
            emit(new Action.AbortQuery());
            attemptFailed("no echo from " + endpoints[seq] + " within " + Duration.ofNanos(queryTimeoutNs), nowNs);
        } else if (state == State.BACKOFF) {
            nextAttempt(nowNs);
        }
    }

    /** Gives up (the client is closing). */
    public void abort() {
        if (state == State.QUERYING) {
            emit(new Action.AbortQuery());
        }
        if (state == State.QUERYING || state == State.BACKOFF) {
            state = State.FAILED;
            clearDeadline();
        }
    }

    private void attemptFailed(String reason, long nowNs) {
        lastFailure = reason;
        lines.add("probe attempt " + attempt + " failed: " + reason);
        if (attempt >= attempts) {
            state = State.FAILED;
            clearDeadline();
            emit(new Action.Failed(new Failure(ErrorStat.ERR_PROBE, 0,
                    "NAT probe failed after " + attempts + " attempt(s): " + lastFailure)));
            return;
        }
        state = State.BACKOFF;
        deadline(nowNs + BACKOFF.toNanos());
    }
}
