package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * XConnect's stages on a host-driven loop with a fake clock: the test thread owns the loop
 * (calls doWork) and plays the comm service with a nonblocking socket. Timeouts are reached by
 * moving the clock, not by waiting.
 */
class ConnectDriverTest {
    static final InetSocketAddress ECHO = new InetSocketAddress("127.0.0.1", 9);
    final long[] clock = {1_000_000_000L};
    EventLoop loop;
    ServerSocketChannel commService;
    ServerSocketChannel controlService;
    SocketChannel comm;
    ClientConfig config;
    CompletableFuture<Rendezvous> result = new CompletableFuture<>();
    ConnectDriver driver;

    @BeforeEach
    void setUp() throws IOException {
        loop = EventLoop.open("connect-test", () -> clock[0]);
        commService = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        commService.configureBlocking(false);
        controlService = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        controlService.configureBlocking(false);
        config = ClientConfig.builder(Ipv4.parse("127.0.0.1"), Ipv4.parse("127.0.0.2"))
                .commPort(commService.socket().getLocalPort()).fingerprintFile(null)
                .commTimeout(Duration.ofSeconds(2)).echoTimeout(Duration.ofSeconds(3)).build();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (comm != null) {
            comm.close();
        }
        commService.close();
        controlService.close();
        loop.close();
    }

    void spinUntil(BooleanSupplier done, String what) {
        for (int i = 0; i < 200_000 && !done.getAsBoolean(); i++) {
            loop.doWork();
        }
        assertTrue(done.getAsBoolean(), "never: " + what);
    }

    /** Starts the driver and plays the comm service up to reading MSG_CONNECT. */
    void startAndReadRequest() throws IOException {
        driver = new ConnectDriver(loop, config, "alice", "bob", ECHO, 0, Duration.ofSeconds(5), result);
        loop.execute(driver::start);
        SocketChannel[] accepted = new SocketChannel[1];
        spinUntil(() -> {
            try {
                return (accepted[0] = accepted[0] != null ? accepted[0] : commService.accept()) != null;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }, "comm connection");
        comm = accepted[0];
        comm.configureBlocking(false);
        ByteBuffer msg = ByteBuffer.allocate(Msg.SIZE);
        spinUntil(() -> {
            try {
                comm.read(msg);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return !msg.hasRemaining();
        }, "MSG_CONNECT");
        assertEquals(Msg.connect("alice", "bob"), Msg.read(msg.flip()));
        assertEquals(ConnectDriver.Stage.COMM, driver.stage());
    }

    void answer(int value) throws IOException {
        comm.write(ByteBuffer.allocate(4).putInt(value).flip());
    }

    Failure failure() {
        assertTrue(result.isCompletedExceptionally());
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, result::get);
        return assertInstanceOf(Failure.class, e.getCause());
    }

    @Test
    void noAnnouncementBeforeTheDeadlineIsErrTimeout() throws IOException {
        startAndReadRequest();
        answer(Protocol.COMM_ACCEPTED);
        spinUntil(() -> driver.stage() == ConnectDriver.Stage.ANNOUNCE, "accepted");
        assertTrue(driver.awaitingAnnouncement());
        clock[0] += Duration.ofSeconds(5).toNanos() - 1;
        loop.doWork();
        assertFalse(result.isDone(), "not before the XConnect timeout");
        clock[0] += 1;
        loop.doWork();
        assertEquals(ErrorStat.ERR_TIMEOUT, failure().code());
        assertEquals(0, loop.pendingTimers());
    }

    @Test
    void noCommAnswerIsErrCommTimeout() throws IOException {
        startAndReadRequest();
        clock[0] += Duration.ofSeconds(2).toNanos();
        loop.doWork();
        assertEquals(ErrorStat.ERR_COMM_TIMEOUT, failure().code());
        assertEquals(0, loop.pendingTimers());
    }

    @Test
    void refusalsAreErrMatchAndErrSameNat() throws IOException {
        startAndReadRequest();
        answer(Protocol.COMM_NO_MATCH);
        spinUntil(result::isDone, "answer");
        assertEquals(ErrorStat.ERR_MATCH, failure().code());

        result = new CompletableFuture<>();
        comm.close();
        startAndReadRequest();
        int lan = Ipv4.toInt(Ipv4.parse("10.1.2.3"));
        answer(lan);
        spinUntil(result::isDone, "answer");
        Failure e = failure();
        assertEquals(ErrorStat.ERR_SAME_NAT, e.code());
        assertEquals(lan, e.detail());
        assertEquals(0, loop.pendingTimers());
    }

    @Test
    void anAnnouncementThatOvertakesTheAnswerIsKept() throws IOException {
        startAndReadRequest();
        Echo announcement = new Echo(Ipv4.toInt(Ipv4.parse("127.0.0.1")), controlService.socket().getLocalPort(), 7,
                "bob", Ipv4.toInt(Ipv4.parse("127.0.0.12")), Protocol.ROLE_INITIATOR);
        driver.onAnnouncement(announcement);
        assertEquals(ConnectDriver.Stage.COMM, driver.stage(), "the comm answer comes first");
        assertFalse(driver.awaitingAnnouncement());
        answer(Protocol.COMM_ACCEPTED);
        spinUntil(() -> driver.stage() == ConnectDriver.Stage.RENDEZVOUS, "rendezvous");
        SocketChannel[] control = new SocketChannel[1];
        spinUntil(() -> {
            try {
                return (control[0] = control[0] != null ? control[0] : controlService.accept()) != null;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }, "control connection");
        try (SocketChannel c = control[0]) {
            Failure gone = new Failure(ErrorStat.ERR_RECEIVE, 0, "server gone");
            driver.abort(gone);
            spinUntil(result::isDone, "abort");
            assertSame(gone, failure());
            assertNotNull(c);
        }
        loop.doWork();
        assertEquals(0, loop.pendingTimers());
    }
}
