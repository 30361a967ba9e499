package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RoundTripsTest {
    @Test
    void keepsTheLeastOfItsSamples() {
        RoundTrips r = new RoundTrips();
        assertEquals(0, r.rttNs(), "none yet");
        r.sent(1_000);
        r.answered(6_000);
        r.sent(10_000);
        r.answered(13_000);
        r.sent(20_000);
        r.answered(29_000);
        assertEquals(3_000, r.rttNs());
    }

    @Test
    void onlyWhatWasAskedIsTimed() {
        RoundTrips r = new RoundTrips();
        r.answered(1_000);
        assertEquals(0, r.rttNs(), "nothing outstanding: no sample");
    }
}
