package io.xstunt.api;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Binds this process's client outcomes to a Micrometer registry (not in XSTUNT 1.0): how its
 * calls of XInit, XConnect and XListen ended, as {@code xstunt_client_calls_total{call,code,path}}
 * in Prometheus form: {@code call} is xinit, xconnect or xlisten; {@code code} the XSTUNT error
 * code the call returned ({@code ERR_NONE} on success, e.g. {@code ERR_MATCH}, {@code ERR_ASYMCLIENT});
 * {@code path} direct, relayed, lan, or none (failed, or XInit). The same counts the server keeps
 * of its side. A series appears with its first call.
 *
 * <p>Micrometer is an optional dependency of the api: only an application that has it uses this class.
 */
public final class ClientMeterBinder implements MeterBinder {
    @Override
    public void bindTo(MeterRegistry registry) {
        ClientOutcomes.PROCESS.watch((key, n) -> FunctionCounter.builder("xstunt.client.calls", n, LongAdder::sum)
                .description("XInit, XConnect and XListen calls of this process, by error code and path")
                .tags("call", key.call(), "code", key.code(), "path", key.path())
                .register(registry));
    }
}
