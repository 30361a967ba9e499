package io.xstunt.engine.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.proc.ProcedureDriver;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The engine's {@link ProcedureDriver} on simulated hosts, as the client and server will run: a
 * small sans-IO procedure asks an echo service for its public address, with a deadline on the
 * virtual clock.
 */
@Timeout(10)
class ProcedureOnSimTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);

    @Test
    void aProcedureLearnsItsPublicAddressThroughItsNat() throws Exception {
        NatLab lab = NatLab.builder().delay(Duration.ofMillis(10)).build();
        EchoService echo = EchoService.reporterOn(lab.srv(), 0, 3478);
        WhoAmI.Run run = WhoAmI.start(lab.h1(), echo.address(), Duration.ofSeconds(2));
        InetSocketAddress answer = EchoService.parse(lab.net().await("the answer", run.result(), WITHIN));
        assertEquals(NatLab.NAT1_IP, answer.getAddress().getHostAddress());
        assertEquals(Duration.ofMillis(40), lab.net().elapsed(), "connect and answer: two round trips of 20 ms");
        lab.net().runUntilIdle(WITHIN);
        assertFalse(run.driver().timerPending());
    }

    @Test
    void itsDeadlineFiresOnTheVirtualClockWhenANatDropsTheSyn() throws Exception {
        NatLab lab = NatLab.builder().build();
        WhoAmI.Run run = WhoAmI.start(lab.h1(), new InetSocketAddress(NatLab.NAT2_IP, 3478), Duration.ofSeconds(2));
        Throwable failure = lab.net().awaitFailure("the timeout", run.result(), WITHIN);
        assertEquals("no answer within PT2S", failure.getMessage());
        assertEquals(Duration.ofSeconds(2), lab.net().elapsed());
        assertEquals(2, lab.nat2().inboundTcp(), "the SYN and its retransmission at 1 s");
        lab.net().runUntilIdle(WITHIN);
        assertEquals(2, lab.nat2().inboundTcp(), "closed at 2 s: no retransmission at 3 s");
    }

    /** Asks an echo service for the address it sees: one connection, one line, one deadline. */
    private static final class WhoAmI extends Procedure<WhoAmI.Action> {
        sealed interface Action permits Connect, Answered, Failed {
        }

        record Connect(InetSocketAddress to) implements Action {
        }

        record Answered(String line) implements Action {
        }

        record Failed(String why) implements Action {
        }

        /** A started procedure: its driver and its result. */
        record Run(ProcedureDriver<Action> driver, CompletableFuture<String> result) {
        }

        private final InetSocketAddress echo;
        private final Duration timeout;
        private final StringBuilder line = new StringBuilder();
        private final CompletableFuture<String> result = new CompletableFuture<>();
        private ProcedureDriver<Action> driver;

        private WhoAmI(InetSocketAddress echo, Duration timeout) {
            super(1);
            this.echo = echo;
            this.timeout = timeout;
        }

        static Run start(SimHost host, InetSocketAddress echo, Duration timeout) {
            WhoAmI p = new WhoAmI(echo, timeout);
            p.driver = new ProcedureDriver<>(host.network(), p, p::carryOut);
            p.driver.feed(p::begin);
            return new Run(p.driver, p.result);
        }

        /** The procedure's I/O: what its actions mean. */
        private void carryOut(Action a) {
            switch (a) {
                case Connect c -> driver.connect(0, SocketSpec.DEFAULTS, c.to());
                case Answered d -> result.complete(d.line());
                case Failed f -> result.completeExceptionally(new Exception(f.why()));
            }
        }

        private void begin(long nowNs) {
            emit(new Connect(echo));
            deadline(nowNs + timeout.toNanos());
        }

        @Override
        public void handleBytes(int connection, ByteBuffer in, long nowNs) {
            line.append(StandardCharsets.US_ASCII.decode(in));
            if (line.indexOf("\n") >= 0) {
                clearDeadline();
                emit(new Answered(line.toString()));
                outbound(0).closeAfterFlush();
            }
        }

        @Override
        public void handleConnectFailed(int connection, String reason, long nowNs) {
            clearDeadline();
            emit(new Failed(reason));
        }

        @Override
        public void handleTimeout(long nowNs) {
            if (expired(nowNs)) {
                clearDeadline();
                emit(new Failed("no answer within " + timeout));
                outbound(0).closeNow();
            }
        }
    }
}
