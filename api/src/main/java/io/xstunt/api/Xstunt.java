package io.xstunt.api;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireVariant;
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
    /**
     * {@code MAX_ID_LEN} of the reference (the default wire variant): the longest ID in bytes of
     * UTF-8, 32; 31 with {@link XstuntOptions.Builder#idLength idLength(31)}, the published client's.
     */
    public static final int MAX_ID_BYTES = 32;
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
     * Checks an ID as XInit and XConnect will with {@link XstuntOptions.Builder#idLength}: 1 to
     * {@code idLength} bytes of UTF-8, no NUL, no control characters.
     *
     * @param idLength {@code MAX_ID_LEN} of the wire variant: 32 or 31
     * @return {@code id}
     * @throws IllegalArgumentException saying what is wrong with it (or with {@code idLength})
     */
    public static String checkId(String id, int idLength) {
        return ClientId.validate(id, WireVariant.ofMaxIdLen(idLength));
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
     *     no default server (the reference's NULL = DEF_SERVER_IP1 is not supported). Or the
     *     server's IPv6 literal, given as both IPs (an xstunt extension): the client registers
     *     over IPv6 and does not probe its NAT
     * @param serverIp2 the server's second IPv4 literal ({@code pchIP2}), or the same IPv6 literal; required
     * @param id 1 to {@link XstuntOptions#idLength()} (32 by default) bytes of UTF-8 without control
     *     characters ({@code pchID})
     * @param options ports, local address, fingerprint file, event loop, bounds
     * @return the registered client ({@code psServerLog})
     * @throws XstuntException with one of these codes, detail 0: ERR_CONNECT (the log service
     *     cannot be reached; also a socket that cannot be made, the reference's
     *     ERR_CREATE_SOCKET), ERR_RECEIVE (the log service closed the connection or answered
     *     anything but the next message of the registration; also a failed write, the reference's
     *     ERR_SEND), ERR_VERSION (the server requires another client build), ERR_DUPLICATE_ID (the
     *     ID is taken, or the server refused it: full, or its shared secret is missing),
     *     ERR_PROBE (the NAT probe failed every attempt), ERR_TIMEOUT (the log service did not
     *     answer within the echo timeout, or this call's bound,
     *     {@link XstuntOptions.Builder#initTimeout}, passed), ERR_FAIL (the event loop is closed, or
     *     the calling thread was interrupted)
     * @throws IllegalArgumentException on a missing or malformed IP or a bad ID (empty, longer
     *     than {@link XstuntOptions#idLength()} bytes, control characters): refused before any
     *     traffic, where the reference answered an empty ID with ERR_DUPLICATE_ID
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
     * @throws XstuntException with one of these codes: ERR_TIMEOUT (at once: no connection request
     *     is pending; or the procedure under way did not come up within {@code timeout}),
     *     ERR_CONNECT (not registered any more, the server was lost; or the session's control
     *     channel cannot be reached), ERR_RECEIVE (the log connection was lost while it waited),
     *     ERR_ECHO_TIMEOUT (the clock sync through the server timed out), ERR_SYN_RECEIVE (a sync
     *     frame did not come: the control channel closed, or the peer sent another frame or an
     *     ABORT), ERR_SYN_SEND (the control channel failed with an I/O error during the sync),
     *     ERR_ASYMSERVER (the asymmetric phase failed, XAsymServer in the reference; its
     *     {@link XstuntException#detail() detail} is the failing step's code, as the reference's
     *     pnErrCode, and {@link XstuntException#asymmetricCause()} the same as an ErrorCode:
     *     ERR_PREDICT, ERR_ADDRPORT_RECEIVE, ERR_ADDRPORT_SEND, ERR_TIMEOUT (no "ready" or no
     *     connection before the timeout), ERR_RECEIVE (the channel closed or the peer aborted
     *     while it waited for "ready" or the connection), ERR_SEND, ERR_HAIRPIN, ERR_CONNECT (the
     *     ORIGINAL strategy's one connect was refused, or the connection could not be handed
     *     over), ERR_ACCEPT, ERR_LISTEN), ERR_FAIL (the client was closed or deregistered, the
     *     event loop is closed, or the calling thread was interrupted). Detail 0 but for
     *     ERR_ASYMSERVER. The reference's ERR_SELECT and ERR_CREATE_SOCKET do not occur.
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
     * @throws XstuntException with one of these codes: ERR_MATCH (peer unknown, not idle, or this
     *     client itself), ERR_SAME_NAT (same public IP: {@link XstuntException#peerLocalAddress()}
     *     is the peer's LAN address, {@link XstuntException#detail()} the same as the reference's
     *     pnErrCode on x86), ERR_COMM_TIMEOUT (no answer from the communication service within the
     *     comm timeout), ERR_TIMEOUT (no answer or no session announcement before {@code timeout},
     *     or this call's bound passed), ERR_CONNECT (the communication service or the control
     *     channel cannot be reached, or not registered any more), ERR_RECEIVE (the communication
     *     service closed without an answer, or the log connection was lost), ERR_ECHO_TIMEOUT,
     *     ERR_SYN_RECEIVE, ERR_SYN_SEND (the clock sync, as for {@link #xListen}), ERR_ASYMCLIENT
     *     (the asymmetric phase failed, XAsymClient in the reference; its detail is the failing
     *     step's code, {@link XstuntException#asymmetricCause()} the same as an ErrorCode:
     *     ERR_PREDICT, ERR_ADDRPORT_RECEIVE, ERR_ADDRPORT_SEND, ERR_HAIRPIN, ERR_ASYM_TIMEOUT (no
     *     direct connection before {@code timeout}), ERR_TRYCONNECT (the ORIGINAL strategy's first
     *     connect succeeded), ERR_RECEIVE (the peer aborted during the punch), ERR_CONNECT,
     *     ERR_ACCEPT (the connection could not be handed over), ERR_LISTEN), ERR_FAIL (the client
     *     was closed, the event loop is closed, or the calling thread was interrupted). Detail 0
     *     but for ERR_SAME_NAT and ERR_ASYMCLIENT. The reference's ERR_CREATE_SOCKET and ERR_SEND do
     *     not occur.
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
     * @throws XstuntException with one of these codes, detail 0: ERR_CONNECT (the communication
     *     service cannot be reached, or the client is not registered any more), ERR_SEND (the
     *     request could not be delivered), ERR_COMM_TIMEOUT (it was not delivered within the comm
     *     timeout), ERR_TIMEOUT (this call's bound passed), ERR_FAIL (the event loop is closed, or
     *     the calling thread was interrupted). The log connection closes either way, which frees
     *     the ID.
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
