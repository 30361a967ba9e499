package io.xstunt.engine.client;

import io.xstunt.engine.Failure;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.proc.ProcedureDriver;
import io.xstunt.engine.wire.ServerInfo;

/**
 * The I/O of one {@link EchoProbe} (XProbeNAT): its {@link EchoQuery}s, one at a time, each an
 * {@link EchoQueryRun}. Used by XInit's registration and, for a client whose NAT looked random,
 * again before each try of the way back to direct. Network thread only.
 */
final class EchoProbeIo {
    /** How the probe ended; exactly one call, on the network's thread. */
    interface Outcome {
        /** Probed: what it saw, read by the client's rules. */
        void done(EchoProbe.Action.Done result);

        /** Every attempt failed (ERR_PROBE). */
        void failed(Failure error);
    }

    private final Network network;
    private final ClientConfig config;
    private final EchoProbe probe;
    private final ProcedureDriver<EchoProbe.Action> driver;
    private final Outcome outcome;
    private EchoQueryRun query;

    private EchoProbeIo(Network network, ClientConfig config, ServerInfo serverInfo, Outcome outcome) {
        this.network = network;
        this.config = config;
        this.outcome = outcome;
        this.probe = new EchoProbe(serverInfo, config.probeRetries(), config.echoTimeout());
        this.driver = new ProcedureDriver<>(network, probe, this::carryOut);
    }

    /** Probes the NAT against the echo endpoints of {@code serverInfo}; {@code outcome} hears how it went. */
    static EchoProbeIo start(Network network, ClientConfig config, ServerInfo serverInfo, Outcome outcome) {
        EchoProbeIo io = new EchoProbeIo(network, config, serverInfo, outcome);
        io.driver.feed(io.probe::start);
        return io;
    }

    // instanceof chains, not pattern switches: a type switch spins a class at its first use
    // (SwitchBootstraps, a few ms on a cold JVM), and this runs on the way to a CLI's registered
    // event (docs/ARCHITECTURE.md, "The CLI's start-up")
    private void carryOut(EchoProbe.Action a) {
        if (a instanceof EchoProbe.Action.Query q) {
            query = EchoQueryRun.start(network,
                    new EchoQuery(config.localAddress(), q.localPort(), false, q.endpoint(), config.wireVariant()),
                    answer -> {
                        if (answer instanceof EchoQuery.Action.Answered r) {
                            driver.feed(now -> probe.handleQueryResult(q.attempt(), q.seq(), r.boundPort(),
                                    r.observation(), now));
                        } else if (answer instanceof EchoQuery.Action.Failed f) {
                            driver.feed(now -> probe.handleQueryFailed(q.attempt(), q.seq(), f.reason(), now));
                        } else {
                            throw new IllegalStateException("opened by its run: " + answer);
                        }
                    });
        } else if (a instanceof EchoProbe.Action.AbortQuery) {
            if (query != null) {
                query.abort();
            }
        } else if (a instanceof EchoProbe.Action.Done d) {
            outcome.done(d);
        } else if (a instanceof EchoProbe.Action.Failed f) {
            outcome.failed(f.error());
        } else {
            throw new IllegalStateException("no way to carry out " + a);
        }
    }

    /** Gives up: the query in flight is closed, nothing is reported. */
    void abort() {
        if (query != null) {
            query.abort();
        }
        driver.feed(now -> probe.abort());
    }
}
