package io.xstunt.examples;

import io.xstunt.api.ConnectionPath;
import io.xstunt.api.RelayEnd;
import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntConnection;
import io.xstunt.api.XstuntException;
import io.xstunt.api.XstuntOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A connection that may be relayed, and its way back to direct (public API only): XConnect to a
 * peer; if the server relays it, say why, ask for a direct offer (the client looks for one on its
 * schedule, and now: {@code tryDirect}), keep sending on the relayed connection meanwhile, and
 * once a direct connection is offered move the traffic there and close the relayed one, without a
 * gap. The peer echoes each line it reads and takes the offer on its side the same way
 * ({@code atPeer.directOffer()} on its relayed connection: the listener of the way back gets the
 * same direct connection offered, never through XListen).
 *
 * <p>{@code MoveToDirect IP1 IP2 ID PEER_ID [LOCAL_ADDR]}.
 */
public final class MoveToDirect {
    private static final Duration TIMEOUT = Duration.ofSeconds(12);
    /** How long the example waits for a direct offer before it keeps the relay. */
    private static final Duration OFFER_WAIT = Duration.ofSeconds(30);

    private MoveToDirect() {
    }

    /**
     * Runs the example.
     *
     * @param args IP1 IP2 ID PEER_ID [LOCAL_ADDR]
     */
    public static void main(String[] args) {
        System.exit(run(args, XstuntOptions.builder(), System.out));
    }

    /**
     * Runs the example.
     *
     * @param args IP1 IP2 ID PEER_ID [LOCAL_ADDR]
     * @param base options to start from (the local address from the arguments is set on it)
     * @param out where the outcome is printed
     * @return 0 if data went both ways (on the final connection), 1 if not, 2 on bad arguments
     */
    public static int run(String[] args, XstuntOptions.Builder base, PrintStream out) {
        if (args.length < 4) {
            out.println("usage: MoveToDirect IP1 IP2 ID PEER_ID [LOCAL_ADDR]");
            return 2;
        }
        if (args.length > 4) {
            base.localAddress(args[4]);
        }
        try (XstuntClient client = Xstunt.xInit(args[0], args[1], args[2], base.build())) {
            XstuntConnection c = Xstunt.xConnect(client, args[3], TIMEOUT);
            out.println("connected to " + c.peerId() + ": " + c.path()
                    + (c.relayReason() == null ? "" : " (" + c.relayReason() + ")"));
            if (c.path() == ConnectionPath.RELAYED) {
                CompletableFuture<XstuntConnection> offer = c.directOffer(); // starts the schedule
                c.tryDirect();                                              // and looks now
                exchange(c.channel(), "over the relay", out);              // traffic goes on meanwhile
                try {
                    XstuntConnection direct = offer.get(OFFER_WAIT.toSeconds(), TimeUnit.SECONDS);
                    out.println("direct offer: " + direct.path() + " to " + direct.peerAddress());
                    XstuntConnection relayed = c;
                    c = direct;                                             // new traffic goes direct
                    relayed.close();                                        // then the relay is let go
                    RelayEnd end = relayed.relayEnd().get(OFFER_WAIT.toSeconds(), TimeUnit.SECONDS);
                    out.println("relay ended: " + end.reason() + " after " + end.bytesSent() + " bytes sent");
                } catch (TimeoutException e) {
                    out.println("no direct path within " + OFFER_WAIT.toSeconds() + " s: staying relayed");
                }
            }
            boolean ok = exchange(c.channel(), "Data", out);
            c.close();
            Xstunt.xDeRegister(client);
            return ok ? 0 : 1;
        } catch (XstuntException e) {
            out.println("failed: " + e.code() + ": " + e.getMessage());
            return 1;
        } catch (IOException | ExecutionException e) {
            out.println("failed: " + e);
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /** Sends one line and reads the echo. */
    private static boolean exchange(SocketChannel ch, String text, PrintStream out) throws IOException {
        byte[] line = (text + "\n").getBytes(StandardCharsets.UTF_8);
        ch.write(ByteBuffer.wrap(line));
        ByteBuffer back = ByteBuffer.allocate(line.length);
        while (back.hasRemaining()) {
            if (ch.read(back) < 0) {
                out.println("the peer closed before echoing");
                return false;
            }
        }
        String echoed = new String(back.array(), StandardCharsets.UTF_8).trim();
        out.println("sent '" + text + "', got '" + echoed + "'");
        return text.equals(echoed);
    }
}
