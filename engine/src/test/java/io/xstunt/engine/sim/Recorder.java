package io.xstunt.engine.sim;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import java.io.ByteArrayOutputStream;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** A test's listener of one connection: takes every byte and records the connect and the close. */
final class Recorder implements ConnectionListener {
    /** Completes at onConnected, or fails with the cause of a close before it. */
    final CompletableFuture<Connection> connected = new CompletableFuture<>();
    /** Completes at onClosed with its cause (null for a clean close). */
    final CompletableFuture<Throwable> closed = new CompletableFuture<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private int closes;
    private long closedAtNs;
    private final SimNetwork clock;
    private Connection connection;

    Recorder(SimNetwork clock) {
        this.clock = clock;
    }

    /** @return a recorder of a connect from {@code host}, bound as {@code local} says, to {@code to} */
    static Recorder connect(SimHost host, SocketSpec local, InetSocketAddress to) throws IOException {
        Recorder r = new Recorder(host.simulation());
        r.connection = host.network().connect(local, to, r);
        return r;
    }

    /** @return the connection {@link #connect} opened */
    Connection connection() {
        return connection;
    }

    @Override
    public void onConnected(Connection c) {
        connected.complete(c);
    }

    @Override
    public void onRead(Connection c, ByteBuffer in) {
        bytes.write(in.array(), in.arrayOffset() + in.position(), in.remaining());
        in.position(in.limit());
    }

    @Override
    public void onClosed(Connection c, Throwable cause) {
        closes++;
        closedAtNs = clock.nowNs();
        if (!connected.isDone()) {
            connected.completeExceptionally(cause != null ? cause : new IOException("closed before it connected"));
        }
        closed.complete(cause);
    }

    /** @return the bytes received, as UTF-8 */
    String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** @return how many times onClosed came */
    int closes() {
        return closes;
    }

    /** @return when onClosed came, on the virtual clock */
    long closedAtNs() {
        return closedAtNs;
    }
}
