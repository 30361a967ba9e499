package io.xstunt.engine.client;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.ServerInfo;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A registered XSTUNT client on an {@link EventLoop}: the asynchronous core behind XInit,
 * XListen, XConnect and XDeRegister. Every method is safe from any thread; futures complete on
 * the loop thread (do not block in their callbacks). Failures complete futures exceptionally
 * with {@link io.xstunt.engine.XstuntException}.
 *
 * <p>CONTRACT SKELETON: bodies are filled in by the client engine work.
 */
public final class StuntClient implements AutoCloseable {
    private StuntClient() {
    }

    /**
     * XInit: connects to the log service, probes the NAT unless a valid fingerprint is cached,
     * and registers {@code id}.
     */
    public static CompletableFuture<StuntClient> register(EventLoop loop, ClientConfig config, String id) {
        throw new UnsupportedOperationException("client engine not built yet");
    }

    /** XConnect: a direct connection to {@code peerId}, bounded by {@code timeout}. */
    public CompletableFuture<Rendezvous> connect(String peerId, Duration timeout) {
        throw new UnsupportedOperationException("client engine not built yet");
    }

    /**
     * XListen: completes with an incoming connection that has come up, or waits up to
     * {@code timeout} for one whose procedure is under way; fails at once with ERR_TIMEOUT when
     * no request is pending.
     */
    public CompletableFuture<Rendezvous> listen(Duration timeout) {
        throw new UnsupportedOperationException("client engine not built yet");
    }

    /**
     * Sets a callback for every incoming connection (instead of polling {@link #listen}); failed
     * incoming procedures go to {@code onError}. Null removes it.
     */
    public void onIncoming(Consumer<Rendezvous> onConnected, Consumer<Throwable> onError) {
        throw new UnsupportedOperationException("client engine not built yet");
    }

    /** XDeRegister: sends MSG_DEREGISTER for this client's ID and closes the log connection. */
    public CompletableFuture<Void> deregister() {
        throw new UnsupportedOperationException("client engine not built yet");
    }

    /** @return the registered ID */
    public String id() {
        throw new UnsupportedOperationException("client engine not built yet");
    }

    /** @return the NAT fingerprint used (probed now or read from the file) */
    public Fingerprint fingerprint() {
        throw new UnsupportedOperationException("client engine not built yet");
    }

    /** @return true if the fingerprint was read from the file instead of probed */
    public boolean fingerprintCached() {
        throw new UnsupportedOperationException("client engine not built yet");
    }

    /** @return the server's ServerInfo as received at registration */
    public ServerInfo serverInfo() {
        throw new UnsupportedOperationException("client engine not built yet");
    }

    /** @return this client's public IPv4 as the server sees it */
    public Inet4Address publicAddress() {
        throw new UnsupportedOperationException("client engine not built yet");
    }

    /** @return elapsed time of each registration phase (connect, probe, register) */
    public java.util.Map<String, Duration> registrationPhases() {
        throw new UnsupportedOperationException("client engine not built yet");
    }

    /** Closes the log connection and every procedure in flight (no MSG_DEREGISTER). */
    @Override
    public void close() {
        throw new UnsupportedOperationException("client engine not built yet");
    }
}
