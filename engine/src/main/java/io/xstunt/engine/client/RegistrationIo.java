package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.proc.ProcedureDriver;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O of XInit's registration: a {@link Registration} and, when it probes, an
 * {@link EchoProbe} and its {@link EchoQuery}s, each on its driver, and the fingerprint file write
 * ({@link Network#executeBlocking}: file I/O never runs on the network's thread). Ends with the
 * registered log connection handed to the owner, or a failure. Network thread only, except the
 * fingerprint write.
 */
final class RegistrationIo {
    private static final Logger LOG = LoggerFactory.getLogger(RegistrationIo.class);

    /** The outcome; exactly one call, on the network's thread. */
    interface Outcome {
        /**
         * Registered: the log connection (the new owner sets its listener at once) and what
         * registration yielded.
         *
         * @param stored completes once a fresh fingerprint is in its file (XInit returns only then)
         */
        void registered(Registration.Outcome outcome, Connection log, CompletableFuture<Void> stored);

        /** Registration failed; everything it opened is closed. */
        void failed(Failure error);
    }

    private final Network network;
    private final ClientConfig config;
    private final String id;
    private final Outcome outcome;
    private final Registration registration;
    private final ProcedureDriver<Registration.Action> driver;
    private final CompletableFuture<Void> stored = new CompletableFuture<>();
    private EchoProbeIo probe;

    private RegistrationIo(Network network, ClientConfig config, String id, Fingerprint cached, int punchPort,
                           Outcome outcome) {
        this.network = network;
        this.config = config;
        this.id = id;
        this.outcome = outcome;
        this.registration = new Registration(id, config.wireVariant(), cached, config.echoTimeout(),
                config.extensions(), config.sharedSecret());
        this.registration.offerFast(punchPort);
        if (config.overIpv6()) {
            registration.registerOverIpv6();
        }
        this.driver = new ProcedureDriver<>(network, registration, this::carryOut);
    }

    /**
     * Registers {@code id} (with the fingerprint read from the file, or null), offering FAST with
     * {@code punchPort} (0: not); {@code outcome} hears how it went.
     */
    static RegistrationIo start(Network network, ClientConfig config, String id, Fingerprint cached, int punchPort,
                                Outcome outcome) {
        RegistrationIo io = new RegistrationIo(network, config, id, cached, punchPort, outcome);
        io.driver.feed(io.registration::start);
        return io;
    }

    // The three dispatches of this class are instanceof chains, not pattern switches: each type
    // switch spins a class at its first use (SwitchBootstraps, a few ms on a cold JVM), and all
    // three run once in every process on its way to being registered (docs/PERFORMANCE.md 7).
    private void carryOut(Registration.Action a) {
        if (a instanceof Registration.Action.ConnectLog c) {
            driver.connect(c.connection(), SocketSpec.service(config.serviceLocalAddress()),
                    new InetSocketAddress(config.serverIp1(), config.logPort()));
        } else if (a instanceof Registration.Action.StartProbe s) {
            startProbe(s);
        } else if (a instanceof Registration.Action.StoreFingerprint s) {
            store(s.fingerprint());
        } else if (a instanceof Registration.Action.Registered r) {
            registered(r.outcome());
        } else if (a instanceof Registration.Action.Failed f) {
            failed(f.error());
        } else {
            throw new IllegalStateException("no way to carry out " + a);
        }
    }

    private void startProbe(Registration.Action.StartProbe s) {
        probe = EchoProbeIo.start(network, config, s.serverInfo(), new EchoProbeIo.Outcome() {
            @Override
            public void done(EchoProbe.Action.Done d) {
                driver.feed(now -> registration.handleProbeDone(d.run(), d.nature(), d.lines(), network.epochMillis(),
                        now));
            }

            @Override
            public void failed(Failure error) {
                driver.feed(now -> registration.handleProbeFailed(error));
            }
        });
    }

    private void store(Fingerprint f) {
        if (config.fingerprintFile() == null) {
            stored.complete(null);
            return;
        }
        network.executeBlocking("xstunt-fingerprint-write", () -> {
            try {
                FingerprintFile.write(config.fingerprintFile(), f);
            } catch (IOException | RuntimeException e) {
                // a fingerprint that cannot be stored only costs a probe next time
                LOG.warn("cannot write fingerprint file {}: {}", config.fingerprintFile(), e.toString());
            }
            stored.complete(null);
        });
    }

    private void registered(Registration.Outcome o) {
        Connection log = driver.release(registration.connection());
        if (log == null || log.isClosed()) {
            failed(new Failure(ErrorStat.ERR_RECEIVE, 0, "the log connection closed as registration completed"));
            return;
        }
        if (!stored.isDone() && o.cached()) {
            stored.complete(null);
        }
        LOG.info("registered '{}' at {} as {} (public {}, fingerprint {}{})", id, config.serverIp1(),
                Ipv4.toString(o.localIp()), Ipv4.toString(o.publicIp()), o.fingerprint().describe(),
                o.cached() ? ", cached" : "");
        outcome.registered(o, log, stored);
    }

    private void failed(Failure error) {
        if (probe != null) {
            probe.abort();
        }
        driver.closeAll();
        LOG.info("registration of '{}' failed: {}", id, error.getMessage());
        outcome.failed(error);
    }

    /** Gives up from outside (the loop is closing or the caller gave up). */
    void abort() {
        driver.feed(now -> registration.abort(new Failure(ErrorStat.ERR_FAIL, 0, "registration aborted")));
    }
}
