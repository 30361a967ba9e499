package io.xstunt.engine.server;

import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.util.Objects;

/**
 * One registered client as the server knows it: ID, {@code CSTATE_*} state, public and local
 * IPv4, the log connection it registered on, and the rendezvous session it takes part in.
 * Owned by the {@link Registry}; loop thread only.
 */
final class ClientRecord {
    private final String id;
    private final int publicIp;
    private final LogEndpoint log;
    private final long token;
    private int state = Protocol.CSTATE_PROBE;
    private int localIp;
    /** Whether the registration's LogState arrived (until then the state reads PROBE). */
    private boolean stateReported;
    private RendezvousHandle session;
    private double budget;
    private long budgetStartNs;

    ClientRecord(String id, int publicIp, LogEndpoint log) {
        this(id, publicIp, log, 0L);
    }

    /** @param token the holder token issued to this registration, 0 if none */
    ClientRecord(String id, int publicIp, LogEndpoint log, long token) {
        this.id = Objects.requireNonNull(id, "id");
        this.publicIp = publicIp;
        this.log = Objects.requireNonNull(log, "log");
        this.token = token;
    }

    /** @return the holder token issued to this registration, 0 if none */
    long token() {
        return token;
    }

    /**
     * Takes one announcement from this client's budget: a token bucket of {@code perSecond}
     * announcements a second, holding at most {@code perSecond} (one second's worth).
     *
     * @return false if the budget is spent (the announcement must not be sent)
     */
    boolean takeAnnouncement(long nowNs, int perSecond) {
        if (budgetStartNs == 0 && budget == 0) {
            budget = perSecond; // a fresh registration starts with a full second's worth
        } else {
            budget = Math.min(perSecond, budget + (nowNs - budgetStartNs) * perSecond / 1e9);
        }
        budgetStartNs = nowNs;
        if (budget < 1) {
            return false;
        }
        budget -= 1;
        return true;
    }

    String id() {
        return id;
    }

    int publicIp() {
        return publicIp;
    }

    LogEndpoint log() {
        return log;
    }

    int state() {
        return state;
    }

    void state(int s) {
        this.state = s;
    }

    /** @return false while the registration's LogState has not arrived */
    boolean stateReported() {
        return stateReported;
    }

    void stateReported(boolean reported) {
        this.stateReported = reported;
    }

    int localIp() {
        return localIp;
    }

    void localIp(int ip) {
        this.localIp = ip;
    }

    RendezvousHandle session() {
        return session;
    }

    void session(RendezvousHandle s) {
        this.session = s;
    }

    @Override
    public String toString() {
        // never the token: records are logged
        return "ClientRecord[" + id + ", state " + state + ", " + Ipv4.toString(publicIp)
                + (token != 0 ? ", token" : "") + "]";
    }
}
