package io.xstunt.engine.server;

import io.xstunt.engine.net.AcceptHandler;
import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The server's fixed listeners: the log and communication services on IP1 (and on the IPv6
 * address of {@link ServerConfig#listen6()}, the same ports), and the echo service on
 * two ports of both IPs (IP1:P1, IP1:P2, IP2:P1, IP2:P2). An echo port of 0 is bound ephemeral on
 * IP1 and the same number on IP2 (retried on a clash). Loop thread only.
 */
final class ServiceListeners {
    /** Attempts to find an ephemeral echo port that is free on both IPs. */
    private static final int ECHO_BIND_ATTEMPTS = 8;

    private final Network network;
    private final ServerConfig config;
    private final List<Acceptor> acceptors = new ArrayList<>();
    private InetSocketAddress logAddress;
    private InetSocketAddress commAddress;
    private InetSocketAddress logAddress6;
    private InetSocketAddress commAddress6;
    private int echoPort1;
    private int echoPort2;

    ServiceListeners(Network network, ServerConfig config) {
        this.network = network;
        this.config = config;
    }

    /**
     * Binds every listener. On failure, what was bound stays bound: {@link #close()} releases it.
     *
     * @throws IOException naming the service and address that could not be bound
     */
    void bind(AcceptHandler log, AcceptHandler comm, AcceptHandler echo) throws IOException {
        logAddress = listen("log", config.ip1(), config.logPort(), log);
        commAddress = listen("comm", config.ip1(), config.commPort(), comm);
        if (config.listen6() != null) {
            // the same ports as on IP1: a client reaches the server by either family with one port pair
            logAddress6 = listen("log", config.listen6(), logAddress.getPort(), log);
            commAddress6 = listen("comm", config.listen6(), commAddress.getPort(), comm);
        }
        if (config.echoPort1() == 0 && config.echoPort2() != 0) {
            // the fixed port first, so that the ephemeral one cannot take it
            echoPort2 = bindEchoPair(config.echoPort2(), echo);
            echoPort1 = bindEchoPair(0, echo);
        } else {
            echoPort1 = bindEchoPair(config.echoPort1(), echo);
            echoPort2 = bindEchoPair(config.echoPort2(), echo);
        }
    }

    private InetSocketAddress listen(String what, InetAddress ip, int port, AcceptHandler h) throws IOException {
        Acceptor a;
        try {
            a = network.listen(SocketSpec.listener(new InetSocketAddress(ip, port)), config.backlog(), h);
        } catch (IOException e) {
            throw new IOException(what + " service on " + ip.getHostAddress() + ":" + port + ": " + e.getMessage(), e);
        }
        acceptors.add(a);
        return a.address();
    }

    /** Binds one echo port on IP1 and the same port on IP2; 0 picks one free on both. */
    private int bindEchoPair(int port, AcceptHandler echo) throws IOException {
        for (int attempt = 1; ; attempt++) {
            InetSocketAddress first = listen("echo", config.ip1(), port, echo);
            try {
                listen("echo", config.ip2(), first.getPort(), echo);
                return first.getPort();
            } catch (IOException e) {
                if (port != 0 || attempt == ECHO_BIND_ATTEMPTS) {
                    throw e;
                }
                acceptors.remove(acceptors.size() - 1).close(); // the port is taken on IP2: try another
            }
        }
    }

    InetSocketAddress logAddress() {
        return logAddress;
    }

    InetSocketAddress commAddress() {
        return commAddress;
    }

    /** @return the log service's IPv6 address, or null if none */
    InetSocketAddress logAddress6() {
        return logAddress6;
    }

    /** @return the comm service's IPv6 address, or null if none */
    InetSocketAddress commAddress6() {
        return commAddress6;
    }

    int echoPort1() {
        return echoPort1;
    }

    int echoPort2() {
        return echoPort2;
    }

    /** Stops listening on every port. */
    void close() {
        for (Acceptor a : acceptors) {
            a.close();
        }
    }
}
