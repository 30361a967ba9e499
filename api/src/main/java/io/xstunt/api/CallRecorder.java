package io.xstunt.api;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * Records each finished XInit, XConnect and XListen for observers: its outcome in
 * {@link ClientOutcomes} (Micrometer, through {@link ClientMeterBinder}) and, while JFR records
 * them, a {@link HandshakeEvent} and one {@link HandshakePhaseEvent} per phase. Runs once per
 * call when its future completes, never on a data path.
 */
final class CallRecorder {
    static final String XINIT = "xinit";
    static final String XCONNECT = "xconnect";
    static final String XLISTEN = "xlisten";
    /** The registration's phases end with their sum under this name; it is not a phase of its own. */
    private static final String TOTAL = "total";

    private CallRecorder() {
    }

    /** An XInit ended: {@code client} on success, else {@code failure}. */
    static void registered(String id, XstuntClient client, Throwable failure) {
        record(XINIT, id, null, failure, null, client == null ? Map.of() : client.registrationPhases());
    }

    /** An XConnect or XListen of {@code id} ended: {@code connection} on success, else {@code failure}. */
    static void connected(String call, String id, String peer, XstuntConnection connection, Throwable failure) {
        record(call, id, connection == null ? peer : connection.peerId(), failure,
                connection == null ? null : connection.path(), connection == null ? Map.of() : connection.phases());
    }

    private static void record(String call, String id, String peer, Throwable failure, ConnectionPath path,
                               Map<String, Duration> phases) {
        ErrorCode code = failure == null ? ErrorCode.ERR_NONE : codeOf(failure);
        ClientOutcomes.PROCESS.count(call, code, failure == null ? path : null);
        HandshakeEvent call0 = new HandshakeEvent();
        if (!call0.shouldCommit()) {
            return;
        }
        long total = phases.entrySet().stream().filter(e -> !TOTAL.equals(e.getKey()))
                .mapToLong(e -> e.getValue().toNanos()).sum();
        // the phases are consecutive and end now: each began where the sum of those after it says
        long endMillis = System.currentTimeMillis();
        long after = total;
        for (Map.Entry<String, Duration> e : phases.entrySet()) {
            if (TOTAL.equals(e.getKey())) {
                continue;
            }
            HandshakePhaseEvent p = new HandshakePhaseEvent();
            p.call = call;
            p.id = id;
            p.peer = peer;
            p.phase = e.getKey();
            p.phaseStart = endMillis - after / 1_000_000;
            p.phaseDuration = e.getValue().toNanos();
            p.commit();
            after -= e.getValue().toNanos();
        }
        call0.call = call;
        call0.id = id;
        call0.peer = peer;
        call0.code = code.name();
        call0.path = path == null ? ClientOutcomes.NO_PATH : path.name().toLowerCase(java.util.Locale.ROOT);
        call0.total = total;
        call0.commit();
    }

    private static ErrorCode codeOf(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return c instanceof XstuntException x ? x.code() : ErrorCode.ERR_FAIL;
    }
}
