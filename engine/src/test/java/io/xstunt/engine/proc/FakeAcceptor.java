package io.xstunt.engine.proc;

import io.xstunt.engine.net.AcceptHandler;
import io.xstunt.engine.net.Acceptor;
import java.net.InetSocketAddress;

/** A listener of a {@link FakeNetwork}: the test makes connections {@link #arrive} on it. */
public final class FakeAcceptor implements Acceptor {
    private final FakeNetwork network;
    private final InetSocketAddress address;
    private final AcceptHandler handler;
    private boolean closed;
    private int arrivals;

    FakeAcceptor(FakeNetwork network, InetSocketAddress address, AcceptHandler handler) {
        this.network = network;
        this.address = address;
        this.handler = handler;
    }

    /**
     * A connection from {@code from} arrives; the handler adopts or refuses it before this returns.
     *
     * @return it, adopted or refused
     */
    public FakeIncoming arrive(InetSocketAddress from) {
        if (closed) {
            throw new AssertionError("nothing arrives on a closed listener (" + address + ")");
        }
        FakeIncoming in = network.incoming("in" + address.getPort() + "." + arrivals++, address, from);
        handler.onAccept(this, in);
        if (in.connection() == null && !in.refused()) {
            throw new AssertionError("the handler neither adopted nor refused the connection from " + from);
        }
        return in;
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() {
        if (!closed) {
            network.note("listener " + address.getPort() + " closed");
            closed = true;
        }
    }

    @Override
    public boolean isClosed() {
        return closed;
    }
}
