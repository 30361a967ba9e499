package io.xstunt.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.Locale;

/**
 * What {@code bind(address, 0)} costs on this kernel, with and without SO_REUSEADDR, for each
 * address given: the probe behind the TIME_WAIT note of {@link HandshakeBenchmark}. Compare an
 * address that has many sockets in TIME_WAIT ({@code ss -tan state time-wait}) with a fresh one.
 * Usage: {@code BindCost 127.0.0.11 127.0.0.199}.
 */
public final class BindCost {
    private BindCost() {
    }

    public static void main(String[] args) throws IOException {
        int n = 2000;
        for (String ip : args) {
            for (boolean reuse : new boolean[] {true, false}) {
                long sum = 0;
                long min = Long.MAX_VALUE;
                for (int i = 0; i < n; i++) {
                    try (SocketChannel ch = SocketChannel.open()) {
                        ch.setOption(StandardSocketOptions.SO_REUSEADDR, reuse);
                        long t = System.nanoTime();
                        ch.bind(new InetSocketAddress(ip, 0));
                        long d = System.nanoTime() - t;
                        sum += d;
                        min = Math.min(min, d);
                    }
                }
                System.out.println(String.format(Locale.ROOT, "%s SO_REUSEADDR=%b: bind(address, 0) mean %.1f us,"
                        + " min %.1f us over %d binds", ip, reuse, sum / 1e3 / n, min / 1e3, n));
            }
        }
    }
}
