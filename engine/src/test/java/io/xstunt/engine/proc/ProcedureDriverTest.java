package io.xstunt.engine.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.SocketSpec;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The generic driver on a network turned by hand: output order, re-entrancy, the timer, connection numbers. */
class ProcedureDriverTest {
    private static final InetSocketAddress HERE = new InetSocketAddress("127.0.0.1", 7000);
    private static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.2", 9000);
    private static final long START = 5_000;

    /** A procedure of two connections whose reaction to each input the test scripts; it notes its inputs. */
    private static final class Scripted extends Procedure<String> {
        final List<String> inputs = new ArrayList<>();
        Consumer<Scripted> reaction = p -> { };

        Scripted() {
            super(2);
        }

        private void heard(String input) {
            inputs.add(input);
            reaction.accept(this);
        }

        @Override
        public void handleConnected(int connection, InetSocketAddress local, long nowNs) {
            heard("connected " + connection);
        }

        @Override
        public void handleConnectFailed(int connection, String reason, long nowNs) {
            heard("connect failed " + connection);
        }

        @Override
        public void handleBytes(int connection, ByteBuffer in, long nowNs) {
            int n = in.remaining();
            in.position(in.limit());
            heard("bytes " + connection + ": " + n);
        }

        @Override
        public void handleClosed(int connection, String ioError, long nowNs) {
            heard("closed " + connection + (ioError == null ? "" : " by an error"));
        }

        @Override
        public void handleTimeout(long nowNs) {
            heard("timeout at " + nowNs);
        }

        /** An input of its own. */
        void poke(long nowNs) {
            heard("poke at " + nowNs);
        }

        void ask(String action) {
            emit(action);
        }

        void due(long ns) {
            deadline(ns);
        }

        void noDeadline() {
            clearDeadline();
        }
    }

    private final FakeNetwork net = new FakeNetwork(START);
    private final Scripted proc = new Scripted();
    private final List<String> carried = new ArrayList<>();
    private Consumer<String> onAction = a -> { };
    private final ProcedureDriver<String> driver = new ProcedureDriver<>(net, proc, a -> {
        net.note("action " + a);
        carried.add(a);
        onAction.accept(a);
    });

    /** Makes an arriving connection the driver's connection {@code n}. */
    private FakeConnection attached(int n) throws Exception {
        FakeIncoming in = net.incoming("c" + n, HERE, PEER);
        Connection c = in.adopt(driver.listener(n), 64, 1024, SocketSpec.DEFAULTS);
        driver.attach(n, c);
        net.journal();
        return in.connection();
    }

    private static byte[] bytes(int n) {
        return new byte[n];
    }

    @Test
    void outputsGoBytesThenActionsThenClosesThenTheTimer() throws Exception {
        FakeConnection c0 = attached(0);
        FakeConnection c1 = attached(1);
        c0.peerReads(false); // so that its close waits for the flush
        proc.reaction = p -> {
            p.outbound(1).send(bytes(3));
            p.outbound(0).send(bytes(2));
            p.outbound(0).closeAfterFlush();
            p.ask("first");
            p.outbound(1).send(bytes(4));
            p.ask("second");
            p.due(START + 100);
        };
        driver.feed(proc::poke);
        assertEquals(List.of("c0 send 2", "c1 send 3", "c1 send 4", "action first", "action second",
                "c0 closeAfterFlush", "timer at " + (START + 100)), net.journal(),
                "a close after the actions: a refusal is counted before its peer sees the close");
        assertEquals(List.of("poke at " + START), proc.inputs, "fed with the network's clock");
        assertTrue(driver.timerPending());
        assertEquals(7, c1.takeRead().length);
    }

    @Test
    void anInputFedWhileOutputsAreCarriedOutFoldsIntoTheRunningPass() throws Exception {
        FakeConnection c0 = attached(0);
        int[] depth = {0};
        int[] deepest = {0};
        onAction = a -> {
            depth[0]++;
            deepest[0] = Math.max(deepest[0], depth[0]);
            if (a.equals("complete at once")) {
                driver.feed(proc::poke); // an action that completes synchronously
                net.note("feed returned");
            }
            depth[0]--;
        };
        proc.reaction = p -> {
            if (p.inputs.size() == 1) {
                p.ask("complete at once");
                p.due(START + 50);
            } else if (p.inputs.size() == 2) {
                p.outbound(0).send(bytes(1));
                p.outbound(0).closeAfterFlush();
                p.ask("completed");
                p.due(START + 70);
            }
        };
        driver.feed(proc::poke);
        assertEquals(List.of("action complete at once", "feed returned", "c0 send 1", "action completed",
                "c0 closeAfterFlush", "timer at " + (START + 70)), net.journal(),
                "the second input's bytes, then its actions, then its close, after the first action returns;"
                        + " the timer once");
        assertEquals(1, deepest[0], "no action runs inside another");
        assertEquals(List.of("poke at " + START, "poke at " + START, "closed 0"), proc.inputs,
                "the input itself is not deferred; the close, reported at once, too");
        assertEquals(1, c0.takeRead().length);
    }

    @Test
    void aSendThatFailsAtOnceIsReportedWithinThePass() throws Exception {
        FakeConnection c0 = attached(0);
        List<String> watched = new ArrayList<>();
        driver.watchCloses((n, c, cause) -> watched.add(n + " " + c + " " + (cause != null)));
        c0.failNextSend();
        proc.reaction = p -> {
            if (p.inputs.size() == 1) {
                p.outbound(0).send(bytes(5));
                p.outbound(0).send(bytes(6));
                p.ask("after the sends");
            } else {
                p.ask("saw " + p.inputs.get(1));
            }
        };
        driver.feed(proc::poke);
        assertEquals(List.of("poke at " + START, "closed 0 by an error"), proc.inputs);
        assertEquals(List.of("0 c0 true"), watched, "the watcher hears it before the procedure");
        assertEquals(List.of("after the sends", "saw closed 0 by an error"), carried);
        assertNull(driver.connection(0), "a closed connection is forgotten");
        assertEquals(List.of("c0 send fails", "action after the sends", "action saw closed 0 by an error"),
                net.journal(), "the second send is dropped");
    }

    @Test
    void theTimerFollowsTheDeadline() {
        long[] deadline = {START + 1_000};
        proc.reaction = p -> {
            if (deadline[0] < 0) {
                p.noDeadline();
            } else {
                p.due(deadline[0]);
            }
        };
        driver.feed(proc::poke);
        assertEquals(List.of("timer at " + (START + 1_000)), net.journal());
        deadline[0] = START + 400;
        driver.feed(proc::poke);
        assertEquals(List.of("timer moved to " + (START + 400)), net.journal());
        driver.feed(proc::poke);
        assertEquals(List.of(), net.journal(), "the same deadline: the timer stays");
        assertEquals(1, net.pendingTimers());

        net.advanceTo(START + 399);
        assertFalse(proc.inputs.stream().anyMatch(i -> i.startsWith("timeout")));
        deadline[0] = -1;
        net.advanceTo(START + 400);
        assertEquals("timeout at " + (START + 400), proc.inputs.get(proc.inputs.size() - 1));
        assertEquals(0, net.pendingTimers(), "cleared: no timer");
        assertFalse(driver.timerPending());

        deadline[0] = START + 900;
        driver.feed(proc::poke);
        assertEquals(START + 900, net.earliestTimerNs());
        deadline[0] = -1;
        driver.feed(proc::poke);
        assertEquals(0, net.pendingTimers(), "a deadline cleared cancels the timer");
    }

    @Test
    void aDeadlineKeptAfterItsTimeoutFiresAgain() {
        proc.reaction = p -> p.due(START + 10); // a procedure that ignores an early wake-up keeps its deadline
        driver.feed(proc::poke);
        net.advanceTo(START + 10);
        assertEquals(1, net.pendingTimers(), "armed again for the deadline it still has");
        assertEquals(START + 10, net.earliestTimerNs());
    }

    @Test
    void eventsOfAConnectionThatNoLongerHoldsItsNumberAreNotHeard() throws Exception {
        FakeConnection old = attached(0);
        old.receive(bytes(2));
        assertEquals(List.of("bytes 0: 2"), proc.inputs);
        assertSame(old, driver.release(0));
        old.receive(bytes(3));
        old.peerCloses();
        assertEquals(List.of("bytes 0: 2"), proc.inputs, "released: nothing more of it");

        FakeConnection now = attached(0);
        ByteBuffer late = ByteBuffer.wrap(bytes(4));
        driver.listener(0).onRead(old, late); // a late event of the old connection on the same number
        driver.listener(0).onClosed(old, null);
        assertFalse(late.hasRemaining(), "dropped");
        now.receive(bytes(5));
        assertEquals(List.of("bytes 0: 2", "bytes 0: 5"), proc.inputs);
        assertSame(now, driver.connection(0));

        now.peerCloses();
        assertNull(driver.connection(0));
        driver.listener(0).onClosed(now, null);
        assertEquals(List.of("bytes 0: 2", "bytes 0: 5", "closed 0"), proc.inputs, "a close is heard once");
    }

    @Test
    void aResetIsCarriedOutAsAResetAndDropsWhatWasQueued() throws Exception {
        FakeConnection c = attached(0);
        net.journal();
        proc.reaction = p -> {
            p.outbound(0).send(bytes(3));
            p.outbound(0).resetNow();
        };
        driver.feed(proc::poke);
        assertEquals(List.of("c0 reset"), net.journal(), "nothing sent: a reset drops the queued bytes");
        assertTrue(c.isClosed());
        assertEquals(List.of("poke at " + START, "closed 0"), proc.inputs, "the procedure hears its close");
    }

    @Test
    void aNumberReopenedByTheProcedureServesItsNewConnection() throws Exception {
        FakeConnection first = attached(0);
        proc.reaction = p -> p.outbound(0).closeNow();
        driver.feed(proc::poke);
        assertTrue(first.isClosed());
        assertNull(driver.connection(0));

        proc.reaction = p -> {
            if (p.inputs.get(p.inputs.size() - 1).startsWith("poke")) {
                p.outbound(0).reopen();
                p.ask("connect again");
            }
        };
        onAction = a -> driver.connect(0, SocketSpec.DEFAULTS, PEER);
        net.dial(FakeNetwork.Dial.CONNECTED_AT_ONCE);
        driver.feed(proc::poke);
        FakeConnection second = net.dialled(0);
        assertSame(second, driver.connection(0));
        assertFalse(second.isClosed(), "the old close request went with the old connection");
        proc.reaction = p -> p.outbound(0).send(bytes(3));
        driver.feed(proc::poke);
        assertEquals(3, second.takeRead().length);
    }

    @Test
    void aConnectIsReportedEvenWhenItsOutcomeComesAtOnce() {
        net.dial(FakeNetwork.Dial.CONNECTED_AT_ONCE);
        driver.connect(0, SocketSpec.DEFAULTS, PEER);
        assertEquals(List.of("connected 0"), proc.inputs);
        assertSame(net.dialled(0), driver.connection(0));

        net.dial(FakeNetwork.Dial.REFUSED_AT_ONCE);
        driver.connect(1, SocketSpec.DEFAULTS, PEER);
        assertEquals("closed 1 by an error", proc.inputs.get(1));
        assertNull(driver.connection(1));

        net.dial(FakeNetwork.Dial.FAILS_TO_START);
        driver.connect(1, SocketSpec.DEFAULTS, PEER);
        assertEquals("connect failed 1", proc.inputs.get(2));
        assertNull(driver.connection(1));

        net.dial(FakeNetwork.Dial.PENDING);
        driver.connect(1, SocketSpec.DEFAULTS, PEER);
        assertEquals(3, proc.inputs.size());
        net.dialled(2).connects();
        assertEquals("connected 1", proc.inputs.get(3));
        assertSame(net.dialled(2), driver.connection(1));
    }

    @Test
    void aNumberHoldsOneConnectionAtATime() throws Exception {
        attached(0);
        FakeIncoming other = net.incoming("x", HERE, PEER);
        Connection wrongListener = other.adopt(driver.listener(0), 64, 64, SocketSpec.DEFAULTS);
        assertThrows(IllegalStateException.class, () -> driver.attach(0, wrongListener), "0 is taken");
        assertThrows(IllegalArgumentException.class, () -> driver.attach(1, wrongListener),
                "adopted with another number's listener");
        assertThrows(IllegalStateException.class, () -> driver.connect(0, SocketSpec.DEFAULTS, PEER));
    }

    @Test
    void closeAllClosesSilentlyAndCancelsTheTimer() throws Exception {
        FakeConnection c0 = attached(0);
        proc.reaction = p -> p.due(START + 5);
        driver.feed(proc::poke);
        driver.closeAll();
        assertTrue(c0.isClosed());
        assertEquals(0, net.pendingTimers());
        assertNull(driver.connection(0));
        assertEquals(List.of("poke at " + START), proc.inputs, "the procedure hears nothing of it");
    }

    @Test
    void unwrittenBytesCountTheProceduresAndTheConnections() throws Exception {
        FakeConnection c0 = attached(0);
        c0.peerReads(false);
        proc.reaction = p -> p.outbound(0).send(bytes(7));
        driver.feed(proc::poke);
        assertEquals(7, driver.unwrittenBytes(0), "queued on the connection");
        proc.outbound(0).send(bytes(2));
        assertEquals(9, driver.unwrittenBytes(0), "and not yet polled from the procedure");
        c0.peerReads(true);
        proc.outbound(0).pollTransmit();
        assertEquals(0, driver.unwrittenBytes(0));
    }
}
