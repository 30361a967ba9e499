package io.xstunt.cli;

import io.xstunt.api.ConnectionPath;
import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntOptions;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.ErrorCode;
import io.xstunt.api.XstuntException;
import io.xstunt.api.XstuntConnection;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code xstunt connect}: XInit, then for each peer in turn XConnect, send the message, print the
 * reply; XDeRegister. A failure with one peer is reported and the next is tried; on ERR_SAME_NAT
 * with {@code --lan-port} a plain TCP connection to the peer's LAN address.
 */
@Command(name = "connect",
        description = "Register an ID, connect to a peer through the traversal, send a message and print the"
                + " reply (XInit, XConnect). Exit code 1 if any peer did not answer.")
final class ConnectCommand extends EventCommand {
    @Option(names = "--id", required = true, paramLabel = "ID", converter = OptionTypes.ClientIdText.class,
            description = "The ID to register (at most 32 bytes of UTF-8; 31 with --id-length 31).")
    private String id;

    @Option(names = "--peer", required = true, paramLabel = "ID", split = "\\s*,\\s*", splitSynopsisLabel = ",",
            converter = OptionTypes.ClientIdText.class,
            description = "The peer to connect to; several (comma-separated or repeated) are tried in turn"
                    + " within one registration.")
    private List<String> peers;

    @Option(names = "--message", paramLabel = "TEXT",
            description = "What to send (default: \"hello from ID\").")
    private String message;

    @Option(names = "--send-bytes", paramLabel = "N", converter = OptionTypes.ByteCount.class,
            description = "Instead of the message, send N pseudo-random bytes (\"100MiB\": KiB, MiB, GiB) and read"
                    + " the peer's echo of them (listen --sha256), and report each direction's SHA-256 (event"
                    + " \"transfer\"). Exit code 1 unless all came back intact.")
    private Long sendBytes;

    @Option(names = "--wait-direct", paramLabel = "SEC", converter = OptionTypes.Seconds.class,
            description = "On a relayed connection, keep it open and wait up to SEC seconds (from its start) for a"
                    + " direct connection to the same peer (the way back to direct, event \"directOffer\"); the"
                    + " message or bytes then go over the direct one too (default: do not wait).")
    private Duration waitDirect;

    @Mixin
    private StrategyOption punch;

    @Option(names = "--lan-port", paramLabel = "N", converter = OptionTypes.Port.class,
            description = "On ERR_SAME_NAT connect to the peer's LAN address on port N instead (default: none).")
    private int lanPort;

    @Mixin
    private ClientOptions client;

    /** @return 0 if every peer answered, {@link XstuntCli#EXIT_FAILURE} otherwise */
    @Override
    int run(EventOutput o) throws XstuntException {
        if (peers.isEmpty()) {
            throw usageError("--peer needs at least one ID");
        }
        fitting(client, id);
        peers.forEach(p -> fitting(client, p));
        if (sendBytes != null && message != null) {
            throw usageError("--send-bytes and --message exclude each other");
        }
        String text = message == null ? "hello from " + id : message;
        if (text.isEmpty()) {
            throw usageError("--message must not be empty");
        }
        XstuntOptions options;
        try {
            options = client.sessionOptions(punch);
        } catch (IllegalArgumentException e) {
            throw usageError(e.getMessage());
        }
        boolean allOk = true;
        try (XstuntClient s = client.register(id, options)) {
            o.registered(s);
            for (String peer : peers) {
                allOk &= connectOnce(s, peer, text, options.localAddress(), o);
            }
            Xstunt.xDeRegister(s);
        }
        return allOk ? 0 : XstuntCli.EXIT_FAILURE;
    }

    private boolean connectOnce(XstuntClient s, String peer, String text, Inet4Address local, EventOutput o) {
        Duration timeout = client.timeout;
        long t0 = System.nanoTime();
        SocketChannel ch;
        XstuntConnection r = null;
        try {
            r = Xstunt.xConnect(s, peer, timeout);
            o.connected(id, r, Duration.ofNanos(System.nanoTime() - t0));
            ch = r.channel();
        } catch (XstuntException e) {
            o.error(e);
            if (e.code() != ErrorCode.ERR_SAME_NAT || lanPort == 0) {
                return false;
            }
            // Behind the same NAT: the error carries the peer's LAN address (the reference's advice).
            try {
                ch = SocketChannel.open();
                if (local != null) {
                    ch.bind(new InetSocketAddress(local, 0));
                }
                ch.socket().connect(new InetSocketAddress(e.peerLocalAddress(), lanPort), (int) timeout.toMillis());
                o.connectedLan(id, peer, "connect", (InetSocketAddress) ch.getLocalAddress(),
                        (InetSocketAddress) ch.getRemoteAddress(), Duration.ofNanos(System.nanoTime() - t0));
            } catch (IOException io) {
                o.failure("LAN connection to " + e.peerLocalAddress().getHostAddress() + ":" + lanPort, io);
                return false;
            }
        } catch (IOException e) {
            o.failure("direct connection to '" + peer + "'", e);
            return false;
        }
        if (r == null || r.path() != ConnectionPath.RELAYED) {
            try (SocketChannel c = ch) {
                return exchange(c, r, peer, text, o);
            } catch (IOException e) {
                return true; // closing failed after the exchange: nothing was lost
            }
        }
        // relayed: ask for a direct offer now, so that its schedule runs while the data goes over the relay
        long relayedAt = System.nanoTime();
        CompletableFuture<XstuntConnection> offer = waitDirect == null ? null : r.directOffer();
        boolean ok = exchange(ch, r, peer, text, o);
        if (offer != null) {
            ok &= takeDirectOffer(r, offer, relayedAt, peer, text, o);
        }
        closeQuietly(ch);
        RelayWatch.reportEnd(id, r, o);
        return ok;
    }

    /** Waits (up to --wait-direct from {@code relayedAt}) for the direct offer and exchanges over it too. */
    private boolean takeDirectOffer(XstuntConnection relayed, CompletableFuture<XstuntConnection> offer, long relayedAt,
                                    String peer, String text, EventOutput o) {
        long leftNs = waitDirect.toNanos() - (System.nanoTime() - relayedAt);
        XstuntConnection direct;
        try {
            direct = offer.get(Math.max(0, leftNs), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            try {
                o.directOffer(id, relayed, null, Duration.ofNanos(System.nanoTime() - relayedAt));
            } catch (IOException io) {
                // not reached: no channel is read without an offer
            }
            return true; // staying relayed is an outcome, not a failure
        } catch (ExecutionException e) {
            o.failure("the direct offer for '" + peer + "'", new Exception(e.getCause()));
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try (SocketChannel c = direct.channel()) {
            o.directOffer(id, relayed, direct, Duration.ofNanos(System.nanoTime() - relayedAt));
            return exchange(c, direct, peer, text, o);
        } catch (IOException e) {
            o.failure("the direct connection to '" + peer + "'", e);
            return false;
        }
    }

    /** Sends the message (or --send-bytes) on {@code c} and reads the echo; leaves {@code c} open. */
    private boolean exchange(SocketChannel c, XstuntConnection r, String peer, String text, EventOutput o) {
        Duration timeout = client.timeout;
        try {
            Socket socket = c.socket();
            socket.setSoTimeout((int) timeout.toMillis());
            if (sendBytes != null) {
                BulkTransfer.Outcome t = BulkTransfer.sendAndReadEcho(socket, sendBytes);
                boolean complete = t.complete(sendBytes);
                o.transfer(id, peer, r, t, complete);
                return complete;
            }
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            socket.getOutputStream().write(bytes);
            o.data(id, peer, "sent", text, bytes.length);
            byte[] reply = socket.getInputStream().readNBytes(bytes.length);
            if (reply.length == 0) {
                o.error(new XstuntException(ErrorCode.ERR_RECEIVE, 0, "'" + peer + "' closed without a reply"));
                return false;
            }
            o.data(id, peer, "received", new String(reply, StandardCharsets.UTF_8), reply.length);
            return true;
        } catch (IOException e) {
            o.failure("I/O on the connection to '" + peer + "'", e);
            return false;
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // the relay's end is reported by the server's notice, not by this close
        }
    }
}
