package io.xstunt.api;

import io.xstunt.api.ErrorCode;
import io.xstunt.api.XstuntException;

import io.xstunt.testkit.Await;
import io.xstunt.testkit.ChannelLines;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/** Lines over a direct connection, every read bounded; and the reference's XListen polling loop. */
final class PeerIo {
    private PeerIo() {
    }

    static void sendLine(SocketChannel ch, String line) throws IOException {
        ChannelLines.send(ch, line);
    }

    static String readLine(SocketChannel ch) throws IOException {
        return ChannelLines.read(ch);
    }

    static CompletableFuture<XstuntConnection> connectOnVirtualThread(XstuntClient s, String peer, Duration timeout) {
        CompletableFuture<XstuntConnection> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(Xstunt.xConnect(s, peer, timeout));
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    /**
     * The reference's loop: XListen until a connection comes, ERR_TIMEOUT meaning "nothing
     * pending yet" (polled with pauses, see {@link Await}); bounded by {@code bound}. Another
     * failure of XListen is thrown as it is.
     */
    static XstuntConnection listenUntilConnected(XstuntClient s, Duration timeout, Duration bound) throws XstuntException {
        AtomicReference<XstuntConnection> got = new AtomicReference<>();
        try {
            Await.until("XListen of '" + s.id() + "' returning a connection", bound, () -> {
                try {
                    got.set(Xstunt.xListen(s, timeout));
                    return true;
                } catch (XstuntException e) {
                    if (e.code() == ErrorCode.ERR_TIMEOUT) {
                        return false;
                    }
                    throw new ListenFailed(e);
                }
            });
        } catch (ListenFailed f) {
            throw (XstuntException) f.getCause();
        }
        return got.get();
    }

    /** Carries XListen's failure out of the poll. */
    private static final class ListenFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ListenFailed(XstuntException cause) {
            super(cause);
        }
    }
}
