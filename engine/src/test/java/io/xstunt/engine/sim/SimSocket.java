package io.xstunt.engine.sim;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.ByteBuffer;

/**
 * A TCP socket of a simulated host's kernel, as Linux runs one: the handshake with its
 * retransmissions (SYN and SYN-ACK after 1 s, then doubling; {@code tcp_syn_retries} 6,
 * {@code tcp_synack_retries} 5), TCP simultaneous open (a SYN meeting a socket in SYN_SENT),
 * RST and ICMP answers to a connect, data in MSS-sized segments put back in order, FIN and the
 * closing states (without TIME_WAIT), and Linux's reset of a closed socket that still receives
 * data. ISNs are Linux's: a keyed hash of the 4-tuple plus the clock in 64 ns steps, so that a
 * later socket on the same 4-tuple starts further on, which conntrack's sequence tracking sees.
 * Whoever owns the socket (a connection, a channel) hears of it through {@link Owner}.
 */
final class SimSocket {
    /** Data segments carry at most this many bytes (Ethernet's MSS). */
    static final int MSS = 1460;
    /** The first retransmission timeout of a SYN or SYN-ACK (TCP_TIMEOUT_INIT). */
    static final long INITIAL_RTO_NS = 1_000_000_000L;
    /** SYN retransmissions before a connect times out (tcp_syn_retries): it fails after 127 s. */
    static final int SYN_RETRIES = 6;
    /** SYN-ACK retransmissions before a half-open connection is dropped (tcp_synack_retries). */
    static final int SYNACK_RETRIES = 5;
    /** Linux's least retransmission timeout, added to the round trip (TCP_RTO_MIN). */
    static final long RTO_MIN_NS = 200_000_000L;
    /** The largest retransmission timeout (TCP_RTO_MAX). */
    static final long RTO_MAX_NS = 120_000_000_000L;
    /** How long an orphaned socket waits in FIN_WAIT_2 for the peer's FIN (tcp_fin_timeout). */
    static final long FIN_TIMEOUT_NS = 60_000_000_000L;

    /** TCP states (TIME_WAIT is not modelled: a socket that would enter it is closed). */
    enum State { SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSING, CLOSE_WAIT, LAST_ACK, CLOSED }

    /** Hears what happens to a socket, on the simulation's thread. */
    interface Owner {
        /** An active open completed. */
        void established(SimSocket s);

        /** Bytes, or the end of the stream, can be read. */
        void readable(SimSocket s);

        /** The connect failed, or the connection was reset. */
        void failed(SimSocket s, IOException cause);
    }

    private final TcpStack stack;
    private final PortTable.Binding binding;
    private final Endpoint local;
    private final Endpoint remote;
    private final int iss;
    private final ReceiveQueue in = new ReceiveQueue();
    private final Segment.LossRecovery recovery = this::lost;
    private SimListener parent;
    private State state;
    private int sndNxt;
    private int irs;
    private Owner owner;
    private boolean orphaned;
    private boolean outputShut;
    private boolean wasEstablished;
    private IOException error;
    private EventQueue.Event timer;
    private int handshakeRetries;
    private long handshakeSentNs;
    private long rttNs = -1;

    private SimSocket(TcpStack stack, PortTable.Binding binding, SimListener parent, Endpoint local, Endpoint remote,
                      State state) {
        this.stack = stack;
        this.binding = binding;
        this.parent = parent;
        this.local = local;
        this.remote = remote;
        this.state = state;
        this.iss = stack.isn(local, remote);
        this.sndNxt = iss + 1;
    }

    /** Opens a socket on {@code binding} and sends its SYN (active open). */
    static SimSocket connect(TcpStack stack, PortTable.Binding binding, Endpoint local, Endpoint remote, Owner owner) {
        SimSocket s = new SimSocket(stack, binding, null, local, remote, State.SYN_SENT);
        s.owner = owner;
        stack.register(s);
        s.sendHandshake();
        return s;
    }

    /** Answers {@code syn}, which reached {@code parent}, with a SYN-ACK (passive open). */
    static SimSocket passive(TcpStack stack, SimListener parent, Segment syn) {
        SimSocket s = new SimSocket(stack, null, parent, syn.dst(), syn.src(), State.SYN_RECV);
        s.irs = syn.seq();
        stack.register(s);
        s.sendHandshake();
        return s;
    }

    Endpoint local() {
        return local;
    }

    Endpoint remote() {
        return remote;
    }

    State state() {
        return state;
    }

    /** @return the error that closed it (refused, timed out, reset), or null */
    IOException error() {
        return error;
    }

    /** @return true once the handshake completed, even if closed since */
    boolean wasEstablished() {
        return wasEstablished;
    }

    /** @return the round trip measured during the handshake, or -1 */
    long rttNs() {
        return rttNs;
    }

    /** Sets who hears this socket's events (null: nobody, the bytes wait). */
    void owner(Owner o) {
        this.owner = o;
    }

    int available() {
        return in.available();
    }

    boolean atEof() {
        return in.atEof();
    }

    /** Moves readable bytes into {@code dst}. @return how many */
    int read(ByteBuffer dst) {
        return in.read(dst);
    }

    /**
     * Sends all of {@code src} in segments of at most {@link #MSS} (the simulation has no windows:
     * the socket takes everything).
     *
     * @throws IOException if the connection cannot carry data (not connected, reset, shut down)
     */
    void write(ByteBuffer src) throws IOException {
        if (error != null) {
            throw new SocketException("Broken pipe (" + error.getMessage() + ")");
        }
        if (outputShut || orphaned || (state != State.ESTABLISHED && state != State.CLOSE_WAIT)) {
            throw new SocketException("Socket is not connected for writing (" + state + ")");
        }
        while (src.hasRemaining()) {
            byte[] chunk = new byte[Math.min(MSS, src.remaining())];
            src.get(chunk);
            Segment seg = new Segment(local, remote, Segment.ACK, sndNxt, rcvNxt(), chunk, recovery, 0);
            sndNxt += chunk.length;
            transmit(seg);
        }
    }

    /** Sends a FIN and keeps reading (shutdownOutput). */
    void shutdownOutput() {
        if (outputShut) {
            return;
        }
        outputShut = true;
        if (state == State.ESTABLISHED) {
            state = State.FIN_WAIT_1;
            sendFin();
        } else if (state == State.CLOSE_WAIT) {
            state = State.LAST_ACK;
            sendFin();
        }
    }

    /**
     * The application closes the socket: a connect in progress is dropped without a packet (as
     * Linux does for SYN_SENT), a connection sends its FIN. The owner hears nothing more.
     */
    void close() {
        if (orphaned) {
            return;
        }
        orphaned = true;
        owner = null;
        switch (state) {
            case SYN_SENT -> toClosed();
            case SYN_RECV -> { // a simultaneous open closed before it completed
                outputShut = true;
                state = State.FIN_WAIT_1;
                sendFin();
            }
            case FIN_WAIT_2 -> armFinTimeout();
            default -> shutdownOutput(); // ESTABLISHED, CLOSE_WAIT: the FIN; the others are closing already
        }
    }

    /** Resets the connection from this side (a close with SO_LINGER 0, or a listener closed with it unaccepted). */
    void abort() {
        if (state != State.CLOSED) {
            transmit(Segment.control(local, remote, Segment.RST, sndNxt, 0));
            toClosed();
        }
    }

    /** A segment for this socket's 4-tuple arrived. */
    void receive(Segment s) {
        switch (state) {
            case CLOSED -> {
            }
            case SYN_SENT -> synSent(s);
            default -> synchronizedOrHalfOpen(s);
        }
    }

    /** An ICMP destination-unreachable about one of this socket's segments arrived. */
    void icmp(IcmpError.Unreachable kind) {
        if (state == State.SYN_SENT || (state == State.SYN_RECV && parent == null)) {
            fail(kind.connectError()); // a connect's hard error; connections treat ICMP as soft
        } else if (state == State.SYN_RECV) {
            toClosed();
        }
    }

    private void synSent(Segment s) {
        if (s.has(Segment.RST)) {
            if (s.has(Segment.ACK) && s.ack() == iss + 1) {
                fail(new ConnectException("Connection refused"));
            }
            return;
        }
        if (s.has(Segment.ACK) && s.ack() != iss + 1) {
            transmit(Segment.resetFor(s));
            return;
        }
        if (!s.has(Segment.SYN)) {
            return;
        }
        irs = s.seq();
        if (s.has(Segment.ACK)) {
            sendAck();
            established();
        } else {
            // TCP simultaneous open: the peer's SYN crossed ours; answer with SYN-ACK, same ISN
            state = State.SYN_RECV;
            cancelTimer();
            sendHandshake();
        }
    }

    private void synchronizedOrHalfOpen(Segment s) {
        if (s.has(Segment.RST)) {
            reset();
            return;
        }
        if (s.has(Segment.SYN)) {
            if (state == State.SYN_RECV && !s.has(Segment.ACK)) {
                transmit(handshakeSegment()); // the peer's SYN again: our SYN-ACK was lost
            } else if (state == State.SYN_RECV && s.ack() == iss + 1) {
                established(); // simultaneous open: the peer's SYN-ACK
                sendAck();
            } else {
                sendAck(); // a SYN on a synchronized connection: RFC 5961's challenge ACK
            }
            return;
        }
        if (!s.has(Segment.ACK)) {
            return;
        }
        if (state == State.SYN_RECV) {
            if (s.ack() != iss + 1) {
                transmit(Segment.resetFor(s));
                return;
            }
            established();
            if (state == State.CLOSED) {
                return; // its listener is gone
            }
        }
        acknowledged(s.ack());
        if (s.length() > 0 || s.has(Segment.FIN)) {
            data(s);
        }
    }

    private void acknowledged(int ack) {
        if (ack != sndNxt) {
            return; // only the ACK of our FIN moves the state; data needs no ACK here (see lost)
        }
        switch (state) {
            case FIN_WAIT_1 -> {
                state = State.FIN_WAIT_2;
                if (orphaned) {
                    armFinTimeout();
                }
            }
            case CLOSING, LAST_ACK -> toClosed();
            default -> {
            }
        }
    }

    private void data(Segment s) {
        if (state != State.ESTABLISHED && state != State.FIN_WAIT_1 && state != State.FIN_WAIT_2) {
            sendAck(); // a duplicate after the peer's FIN
            return;
        }
        if (Seq.before(s.seq(), irs + 1)) {
            return;
        }
        long offset = Seq.distance(irs + 1, s.seq());
        if (orphaned && s.length() > 0 && offset + s.length() > in.next()) {
            // Linux: new data for a socket the application closed resets the connection
            stack.trace("abort-on-data", toString());
            transmit(Segment.control(local, remote, Segment.RST, sndNxt, 0));
            toClosed();
            return;
        }
        boolean progress = in.accept(offset, s.payload(), s.has(Segment.FIN));
        sendAck();
        if (in.finReached()) {
            switch (state) {
                case ESTABLISHED -> state = State.CLOSE_WAIT;
                case FIN_WAIT_1 -> state = State.CLOSING;
                case FIN_WAIT_2 -> toClosed(); // TIME_WAIT is not modelled
                default -> {
                }
            }
        }
        if (progress && owner != null) {
            owner.readable(this);
        }
    }

    private void reset() {
        if (state == State.SYN_RECV && parent != null) {
            toClosed(); // a half-open request reset: forgotten
        } else if (orphaned) {
            toClosed();
        } else {
            fail(state == State.SYN_RECV ? new ConnectException("Connection refused")
                    : new SocketException("Connection reset"));
        }
    }

    private void established() {
        state = State.ESTABLISHED;
        wasEstablished = true;
        rttNs = stack.nowNs() - handshakeSentNs;
        cancelTimer();
        if (parent != null) {
            SimListener p = parent;
            parent = null;
            p.established(this);
        } else if (owner != null) {
            owner.established(this);
        }
    }

    private void sendHandshake() {
        handshakeSentNs = stack.nowNs();
        transmit(handshakeSegment());
        timer = stack.events().after(INITIAL_RTO_NS << handshakeRetries, this::handshakeTimedOut);
    }

    private Segment handshakeSegment() {
        return state == State.SYN_SENT ? Segment.control(local, remote, Segment.SYN, iss, 0)
                : Segment.control(local, remote, Segment.SYN | Segment.ACK, iss, rcvNxt());
    }

    private void handshakeTimedOut() {
        if (handshakeRetries < (parent != null ? SYNACK_RETRIES : SYN_RETRIES)) {
            handshakeRetries++;
            sendHandshake();
        } else if (parent != null) {
            stack.trace("synack-gave-up", toString());
            toClosed();
        } else {
            fail(new ConnectException("Connection timed out"));
        }
    }

    /**
     * A link lost one of our data or FIN segments: sent again after the retransmission timeout
     * (the handshake's round trip + 200 ms, doubling), as the ACK that never comes would have it.
     */
    private void lost(Segment s) {
        if (state == State.CLOSED) {
            return;
        }
        long rto = rttNs >= 0 ? rttNs + RTO_MIN_NS : INITIAL_RTO_NS;
        long wait = Math.min(RTO_MAX_NS, rto << Math.min(s.transmission(), 20));
        stack.events().after(wait, () -> {
            if (state != State.CLOSED) {
                transmit(new Segment(local, remote, s.flags(), s.seq(), rcvNxt(), s.payload(), recovery,
                        s.transmission() + 1));
            }
        });
    }

    private void sendAck() {
        transmit(Segment.control(local, remote, Segment.ACK, sndNxt, rcvNxt()));
    }

    private void sendFin() {
        transmit(new Segment(local, remote, Segment.FIN | Segment.ACK, sndNxt, rcvNxt(), new byte[0], recovery, 0));
        sndNxt++;
    }

    private int rcvNxt() {
        return irs + 1 + (int) in.next() + (in.finReached() ? 1 : 0);
    }

    private void armFinTimeout() {
        cancelTimer();
        timer = stack.events().after(FIN_TIMEOUT_NS, this::toClosed);
    }

    private void fail(IOException cause) {
        error = cause;
        stack.trace("socket-error", this + ": " + cause.getMessage());
        toClosed();
        Owner o = owner;
        if (o != null) {
            o.failed(this, cause);
        }
    }

    private void toClosed() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        cancelTimer();
        stack.unregister(this);
        if (binding != null) {
            binding.release();
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    private void transmit(Segment s) {
        stack.transmit(s);
    }

    @Override
    public String toString() {
        return local + " > " + remote + " " + state;
    }
}
