package io.xstunt.api;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.Objects;

/**
 * Binds a running {@link XstuntServer}'s {@link ServerMetrics} to a Micrometer registry (not in
 * XSTUNT 1.0). Every meter reads the server's own counters when the registry is scraped: the
 * server's loop does no more work with a registry bound than without. The names, in Prometheus
 * form (docs/OPERATIONS.md explains each):
 *
 * <ul>
 *   <li>{@code xstunt_server_registrations_total}</li>
 *   <li>{@code xstunt_server_connect_requests_total{code}}: MSG_CONNECT answers by the code XConnect reads</li>
 *   <li>{@code xstunt_server_sessions_total{path,outcome}}: finished rendezvous</li>
 *   <li>{@code xstunt_server_handshakes_total{initiator_nat,listener_nat}}</li>
 *   <li>{@code xstunt_server_rejected_inputs_total{reason}}</li>
 *   <li>{@code xstunt_server_relayed_bytes_total}</li>
 *   <li>gauges {@code xstunt_server_clients}, {@code xstunt_server_sessions_in_flight},
 *       {@code xstunt_server_relays_in_flight}, {@code xstunt_server_connections},
 *       {@code xstunt_server_registry_up}</li>
 *   <li>the registry's store (a shared registry; 0 in memory): {@code xstunt_server_registry_commands_total},
 *       {@code xstunt_server_registry_errors_total}, {@code xstunt_server_registry_outages_total}, the gauge
 *       {@code xstunt_server_registry_latency_seconds} (the last command's round trip)</li>
 * </ul>
 *
 * <p>Micrometer is an optional dependency of the api: only an application that has it uses this class.
 */
public final class ServerMeterBinder implements MeterBinder {
    private final ServerMetrics metrics;

    /** @param server the server whose counts are bound */
    public ServerMeterBinder(XstuntServer server) {
        this.metrics = Objects.requireNonNull(server, "server").metrics();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("xstunt.server.registrations", metrics, ServerMetrics::registrations)
                .description("Clients registered (log connections that reached IDLE; re-registrations count again)")
                .register(registry);
        for (ErrorCode code : ServerMetrics.CONNECT_CODES) {
            FunctionCounter.builder("xstunt.server.connect.requests", metrics, m -> m.connectRequests(code))
                    .description("MSG_CONNECT requests by the error code the initiator's XConnect reads")
                    .tag("code", code.name())
                    .register(registry);
        }
        for (String path : ServerMetrics.SESSION_PATHS) {
            for (String outcome : ServerMetrics.SESSION_OUTCOMES) {
                FunctionCounter.builder("xstunt.server.sessions", metrics, m -> m.sessions(path, outcome))
                        .description("Rendezvous finished, by path (lan: answered ERR_SAME_NAT) and outcome")
                        .tags("path", path, "outcome", outcome)
                        .register(registry);
            }
        }
        for (String initiator : ServerMetrics.NAT_CLASSES) {
            for (String listener : ServerMetrics.NAT_CLASSES) {
                FunctionCounter.builder("xstunt.server.handshakes", metrics, m -> m.handshakes(initiator, listener))
                        .description("Rendezvous sessions finished, by the NAT classes their clients' HELLO gave")
                        .tags("initiator_nat", initiator, "listener_nat", listener)
                        .register(registry);
            }
        }
        for (String reason : ServerMetrics.REFUSAL_REASONS) {
            FunctionCounter.builder("xstunt.server.rejected.inputs", metrics, m -> m.refusals(reason))
                    .description("Inputs the server refused (bad bytes, limits, timeouts), by reason")
                    .tag("reason", reason.toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        FunctionCounter.builder("xstunt.server.relayed", metrics, ServerMetrics::relayedBytes)
                .description("Bytes the relay passed between relayed pairs, both ways together")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("xstunt.server.clients", metrics, ServerMetrics::clients)
                .description("IDs registered now, any state, as the registry counts them")
                .register(registry);
        Gauge.builder("xstunt.server.sessions.in.flight", metrics, ServerMetrics::sessionsInFlight)
                .description("Rendezvous sessions in flight")
                .register(registry);
        Gauge.builder("xstunt.server.relays.in.flight", metrics, ServerMetrics::relaysInFlight)
                .description("Relayed connections held")
                .register(registry);
        Gauge.builder("xstunt.server.connections", metrics, ServerMetrics::connections)
                .description("TCP connections held (log, comm, echo, control)")
                .register(registry);
        Gauge.builder("xstunt.server.registry.up", metrics, m -> m.registryReachable() ? 1 : 0)
                .description("1 while the registry's store answers (the in-memory registry always does)")
                .register(registry);
        FunctionCounter.builder("xstunt.server.registry.commands", metrics, ServerMetrics::registryCommands)
                .description("Store commands the shared registry completed")
                .register(registry);
        FunctionCounter.builder("xstunt.server.registry.errors", metrics, ServerMetrics::registryErrors)
                .description("Store commands of the shared registry that failed or timed out")
                .register(registry);
        FunctionCounter.builder("xstunt.server.registry.outages", metrics, ServerMetrics::registryOutages)
                .description("How often the shared registry's store became unreachable")
                .register(registry);
        Gauge.builder("xstunt.server.registry.latency", metrics, ServerMetrics::registryLatencySeconds)
                .description("Round trip of the shared registry's last completed store command")
                .baseUnit("seconds")
                .register(registry);
    }
}
