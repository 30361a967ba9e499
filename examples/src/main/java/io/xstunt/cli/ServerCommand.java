package io.xstunt.cli;

import java.util.Set;

/** {@code server}: waits for the engine's STUNT server. */
final class ServerCommand {
    static final Set<String> OPTIONS = Set.of("ip1", "ip2", "log-port", "comm-port", "echo-ports",
            "server-version", "session-timeout", "duration");

    private ServerCommand() {
    }

    static int run(CliArgs a, EventOutput o) throws UsageException {
        throw new UsageException("the server command is not built yet");
    }
}
