package io.xstunt.engine.registry;

import java.time.Duration;

/**
 * What a registry backend is opened with from the server's configuration.
 *
 * @param maxClients the most IDs this server holds (ServerConfig.maxClients)
 * @param requireTokens strict mode: a request without the holder token is never the holder's
 * @param idleTimeout the server's idle timeout (a shared record's lifetime is derived from it)
 */
public record RegistrySettings(int maxClients, boolean requireTokens, Duration idleTimeout) {
}
