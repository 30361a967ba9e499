package io.xstunt.engine.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.xstunt.engine.wire.Protocol;
import org.junit.jupiter.api.Test;

class PortPredictionTest {
    @Test
    void coneKeepsTheObservedPort() {
        assertEquals(40000, PortPrediction.predict(40000, 0));
    }

    @Test
    void deltaAddsTheIncrement() {
        assertEquals(40002, PortPrediction.predict(40000, 2));
        assertEquals(39997, PortPrediction.predict(40000, -3));
    }

    @Test
    void randomGuessesPlusOne() {
        assertEquals(40001, PortPrediction.predict(40000, Protocol.RANDOM_INCREMENT));
    }

    @Test
    void wrapsWithinOneTo65535() {
        assertEquals(1, PortPrediction.predict(65535, 1));
        assertEquals(2, PortPrediction.predict(65534, 3));
        assertEquals(1, PortPrediction.predict(65535, Protocol.RANDOM_INCREMENT));
        assertEquals(65535, PortPrediction.predict(1, -1));
    }

    @Test
    void deltaIsTheShortWayRound() {
        assertEquals(2, PortPrediction.delta(65534, 1));
        assertEquals(-2, PortPrediction.delta(1, 65534));
        assertEquals(0, PortPrediction.delta(7, 7));
    }

    @Test
    void rejectsImpossibleObservedPorts() {
        assertThrows(IllegalArgumentException.class, () -> PortPrediction.predict(0, 0));
        assertThrows(IllegalArgumentException.class, () -> PortPrediction.predict(65536, 0));
    }
}
