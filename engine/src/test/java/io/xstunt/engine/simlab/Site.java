package io.xstunt.engine.simlab;

import io.xstunt.engine.sim.NatLab;
import io.xstunt.engine.sim.NatMapping;
import io.xstunt.engine.sim.NatRouter;
import io.xstunt.engine.sim.SimHost;

/** Where a peer runs: natlab's hosts, each with the public address the rest of the internet sees. */
enum Site {
    /** 10.0.1.10 behind nat1. */
    H1(NatLab.NAT1_IP),
    /** 10.0.2.10 behind nat2. */
    H2(NatLab.NAT2_IP),
    /** 10.0.1.11 behind nat1, with h1. */
    H3(NatLab.NAT1_IP),
    /** 198.51.100.20, no NAT. */
    PUB(NatLab.PUB_IP);

    private final String publicIp;

    Site(String publicIp) {
        this.publicIp = publicIp;
    }

    /** @return the address the other peers and the server see this site's connections come from */
    String publicIp() {
        return publicIp;
    }

    /** @return the host in {@code lab} */
    SimHost in(NatLab lab) {
        return switch (this) {
            case H1 -> lab.h1();
            case H2 -> lab.h2();
            case H3 -> lab.h3();
            case PUB -> lab.pub();
        };
    }

    /** @return the router in front of this site, or null for the public host */
    NatRouter nat(NatLab lab) {
        return switch (this) {
            case H1, H3 -> lab.nat1();
            case H2 -> lab.nat2();
            case PUB -> null;
        };
    }

    /** @return what counted at this site's NAT during {@code a}, or null for the public host */
    Attempt.NatCounts counts(Attempt a) {
        return switch (this) {
            case H1, H3 -> a.nat1();
            case H2 -> a.nat2();
            case PUB -> null;
        };
    }

    /**
     * @return the fingerprint STUNT probing must find here (natlab's checks of scenarios 1, 5, 6):
     *     a public host or a port-preserving NAT maps every connection of a local port to that
     *     port; offset keeps one public port per local port (a cone, not preserving); random picks
     *     a new port per connection
     */
    String fingerprint(NatLab lab) {
        NatRouter nat = nat(lab);
        NatMapping m = nat == null ? NatMapping.PRESERVE : nat.config().mapping();
        return switch (m) {
            case PRESERVE -> "TCP PORT-PRESERVING CONE";
            case OFFSET -> "TCP NOT-PORT-PRESERVING CONE";
            case RANDOM -> "TCP NOT-PORT-PRESERVING RANDOM-SYMMETRIC";
        };
    }
}
