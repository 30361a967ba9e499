package io.xstunt.api;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The blocking XSTUNT API, one method per function of XSTUNT 1.0's ClientAPI.h: {@link #xInit},
 * {@link #xListen}, {@link #xConnect}, {@link #xDeRegister}. A call returns the result or throws
 * {@link XstuntException} with the reference's error code ({@link XstuntException#code()}, the C
 * function's return value) and {@code pnErrCode} ({@link XstuntException#detail()}).
 *
 * <p>Each call waits for the engine's future with a bound: the operation's own timeout plus
 * {@link XstuntOptions#waitMargin()} (XInit: {@link XstuntOptions.Builder#initTimeout}); past it the
 * call fails with ERR_TIMEOUT and a late result is released. Waiting parks, so calls are cheap on
 * virtual threads and do not pin their carrier. A blocking call on the thread that drives the
 * client's own event loop would wait for itself; it is refused ({@link IllegalStateException}):
 * use {@link XstuntAsync} there.
 */
public final class Xstunt {
    /** {@code SERVER_LOG_PORT}: the log (registration) service's port, 8123. */
    public static final int SERVER_LOG_PORT = Protocol.SERVER_LOG_PORT;
    /** {@code SERVER_COMM_PORT}: the communication service's port, 8132. */
    public static final int SERVER_COMM_PORT = Protocol.SERVER_COMM_PORT;
    /** The echo service's first port (the reference leaves it to the server), 8124. */
    public static final int DEFAULT_ECHO_PORT1 = Protocol.DEFAULT_ECHO_PORT1;
    /** The echo service's second port, 8125. */
    public static final int DEFAULT_ECHO_PORT2 = Protocol.DEFAULT_ECHO_PORT2;
    /** {@code BUILDVER}: the client build of the protocol spoken, 10. */
    public static final int BUILD_VERSION = Protocol.BUILD_VERSION;
    /** {@code MAX_ID_LEN}: the longest ID in bytes of UTF-8, 32. */
    public static final int MAX_ID_BYTES = Protocol.MAX_ID_LEN;
    /** {@code FINGERPRINT_FILE}: the fingerprint file's default name. */
    public static final String FINGERPRINT_FILE = Protocol.FINGERPRINT_FILE;

    private Xstunt() {
    }

    /**
     * Checks an ID as XInit and XConnect will: 1 to {@link #MAX_ID_BYTES} bytes of UTF-8, no NUL,
     * no control characters.
     *
     * @return {@code id}
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static String checkId(String id) {
        return ClientId.validate(id);
    }

    /**
     * Reads an IPv4 literal (dotted quad, no name lookup).
     *
     * @throws IllegalArgumentException if it is not one
     */
    public static Inet4Address ipv4(String literal) {
        return Ipv4.parse(literal);
    }

    /**
     * XInit with the reference's defaults: server ports 8123/8132, "fingerprint.dat" in the
     * working directory, any local address, the shared event loop.
     *
     * @see #xInit(String, String, String, XstuntOptions)
     */
    public static XstuntClient xInit(String serverIp1, String serverIp2, String id) throws XstuntException {
        return xInit(serverIp1, serverIp2, id, XstuntOptions.defaults());
    }

    /**
     * XInit: connects to the STUNT server's log service, probes the NAT unless the fingerprint
     * file holds a valid one, and registers {@code id}.
     *
     * @param serverIp1 the server's first IPv4 literal ({@code pchIP1}); required, as there is
     *     no default server (the reference's NULL = DEF_SERVER_IP1 is not supported)
     * @param serverIp2 the server's second IPv4 literal ({@code pchIP2}); required
     * @param id 1 to 32 bytes of UTF-8 without control characters ({@code pchID})
     * @param options ports, local address, fingerprint file, event loop, bounds
     * @return the registered client ({@code psServerLog})
     * @throws XstuntException ERR_CREATE_SOCKET, ERR_CONNECT, ERR_SEND, ERR_RECEIVE,
     *     ERR_VERSION, ERR_PROBE, ERR_DUPLICATE_ID; ERR_TIMEOUT past the bound
     *     ({@link XstuntOptions.Builder#initTimeout})
     * @throws IllegalArgumentException on a missing or malformed IP or a bad ID (empty, longer
     *     than 32 bytes, control characters): refused before any traffic, where the reference
     *     answered an empty ID with ERR_DUPLICATE_ID
     */
    public static XstuntClient xInit(String serverIp1, String serverIp2, String id, XstuntOptions options)
            throws XstuntException {
        Duration bound = options.initBound(XstuntAsync.config(serverIp1, serverIp2, options));
        refuseOnLoopThread(options.loop(), "XInit");
        CompletableFuture<XstuntClient> f = XstuntAsync.xInit(serverIp1, serverIp2, id, options);
        return BoundedWait.await(f, bound, "XInit", XstuntClient::close);
    }

    /**
     * XListen: returns an incoming connection that has come up, or waits for one whose
     * procedure is under way (up to {@code timeout}); throws ERR_TIMEOUT at once when no
     * connection request is pending, so call it in a loop as the reference's example does.
     *
     * @param client from {@link #xInit} ({@code sServerLog})
     * @param timeout bound of a procedure under way ({@code nTimeoutSec}); keep it equal to the
     *     connecting side's
     * @return the connection ({@code psListen}: a connected {@link java.nio.channels.SocketChannel}
     *     in blocking mode, owned by the caller) with the peer's address ({@code pAddrPeer})
     * @throws XstuntException ERR_TIMEOUT, ERR_SELECT, ERR_RECEIVE, ERR_CREATE_SOCKET,
     *     ERR_CONNECT, ERR_ECHO_TIMEOUT, ERR_SYN_RECEIVE, ERR_SYN_SEND, ERR_ASYMSERVER
     */
    public static XstuntConnection xListen(XstuntClient client, Duration timeout) throws XstuntException {
        Objects.requireNonNull(client, "client");
        refuseOnLoopThread(client.loop(), "XListen");
        CompletableFuture<XstuntConnection> f = XstuntAsync.xListen(client, timeout);
        return BoundedWait.await(f, timeout.plus(client.options().waitMargin()), "XListen", Xstunt::discard);
    }

    /**
     * XConnect: makes a direct TCP connection to {@code peerId} through the server's rendezvous.
     *
     * @param client from {@link #xInit} ({@code sServerLog})
     * @param peerId the destination's ID ({@code pchPeerID}), same rules as XInit's ID
     * @param timeout bound of the procedure ({@code nTimeoutSec})
     * @return the connection ({@code psConnect}: a connected {@link java.nio.channels.SocketChannel}
     *     in blocking mode, owned by the caller) with the peer's address ({@code pAddrPeer})
     * @throws XstuntException ERR_MATCH (peer unknown, not idle, or this client itself),
     *     ERR_SAME_NAT (same public IP: {@link XstuntException#peerLocalAddress()} is the peer's
     *     LAN address, {@link XstuntException#detail()} the same as an int, as pnErrCode),
     *     ERR_TIMEOUT, ERR_COMM_TIMEOUT, ERR_ECHO_TIMEOUT, ERR_CREATE_SOCKET, ERR_CONNECT,
     *     ERR_RECEIVE, ERR_SYN_RECEIVE, ERR_SYN_SEND, ERR_ASYMCLIENT
     * @throws IllegalArgumentException on a bad peer ID or timeout
     */
    public static XstuntConnection xConnect(XstuntClient client, String peerId, Duration timeout)
            throws XstuntException {
        Objects.requireNonNull(client, "client");
        refuseOnLoopThread(client.loop(), "XConnect");
        CompletableFuture<XstuntConnection> f = XstuntAsync.xConnect(client, peerId, timeout);
        return BoundedWait.await(f, timeout.plus(client.options().waitMargin()), "XConnect", Xstunt::discard);
    }

    /**
     * XDeRegister: asks the server to forget this client's ID (MSG_DEREGISTER) and closes the
     * log connection; the client is unusable afterwards.
     *
     * @param client from {@link #xInit} ({@code sServerLog}; its ID is the reference's {@code pchID})
     * @throws XstuntException ERR_CREATE_SOCKET, ERR_CONNECT (the ID is still freed when the
     *     log connection closes); ERR_TIMEOUT past the bound
     */
    public static void xDeRegister(XstuntClient client) throws XstuntException {
        Objects.requireNonNull(client, "client");
        refuseOnLoopThread(client.loop(), "XDeRegister");
        CompletableFuture<Void> f = XstuntAsync.xDeRegister(client);
        Duration bound = client.config().commTimeout().plus(client.options().waitMargin());
        BoundedWait.await(f, bound, "XDeRegister", v -> { });
    }

    private static void refuseOnLoopThread(EventLoop loop, String function) {
        if (loop.inLoop()) {
            throw new IllegalStateException(function + " would block the thread that drives its own event loop"
                    + " (" + loop.name() + "); use XstuntAsync on that thread");
        }
    }

    /** Closes a connection that arrived after the caller stopped waiting for it. */
    private static void discard(XstuntConnection r) {
        r.closeQuietly(); // nobody is waiting for it any more
    }
}
