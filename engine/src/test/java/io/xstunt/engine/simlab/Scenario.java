package io.xstunt.engine.simlab;

import io.xstunt.engine.sim.NatLab;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * A lab and who listens where, named as docs/NAT-LAB.md names natlab's scenarios.
 *
 * @param name the scenario's name, e.g. {@code "2 preserve+rst / preserve+drop"}
 * @param options natlab's {@code lab.sh up} options other than the delay, on a builder
 * @param delay one-way delay on both NAT links ({@code --delay}); zero for none
 * @param listener where the XListen side runs
 * @param connector where the XConnect side runs
 * @param raceTimeout the RACE rows' XConnect and XListen timeout (natlab's {@code --timeout});
 *     ORIGINAL rows use {@link NatMatrixTest#ORIGINAL_TIMEOUT}, as natlab does
 */
record Scenario(String name, UnaryOperator<NatLab.Builder> options, Duration delay, Site listener, Site connector,
                Duration raceTimeout) {
    /** natlab's RACE timeout in most scenarios, 8 s. */
    static final Duration RACE_TIMEOUT = Duration.ofSeconds(8);

    /** @return a scenario with the listener on h1 (nat1), the connector on h2 (nat2), no delay, natlab's 8 s */
    static Scenario of(String name, UnaryOperator<NatLab.Builder> options) {
        return new Scenario(name, options, Duration.ZERO, Site.H1, Site.H2, RACE_TIMEOUT);
    }

    /** @return this scenario with {@code --delay} */
    Scenario delay(Duration d) {
        return new Scenario(name, options, d, listener, connector, raceTimeout);
    }

    /** @return this scenario with the listener and the connector on other sites */
    Scenario sites(Site l, Site c) {
        return new Scenario(name, options, delay, l, c, raceTimeout);
    }

    /** @return this scenario with another RACE timeout */
    Scenario raceTimeout(Duration t) {
        return new Scenario(name, options, delay, listener, connector, t);
    }

    /** @return the lab, seeded */
    NatLab lab(long seed) {
        return options.apply(NatLab.builder().seed(seed).delay(delay)).build();
    }

    /** @return the peer-server round trip: the delay crosses one NAT link each way (natlab's RTT unit) */
    Duration peerServerRtt() {
        return delay.multipliedBy(2);
    }

    @Override
    public String toString() {
        return name;
    }
}
