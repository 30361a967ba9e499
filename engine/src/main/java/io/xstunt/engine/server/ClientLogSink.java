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

    /**
     * Whether {@link #line} would record anything now. When false the server does not decode the
     * line at all, so a filtered client log costs no allocation per line; when true the line is
     * decoded to the String that slf4j needs (that String, and what the logging binding does with
     * it, is the cost of recording).
     */
    default boolean enabled() {
        return true;
    }

    /** @return a sink that records nothing (and says so: lines are not even decoded) */
    static ClientLogSink discard() {
        return new ClientLogSink() {
            @Override
            public void line(String id, String line) {
            }

            @Override
            public boolean enabled() {
                return false;
            }
        };
    }

    /** @return the sink that logs through slf4j's {@link #LOGGER_NAME}, the ID in MDC and message */
    static ClientLogSink slf4j() {
        Logger log = LoggerFactory.getLogger(LOGGER_NAME);
        return new ClientLogSink() {
            @Override
            public void line(String id, String line) {
                if (!log.isInfoEnabled()) {
                    return;
                }
                MDC.put(MDC_CLIENT_ID, id);
                try {
                    log.info("[{}] {}", id, line);
                } finally {
                    MDC.remove(MDC_CLIENT_ID);
                }
            }

            @Override
            public boolean enabled() {
                return log.isInfoEnabled(); // asked per line: the level may change at run time
            }
        };
    }
}
