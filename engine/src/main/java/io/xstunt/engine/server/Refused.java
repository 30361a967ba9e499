package io.xstunt.engine.server;

/**
 * The action of every server procedure that refuses an input: the server counts it by
 * {@link Rejection} and logs one line with the connection's address.
 *
 * @param why the kind of refusal
 * @param detail what exactly, for the log line
 */
record Refused(Rejection why, String detail)
        implements Registrar.Action, CommResponder.Action, ControlRelay.Action {
}
