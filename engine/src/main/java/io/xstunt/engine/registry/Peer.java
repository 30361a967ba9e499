package io.xstunt.engine.registry;

/**
 * A registered client as a MSG_CONNECT decision names it.
 *
 * @param id its ID
 * @param publicIp its public IPv4 as its server saw it (big-endian int)
 * @param localIp the local IPv4 it reported in LogState
 * @param holder its log connection
 */
public record Peer(String id, int publicIp, int localIp, Holder holder) {
}
