package io.xstunt.api;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

/**
 * A JFR event for each finished XInit, XConnect and XListen of this process: its outcome and
 * total time. Its phases are {@link HandshakePhaseEvent}s. Committed when the call ends (the
 * event's start time is then), so it costs nothing while JFR does not record it.
 */
@Name("io.xstunt.Handshake")
@Label("XSTUNT call")
@Description("A finished XInit, XConnect or XListen: its outcome and total time")
final class HandshakeEvent extends CallEvent {
    @Label("Error code")
    String code;

    @Label("Path")
    String path;

    @Label("Total")
    @Timespan(Timespan.NANOSECONDS)
    long total;
}
