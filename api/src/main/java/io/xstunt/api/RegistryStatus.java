package io.xstunt.api;

import java.time.Duration;

/**
 * The state of a server's registry ({@link XstuntServer#registryStatus()}), for health checks and
 * metrics. Not in XSTUNT 1.0, whose server keeps its clients in memory only.
 *
 * @param shared whether the registry is shared with other servers (Redis) rather than in memory
 * @param reachable whether its store answers now; while false the server serves rendezvous between
 *     its own clients only, and writes its registrations back when the store returns
 * @param commands store commands completed
 * @param errors store commands that failed or timed out
 * @param lastLatency the round trip of the last command completed (zero before any)
 * @param outages how often the store became unreachable
 */
public record RegistryStatus(boolean shared, boolean reachable, long commands, long errors, Duration lastLatency,
                             long outages) {
}
