package io.xstunt.engine.client;

import io.xstunt.engine.wire.RelayFrame;

/**
 * What a rendezvous knows of the relay extension when it starts.
 *
 * @param offered the announcement said the server relays this pair (both asked for the extensions)
 * @param mode this client's relay mode
 * @param randomNat this client's fingerprint is random-symmetric
 * @param upgradeOf the relayed session this rendezvous is a way back to direct from (initiator), 0: none
 * @param session the announced session id
 */
public record RelayPlan(boolean offered, RelayFrame.Mode mode, boolean randomNat, int upgradeOf, int session) {
    /** No relay: XSTUNT 1.0's rendezvous. */
    public static final RelayPlan NONE = new RelayPlan(false, RelayFrame.Mode.DIRECT_ONLY, false, 0, 0);
}
