package io.xstunt.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Two ports for servers that must listen on the same ports on different addresses (servers sharing
 * a registry: a client's failover list names IPs only). Taken below the kernel's ephemeral range
 * (32768 and up on Linux), where no outgoing connection's source port can take them between the
 * check and the bind, and checked free on every address. Another process may still take one
 * meanwhile: a caller retries on ERR_BIND with a fresh pair.
 */
public final class SharedPorts {
    private static final int LOW = 20_000;
    private static final int HIGH = 32_000;
    private static final int TRIES = 200;

    private SharedPorts() {
    }

    /** @return two different ports free on the wildcard address now */
    public static int[] pair() throws IOException {
        for (int i = 0; i < TRIES; i++) {
            int a = ThreadLocalRandom.current().nextInt(LOW, HIGH);
            int b = a + 1;
            try (ServerSocket x = new ServerSocket(a, 1, InetAddress.getByName("0.0.0.0"));
                 ServerSocket y = new ServerSocket(b, 1, InetAddress.getByName("0.0.0.0"))) {
                return new int[] {x.getLocalPort(), y.getLocalPort()};
            } catch (IOException taken) {
                // in use: another pair
            }
        }
        throw new IOException("no two free ports in " + LOW + ".." + HIGH + " after " + TRIES + " tries");
    }
}
