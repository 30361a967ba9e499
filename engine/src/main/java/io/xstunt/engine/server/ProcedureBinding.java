package io.xstunt.engine.server;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.loop.DeadlineTimers;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.tcp.TcpConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a sans-IO {@link ConnectionProcedure} to an accepted {@link TcpConnection} and the loop's
 * timers: feeds it events with the loop's time and carries out its output. The one place where a
 * server procedure meets sockets.
 */
final class ProcedureBinding implements ConnectionListener {
    private static final Logger LOG = LoggerFactory.getLogger(ProcedureBinding.class);

    private final EventLoop loop;
    private final ConnectionProcedure procedure;
    private final ProcedureOutput out;
    private final String service;
    private final ServiceObserver observer;
    private TcpConnection connection;
    private DeadlineTimers.Timer timer;
    private long timerDeadlineNs;
    private boolean draining;
    private boolean drainAgain;

    private ProcedureBinding(EventLoop loop, ConnectionProcedure procedure, String service, ServiceObserver observer) {
        this.loop = loop;
        this.procedure = Objects.requireNonNull(procedure, "procedure");
        this.out = procedure.output();
        this.service = service;
        this.observer = observer;
    }

    /**
     * Adopts an accepted channel and runs {@code procedure} on it. A channel that cannot be
     * registered is closed and forgotten (logged).
     *
     * @param inbound the inbound buffer: larger than the longest message the procedure consumes
     * @param peerSpeaksFirst true if the client sends first (its request is read at once, see
     *     {@link TcpConnection#readNow})
     */
    static void accept(EventLoop loop, io.xstunt.engine.net.Incoming channel, ConnectionProcedure procedure,
                       String service, ServiceObserver observer, int inbound, boolean peerSpeaksFirst, int sendBuffer) {
        ProcedureBinding b = new ProcedureBinding(loop, procedure, service, observer);
        try {
            b.connection = (TcpConnection) channel.adopt(b, inbound, TcpConnection.DEFAULT_MAX_OUTBOUND,
                    new io.xstunt.engine.net.SocketSpec(null, 0, false, false, false, sendBuffer));
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot adopt an accepted connection: {}", service, e.toString());
            return;
        }
        observer.opened(b.connection);
        b.out.onWake(b::drain);
        TcpConnection c = b.connection;
        b.out.unwrittenSource(() -> c.isClosed() ? 0 : c.pendingOutbound());
        procedure.onOpen(loop.clockNs());
        b.drain();
        if (peerSpeaksFirst) {
            // through execute (on the loop thread: at once) so that a procedure's failure is
            // logged and counted and closes this connection only, not the acceptor that called us
            loop.execute(c::readNow);
        }
    }

    @Override
    public void onRead(io.xstunt.engine.net.Connection c, ByteBuffer in) {
        procedure.onBytes(in, loop.clockNs());
        drain();
    }

    private void onTimer() {
        procedure.onTimeout(loop.clockNs());
        drain();
    }

    @Override
    public void onClosed(io.xstunt.engine.net.Connection conn, Throwable cause) {
        TcpConnection c = (TcpConnection) conn;
        if (timer != null) {
            timer.cancel();
        }
        if (cause != null) {
            LOG.debug("{}: connection from {} failed: {}", service, c.remoteAddress(), cause.toString());
        }
        procedure.onClosed(loop.clockNs());
        if (cause != null && c.pendingOutbound() > 0) {
            out.reject(Rejection.SLOW_READER, c.pendingOutbound() + " bytes unwritten: " + cause.getMessage());
        }
        reportRejection();
        observer.closed(c);
    }

    /** Carries out the procedure's output; re-entrant calls (a send that closes) run once more. */
    private void drain() {
        if (draining) {
            drainAgain = true;
            return;
        }
        draining = true;
        try {
            do {
                drainAgain = false;
                drainOnce();
            } while (drainAgain);
        } finally {
            draining = false;
        }
    }

    private void drainOnce() {
        reportRejection();
        if (connection.isClosed()) {
            return;
        }
        ByteBuffer b;
        while ((b = out.pollTransmit()) != null && !connection.isClosed()) {
            connection.send(b);
        }
        if (connection.isClosed()) {
            return;
        }
        switch (out.closing()) {
            case NOW -> {
                connection.close();
                return;
            }
            case AFTER_FLUSH -> connection.closeAfterFlush();
            case OPEN -> { }
        }
        if (connection.isClosed()) {
            return;
        }
        if (!out.hasDeadline()) {
            if (timer != null) {
                timer.cancel();
            }
        } else if (timer == null || !timer.pending() || timerDeadlineNs != out.deadlineNs()) {
            long delayNs = Math.max(0, out.deadlineNs() - loop.clockNs());
            timerDeadlineNs = out.deadlineNs();
            if (timer == null) {
                timer = loop.schedule(delayNs, this::onTimer);
            } else {
                loop.reschedule(timer, delayNs);
            }
        }
    }

    private void reportRejection() {
        Rejection r = out.pollRejection();
        if (r != null) {
            observer.rejected(r, service, connection.remoteAddress(), out.rejectionDetail());
        }
    }
}
