package io.xstunt.api;

import io.xstunt.engine.server.Rejection;
import io.xstunt.engine.server.ServerCounters;
import io.xstunt.engine.server.SessionSummary;
import io.xstunt.engine.server.StuntServer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a running {@link XstuntServer} has done, for operators ({@link XstuntServer#metrics()}):
 * counts since it started and what it holds now. Not in XSTUNT 1.0, whose server only logged.
 * The server counts on its loop thread into plain counters; this view reads them from any thread
 * without stopping the loop, so a metrics system may read it as often as it scrapes (the CLI's
 * Prometheus endpoint does, through {@link ServerMeterBinder}).
 *
 * <p>The keys are the label values of the Prometheus names docs/OPERATIONS.md lists, lower case.
 */
public final class ServerMetrics {
    /** The paths of {@link #sessions}: what a rendezvous ended in, as far as the server knows. */
    public static final List<String> SESSION_PATHS = List.of("direct", "relayed", "lan", "unreported");
    /** The outcomes of {@link #sessions}. */
    public static final List<String> SESSION_OUTCOMES = label(ServerCounters.Outcome.values());
    /** The NAT classes of {@link #handshakes}: what the relay extension's HELLO says of a client's NAT. */
    public static final List<String> NAT_CLASSES = label(ServerCounters.NatClass.values());
    /** The codes of {@link #connectRequests}: what XConnect reads from the answer to its MSG_CONNECT. */
    public static final List<ErrorCode> CONNECT_CODES = List.of(ErrorCode.ERR_NONE, ErrorCode.ERR_SAME_NAT,
            ErrorCode.ERR_MATCH);
    /** The reasons of {@link #refusals}, as the server logs them (docs/RELIABILITY.md explains each). */
    public static final List<String> REFUSAL_REASONS = Arrays.stream(Rejection.values()).map(Enum::name).toList();

    private static final String LAN = "lan";

    private final StuntServer server;
    private final ServerCounters counters;

    ServerMetrics(StuntServer server) {
        this.server = server;
        this.counters = server.counters();
    }

    private static List<String> label(Enum<?>[] values) {
        return Arrays.stream(values).map(v -> v.name().toLowerCase(Locale.ROOT)).toList();
    }

    /** @return clients registered since the server started (a log connection that reached IDLE; a re-registration counts again) */
    public long registrations() {
        return counters.registrations();
    }

    /**
     * @param code {@link ErrorCode#ERR_NONE} (a session opened), {@link ErrorCode#ERR_SAME_NAT} or
     *     {@link ErrorCode#ERR_MATCH} (refused: unknown, busy, a limit)
     * @return MSG_CONNECTs answered so (0 for any other code: the server answers no other)
     */
    public long connectRequests(ErrorCode code) {
        return switch (code) {
            case ERR_NONE -> counters.connectAnswers(ServerCounters.ConnectAnswer.OK);
            case ERR_SAME_NAT -> counters.connectAnswers(ServerCounters.ConnectAnswer.ERR_SAME_NAT);
            case ERR_MATCH -> counters.connectAnswers(ServerCounters.ConnectAnswer.ERR_MATCH);
            default -> 0;
        };
    }

    /**
     * @param path one of {@link #SESSION_PATHS}: "direct" (a side said its punch won), "relayed",
     *     "lan" (answered ERR_SAME_NAT: the pair connects on its LAN, no session), "unreported"
     *     (original clients never say; a failed rendezvous looks the same)
     * @param outcome one of {@link #SESSION_OUTCOMES}: "ended" (by its clients), "timed_out" (the
     *     session timeout), "aborted" (a client left, a malformed frame, the server closing)
     * @return rendezvous finished on that path with that outcome
     * @throws IllegalArgumentException for an unknown path or outcome
     */
    public long sessions(String path, String outcome) {
        ServerCounters.Outcome o = ServerCounters.Outcome.valueOf(outcome.toUpperCase(Locale.ROOT));
        if (LAN.equals(path)) {
            return o == ServerCounters.Outcome.ENDED ? counters.connectAnswers(ServerCounters.ConnectAnswer.ERR_SAME_NAT)
                    : 0;
        }
        return counters.sessions(SessionSummary.Path.valueOf(path.toUpperCase(Locale.ROOT)), o);
    }

    /**
     * @param initiatorNat the initiator's class, one of {@link #NAT_CLASSES} ("predictable",
     *     "random", "unknown": a client without the relay extension does not say)
     * @param listenerNat the listener's class
     * @return rendezvous sessions finished between such NATs
     * @throws IllegalArgumentException for an unknown class
     */
    public long handshakes(String initiatorNat, String listenerNat) {
        return counters.handshakes(ServerCounters.NatClass.valueOf(initiatorNat.toUpperCase(Locale.ROOT)),
                ServerCounters.NatClass.valueOf(listenerNat.toUpperCase(Locale.ROOT)));
    }

    /** @return bytes the relay passed between relayed pairs, both ways together */
    public long relayedBytes() {
        return counters.relayedBytes();
    }

    /**
     * @param reason one of {@link #REFUSAL_REASONS}
     * @return inputs refused for that reason
     * @throws IllegalArgumentException for an unknown reason
     */
    public long refusals(String reason) {
        return server.rejected(Rejection.valueOf(reason));
    }

    /** @return the IDs registered now (any state), as the registry counts them; asks the loop (bounded) */
    public int clients() {
        return server.registeredCount();
    }

    /** @return rendezvous sessions in flight now; asks the loop (bounded) */
    public int sessionsInFlight() {
        return server.sessionsInFlight();
    }

    /** @return relayed connections held now; asks the loop (bounded) */
    public int relaysInFlight() {
        return server.relaysInFlight();
    }

    /** @return TCP connections the server holds now (log, comm, echo, control); asks the loop (bounded) */
    public int connections() {
        return server.openConnections();
    }

    /**
     * @return whether the registry's store answers: always for the in-memory registry; a shared
     *     registry says when its store is unreachable (the server then serves its own clients only)
     */
    public boolean registryReachable() {
        return server.registryReachable();
    }

    /** @return store commands the registry completed (0 in memory: it has no store) */
    public long registryCommands() {
        return server.registryHealth().commands();
    }

    /** @return store commands that failed or timed out (a shared registry) */
    public long registryErrors() {
        return server.registryHealth().errors();
    }

    /** @return how often the registry's store became unreachable (a shared registry) */
    public long registryOutages() {
        return server.registryHealth().outages();
    }

    /** @return the round trip of the registry's last completed store command in seconds, 0 before any */
    public double registryLatencySeconds() {
        return server.registryHealth().lastLatencyNs() / 1e9;
    }
}
