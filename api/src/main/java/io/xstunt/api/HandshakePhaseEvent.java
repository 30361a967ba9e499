package io.xstunt.api;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;
import jdk.jfr.Timestamp;

/**
 * A JFR event for each phase of a finished XInit, XConnect or XListen (connect, register, probe;
 * RACE's comm, announce, control, sync, predict, exchange, punch; FAST's request, announcement,
 * firstSyn, connected, and {@code fast.}-prefixed before a fail-over; ...): when it began and how long it
 * took, as the engine measured it on its clock. Committed when the call ends; {@code phaseStart}
 * and {@code phaseDuration} place it on a recording's time line.
 */
@Name("io.xstunt.HandshakePhase")
@Label("XSTUNT handshake phase")
@Description("One phase of a finished XInit, XConnect or XListen")
final class HandshakePhaseEvent extends CallEvent {
    @Label("Phase")
    String phase;

    @Label("Phase start")
    @Timestamp(Timestamp.MILLISECONDS_SINCE_EPOCH)
    long phaseStart;

    @Label("Phase duration")
    @Timespan(Timespan.NANOSECONDS)
    long phaseDuration;
}
