package io.xstunt.cli;

import io.xstunt.api.ConnectionPath;
import io.xstunt.api.RelayEnd;
import io.xstunt.api.XstuntConnection;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How a relayed connection ended, reported by both peer commands as the event "relayEnded": the
 * server sends its notice on the log connection, which may come a moment after the relayed
 * stream's own end, so the command waits for it, bounded.
 */
final class RelayWatch {
    /** How long after its stream ended the server's notice may take: a loaded server, one round trip. */
    static final Duration END_NOTICE_WAIT = Duration.ofSeconds(10);

    private RelayWatch() {
    }

    /** Reports how relayed connection {@code r} ended (nothing for a direct one); call after its stream ended or was closed. */
    static void reportEnd(String id, XstuntConnection r, EventOutput o) {
        if (r.path() != ConnectionPath.RELAYED) {
            return;
        }
        try {
            RelayEnd end = r.relayEnd().get(END_NOTICE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            o.relayEnded(id, r.peerId(), end);
        } catch (TimeoutException e) {
            o.failure("the relay to '" + r.peerId() + "'", new TimeoutException("the server's notice of its end did"
                    + " not come within " + END_NOTICE_WAIT.toSeconds() + " s"));
        } catch (ExecutionException e) {
            o.failure("the relay to '" + r.peerId() + "'", new Exception(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
