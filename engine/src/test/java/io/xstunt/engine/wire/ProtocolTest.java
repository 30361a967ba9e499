package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The constants of the reference's table and enums, pinned to their documented values. */
class ProtocolTest {
    @Test
    void constantsTable() {
        assertEquals(10, Protocol.BUILD_VERSION);
        assertEquals(8123, Protocol.SERVER_LOG_PORT);
        assertEquals(8132, Protocol.SERVER_COMM_PORT);
        assertEquals(2, Protocol.COMM_TIMEOUT_SEC);
        assertEquals(2, Protocol.RCV_PEER_DATA_TIMEOUT_SEC);
        assertEquals(7, Protocol.RCV_ECHO_TIMEOUT_SEC);
        assertEquals(3, Protocol.ASYM_TIMEOUT_SEC);
        assertEquals("fingerprint.dat", Protocol.FINGERPRINT_FILE);
        assertEquals(3, Protocol.PROBE_RETRY_TIMES);
        assertEquals(0x10000000, Protocol.RANDOM_INCREMENT);
    }

    @Test
    void enums() {
        assertEquals(1, Protocol.TAG_OK);
        assertEquals(2, Protocol.TAG_ABORT);
        assertEquals(3, Protocol.TAG_ACKABORT);
        assertEquals(0, Protocol.CSTATE_PROBE);
        assertEquals(1, Protocol.CSTATE_IDLE);
        assertEquals(2, Protocol.CSTATE_BUSY);
        assertEquals(3, Protocol.CSTATE_DEAD);
        assertEquals(10001, Protocol.MSG_CONNECT);
        assertEquals(10002, Protocol.MSG_DEREGISTER);
        assertEquals(10003, Protocol.MSG_QUERY);
    }

    @Test
    void projectDecisions() {
        assertEquals(8124, Protocol.DEFAULT_ECHO_PORT1);
        assertEquals(8125, Protocol.DEFAULT_ECHO_PORT2);
        assertEquals(0, Protocol.COMM_ACCEPTED);
        assertEquals(-1, Protocol.COMM_NO_MATCH);
        assertEquals(2, Protocol.CONTROL_HEADER_LEN);
        assertEquals(255, Protocol.CONTROL_MAX_PAYLOAD);
        assertEquals(4, Protocol.CONTROL_ONE_LEN);
        assertEquals(12, Protocol.LOG_HELLO_LEN);
        assertEquals(5, Protocol.LOG_STATE_LEN);
        assertEquals(4, Protocol.COMM_REPLY_LEN);
    }
}
