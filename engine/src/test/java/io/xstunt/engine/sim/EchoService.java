package io.xstunt.engine.sim;

import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.AcceptHandler;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A test service on a simulated host. In {@link Mode#REPORT_SOURCE} it answers each connection
 * with the source address it sees ("ip:port\n") and closes, as STUNT's echo service tells a
 * client its public address (and as natlab's labtool echo does); in {@link Mode#ECHO} it sends
 * back what it reads until the peer closes.
 */
final class EchoService implements AcceptHandler {
    /** What the service does with a connection. */
    enum Mode { REPORT_SOURCE, ECHO }

    private final Mode mode;
    private final List<InetSocketAddress> sources = new ArrayList<>();
    private final Acceptor acceptor;

    private EchoService(Network network, InetSocketAddress at, Mode mode) throws IOException {
        this.mode = mode;
        this.acceptor = network.listen(SocketSpec.listener(at), 16, this);
    }

    /** @return a service listening on {@code at} (port 0: a fresh one) */
    static EchoService start(Network network, InetSocketAddress at, Mode mode) throws IOException {
        return new EchoService(network, at, mode);
    }

    /** @return an echo on {@code host}'s first address, port {@code port} */
    static EchoService echoOn(SimHost host, int port) throws IOException {
        return start(host.network(), host.socketAddress(0, port), Mode.ECHO);
    }

    /** @return a source reporter on {@code host}'s address number {@code address}, port {@code port} */
    static EchoService reporterOn(SimHost host, int address, int port) throws IOException {
        return start(host.network(), host.socketAddress(address, port), Mode.REPORT_SOURCE);
    }

    /** @return where it listens */
    InetSocketAddress address() {
        return acceptor.address();
    }

    /** @return the source address of every connection so far */
    List<InetSocketAddress> sources() {
        return sources;
    }

    void close() {
        acceptor.close();
    }

    /** @return the address in a REPORT_SOURCE answer */
    static InetSocketAddress parse(String answer) {
        String line = answer.strip();
        int colon = line.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("not an address line: '" + answer + "'");
        }
        return new InetSocketAddress(io.xstunt.engine.wire.Ipv4.parse(line.substring(0, colon)),
                Integer.parseInt(line.substring(colon + 1)));
    }

    @Override
    public void onAccept(Acceptor a, Incoming incoming) {
        InetSocketAddress from = incoming.remoteAddress();
        sources.add(from);
        Connection c;
        try {
            c = incoming.adopt(mode == Mode.ECHO ? ECHO : ConnectionListener.DISCARD, 4096, 1 << 20, SocketSpec.DEFAULTS);
        } catch (IOException e) {
            return;
        }
        if (mode == Mode.REPORT_SOURCE) {
            String ip = from.getAddress().getHostAddress();
            c.send(ByteBuffer.wrap((ip + ":" + from.getPort() + "\n").getBytes(StandardCharsets.US_ASCII)));
            c.closeAfterFlush(); // the server closes first, as STUNT's echo service does
        }
    }

    private static final ConnectionListener ECHO = new ConnectionListener() {
        @Override
        public void onRead(Connection c, ByteBuffer in) {
            c.send(in);
        }

        @Override
        public void onClosed(Connection c, Throwable cause) {
        }
    };
}
