package io.xstunt.bench.load;

import io.xstunt.engine.tcp.FreshPorts;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogHello;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.HashMap;
import java.util.Map;

/**
 * The protocol floor of a rendezvous session (issue #4, benchmark 4's second reference): a
 * server that makes exactly the socket operations a session needs and nothing else. Log port:
 * accept, greeting, ID, ServerInfo, LogState, hold. Comm port: accept, read the Msg, bind and
 * listen on a control port, write both announcements and the answer, close. Control port: accept
 * two connections, close the listener, copy bytes between them, close both at the first EOF.
 *
 * <p>No checks, no limits, no timers, no logging, no registry beyond an ID-to-connection map:
 * what {@code StuntServer} spends above this server's CPU per session is its own code; what this
 * server's rate lacks of the accept-write-close baseline's is the protocol's. Wrong input here
 * closes the connection and is counted, nothing more: it only ever talks to the load generator.
 */
final class FloorServer implements AutoCloseable {
    private final Selector selector = Selector.open();
    private final ServerSocketChannel log = ServerSocketChannel.open();
    private final ServerSocketChannel comm = ServerSocketChannel.open();
    private final InetAddress ip1;
    private final int ip1Int;
    private final int ip2Int;
    /** Held log connections by ID (loop thread; size read by {@link #registered()}). */
    private final Map<String, SocketChannel> held = new HashMap<>();
    private final ByteBuffer out = ByteBuffer.allocateDirect(Math.max(WireVariant.ID32.serverInfoSize(),
            WireVariant.ID32.echoSize()));
    private final Thread thread;
    private volatile int registered;
    private volatile long errors;
    private volatile int openPublished;
    private volatile long servedPublished;
    private int open;
    private long served;

    FloorServer(String ip1, String ip2, int backlog) throws IOException {
        this.ip1 = InetAddress.getByName(ip1);
        this.ip1Int = Ipv4.toInt(Ipv4.parse(ip1));
        this.ip2Int = Ipv4.toInt(Ipv4.parse(ip2));
        log.bind(new InetSocketAddress(this.ip1, 0), backlog).configureBlocking(false);
        comm.bind(new InetSocketAddress(this.ip1, 0), backlog).configureBlocking(false);
        log.register(selector, SelectionKey.OP_ACCEPT, (Ready) k -> acceptLog());
        comm.register(selector, SelectionKey.OP_ACCEPT, (Ready) k -> acceptComm());
        thread = Thread.ofPlatform().daemon().name("floor-loop").start(this::run);
    }

    int logPort() {
        return log.socket().getLocalPort();
    }

    int commPort() {
        return comm.socket().getLocalPort();
    }

    /** @return clients whose LogState arrived and whose log connection is open */
    int registered() {
        return registered;
    }

    /** @return sessions whose control connections relayed bytes both ways, as of the loop's last turn */
    long served() {
        return servedPublished;
    }

    /** @return connections closed for bytes this server did not expect */
    long errors() {
        return errors;
    }

    /** What a ready key runs. */
    private interface Ready {
        void ready(SelectionKey key) throws IOException;
    }

    private void run() {
        try {
            while (selector.isOpen()) {
                selector.select(this::dispatch);
                registered = held.size();
                openPublished = open;
                servedPublished = served;
            }
        } catch (IOException | ClosedSelectorException e) {
            // closed
        }
    }

    private void dispatch(SelectionKey key) {
        try {
            if (key.isValid()) {
                ((Ready) key.attachment()).ready(key);
            }
        } catch (IOException | RuntimeException e) {
            errors++;
            closeQuietly(key.channel());
        }
    }

    // ---- log port

    private void acceptLog() throws IOException {
        SocketChannel c;
        while ((c = log.accept()) != null) {
            c.configureBlocking(false);
            int peer = Ipv4.toInt(((InetSocketAddress) c.getRemoteAddress()).getAddress());
            new LogHello(Protocol.BUILD_VERSION, Protocol.BUILD_VERSION, peer).write(out.clear());
            c.write(out.flip());
            c.register(selector, SelectionKey.OP_READ, new LogClient(c));
            open++;
        }
    }

    /** One log connection: ID field, then LogState, then held until it closes. */
    private final class LogClient implements Ready {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(64);
        String id;
        boolean idle;

        LogClient(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public void ready(SelectionKey key) throws IOException {
            if (channel.read(in) < 0) {
                if (id != null) {
                    held.remove(id);
                }
                close(channel);
                return;
            }
            in.flip();
            if (id == null && in.remaining() >= WireVariant.ID32.idFieldSize()) {
                id = ClientId.read(in.slice(in.position(), WireVariant.ID32.idFieldSize()), WireVariant.ID32);
                in.position(in.position() + WireVariant.ID32.idFieldSize());
                new ServerInfo(id, ip1Int, ip2Int, 0, 0).write(out.clear(), WireVariant.ID32);
                channel.write(out.flip());
            }
            if (id != null && !idle && in.remaining() >= LogState.SIZE) {
                LogState.read(in);
                idle = true;
                held.put(id, channel);
            }
            in.compact();
        }
    }

    // ---- comm port and the session

    private void acceptComm() throws IOException {
        SocketChannel c;
        while ((c = comm.accept()) != null) {
            c.configureBlocking(false);
            c.register(selector, SelectionKey.OP_READ, new CommRequest(c));
            open++;
        }
    }

    /** One comm connection: one Msg, the session's listener and announcements, the answer. */
    private final class CommRequest implements Ready {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(WireVariant.ID32.msgSize());

        CommRequest(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public void ready(SelectionKey key) throws IOException {
            int n = channel.read(in);
            if (in.hasRemaining()) {
                if (n < 0) {
                    throw new IOException("comm connection closed before a whole Msg");
                }
                return;
            }
            Msg m = Msg.read(in.flip(), WireVariant.ID32);
            SocketChannel a = held.get(m.srcId());
            SocketChannel b = held.get(m.dstId());
            if (a == null || b == null) {
                throw new IOException("MSG_CONNECT names an ID not held");
            }
            ServerSocketChannel control = ServerSocketChannel.open();
            // the same port choice as StuntServer's listeners (FreshPorts: not the kernel's search)
            FreshPorts.bindListener(control, ip1, 16);
            control.configureBlocking(false);
            control.register(selector, SelectionKey.OP_ACCEPT, new Control(control));
            int port = control.socket().getLocalPort();
            new Echo(ip1Int, port, 1, m.dstId(), 0, Protocol.ROLE_INITIATOR).write(out.clear(), WireVariant.ID32);
            a.write(out.flip());
            new Echo(ip1Int, port, 1, m.srcId(), 0, Protocol.ROLE_LISTENER).write(out.clear(), WireVariant.ID32);
            b.write(out.flip());
            channel.write(out.clear().putInt(Protocol.COMM_ACCEPTED).flip());
            close(channel);
        }
    }

    /** One session's control listener and its two connections, relayed to each other. */
    private final class Control implements Ready {
        final ServerSocketChannel listener;
        final SocketChannel[] sides = new SocketChannel[2];
        /** What the first side sent before the second arrived. */
        ByteBuffer early;
        /** Whether each side sent anything: a session served relayed both ways. */
        final boolean[] sent = new boolean[2];

        Control(ServerSocketChannel listener) {
            this.listener = listener;
        }

        @Override
        public void ready(SelectionKey key) throws IOException {
            SocketChannel c;
            while (sides[1] == null && (c = listener.accept()) != null) {
                c.configureBlocking(false);
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                int s = sides[0] == null ? 0 : 1;
                sides[s] = c;
                open++;
                c.register(selector, SelectionKey.OP_READ, new Side(this, s));
                if (s == 1) {
                    listener.close();
                    if (early != null) {
                        c.write(early.flip());
                        early = null;
                    }
                }
            }
        }

        void relay(int from, ByteBuffer bytes) throws IOException {
            sent[from] = true;
            SocketChannel to = sides[1 - from];
            if (to == null) {
                early = early == null ? ByteBuffer.allocate(256) : early;
                early.put(bytes);
            } else {
                to.write(bytes);
            }
        }

        void end() throws IOException {
            if (sent[0] && sent[1]) {
                served++;
                sent[0] = false;
            }
            if (listener.isOpen()) {
                listener.close();
            }
            for (SocketChannel s : sides) {
                if (s != null && s.isOpen()) {
                    close(s);
                }
            }
        }
    }

    /** One control connection of a session. */
    private final class Side implements Ready {
        final Control control;
        final int index;

        Side(Control control, int index) {
            this.control = control;
            this.index = index;
        }

        @Override
        public void ready(SelectionKey key) throws IOException {
            ByteBuffer in = FloorServer.this.in.clear();
            if (((SocketChannel) key.channel()).read(in) < 0) {
                control.end();
                return;
            }
            control.relay(index, in.flip());
        }
    }

    /** The one read buffer of relayed bytes: each read is written on before the next. */
    private final ByteBuffer in = ByteBuffer.allocateDirect(2048);

    private void close(SocketChannel c) throws IOException {
        c.close();
        open--;
    }

    /** @return open accepted connections, as of the loop's last turn */
    int openConnections() {
        return openPublished;
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // released either way
        }
    }

    @Override
    public void close() throws IOException {
        selector.close();
        log.close();
        comm.close();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
