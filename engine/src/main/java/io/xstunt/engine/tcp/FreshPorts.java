package io.xstunt.engine.tcp;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntSupplier;

/**
 * Binds sockets to a fresh local port picked here at random, instead of {@code bind(address, 0)}.
 * Why: Linux then searches the range for a port itself, checking the sockets already on each
 * port it tries; once the host holds tens of thousands of sockets (TIME_WAIT included) that
 * search costs about 1 ms per bind (measured on this kernel, docs/PERFORMANCE.md), against a
 * few microseconds per random try. The client binds one for each prediction socket and service
 * connection on a configured address; the server one listener per rendezvous session (its
 * control port), so a server under load would spend its loop thread in the kernel's search.
 * Java offers no IP_BIND_ADDRESS_NO_PORT. Random, not sequential, so ports stay unpredictable.
 *
 * <p>A bind, a few setsockopts and no network wait: fine on the loop thread.
 */
public final class FreshPorts {
    /**
     * Where ports are picked: Linux's default ephemeral range (ip_local_port_range; not read
     * from /proc, which would be a file read on the loop thread). It keeps clear of services'
     * well-known and registered ports.
     */
    public static final int LOW = 32768;
    /** The range's last port. */
    public static final int HIGH = 60999;
    /** Random ports tried in each pass before the next fallback (a crowded range). */
    static final int ATTEMPTS = 16;

    /** The bind itself: a listener's takes its backlog. */
    @FunctionalInterface
    interface Binder {
        void bind(InetSocketAddress address) throws IOException;
    }

    private FreshPorts() {
    }

    /**
     * @return a random even port of the range: even like the kernel's own bind(port 0), because
     *     connect()'s automatic port choice skips every port that bind() holds (TIME_WAIT
     *     included) and starts with the odd ones, so a process binding hundreds of ports a
     *     second leaves the host's plain connects their half
     */
    public static int randomEvenPort() {
        return LOW + 2 * ThreadLocalRandom.current().nextInt((HIGH - LOW) / 2 + 1);
    }

    /** Binds {@code ch} to {@code local} (null: any) on a fresh port; see {@link #bind(NetworkChannel, InetAddress, Binder, IntSupplier)}. */
    public static void bind(NetworkChannel ch, InetAddress local) throws IOException {
        bind(ch, local, ch::bind, FreshPorts::randomEvenPort);
    }

    /** Binds the listener {@code ch} to {@code local} (null: any) on a fresh port, with {@code backlog}. */
    public static void bindListener(ServerSocketChannel ch, InetAddress local, int backlog) throws IOException {
        bind(ch, local, a -> ch.bind(a, backlog), FreshPorts::randomEvenPort);
    }

    /**
     * Binds the listener {@code ch} to {@code local} on a fresh port that the sockets of a punch
     * then share (SO_REUSEADDR and SO_REUSEPORT, set here after the bind: Linux reads them at
     * each later bind of the port, so the connecting sockets bound to it with both set are let
     * in). Bound first without either, so that no other socket, live or TIME_WAIT, is on the
     * port: with SO_REUSEPORT set before, a random port could join another listener's port.
     * Without this the kernel's own search ran, about 1 ms per bind once an address has ten
     * thousand sockets in TIME_WAIT (a FAST request opens one such listener per call; measured
     * 2026-12-03, docs/PERFORMANCE.md section 1). As {@link #bind(NetworkChannel, InetAddress)}:
     * when every try finds its port taken, SO_REUSEADDR and more tries (a range full of TIME_WAIT
     * sockets), then both options and the kernel's search.
     */
    public static void bindShared(ServerSocketChannel ch, InetAddress local, int backlog) throws IOException {
        bindShared(ch, local, a -> ch.bind(a, backlog), FreshPorts::randomEvenPort);
    }

    static void bindShared(NetworkChannel ch, InetAddress local, Binder binder, IntSupplier ports) throws IOException {
        boolean bound = tryPorts(local, binder, ports);
        ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        bound = bound || tryPorts(local, binder, ports); // a port whose only sockets are in TIME_WAIT
        ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        if (!bound) {
            binder.bind(new InetSocketAddress(local, 0));
        }
    }

    /**
     * Tries ports from {@code ports}: first before any SO_REUSEADDR is set, so that the port has
     * no other socket on it (live or TIME_WAIT); when {@link #ATTEMPTS} such tries find every
     * port taken (a range full of TIME_WAIT sockets), with SO_REUSEADDR set, which lets a
     * TIME_WAIT socket's port be bound again, as the kernel's own search does in that case;
     * last, the kernel's search itself. The channel leaves with SO_REUSEADDR set: a TIME_WAIT
     * socket keeps the flag its socket had (a listener's accepted connections inherit it), and
     * one without it blocks its port for every later bind, ours with SO_REUSEADDR included.
     */
    static void bind(NetworkChannel ch, InetAddress local, Binder binder, IntSupplier ports) throws IOException {
        boolean bound = tryPorts(local, binder, ports);
        ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        if (!bound && !tryPorts(local, binder, ports)) {
            binder.bind(new InetSocketAddress(local, 0));
        }
    }

    private static boolean tryPorts(InetAddress local, Binder binder, IntSupplier ports) throws IOException {
        for (int i = 0; i < ATTEMPTS; i++) {
            try {
                binder.bind(new InetSocketAddress(local, ports.getAsInt()));
                return true;
            } catch (BindException taken) {
                // some socket is on it: try another
            }
        }
        return false;
    }
}
