package io.xstunt.cli;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntException;
import io.xstunt.api.PunchStrategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code xstunt probe}: XInit (probing unless the fingerprint file fits), then print the fingerprint
 * as XGenFingerprint does.
 */
@Command(name = "probe",
        description = "Print this host's NAT fingerprint as XSTUNT 1.0's XGenFingerprint does, e.g."
                + " TCP PORT-PRESERVING CONE (XInit, XDeRegister).")
final class ProbeCommand extends EventCommand {
    @Option(names = "--id", paramLabel = "ID", converter = OptionTypes.ClientIdText.class,
            description = "The ID to register while probing (default: probe-PID).")
    private String id;

    @Mixin
    private ClientOptions client;

    @Override
    int run(EventOutput o) throws XstuntException {
        String name = id == null ? "probe-" + ProcessHandle.current().pid() : id;
        try (XstuntClient s = client.register(name, client.sessionOptions(PunchStrategy.RACE))) {
            o.fingerprint(s);
            Xstunt.xDeRegister(s);
        }
        return 0;
    }
}
