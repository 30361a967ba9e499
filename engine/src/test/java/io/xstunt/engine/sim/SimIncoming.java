package io.xstunt.engine.sim;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import java.util.function.Consumer;

/** An accepted simulated connection waiting for its {@link io.xstunt.engine.net.AcceptHandler}'s decision. */
final class SimIncoming implements Incoming {
    private final HostNetwork network;
    private final SimSocket socket;
    private boolean taken;

    SimIncoming(HostNetwork network, SimSocket socket) {
        this.network = network;
        this.socket = socket;
    }

    /** @return true once adopted, refused or handed over */
    boolean taken() {
        return taken;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return socket.remote().toSocketAddress();
    }

    @Override
    public Connection adopt(ConnectionListener listener, int maxInbound, int maxOutbound, SocketSpec options) {
        taken = true;
        return SimConnection.accepted(network, socket, listener, maxInbound, maxOutbound);
    }

    @Override
    public void refuse() {
        taken = true;
        socket.close();
    }

    @Override
    public void keep() {
        taken = true; // decided later by its holder
    }

    @Override
    public void handOver(Consumer<ByteChannel> onDone, Consumer<IOException> onError) {
        taken = true; // never adopted: nothing to wait for, as with a real channel
        onDone.accept(new SimChannel(socket, network.simulation()));
    }

    @Override
    public String toString() {
        return "connection from " + socket.remote() + " on " + socket.local();
    }
}
