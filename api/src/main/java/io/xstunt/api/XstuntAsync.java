package io.xstunt.api;

import io.xstunt.engine.client.ClientConfig;
import io.xstunt.engine.client.StuntClient;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Ipv4;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The asynchronous XSTUNT API: XInit, XListen, XConnect and XDeRegister returning
 * {@link CompletableFuture}s, plus {@link #onIncoming} for a callback per incoming connection.
 * Nothing here blocks, so it may be called on the event loop's own thread (the game-loop case).
 *
 * <p>Bad arguments throw {@link IllegalArgumentException} at once. Every other failure completes
 * the future exceptionally with an {@link XstuntException} carrying the reference's error code and
 * {@code pnErrCode} detail, exactly as {@link Xstunt} throws it: a failure of the asymmetric phase
 * is ERR_ASYMCLIENT (XConnect) or ERR_ASYMSERVER (XListen) with the failing step's code as its
 * detail, and {@link XstuntException#asymmetricCause()} gives that step's code directly. Why the
 * same: one exception to read whichever API made it, and code written against the reference's
 * return values keeps working. Futures complete on the event loop's
 * thread: callbacks must not block (hand blocking work to another thread).
 */
public final class XstuntAsync {
    private XstuntAsync() {
    }

    /**
     * XInit: connects to the server's log service, probes the NAT unless the fingerprint file
     * holds a valid fingerprint, and registers {@code id}.
     *
     * <p>Failures, detail 0: ERR_CONNECT (the log service cannot be reached; also a socket that
     * cannot be made, the reference's ERR_CREATE_SOCKET), ERR_RECEIVE (the log service closed the
     * connection or answered anything but the next message of the registration; also a failed
     * write, the reference's ERR_SEND), ERR_VERSION (the server requires another client build),
     * ERR_DUPLICATE_ID (the ID is taken, or the server refused it: full, or its shared secret is
     * missing), ERR_PROBE (the NAT probe failed every attempt), ERR_TIMEOUT (the log service did
     * not answer within the echo timeout), ERR_FAIL (the event loop is closed).
     *
     * @param serverIp1 the server's first IPv4 literal ({@code pchIP1}). There is no default
     *     server: where the reference took NULL for its DEF_SERVER_IP1, this takes none. Or the
     *     server's IPv6 literal ({@code 2001:db8::1} or {@code [2001:db8::1]}), given as both IPs
     *     (an xstunt extension): the client registers over IPv6 and does not probe its NAT
     * @param serverIp2 the server's second IPv4 literal ({@code pchIP2}); the same IPv6 literal
     * @param id 1 to {@link XstuntOptions#idLength()} (32 by default) bytes of UTF-8, no control
     *     characters ({@code pchID}); where the reference answered an empty ID with
     *     ERR_DUPLICATE_ID, a bad ID is refused here before any traffic
     * @param options ports, local address, fingerprint file, event loop
     * @return the registered client (the reference's {@code psServerLog})
     * @throws IllegalArgumentException on a missing or malformed IP or a bad ID
     */
    public static CompletableFuture<XstuntClient> xInit(String serverIp1, String serverIp2, String id,
                                                         XstuntOptions options) {
        ClientConfig config = config(serverIp1, serverIp2, options);
        ClientId.validate(id, options.wireVariant());
        EventLoop loop = options.loop();
        return engineCall(() -> StuntClient.register(loop, config, id))
                .thenApply(client -> new XstuntClient(client, loop, options, config))
                .whenComplete((client, failure) -> CallRecorder.registered(id, client, failure));
    }

    /**
     * XListen: completes with an incoming connection that has come up, or with one whose
     * procedure is under way within {@code timeout}; fails at once with ERR_TIMEOUT when no
     * connection request is pending (poll it, or use {@link #onIncoming}).
     *
     * <p>Failures: ERR_TIMEOUT (at once: no connection request is pending; or the procedure under
     * way did not come up within {@code timeout}), ERR_CONNECT (not registered any more; or the
     * session's control channel cannot be reached), ERR_RECEIVE (the log connection was lost
     * while it waited), ERR_ECHO_TIMEOUT, ERR_SYN_RECEIVE, ERR_SYN_SEND (the clock sync through
     * the server: timed out, frame missing, I/O error), ERR_ASYMSERVER (the asymmetric phase
     * failed; detail and {@link XstuntException#asymmetricCause()}: ERR_PREDICT,
     * ERR_ADDRPORT_RECEIVE, ERR_ADDRPORT_SEND, ERR_TIMEOUT, ERR_RECEIVE, ERR_SEND, ERR_HAIRPIN,
     * ERR_CONNECT, ERR_ACCEPT, ERR_LISTEN; see {@link Xstunt#xListen}), ERR_FAIL (the client was
     * closed or deregistered, or the event loop is closed). Not ERR_SELECT nor ERR_CREATE_SOCKET.
     *
     * @param client from {@link #xInit} ({@code sServerLog})
     * @param timeout bound of a procedure under way ({@code nTimeoutSec}); keep it equal to the
     *     connecting side's
     * @return the connection ({@code psListen}) with the peer's ID and address ({@code pAddrPeer})
     */
    public static CompletableFuture<XstuntConnection> xListen(XstuntClient client, Duration timeout) {
        Objects.requireNonNull(client, "client");
        XstuntOptions.checkPositive(timeout, "timeout");
        return engineCall(() -> client.engine().listen(timeout).thenApply(XstuntConnection::new))
                .whenComplete((c, failure) -> CallRecorder.connected(CallRecorder.XLISTEN, client.id(), null, c,
                        failure));
    }

    /**
     * The callback form of XListen: {@code onConnected} gets every incoming connection as it
     * comes up, {@code onError} every incoming procedure that failed, as an {@link XstuntException}
     * with XListen's codes but for the ERR_TIMEOUT of "nothing pending": ERR_CONNECT,
     * ERR_RECEIVE, ERR_ECHO_TIMEOUT, ERR_SYN_RECEIVE, ERR_SYN_SEND, ERR_ASYMSERVER (with its
     * step's code as detail), ERR_FAIL. Both run on the event loop's thread. Null for both removes
     * the callback.
     *
     * @param client from {@link #xInit}
     * @param onConnected takes ownership of each connection
     * @param onError told of each failed incoming procedure
     */
    public static void onIncoming(XstuntClient client, Consumer<XstuntConnection> onConnected,
                                  Consumer<Throwable> onError) {
        Objects.requireNonNull(client, "client").engine().onIncoming(
                onConnected == null ? null : r -> {
                    XstuntConnection c = new XstuntConnection(r);
                    CallRecorder.connected(CallRecorder.XLISTEN, client.id(), null, c, null);
                    onConnected.accept(c);
                },
                onError == null ? null : e -> {
                    Throwable failure = e instanceof io.xstunt.engine.Failure f ? XstuntException.of(f) : e;
                    CallRecorder.connected(CallRecorder.XLISTEN, client.id(), null, null, failure);
                    onError.accept(failure);
                });
    }

    /**
     * XConnect: a direct TCP connection to {@code peerId} through the server's rendezvous.
     *
     * <p>Failures: ERR_MATCH (the peer is not registered, not idle, or is this client itself),
     * ERR_SAME_NAT (the peer has the same public IP: {@link XstuntException#peerLocalAddress()}
     * is its LAN address; connect to it directly), ERR_COMM_TIMEOUT, ERR_TIMEOUT (no answer or no
     * announcement before {@code timeout}), ERR_CONNECT (the communication service or the control
     * channel cannot be reached, or not registered any more), ERR_RECEIVE (the communication
     * service closed without an answer, or the log connection was lost), ERR_ECHO_TIMEOUT,
     * ERR_SYN_RECEIVE, ERR_SYN_SEND (the clock sync), ERR_ASYMCLIENT (the asymmetric phase failed;
     * detail and {@link XstuntException#asymmetricCause()}: ERR_PREDICT, ERR_ADDRPORT_RECEIVE,
     * ERR_ADDRPORT_SEND, ERR_HAIRPIN, ERR_ASYM_TIMEOUT, ERR_TRYCONNECT, ERR_RECEIVE, ERR_CONNECT,
     * ERR_ACCEPT, ERR_LISTEN; see {@link Xstunt#xConnect}), ERR_FAIL (the client was closed, or
     * the event loop is closed). Not ERR_CREATE_SOCKET nor ERR_SEND.
     *
     * @param client from {@link #xInit} ({@code sServerLog})
     * @param peerId the peer's ID ({@code pchPeerID}), same rules as XInit's
     * @param timeout bound of the whole procedure ({@code nTimeoutSec})
     * @return the connection ({@code psConnect}) with the peer's address ({@code pAddrPeer})
     * @throws IllegalArgumentException on a bad peer ID or timeout
     */
    public static CompletableFuture<XstuntConnection> xConnect(XstuntClient client, String peerId, Duration timeout) {
        Objects.requireNonNull(client, "client");
        ClientId.validate(peerId, client.options().wireVariant());
        XstuntOptions.checkPositive(timeout, "timeout");
        return engineCall(() -> client.engine().connect(peerId, timeout).thenApply(XstuntConnection::new))
                .whenComplete((c, failure) -> CallRecorder.connected(CallRecorder.XCONNECT, client.id(), peerId, c,
                        failure));
    }

    /**
     * XDeRegister: asks the server to forget this client's ID (MSG_DEREGISTER) and closes the
     * log connection. The client is unusable afterwards.
     *
     * <p>Failures, detail 0: ERR_CONNECT (the communication service cannot be reached, or the
     * client is not registered any more), ERR_SEND (the request could not be delivered),
     * ERR_COMM_TIMEOUT (not delivered within the comm timeout), ERR_FAIL (the event loop is
     * closed). The log connection closes either way, which frees the ID.
     *
     * @param client from {@link #xInit}
     * @return completes once the request is sent
     */
    public static CompletableFuture<Void> xDeRegister(XstuntClient client) {
        Objects.requireNonNull(client, "client");
        return engineCall(() -> client.engine().deregister());
    }

    /**
     * An engine call's future with its failure as the application sees it; engine calls that
     * throw instead of failing their future still end in the future.
     */
    private static <T> CompletableFuture<T> engineCall(
                                                       java.util.function.Supplier<CompletableFuture<T>> call) {
        try {
            return BoundedWait.translated(call.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The engine configuration for a server's IPs and these options; checks the IPs. */
    static ClientConfig config(String serverIp1, String serverIp2, XstuntOptions options) {
        InetAddress ip1 = serverIp(serverIp1, "serverIp1");
        InetAddress ip2 = serverIp(serverIp2, "serverIp2");
        return Objects.requireNonNull(options, "options").clientConfig(ip1, ip2);
    }

    static InetAddress serverIp(String ip, String what) {
        if (ip == null) {
            throw new IllegalArgumentException(what + " is required: XSTUNT 1.0's default server"
                    + " (DEF_SERVER_IP1/2) does not exist here; pass your server's two IPv4 addresses");
        }
        if (ip.indexOf(':') >= 0) {
            return ipv6Literal(ip, what);
        }
        try {
            return Ipv4.parse(ip);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage() + " (an IPv4 literal such as 127.0.0.1,"
                    + " or one IPv6 literal such as [2001:db8::1] given as both IPs)", e);
        }
    }

    /**
     * An IPv6 literal, brackets allowed ({@code [2001:db8::1]}), never a host name or a zone; an
     * IPv4-mapped one is refused (it is an IPv4 server: give the IPv4 literal).
     */
    private static Inet6Address ipv6Literal(String ip, String what) {
        String literal = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
        if (literal.matches("[0-9A-Fa-f:.]+")) {
            try {
                if (InetAddress.getByName(literal) instanceof Inet6Address a) {
                    return a;
                }
            } catch (UnknownHostException e) {
                // said below
            }
        }
        throw new IllegalArgumentException(what + ": not an IPv6 literal: '" + ip + "' (such as [2001:db8::1];"
                + " no host name, zone or IPv4-mapped address)");
    }
}
