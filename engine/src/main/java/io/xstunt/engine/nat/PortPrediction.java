package io.xstunt.engine.nat;

import io.xstunt.engine.wire.Protocol;

/**
 * The port arithmetic of XPredict: the public port the NAT will give the next connection from
 * a local port, from the port it gave the last one and the fingerprint's increment. Pure.
 *
 * <p>Ports live on a circle 1..65535 (0 is never a port), so {@code 65535 + 1} wraps to 1.
 */
public final class PortPrediction {
    private static final int PORTS = 65535;

    private PortPrediction() {
    }

    /**
     * Predicts the next public port.
     *
     * @param observedPort the public port the echo service just saw (1..65535)
     * @param increment the fingerprint's increment: 0 cone (same port), N delta-N,
     *     {@link Protocol#RANDOM_INCREMENT} random (then +1 is a guess, as in XSTUNT 1.0)
     * @return the predicted public port, 1..65535
     */
    public static int predict(int observedPort, int increment) {
        if (observedPort < 1 || observedPort > PORTS) {
            throw new IllegalArgumentException("observed port must be 1..65535, got " + observedPort);
        }
        int step = increment == Protocol.RANDOM_INCREMENT ? 1 : increment;
        return Math.floorMod(observedPort - 1 + step, PORTS) + 1;
    }

    /**
     * The step from one public port to the next on the port circle, in -32767..32767 (the
     * shorter way round).
     */
    public static int delta(int fromPort, int toPort) {
        int d = Math.floorMod(toPort - fromPort, PORTS);
        return d > PORTS / 2 ? d - PORTS : d;
    }
}
