package io.xstunt.testkit;

import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs of the machine (redis-server, an IPv6 loopback): without it the test is
 * skipped with the reason, except under CI, where a skip would pass for a success; there it fails.
 */
public final class Prerequisite {
    private Prerequisite() {
    }

    /**
     * @return true if the environment variable CI is set to anything but empty or {@code false}
     *     (CI services set {@code true}, {@code 1}, {@code yes} or a name)
     */
    public static boolean inCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isBlank() && !ci.strip().equalsIgnoreCase("false");
    }

    /**
     * Ends the test: skipped with {@code why}, or failed under CI.
     *
     * @throws AssertionError under CI
     */
    public static void missing(String why) {
        if (inCi()) {
            throw new AssertionError(why + " (CI is set: failing instead of skipping)");
        }
        Assumptions.abort(why);
    }

    /** Ends the test ({@link #missing}) unless redis-server is installed. */
    public static void redisServer() {
        if (RedisServer.binary() == null) {
            missing("redis-server is not installed (apt-get install redis-server): this test needs a real one");
        }
    }

    /** Ends the test ({@link #missing}) unless this machine has the IPv6 loopback {@code ::1}. */
    public static void ipv6Loopback() {
        try (java.nio.channels.ServerSocketChannel ch = java.nio.channels.ServerSocketChannel.open()) {
            ch.bind(new java.net.InetSocketAddress(java.net.InetAddress.getByName("::1"), 0));
        } catch (java.io.IOException e) {
            missing("no ::1 on this machine (IPv6 disabled in the kernel?): " + e);
        }
    }
}
