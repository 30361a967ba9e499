package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The relay extension's frames on a session's control channel (docs/PROTOCOL.md, "Relay"): the
 * shape of a {@link ControlFrame} (tag, length, payload) with tags an original peer never uses,
 * exchanged only between an xstunt client and an xstunt server, and only in a session whose
 * announcement carried {@link #ANNOUNCE_RELAY}: the server consumes every one of them and never
 * forwards one to the peer, so an original client's bytes never change.
 *
 * <p>Client to server: {@link #TAG_HELLO} (first frame: relay mode, NAT class, the relayed
 * session an upgrade would replace), {@link #TAG_REQUEST} (punching gave up: relay us),
 * {@link #TAG_PUNCHED} (this side holds the direct connection), {@link #TAG_READY} (this side read
 * RELAY_START; every later byte is application data). Server to client: {@link #TAG_START} (the
 * relay runs, with its reason and limits), {@link #TAG_REFUSED} (no relay, why),
 * {@link #TAG_PEER_GAVE_UP} (the peer asked for the relay: stop punching),
 * {@link #TAG_UPGRADE} (this session is a way back to direct for a relayed session).
 *
 * @param tag one of the TAG_ constants
 * @param payload its payload, at most 255 bytes
 */
public record RelayFrame(int tag, byte[] payload) {
    /** Announcement flag ({@code Echo.wPadding}, only towards an extension client): the server relays this pair. */
    public static final int ANNOUNCE_RELAY = 1;

    /**
     * HELLO: mode (1 byte), flags (1 byte: {@link #HELLO_RANDOM}, {@link #HELLO_SWEEP}), then
     * optionally the upgraded session (INT32).
     */
    public static final int TAG_HELLO = 0x41;
    /**
     * REQUEST: reason (1 byte: {@link Reason}), punch attempts (1 byte, capped at 255), then (since
     * the birthday sweep) the attempts or probes again as UINT16 (capped at 65535).
     */
    public static final int TAG_REQUEST = 0x42;
    /** PUNCHED: empty. */
    public static final int TAG_PUNCHED = 0x43;
    /** READY: empty. */
    public static final int TAG_READY = 0x44;
    /**
     * START: reason, attempts (capped at 255), attempts as UINT16 (since the birthday sweep; 0
     * before), bytes per direction (INT64), seconds (INT32), bytes a second (INT32).
     */
    public static final int TAG_START = 0x45;
    /** REFUSED: UTF-8 text. */
    public static final int TAG_REFUSED = 0x46;
    /** PEER_GAVE_UP: as REQUEST, with the peer's reason and attempts. */
    public static final int TAG_PEER_GAVE_UP = 0x47;
    /** UPGRADE: the relayed session id (INT32) that this session's direct connection may replace. */
    public static final int TAG_UPGRADE = 0x48;

    /** HELLO flag: this side's NAT fingerprint is random-symmetric (its ports cannot be predicted). */
    public static final int HELLO_RANDOM = 1;
    /** HELLO flag: this side reads the birthday sweep's frames ({@link SweepFrame}); the server forwards them only to such a side. */
    public static final int HELLO_SWEEP = 2;
    /** The most attempts a frame carries (UINT16). */
    public static final int MAX_ATTEMPTS = 0xffff;
    /** Bytes of a START payload. */
    public static final int START_LEN = 20;

    /** A client's relay mode, as HELLO carries it. */
    public enum Mode {
        /** Never relayed (XSTUNT 1.0's behaviour). */
        DIRECT_ONLY,
        /** Punch first, relay when punching cannot work or gave up. */
        RELAY_ALLOWED,
        /** Relay at once, never punch (testing). */
        RELAY_ONLY
    }

    /** Why a pair is relayed (REQUEST, PEER_GAVE_UP and START carry its code, its ordinal). */
    public enum Reason {
        /** Not a reason (code 0). */
        NONE("none"),
        /** Both fingerprints are random-symmetric: prediction cannot work. */
        BOTH_RANDOM("both NATs random-symmetric"),
        /** A side asked for the relay only. */
        RELAY_ONLY("relay only was asked for"),
        /** The punch found no direct path within its window. */
        PUNCH_TIMED_OUT("punch timed out"),
        /** The punch failed (connects refused, no listener). */
        PUNCH_FAILED("punch failed"),
        /** The birthday sweep (one random NAT) found no pair of ports within its budget; attempts: the probes. */
        SWEEP_MISSED("birthday sweep missed"),
        /** Both NATs refuse unsolicited SYNs (RST or ICMP): a birthday sweep cannot meet, so none ran. */
        SWEEP_BOTH_REFUSE("both NATs refuse unsolicited SYNs: no birthday sweep"),
        /**
         * No address family both sides can punch on: one is registered over IPv6 only (its IP is a
         * server's key of 240.0.0.0/4) and the other has no IPv6 endpoint, so no punch ran.
         */
        NO_COMMON_FAMILY("no common address family (one side IPv6 only, the other without IPv6)");

        private final String text;

        Reason(String text) {
            this.text = text;
        }

        /** @return the reason as people read it, with the punch attempts where they count */
        public String describe(int attempts) {
            return switch (this) {
                case PUNCH_TIMED_OUT, PUNCH_FAILED -> text + " after " + attempts + " tries";
                case SWEEP_MISSED -> text + " after " + attempts + " probes";
                default -> text;
            };
        }

        /** @return the reason of code {@code code} (NONE for an unknown one) */
        public static Reason of(int code) {
            Reason[] all = values();
            return code > 0 && code < all.length ? all[code] : NONE;
        }
    }

    /**
     * The limits of a relayed connection as START carries them.
     *
     * @param maxBytes bytes per direction, 0: none
     * @param maxSeconds duration, 0: none
     * @param bytesPerSecond rate per direction, 0: none
     */
    public record Limits(long maxBytes, int maxSeconds, int bytesPerSecond) {
    }

    /** Checks the tag and length. */
    public RelayFrame {
        if (!isRelayTag(tag)) {
            throw new IllegalArgumentException("not a relay tag: " + tag);
        }
        if (payload.length > Protocol.CONTROL_MAX_PAYLOAD) {
            throw new IllegalArgumentException("relay payload of " + payload.length + " bytes");
        }
    }

    /** @return true for a tag of this extension */
    public static boolean isRelayTag(int tag) {
        return tag >= TAG_HELLO && tag <= TAG_UPGRADE;
    }

    /**
     * @return true if the frame at {@code src}'s position (at least its tag byte) is one of this
     *     extension's (no byte is consumed)
     */
    public static boolean startsRelayFrame(ByteBuffer src) {
        return src.hasRemaining() && isRelayTag(src.get(src.position()) & 0xff);
    }

    /**
     * @return the length of the whole frame (of any tag) at {@code src}'s position, or -1 if its
     *     header or payload is not all there yet (no byte is consumed)
     */
    public static int wholeFrameAt(ByteBuffer src) {
        if (src.remaining() < Protocol.CONTROL_HEADER_LEN) {
            return -1;
        }
        int len = Protocol.CONTROL_HEADER_LEN + (src.get(src.position() + 1) & 0xff);
        return src.remaining() < len ? -1 : len;
    }

    /**
     * Reads one relay frame if {@code src} holds a whole one at its position; otherwise leaves it.
     *
     * @return the frame, or null if more bytes are needed
     * @throws WireFormatException if the frame there is not a relay frame
     */
    public static RelayFrame tryRead(ByteBuffer src) {
        int tag = src.hasRemaining() ? src.get(src.position()) & 0xff : 0;
        byte[] payload = payloadAt(src, RelayFrame::isRelayTag, "relay");
        return payload == null ? null : new RelayFrame(tag, payload);
    }

    /**
     * Consumes one whole frame of an extension at {@code src}'s position (tag, length, payload)
     * if it is all there; otherwise leaves {@code src} as it is.
     *
     * @return its payload, or null
     * @throws WireFormatException if the frame's tag is not one of {@code ours}
     */
    static byte[] payloadAt(ByteBuffer src, java.util.function.IntPredicate ours, String extension) {
        int len = wholeFrameAt(src);
        if (len < 0) {
            return null;
        }
        int tag = src.get(src.position()) & 0xff;
        if (!ours.test(tag)) {
            throw new WireFormatException("not a " + extension + " frame: tag " + tag);
        }
        byte[] payload = new byte[len - Protocol.CONTROL_HEADER_LEN];
        src.position(src.position() + Protocol.CONTROL_HEADER_LEN).get(payload);
        return payload;
    }

    /** @return the bytes of an extension frame: tag, length, payload */
    static byte[] encode(int tag, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(Protocol.CONTROL_HEADER_LEN + payload.length);
        b.put((byte) tag).put((byte) payload.length).put(payload);
        return b.array();
    }

    /** @return HELLO with the client's mode, NAT class and the relayed session it would replace (0: none) */
    public static RelayFrame hello(Mode mode, boolean randomNat, int upgradeOf) {
        return hello(mode, randomNat, false, upgradeOf);
    }

    /** @return HELLO as {@link #hello(Mode, boolean, int)}, saying whether this side reads sweep frames */
    public static RelayFrame hello(Mode mode, boolean randomNat, boolean readsSweep, int upgradeOf) {
        ByteBuffer b = ByteBuffer.allocate(upgradeOf == 0 ? 2 : 6);
        b.put((byte) mode.ordinal()).put((byte) ((randomNat ? HELLO_RANDOM : 0) | (readsSweep ? HELLO_SWEEP : 0)));
        if (upgradeOf != 0) {
            b.putInt(upgradeOf);
        }
        return new RelayFrame(TAG_HELLO, b.array());
    }

    /** @return REQUEST (client) or PEER_GAVE_UP (server) with a reason and the punch attempts */
    public static RelayFrame gaveUp(int tag, Reason reason, int attempts) {
        int n = Math.min(MAX_ATTEMPTS, Math.max(0, attempts));
        return new RelayFrame(tag, new byte[] {(byte) reason.ordinal(), (byte) Math.min(255, n), (byte) (n >>> 8),
            (byte) n});
    }

    /** @return an empty frame: PUNCHED or READY */
    public static RelayFrame empty(int tag) {
        return new RelayFrame(tag, new byte[0]);
    }

    /** @return START with the reason the pair is relayed and the relay's limits */
    public static RelayFrame start(Reason reason, int attempts, Limits limits) {
        ByteBuffer b = ByteBuffer.allocate(START_LEN);
        int n = Math.min(MAX_ATTEMPTS, Math.max(0, attempts));
        b.put((byte) reason.ordinal()).put((byte) Math.min(255, n)).putShort((short) n);
        b.putLong(limits.maxBytes()).putInt(limits.maxSeconds()).putInt(limits.bytesPerSecond());
        return new RelayFrame(TAG_START, b.array());
    }

    /** @return REFUSED with a reason, cut to one frame */
    public static RelayFrame refused(String why) {
        byte[] b = why.getBytes(StandardCharsets.UTF_8);
        return new RelayFrame(TAG_REFUSED, b.length > Protocol.CONTROL_MAX_PAYLOAD
                ? java.util.Arrays.copyOf(b, Protocol.CONTROL_MAX_PAYLOAD) : b);
    }

    /** @return UPGRADE naming the relayed session {@code relayedSession} */
    public static RelayFrame upgrade(int relayedSession) {
        return new RelayFrame(TAG_UPGRADE, ByteBuffer.allocate(4).putInt(relayedSession).array());
    }

    /** @return HELLO's mode ({@link Mode#DIRECT_ONLY} for an unknown value) */
    public Mode mode() {
        int m = byteAt(0);
        return m >= 0 && m < Mode.values().length ? Mode.values()[m] : Mode.DIRECT_ONLY;
    }

    /** @return HELLO's random-NAT flag */
    public boolean randomNat() {
        return (byteAt(1) & HELLO_RANDOM) != 0;
    }

    /** @return HELLO's flag: the side reads sweep frames */
    public boolean readsSweep() {
        return (byteAt(1) & HELLO_SWEEP) != 0;
    }

    /** @return the session id of HELLO (its upgrade target, 0: none) or UPGRADE */
    public int session() {
        int at = tag == TAG_UPGRADE ? 0 : 2;
        return payload.length >= at + 4 ? ByteBuffer.wrap(payload, at, 4).getInt() : 0;
    }

    /** @return the reason of REQUEST, PEER_GAVE_UP or START */
    public Reason reason() {
        return Reason.of(byteAt(0));
    }

    /**
     * @return the punch attempts (or sweep probes) of REQUEST, PEER_GAVE_UP or START: the UINT16
     *     where a frame has it, else the one byte that every version writes
     */
    public int attempts() {
        int wide = payload.length >= 4 ? (byteAt(2) << 8) | byteAt(3) : 0;
        return Math.max(byteAt(1), wide);
    }

    /**
     * @return START's limits
     * @throws WireFormatException if this START is too short
     */
    public Limits limits() {
        if (tag != TAG_START || payload.length < START_LEN) {
            throw new WireFormatException("START of " + payload.length + " bytes, expected " + START_LEN);
        }
        ByteBuffer b = ByteBuffer.wrap(payload);
        return new Limits(b.getLong(4), b.getInt(12), b.getInt(16));
    }

    /** @return REFUSED's text */
    public String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    private int byteAt(int i) {
        return payload.length > i ? payload[i] & 0xff : 0;
    }

    /** @return the frame's bytes */
    public byte[] encode() {
        return encode(tag, payload);
    }

    /**
     * @return {@link #ANNOUNCE_RELAY} and friends of the Echo at {@code echo}'s position (its
     *     {@code wPadding}, 0 from an original server); nothing is consumed
     */
    public static int announcementFlags(ByteBuffer echo) {
        return ((echo.get(echo.position() + Echo.OFF_PADDING) & 0xff) << 8)
                | (echo.get(echo.position() + Echo.OFF_PADDING + 1) & 0xff);
    }

    /**
     * @return true if the Echo-sized record at {@code src}'s position has no address ({@code nIP},
     *     {@code wPort} zero, so it is no announcement) and {@code marker} in {@code wPadding}: one of
     *     the server's extension records (the relay notice, the IPv6 peer record)
     */
    public static boolean markedRecord(ByteBuffer src, int marker) {
        int p = src.position();
        for (int i = 0; i < Echo.OFF_PADDING; i++) {
            if (src.get(p + i) != 0) {
                return false;
            }
        }
        return announcementFlags(src) == marker;
    }

    /** Writes {@code flags} into the {@code wPadding} of the Echo that starts at {@code echoStart}. */
    public static void writeAnnouncementFlags(ByteBuffer echo, int echoStart, int flags) {
        echo.put(echoStart + Echo.OFF_PADDING, (byte) (flags >>> 8)).put(echoStart + Echo.OFF_PADDING + 1, (byte) flags);
    }

    @Override
    public String toString() {
        return "RelayFrame[0x" + Integer.toHexString(tag) + ", " + payload.length + " bytes]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RelayFrame f && f.tag == tag && java.util.Arrays.equals(f.payload, payload);
    }

    @Override
    public int hashCode() {
        return tag * 31 + java.util.Arrays.hashCode(payload);
    }
}
