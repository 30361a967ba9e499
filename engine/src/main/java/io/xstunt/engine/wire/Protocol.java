package io.xstunt.engine.wire;

/**
 * The constants of the XSTUNT 1.0 protocol, one place for each (reference: the constants
 * table and the enums {@code E_TagType}, {@code E_StateType}, {@code E_Message}).
 */
public final class Protocol {
    private Protocol() {
    }

    /** {@code BUILDVER}: the client build the server requires; a mismatch is ERR_VERSION. */
    public static final int BUILD_VERSION = 10;
    // MAX_ID_LEN and the sizes that follow from it are a WireVariant's: 31 in the published
    // client, 32 in the reference.

    /** {@code SERVER_LOG_PORT}: the log (registration) service. */
    public static final int SERVER_LOG_PORT = 8123;
    /** {@code SERVER_COMM_PORT}: the communication service. */
    public static final int SERVER_COMM_PORT = 8132;
    /** The echo service's first port (the reference leaves it to the server; sent in ServerInfo). */
    public static final int DEFAULT_ECHO_PORT1 = 8124;
    /** The echo service's second port. */
    public static final int DEFAULT_ECHO_PORT2 = 8125;

    /** {@code COMM_TIMEOUT}: seconds to wait for the communication service's answer. */
    public static final int COMM_TIMEOUT_SEC = 2;
    /** {@code RCV_PEER_DATA_TIMEOUT}: seconds to wait for the peer's data on the control channel. */
    public static final int RCV_PEER_DATA_TIMEOUT_SEC = 2;
    /** {@code RCV_ECHO_TIMEOUT}: seconds to wait for the sync echoes through the server. */
    public static final int RCV_ECHO_TIMEOUT_SEC = 7;
    /** {@code ASYM_TIMEOUT}: suggested seconds for the direct connection itself. */
    public static final int ASYM_TIMEOUT_SEC = 3;
    /** {@code PROBE_RETRY_TIMES}: NAT probing attempts. */
    public static final int PROBE_RETRY_TIMES = 3;
    /** {@code FINGERPRINT_FILE}: the fingerprint file's default name. */
    public static final String FINGERPRINT_FILE = "fingerprint.dat";
    /** {@code RANDOM_INCREMENT}: the port increment recorded for a random-symmetric NAT. */
    public static final int RANDOM_INCREMENT = 0x10000000;

    /** {@code TAG_OK}: a control frame that carries data. */
    public static final int TAG_OK = 1;
    /** {@code TAG_ABORT}: a control frame that carries an error text and fails the procedure. */
    public static final int TAG_ABORT = 2;
    /** {@code TAG_ACKABORT}: the answer to an ABORT frame, length 0. */
    public static final int TAG_ACKABORT = 3;

    /** {@code CSTATE_PROBE}: the client is probing its NAT. */
    public static final int CSTATE_PROBE = 0;
    /** {@code CSTATE_IDLE}: registered and reachable. */
    public static final int CSTATE_IDLE = 1;
    /** {@code CSTATE_BUSY}: in a rendezvous session. */
    public static final int CSTATE_BUSY = 2;
    /** {@code CSTATE_DEAD}: gone. */
    public static final int CSTATE_DEAD = 3;

    /** {@code MSG_CONNECT}: connection request (source and destination IDs). */
    public static final int MSG_CONNECT = 10001;
    /** {@code MSG_DEREGISTER}: forget an ID. */
    public static final int MSG_DEREGISTER = 10002;
    /** {@code MSG_QUERY}: management query of one ID's state. */
    public static final int MSG_QUERY = 10003;

    /** The comm service's answer to MSG_CONNECT when the request was accepted. */
    public static final int COMM_ACCEPTED = 0;
    /** The comm service's answer to MSG_CONNECT when it found no match (ERR_MATCH). */
    public static final int COMM_NO_MATCH = -1;

    /** The role byte of the Echo that announces a session to the initiator (XConnect side). */
    public static final byte ROLE_INITIATOR = 'C';
    /** The role byte of the Echo that announces a session to the listener (XListen side). */
    public static final byte ROLE_LISTENER = 'S';

    /** Bytes of a control frame's header: tag and length. */
    public static final int CONTROL_HEADER_LEN = 2;
    /** The longest control frame payload (its length is one unsigned byte). */
    public static final int CONTROL_MAX_PAYLOAD = 255;
    /** The length of a "one" value on the control channel (a raw INT32). */
    public static final int CONTROL_ONE_LEN = 4;

    /** The greeting of the log service: required build, server version, client's public IP. */
    public static final int LOG_HELLO_LEN = 3 * 4;
    /** What a client writes after ServerInfo: one state byte and its local IPv4. */
    public static final int LOG_STATE_LEN = 1 + 4;
    /** The comm service's answer to MSG_CONNECT. */
    public static final int COMM_REPLY_LEN = 4;

    // ---- xstunt extensions (docs/PROTOCOL.md, "Authentication and ownership"): never sent to or
    // by an original peer, whose bytes stay exactly the reference's.

    /**
     * The value of the last byte of the ID field ({@link WireVariant#extensionRequestOffset()}) that
     * asks an xstunt server for the extensions ('X'); an ID of {@code MAX_ID_LEN} bytes has no room
     * to ask.
     */
    public static final byte EXT_REQUEST = 'X';
    /** ServerInfo {@code wPort3} flag: {@code wPort5..wPort8} carry this registration's holder token. */
    public static final int EXT_FLAG_TOKEN = 1;
    /** ServerInfo {@code wPort3} flag: the server requires a registration proof (shared secret). */
    public static final int EXT_FLAG_PROOF = 2;
    /**
     * ServerInfo {@code wPort3} flag: the server acknowledges an IDLE registration with one
     * all-zero Echo-sized record (the keepalive record) right after it has applied LogState(IDLE);
     * the client's XInit completes only then.
     */
    public static final int EXT_FLAG_REG_ACK = 4;
    /**
     * ServerInfo {@code wPort3} flag: the server speaks FAST, the negotiated three-unit handshake
     * (docs/PROTOCOL.md "FAST"): the client may send {@link FastLine}s and get {@link FastGo}s.
     */
    public static final int EXT_FLAG_FAST = 8;
    /**
     * The first byte of an extension line on the log connection (client → server, after
     * LogState(IDLE)): no line of the original's starts with it (theirs start with a digit), and
     * the server reads such a line instead of recording it. A two-character tag follows:
     * {@code F1} FAST ({@link FastLine}), {@code A6} the IPv6 address ({@link Ipv6Extension})
     * (docs/PROTOCOL.md "Extension lines").
     */
    public static final byte EXT_LINE_MARK = 0x01;
    /** Msg pad bytes ({@code 70..71}) that say an 8-byte holder token follows the Msg ("XT"). */
    public static final int MSG_TOKEN_MARKER = 0x5854;
    /** Bytes of a holder token. */
    public static final int TOKEN_LEN = 8;
    /** Bytes of a registration proof (HMAC-SHA256 cut to 16 bytes), written right after LogState. */
    public static final int PROOF_LEN = 16;
}
