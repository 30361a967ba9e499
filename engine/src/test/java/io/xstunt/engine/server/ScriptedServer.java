package io.xstunt.engine.server;

import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.registry.Peer;
import io.xstunt.engine.registry.SessionRef;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a MSG_CONNECT needs of the server beyond the registry ({@link CommService.Effects}), as the
 * test sets it: the sessions in flight, which log connections have too many unread announcements,
 * whose announcement budget is spent, and whether a control listener can be bound. Records the
 * sessions opened; each gets control port 40000 + its id.
 */
final class ScriptedServer implements CommService.Effects {
    /** The control port of session {@code id}. */
    static int controlPort(int id) {
        return 40000 + id;
    }

    final List<SessionRef> opened = new ArrayList<>();
    final Set<Holder> backlogged = new HashSet<>();
    final Set<Holder> spent = new HashSet<>();
    final List<Holder> announcementsTaken = new ArrayList<>();
    int inFlight;
    boolean noListener;

    @Override
    public int sessionsInFlight() {
        return inFlight;
    }

    @Override
    public boolean canAnnounce(Holder holder) {
        return !backlogged.contains(holder);
    }

    @Override
    public boolean takeAnnouncement(Holder holder) {
        if (spent.contains(holder)) {
            return false;
        }
        announcementsTaken.add(holder);
        return true;
    }

    @Override
    public int announceFlags(SessionRef session) {
        return 0;
    }

    @Override
    public int openSession(SessionRef session, Peer initiator, Peer listener) throws IOException {
        if (noListener) {
            throw new IOException("no ports left");
        }
        opened.add(session);
        inFlight++;
        return controlPort(session.id());
    }

    /** FAST's facts per holder, as the test sets them (absent: not held here). */
    final java.util.Map<Holder, FastPlan.Client> fast = new java.util.HashMap<>();
    /** The FAST records written, in order: a holder and its go or refusal. */
    final List<java.util.Map.Entry<Holder, Object>> fastWritten = new ArrayList<>();
    final List<String> fastDeclines = new ArrayList<>();

    @Override
    public FastPlan.Client fastFacts(Peer peer, int punchPort) {
        FastPlan.Client c = fast.get(peer.holder());
        return c == null || punchPort == 0 ? c
                : new FastPlan.Client(c.publicIp(), punchPort, c.fast(), c.portPreserving(), c.rttNs());
    }

    @Override
    public void fastGo(Holder holder, io.xstunt.engine.wire.FastGo go) {
        fastWritten.add(java.util.Map.entry(holder, go));
    }

    @Override
    public void fastRefusal(Holder holder, io.xstunt.engine.wire.FastRefusal refusal) {
        fastWritten.add(java.util.Map.entry(holder, refusal));
    }

    /** The answers of FAST requests, in order. */
    final List<Integer> fastAnswers = new ArrayList<>();

    @Override
    public void fastAnswered(int reply) {
        fastAnswers.add(reply);
    }

    @Override
    public void fastDeclined(Rejection why, String detail) {
        fastDeclines.add((why == null ? "normal" : why.name()) + ": " + detail);
    }

    /** The loop's clock as the test sets it. */
    long nowNs;
    /** The FAST expiry deadlines asked for, in order. */
    final List<Long> fastExpiries = new ArrayList<>();
    /** The FAST sessions ended, in order, with their outcomes. */
    final List<java.util.Map.Entry<SessionSummary, ServerCounters.Outcome>> fastEnded = new ArrayList<>();

    @Override
    public long nowNs() {
        return nowNs;
    }

    @Override
    public void expireFastAt(long deadlineNs) {
        fastExpiries.add(deadlineNs);
    }

    @Override
    public void fastEnded(SessionSummary summary, ServerCounters.Outcome outcome) {
        fastEnded.add(java.util.Map.entry(summary, outcome));
    }

    /** @return the ids of the sessions opened, in order */
    List<Integer> openedIds() {
        return opened.stream().map(SessionRef::id).toList();
    }
}
