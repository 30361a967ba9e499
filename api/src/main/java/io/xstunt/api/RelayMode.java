package io.xstunt.api;

import io.xstunt.engine.wire.RelayFrame;

/**
 * Whether a pair that cannot punch is relayed through the STUNT server
 * ({@link XstuntOptions.Builder#relayMode}). Relaying is an xstunt extension: it needs an xstunt
 * server that relays and a peer that allows it too; with anyone else the rendezvous is XSTUNT
 * 1.0's, byte for byte.
 */
public enum RelayMode {
    /** Never relayed: a pair that cannot punch fails as in XSTUNT 1.0 (ERR_ASYM_TIMEOUT). */
    DIRECT_ONLY(RelayFrame.Mode.DIRECT_ONLY),
    /**
     * The default: relayed at once when both NATs are random-symmetric (no prediction can work),
     * otherwise after the punch found no direct path within its window, inside the same
     * XConnect/XListen call and its timeout.
     */
    RELAY_ALLOWED(RelayFrame.Mode.RELAY_ALLOWED),
    /** Relayed at once, no punch (tests, demonstrations). */
    RELAY_ONLY(RelayFrame.Mode.RELAY_ONLY);

    private final RelayFrame.Mode engine;

    RelayMode(RelayFrame.Mode engine) {
        this.engine = engine;
    }

    RelayFrame.Mode engine() {
        return engine;
    }
}
