package io.xstunt.engine.sim;

import io.xstunt.engine.net.AcceptHandler;
import io.xstunt.engine.net.Acceptor;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * A listening socket of a simulated host. A SYN makes a half-open socket that answers with a
 * SYN-ACK; once its handshake completes it waits in the accept queue, and the {@link AcceptHandler}
 * gets it as the loop's next select would: right after, at the same virtual time. With the accept
 * queue over its backlog, a SYN is dropped, as Linux does (the peer sends it again a second later).
 * Closing the listener resets the connections it has not handed out.
 */
final class SimListener implements Acceptor {
    /** Java's backlog when none (or less than 1) is given. */
    private static final int DEFAULT_BACKLOG = 50;

    private final TcpStack stack;
    private final PortTable.Binding binding;
    private final int backlog;
    private final AcceptHandler handler;
    private final HostNetwork network;
    private final InetSocketAddress address;
    private final ArrayDeque<SimSocket> acceptQueue = new ArrayDeque<>();
    private boolean drainScheduled;
    private boolean closed;

    SimListener(TcpStack stack, PortTable.Binding binding, int backlog, AcceptHandler handler, HostNetwork network) {
        this.stack = stack;
        this.binding = binding;
        this.backlog = backlog < 1 ? DEFAULT_BACKLOG : backlog;
        this.handler = handler;
        this.network = network;
        this.address = new Endpoint(binding.ip(), binding.port()).toSocketAddress();
    }

    int boundIp() {
        return binding.ip();
    }

    int port() {
        return binding.port();
    }

    /** A SYN for this listener arrived. */
    void syn(Segment s) {
        if (acceptQueue.size() > backlog) { // sk_acceptq_is_full
            stack.trace("listen-overflow", s);
            return;
        }
        SimSocket.passive(stack, this, s);
    }

    /** A half-open socket of this listener completed its handshake. */
    void established(SimSocket child) {
        if (closed) {
            child.abort();
            return;
        }
        acceptQueue.add(child);
        if (!drainScheduled) {
            drainScheduled = true;
            stack.events().after(0, this::drain);
        }
    }

    private void drain() {
        drainScheduled = false;
        SimSocket child;
        while (!closed && (child = acceptQueue.poll()) != null) {
            SimIncoming incoming = new SimIncoming(network, child);
            try {
                handler.onAccept(this, incoming);
            } catch (RuntimeException | Error e) {
                if (!incoming.taken()) {
                    incoming.refuse(); // nobody else would ever close it
                }
                throw e;
            }
            if (!incoming.taken()) {
                throw new IllegalStateException("the accept handler neither adopted nor refused " + incoming);
            }
        }
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        binding.release();
        stack.removeListener(this);
        SimSocket child;
        while ((child = acceptQueue.poll()) != null) {
            child.abort();
        }
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "SimListener[" + address + (closed ? ", closed" : "") + "]";
    }
}
