package io.xstunt.engine.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** Where the text log lines that clients write on their log connections go. */
interface ClientLogSink {
    /** The slf4j logger of client log lines: one INFO line per client line. */
    String LOGGER_NAME = "io.xstunt.server.clientlog";
    /** The MDC key that carries the client's ID while its line is logged. */
    String MDC_CLIENT_ID = "xstunt.client";

    /** Records one line (without its newline, control characters replaced) of client {@code id}. */
    void line(String id, String line);

    /** @return the sink that logs through slf4j's {@link #LOGGER_NAME}, the ID in MDC and message */
    static ClientLogSink slf4j() {
        Logger log = LoggerFactory.getLogger(LOGGER_NAME);
        return (id, line) -> {
            if (!log.isInfoEnabled()) {
                return;
            }
            MDC.put(MDC_CLIENT_ID, id);
            try {
                log.info("[{}] {}", id, line);
            } finally {
                MDC.remove(MDC_CLIENT_ID);
            }
        };
    }
}
