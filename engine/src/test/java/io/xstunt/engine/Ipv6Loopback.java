package io.xstunt.engine;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import org.junit.jupiter.api.Assumptions;

/**
 * The IPv6 loopback {@code ::1} for tests, and the check that this machine has it (testkit's
 * {@code Prerequisite}, which the engine's tests cannot depend on): without it a test is skipped
 * saying why, except under CI, where it fails.
 */
public final class Ipv6Loopback {
    /** {@code ::1}. */
    public static final Inet6Address ADDRESS = literal("::1");

    private Ipv6Loopback() {
    }

    /** @return the IPv6 address of {@code text}, a literal (no name is looked up) */
    public static Inet6Address literal(String text) {
        try {
            return (Inet6Address) InetAddress.getByName(text);
        } catch (UnknownHostException | ClassCastException e) {
            throw new IllegalArgumentException("not an IPv6 literal: " + text, e);
        }
    }

    /** Ends the test (skipped, or failed under CI) unless {@code ::1} can be bound. */
    public static void required() {
        try (ServerSocketChannel ch = ServerSocketChannel.open()) {
            ch.bind(new InetSocketAddress(ADDRESS, 0));
        } catch (Exception e) {
            missing("no ::1 on this machine (IPv6 disabled in the kernel?): " + e);
        }
    }

    /** @return true if a socket can be bound to {@code address} on this machine */
    public static boolean bindable(Inet6Address address) {
        try (ServerSocketChannel ch = ServerSocketChannel.open()) {
            ch.bind(new InetSocketAddress(address, 0));
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Ends the test for want of {@code why}: skipped, saying so, or failed when CI is set. */
    public static void missing(String why) {
        String ci = System.getenv("CI");
        if (ci != null && !ci.isBlank() && !ci.strip().equalsIgnoreCase("false")) {
            throw new AssertionError(why + " (CI is set: failing instead of skipping)");
        }
        Assumptions.abort(why);
    }
}
