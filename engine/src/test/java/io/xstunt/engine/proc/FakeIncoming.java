package io.xstunt.engine.proc;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import java.util.function.Consumer;

/** A connection that arrived on a {@link FakeNetwork}'s listener: adopted (a {@link FakeConnection}) or refused. */
public final class FakeIncoming implements Incoming {
    private final FakeNetwork network;
    private final String name;
    private final InetSocketAddress local;
    private final InetSocketAddress from;
    private FakeConnection adopted;
    private SocketSpec options;
    private boolean refused;

    FakeIncoming(FakeNetwork network, String name, InetSocketAddress local, InetSocketAddress from) {
        this.network = network;
        this.name = name;
        this.local = local;
        this.from = from;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return from;
    }

    @Override
    public Connection adopt(ConnectionListener listener, int maxInbound, int maxOutbound, SocketSpec spec)
            throws IOException {
        if (adopted != null || refused) {
            throw new IllegalStateException(name + " was adopted or refused already");
        }
        network.note(name + " adopted");
        options = spec;
        adopted = new FakeConnection(network, name, listener, local, from, maxInbound, true);
        return adopted;
    }

    @Override
    public void keep() {
        network.note(name + " kept");
    }

    @Override
    public void refuse() {
        network.note(name + " refused");
        refused = true;
    }

    @Override
    public void handOver(Consumer<ByteChannel> onDone, Consumer<IOException> onError) {
        throw new UnsupportedOperationException("not in the fake network");
    }

    /** @return the connection it became, or null if it was not adopted */
    public FakeConnection connection() {
        return adopted;
    }

    /** @return true if it was refused */
    public boolean refused() {
        return refused;
    }

    /** @return the socket options it was adopted with, or null */
    public SocketSpec options() {
        return options;
    }
}
