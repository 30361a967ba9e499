package io.xstunt.api;

import io.xstunt.engine.wire.RelayNotice;

/**
 * How a relayed connection ended, as the server told this client ({@link XstuntConnection#relayEnd()}):
 * the relayed stream itself only ends, this says why.
 *
 * @param reason why it ended
 * @param bytesSent bytes this side sent through the relay
 * @param bytesReceived bytes the relay delivered to this side
 */
public record RelayEnd(Reason reason, long bytesSent, long bytesReceived) {
    /** Why a relayed connection ended. */
    public enum Reason {
        /** Not known: this client lost (or closed) its log connection to the server first. */
        UNKNOWN,
        /** The peer closed its side, or its connection failed. */
        PEER_CLOSED,
        /** This side closed it. */
        CLOSED_HERE,
        /** The server's limit of bytes per direction was reached. */
        BYTES_LIMIT,
        /** The server's limit of duration was reached. */
        DURATION_LIMIT,
        /** The server closed. */
        SERVER_CLOSING
    }

    static RelayEnd of(RelayNotice n) {
        return new RelayEnd(Reason.valueOf(n.end().name()), n.bytesSent(), n.bytesReceived());
    }
}
