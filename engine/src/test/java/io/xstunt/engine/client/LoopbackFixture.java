package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.loop.LoopTesting;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fixture of the client's loopback tests: the real server on 127.0.0.1 + 127.0.0.2, peers
 * bound to their own loopback addresses so the server sees different "public" IPs; after each
 * test, no channel or timer is left on the clients' loop.
 */
abstract class LoopbackFixture {
    static final Inet4Address IP1 = Ipv4.parse("127.0.0.1");
    static final Inet4Address IP2 = Ipv4.parse("127.0.0.2");
    static final Inet4Address PEER_A = Ipv4.parse("127.0.0.11");
    static final Inet4Address PEER_B = Ipv4.parse("127.0.0.12");
    static final long WAIT_S = 20;

    @TempDir
    Path dir;
    EventLoop serverLoop;
    EventLoop clientLoop;
    StuntServer server;
    final List<StuntClient> clients = new ArrayList<>();
    final List<SocketChannel> channels = new ArrayList<>();

    @BeforeEach
    void startServer() throws Exception {
        serverLoop = EventLoop.open("server").start();
        clientLoop = EventLoop.open("clients").start();
        server = StuntServer.start(serverLoop, serverConfig().build()).get(WAIT_S, TimeUnit.SECONDS);
    }

    /** The server of every test: on IP1 and IP2, every port free; a subclass adds to it. */
    ServerConfig.Builder serverConfig() {
        return ServerConfig.builder(IP1, IP2).logPort(0).commPort(0).echoPort1(0).echoPort2(0);
    }

    @AfterEach
    void stop() throws Exception {
        for (SocketChannel c : channels) {
            c.close();
        }
        for (StuntClient c : clients) {
            c.close();
        }
        if (clientLoop != null) {
            // every procedure released its sockets and timers (closed channels leave the selector at its next select)
            CompletableFuture<int[]> left = new CompletableFuture<>();
            clientLoop.execute(() -> clientLoop.afterNextSelect(
                    () -> left.complete(new int[] {clientLoop.registeredKeys(), clientLoop.pendingTimers()})));
            int[] counts = left.get(WAIT_S, TimeUnit.SECONDS);
            assertEquals(0, counts[0], "channels left on the client loop");
            assertEquals(0, counts[1], "timers left on the client loop");
            clientLoop.close();
            assertEquals(0, clientLoop.errorCount(), "unexpected errors on the client loop");
        }
        if (server != null) {
            server.close();
        }
        if (serverLoop != null) {
            serverLoop.close();
        }
    }

    ClientConfig.Builder config(Inet4Address local, String fingerprintName) {
        return ClientConfig.builder(IP1, IP2).logPort(server.logAddress().getPort())
                .commPort(server.commAddress().getPort()).localAddress(local)
                .fingerprintFile(dir.resolve(fingerprintName)).echoTimeout(Duration.ofSeconds(3))
                .listenTimeout(Duration.ofSeconds(6)).ipv6(Ipv6Setting.OFF); // a global IPv6 address would race
    }

    StuntClient register(ClientConfig config, String id) throws Exception {
        StuntClient c = StuntClient.register(clientLoop, config, id).get(WAIT_S, TimeUnit.SECONDS);
        clients.add(c);
        return c;
    }

    static Failure failure(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_S, TimeUnit.SECONDS));
        return assertInstanceOf(Failure.class, e.getCause());
    }

    static String roundTrip(SocketChannel from, SocketChannel to, String text) throws IOException {
        from.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        ByteBuffer b = ByteBuffer.allocate(text.length());
        while (b.hasRemaining()) {
            if (to.read(b) < 0) {
                throw new IOException("closed early");
            }
        }
        return new String(b.array(), StandardCharsets.UTF_8);
    }
}
