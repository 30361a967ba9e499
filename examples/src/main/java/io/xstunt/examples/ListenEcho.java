package io.xstunt.examples;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntOptions;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.ErrorCode;
import io.xstunt.api.XstuntException;
import io.xstunt.api.XstuntConnection;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The reference's XListen example in Java: register, then loop on XListen; each connection
 * gets one message of up to 32 bytes printed as {@code Msg>> ...} and sent back.
 *
 * <p>{@code ListenEcho IP1 IP2 ID [LOCAL_ADDR [COUNT]]}, e.g.
 * {@code ListenEcho 127.0.0.1 127.0.0.2 bob 127.0.0.12 1}. Without COUNT it listens forever.
 */
public final class ListenEcho {
    /** XListen's nTimeoutSec in the reference's example. */
    private static final Duration TIMEOUT = Duration.ofSeconds(12);
    /**
     * XListen returns ERR_TIMEOUT at once when no request is pending (the reference's loop spins
     * on it); a short pause between polls keeps this loop from burning a core. This is pacing,
     * not synchronisation: {@link io.xstunt.api.XstuntAsync#onIncoming} needs no polling at all.
     */
    private static final long POLL_PAUSE_NS = TimeUnit.MILLISECONDS.toNanos(20);

    private ListenEcho() {
    }

    /**
     * Runs the example.
     *
     * @param args IP1 IP2 ID [LOCAL_ADDR [COUNT]]
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /**
     * Runs the example.
     *
     * @param args IP1 IP2 ID [LOCAL_ADDR [COUNT]]
     * @param out where messages are printed
     * @return 0 once COUNT connections were served, 1 on an XSTUNT failure, 2 on bad arguments
     */
    public static int run(String[] args, PrintStream out) {
        return run(args, XstuntOptions.builder(), out);
    }

    /**
     * Runs the example with other options than the reference's defaults (server ports, a
     * fingerprint file): the local address from the arguments is set on {@code base}.
     *
     * @param args IP1 IP2 ID [LOCAL_ADDR [COUNT]]
     * @param base options to start from
     * @param out where the outcome is printed
     * @return as {@link #run(String[], PrintStream)}
     */
    public static int run(String[] args, XstuntOptions.Builder base, PrintStream out) {
        if (args.length < 3 || args.length > 5) {
            System.err.println("usage: ListenEcho IP1 IP2 ID [LOCAL_ADDR [COUNT]]");
            return 2;
        }
        int count;
        XstuntOptions options;
        try {
            count = args.length == 5 ? Integer.parseInt(args[4]) : Integer.MAX_VALUE;
            options = base.localAddress(args.length >= 4 ? args[3] : null).build();
        } catch (IllegalArgumentException e) {
            System.err.println("ListenEcho: " + e.getMessage());
            return 2;
        }
        try (XstuntClient server = Xstunt.xInit(args[0], args[1], args[2], options)) {
            out.println("Initialize successfully! Listening as " + server.id());
            int served = 0;
            while (served < count) {
                XstuntConnection r;
                try {
                    r = Xstunt.xListen(server, TIMEOUT);
                } catch (XstuntException e) {
                    if (e.code() != ErrorCode.ERR_TIMEOUT) {
                        out.println("XListen failed: " + e.getMessage());
                    }
                    LockSupport.parkNanos(POLL_PAUSE_NS);
                    continue;
                }
                served++;
                echoOnce(r, out);
            }
            Xstunt.xDeRegister(server);
            return 0;
        } catch (XstuntException e) {
            out.println("Initialization failed. ErrType(" + e.code().value() + ") ErrCode(" + e.detail() + "): "
                    + e.getMessage());
            return 1;
        } catch (IllegalArgumentException e) {
            System.err.println("ListenEcho: " + e.getMessage());
            return 2;
        }
    }

    /** Receives up to 32 bytes from the connector, prints them and sends them back. */
    private static void echoOnce(XstuntConnection r, PrintStream out) {
        try (SocketChannel listen = r.channel()) {
            Socket s = listen.socket();
            s.setSoTimeout((int) TIMEOUT.toMillis());
            byte[] chStr = new byte[32];
            int nRcv = s.getInputStream().read(chStr);
            if (nRcv > 0) {
                out.println("Msg>> " + new String(chStr, 0, nRcv, StandardCharsets.UTF_8).replace("\0", ""));
                s.getOutputStream().write(chStr, 0, nRcv);
            }
        } catch (IOException e) {
            out.println("connection from " + r.peerId() + " failed: " + e);
        }
    }
}
