package io.xstunt.engine.sim;

/**
 * One connection as Linux conntrack tracks it (nf_conntrack_proto_tcp): its original tuple (the
 * LAN host's view), its reply tuple (remote to public address), a coarse version of the TCP
 * state table, and, unless the NAT is liberal, tcp_in_window's sequence checks. Those are what
 * make a SYN-ACK from a different socket than the one whose SYN made the entry (the ORIGINAL
 * strategy's close-and-relisten) invalid: its ISN lies beyond the window the first SYN opened.
 * A later SYN of a new socket on the same tuple passes while the entry is in SYN_SENT or
 * SYN_RECV ("reinitialized", RFC 793), as Linux lets it.
 */
final class ConntrackEntry {
    /** conntrack's TCP states (sNO and the ignore/invalid pseudo-states are verdicts here). */
    enum State { SYN_SENT, SYN_SENT2, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE }

    /** What to do with a packet. */
    enum Verdict {
        /** Forward it. */
        ACCEPT,
        /** Drop it: conntrack marks it invalid, and the router's forward chain drops invalid packets. */
        INVALID,
        /** Forward it and delete the entry: a RST before any reply ("if only reply is a RST"). */
        ACCEPT_AND_DELETE
    }

    /** The window a SYN or SYN-ACK advertises (unscaled; Linux's 64240 for an MSS of 1460). */
    static final int SYN_WINDOW = 64240;
    /** The (scaled) window of every later segment: large, since the simulation has no flow control. */
    static final int OPEN_WINDOW = 4 << 20;
    /** tcp_in_window's least ACK window (MAXACKWINDOW). */
    private static final int MAX_ACK_WINDOW = 66000;

    /** One direction's sequence data (ip_ct_tcp_state). */
    private static final class Side {
        boolean init;
        int end;
        int maxEnd;
        int maxWin;
        boolean fin;

        void init(int segmentEnd, int window) {
            init = true;
            end = segmentEnd;
            maxEnd = segmentEnd;
            maxWin = Math.max(1, window);
        }
    }

    private final Flow original;
    private final Endpoint mapped;
    private final Flow reply;
    private final Side[] sides = {new Side(), new Side()};
    private State state = State.SYN_SENT;
    private boolean seenReply;
    private long expiresNs;

    /** @param mapped the public address the original source is translated to */
    ConntrackEntry(Flow original, Endpoint mapped, long nowNs) {
        this.original = original;
        this.mapped = mapped;
        this.reply = new Flow(original.dst(), mapped);
        this.expiresNs = nowNs + timeoutNs(state);
    }

    Flow original() {
        return original;
    }

    Flow reply() {
        return reply;
    }

    /** @return the public address of the original source */
    Endpoint mapped() {
        return mapped;
    }

    State state() {
        return state;
    }

    boolean expired(long nowNs) {
        return nowNs - expiresNs >= 0;
    }

    /** @return true in TIME_WAIT or CLOSE, where a new SYN from the original source starts a new entry */
    boolean closed() {
        return state == State.TIME_WAIT || state == State.CLOSE;
    }

    /**
     * Tracks one packet of this connection.
     *
     * @param fromReply true if it travels in the reply direction (from the remote end)
     * @param liberal nf_conntrack_tcp_be_liberal: out-of-window packets pass
     */
    Verdict track(Segment s, boolean fromReply, boolean liberal, long nowNs) {
        State next = nextState(s, fromReply);
        if (next == null) {
            return Verdict.INVALID;
        }
        Side sender = sides[fromReply ? 1 : 0];
        Side receiver = sides[fromReply ? 0 : 1];
        if (!inWindow(s, fromReply, sender, receiver, liberal)) {
            return Verdict.INVALID;
        }
        boolean replied = seenReply;
        seenReply |= fromReply;
        sender.fin |= s.has(Segment.FIN);
        state = next;
        expiresNs = nowNs + timeoutNs(state);
        return s.has(Segment.RST) && !replied ? Verdict.ACCEPT_AND_DELETE : Verdict.ACCEPT;
    }

    /** The state table, coarsely: null where Linux says invalid (sIV). */
    private State nextState(Segment s, boolean fromReply) {
        if (s.has(Segment.RST)) {
            return State.CLOSE;
        }
        if (s.isSyn()) {
            if (!fromReply) {
                return closed() ? State.SYN_SENT : state; // a retransmission, or ignored (sIG) but passed
            }
            // a SYN from the remote end: TCP simultaneous open if ours is still unanswered
            return state == State.SYN_SENT || state == State.SYN_SENT2 ? State.SYN_SENT2 : null;
        }
        if (s.has(Segment.SYN)) { // SYN-ACK
            return switch (state) {
                case SYN_SENT -> fromReply ? State.SYN_RECV : null;
                case SYN_SENT2, SYN_RECV -> State.SYN_RECV;
                case ESTABLISHED -> State.ESTABLISHED; // a retransmission whose ACK was lost
                default -> null;
            };
        }
        if (s.has(Segment.FIN)) {
            return switch (state) {
                case SYN_RECV, ESTABLISHED -> State.FIN_WAIT;
                case FIN_WAIT, CLOSE_WAIT -> sides[fromReply ? 0 : 1].fin ? State.LAST_ACK : state;
                default -> state;
            };
        }
        return switch (state) {
            case SYN_RECV -> State.ESTABLISHED;
            case LAST_ACK -> State.TIME_WAIT;
            default -> state;
        };
    }

    /** tcp_in_window: checks (unless liberal) and updates the sequence data. */
    private boolean inWindow(Segment s, boolean fromReply, Side sender, Side receiver, boolean liberal) {
        int seq = s.seq();
        int end = s.seqEnd();
        int win = s.has(Segment.SYN) ? SYN_WINDOW : s.has(Segment.RST) ? 0 : OPEN_WINDOW;
        if (!sender.init) {
            sender.init(end, win); // the first packet this way: a SYN, a SYN-ACK, or a RST
            if (s.isSyn()) {
                return true;
            }
        } else if (s.has(Segment.SYN) && Seq.after(end, sender.end)
                && (state == State.SYN_SENT || state == State.SYN_RECV)) {
            sender.init(end, win); // "if a TCP is reinitialized ... sequence numbers larger than those recently used"
            if (fromReply && !s.has(Segment.ACK)) {
                return true;
            }
        }
        int ack = s.has(Segment.ACK) ? s.ack() : receiver.end;
        boolean ok = Seq.before(seq, sender.maxEnd + 1)
                && Seq.after(end, sender.end - receiver.maxWin - 1)
                && Seq.before(ack, receiver.end + 1)
                && Seq.after(ack, receiver.end - Math.max(sender.maxWin, MAX_ACK_WINDOW) - 1);
        if (!ok && !liberal) {
            return false;
        }
        if (sender.maxWin < win) {
            sender.maxWin = win;
        }
        if (Seq.after(end, sender.end)) {
            sender.end = end;
        }
        if (Seq.after(ack + win, receiver.maxEnd - 1)) {
            receiver.maxEnd = ack + win;
        }
        return true;
    }

    /** Linux's nf_conntrack_tcp_timeout_* defaults. */
    private static long timeoutNs(State s) {
        long seconds = switch (s) {
            case SYN_SENT, SYN_SENT2, FIN_WAIT, TIME_WAIT -> 120;
            case SYN_RECV, CLOSE_WAIT -> 60;
            case ESTABLISHED -> 432_000;
            case LAST_ACK -> 30;
            case CLOSE -> 10;
        };
        return seconds * 1_000_000_000L;
    }

    @Override
    public String toString() {
        return "tcp " + state + " src=" + original.src() + " dst=" + original.dst() + " mapped=" + mapped
                + (seenReply ? "" : " [UNREPLIED]");
    }
}
