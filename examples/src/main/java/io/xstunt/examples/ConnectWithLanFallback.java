package io.xstunt.examples;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntOptions;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.ErrorCode;
import io.xstunt.api.XstuntException;
import io.xstunt.api.XstuntConnection;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * The reference's XConnect example in Java: connect to a peer through the STUNT server, send
 * "Data" and read the answer; on ERR_SAME_NAT (both behind one NAT) make a plain TCP connection
 * to the peer's LAN address that the error carries, on a port the application agreed on.
 *
 * <p>{@code ConnectWithLanFallback IP1 IP2 ID PEER_ID LAN_PORT [LOCAL_ADDR]}.
 */
public final class ConnectWithLanFallback {
    /** XConnect's nTimeoutSec in the reference's example. */
    private static final Duration TIMEOUT = Duration.ofSeconds(12);

    private ConnectWithLanFallback() {
    }

    /**
     * Runs the example.
     *
     * @param args IP1 IP2 ID PEER_ID LAN_PORT [LOCAL_ADDR]
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /**
     * Runs the example.
     *
     * @param args IP1 IP2 ID PEER_ID LAN_PORT [LOCAL_ADDR]
     * @param out where the outcome is printed
     * @return 0 if data went both ways (through STUNT or the LAN), 1 if not, 2 on bad arguments
     */
    public static int run(String[] args, PrintStream out) {
        return run(args, XstuntOptions.builder(), out);
    }

    /**
     * Runs the example with other options than the reference's defaults (server ports, a
     * fingerprint file): the local address from the arguments is set on {@code base}.
     *
     * @param args IP1 IP2 ID PEER_ID LAN_PORT [LOCAL_ADDR]
     * @param base options to start from
     * @param out where the outcome is printed
     * @return as {@link #run(String[], PrintStream)}
     */
    public static int run(String[] args, XstuntOptions.Builder base, PrintStream out) {
        if (args.length < 5 || args.length > 6) {
            System.err.println("usage: ConnectWithLanFallback IP1 IP2 ID PEER_ID LAN_PORT [LOCAL_ADDR]");
            return 2;
        }
        int lanPort;
        XstuntOptions options;
        try {
            lanPort = Integer.parseInt(args[4]);
            if (lanPort < 1 || lanPort > 65535) {
                throw new IllegalArgumentException("LAN_PORT must be 1..65535, got " + lanPort);
            }
            options = base.localAddress(args.length == 6 ? args[5] : null).build();
        } catch (IllegalArgumentException e) {
            System.err.println("ConnectWithLanFallback: " + e.getMessage());
            return 2;
        }
        try (XstuntClient server = Xstunt.xInit(args[0], args[1], args[2], options)) {
            try {
                XstuntConnection r = Xstunt.xConnect(server, args[3], TIMEOUT);
                out.println("XConnect: connected to " + r.peerId() + " at " + r.peerAddress());
                return exchange(r.channel(), out);
            } catch (XstuntException e) {
                if (e.code() != ErrorCode.ERR_SAME_NAT) {
                    out.println("Fail to connect. ErrType(" + e.code().value() + ") ErrCode(" + e.detail() + "): "
                            + e.getMessage());
                    return 1;
                }
                // Behind the same NAT: the error carries the peer's private IP. Use it!
                InetSocketAddress lan = new InetSocketAddress(e.peerLocalAddress(), lanPort);
                out.println("ERR_SAME_NAT: trying a plain TCP connection in the LAN to " + lan);
                SocketChannel plain;
                try {
                    plain = SocketChannel.open();
                } catch (IOException io) {
                    out.println("Fail to create a socket: " + io);
                    return 1;
                }
                try {
                    if (options.localAddress() != null) {
                        plain.bind(new InetSocketAddress(options.localAddress(), 0));
                    }
                    plain.socket().connect(lan, (int) TIMEOUT.toMillis());
                } catch (IOException io) {
                    closeQuietly(plain);
                    out.println("Fail to connect: " + io);
                    return 1;
                }
                return exchange(plain, out);
            } finally {
                Xstunt.xDeRegister(server);
            }
        } catch (XstuntException e) {
            out.println("Fail to connect. ErrType(" + e.code().value() + ") ErrCode(" + e.detail() + "): "
                    + e.getMessage());
            return 1;
        } catch (IllegalArgumentException e) {
            System.err.println("ConnectWithLanFallback: " + e.getMessage());
            return 2;
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing was sent on it
        }
    }

    /** send(sConnect, "Data", 32); recv(sConnect, chStr, 32): 32 bytes each way, as in the reference. */
    private static int exchange(SocketChannel channel, PrintStream out) {
        try (SocketChannel ch = channel) {
            Socket s = ch.socket();
            s.setSoTimeout((int) TIMEOUT.toMillis());
            byte[] chStr = Arrays.copyOf("Data".getBytes(StandardCharsets.US_ASCII), 32);
            s.getOutputStream().write(chStr);
            byte[] reply = s.getInputStream().readNBytes(32);
            out.println("sent \"Data\", received " + reply.length + " bytes: \""
                    + new String(reply, StandardCharsets.UTF_8).replace("\0", "") + "\"");
            return reply.length > 0 ? 0 : 1;
        } catch (IOException e) {
            out.println("data exchange failed: " + e);
            return 1;
        }
    }
}
