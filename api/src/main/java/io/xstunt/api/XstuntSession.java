package io.xstunt.api;

import io.xstunt.engine.client.ClientConfig;
import io.xstunt.engine.client.StuntClient;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.ServerInfo;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * A registered client: what XInit returns as {@code psServerLog} (the log connection to the
 * STUNT server) and what XListen, XConnect and XDeRegister take. Safe to share between threads.
 * {@link #close()} drops the registration without MSG_DEREGISTER (the server frees the ID when
 * the log connection closes); {@link Xstunt#xDeRegister} is the polite way.
 */
public final class XstuntSession implements AutoCloseable {
    private final StuntClient client;
    private final EventLoop loop;
    private final XstuntOptions options;
    private final ClientConfig config;

    XstuntSession(StuntClient client, EventLoop loop, XstuntOptions options, ClientConfig config) {
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

    /** @return the NAT fingerprint ({@code g_Fingerprint}); {@link Fingerprint#describe()} is XGenFingerprint */
    public Fingerprint fingerprint() {
        return client.fingerprint();
    }

    /** @return true if the fingerprint came from the file (XReadFingerprint) rather than a new probe */
    public boolean fingerprintCached() {
        return client.fingerprintCached();
    }

    /** @return the server's answer at registration ({@code g_ServerInfo}) */
    public ServerInfo serverInfo() {
        return client.serverInfo();
    }

    /** @return elapsed time of each registration phase, in order */
    public Map<String, Duration> registrationPhases() {
        return client.registrationPhases();
    }

    /** @return the engine client behind this session, for what the facade does not cover */
    public StuntClient client() {
        return client;
    }

    /** @return the event loop the session runs on */
    public EventLoop loop() {
        return loop;
    }

    /** @return the options the session was made with */
    public XstuntOptions options() {
        return options;
    }

    /** @return the engine configuration the options resolved to for this server */
    public ClientConfig config() {
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
        return "XstuntSession[" + client.id() + "]";
    }
}
