package io.xstunt.api;

import io.xstunt.engine.client.ClientConfig;
import io.xstunt.engine.client.StuntClient;
import io.xstunt.engine.loop.EventLoop;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A registered client: what XInit returns as {@code psServerLog} (the log connection to the STUNT
 * server) and what XListen, XConnect and XDeRegister take. Safe to share between threads.
 * {@link #close()} drops the registration without MSG_DEREGISTER (the server frees the ID when the
 * log connection closes); {@link Xstunt#xDeRegister} is the polite way.
 */
public final class XstuntClient implements AutoCloseable {
    private final StuntClient client;
    private final EventLoop loop;
    private final XstuntOptions options;
    private final ClientConfig config;

    XstuntClient(StuntClient client, EventLoop loop, XstuntOptions options, ClientConfig config) {
        this.client = Objects.requireNonNull(client, "client");
        this.loop = Objects.requireNonNull(loop, "loop");
        this.options = Objects.requireNonNull(options, "options");
        this.config = Objects.requireNonNull(config, "config");
    }

    /** @return the registered ID (XInit's {@code pchID}) */
    public String id() {
        return client.id();
    }

    /** @return this client's public IPv4 as the server saw it ({@code g_nClientIP}) */
    public Inet4Address publicAddress() {
        return client.publicAddress();
    }

    /** @return the NAT fingerprint ({@code g_Fingerprint}); its description is XGenFingerprint's text */
    public NatFingerprint fingerprint() {
        return NatFingerprint.of(client.fingerprint());
    }

    /** @return true if the fingerprint came from the file (XReadFingerprint) rather than a new probe */
    public boolean fingerprintCached() {
        return client.fingerprintCached();
    }

    /**
     * @return what this registration's NAT probe saw (XCheckConeTCP's local port and the public
     *     address of each echo query), empty when the fingerprint came from the file
     */
    public Optional<NatProbe> natProbe() {
        return Optional.ofNullable(client.probeRun()).map(NatProbe::of);
    }

    /** @return how long each phase of the registration took, in order: connect, probe (if any), register, total */
    public Map<String, Duration> registrationPhases() {
        return client.registrationPhases();
    }

    /**
     * @return how many times this client registered: 1, plus one per automatic registration after
     *     losing the server ({@link XstuntOptions.Builder#autoReRegister})
     */
    public int registrations() {
        return client.registrations();
    }

    /** @return true while registered (the log connection to the server is up) */
    public boolean isRegistered() {
        return client.isRegistered();
    }

    /** @return the options the client was made with */
    public XstuntOptions options() {
        return options;
    }

    /** @return the engine client (within the API) */
    StuntClient engine() {
        return client;
    }

    /** @return the event loop the client runs on */
    EventLoop loop() {
        return loop;
    }

    /** @return the engine configuration the options resolved to */
    ClientConfig config() {
        return config;
    }

    /**
     * Closes the log connection and every procedure in flight, without MSG_DEREGISTER (like
     * closing XInit's socket in the reference). Idempotent.
     */
    @Override
    public void close() {
        client.close();
    }

    /** @return the ID, for logs */
    @Override
    public String toString() {
        return "XstuntClient[" + client.id() + "]";
    }
}
