package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

/**
 * Decoders of both wire variants given arbitrary bytes (at least a whole struct and the room for
 * what may follow it, a Msg's token: a caller never decodes fewer) either decode or throw
 * {@link WireFormatException}, never anything else; what they decode re-encodes to bytes that decode
 * to the same value (an Echo's invalid peer ID field to a valid empty one). Inputs: uniform random bytes, random bytes with NULs where
 * the ID fields end (to get past the ID checks), and valid encodings with a few bytes changed.
 */
class DecoderPropertyTest {
    private static final int ROUNDS = 20_000;

    /**
     * @param reEncoded what a decoded value reads as once written again
     * @param consumed the bytes a decoded value took: the struct's size, or more (a Msg's token)
     */
    private record Decoder<T>(String name, int size, Function<ByteBuffer, T> read, BiConsumer<T, ByteBuffer> write,
                              byte[] valid, int[] idEnds, Function<T, T> reEncoded, ToIntFunction<T> consumed) {
        Decoder(String name, int size, Function<ByteBuffer, T> read, BiConsumer<T, ByteBuffer> write, byte[] valid,
                int[] idEnds) {
            this(name, size, read, write, valid, idEnds, Function.identity(), x -> size);
        }
    }

    /** Room after a struct for what may follow it: a Msg's holder token. */
    private static final int TRAILER = Protocol.TOKEN_LEN;

    private static byte[] encoded(int size, java.util.function.Consumer<ByteBuffer> writer) {
        ByteBuffer b = ByteBuffer.allocate(size);
        writer.accept(b);
        return b.array();
    }

    private static List<Decoder<?>> decoders() {
        List<Decoder<?>> d = new ArrayList<>();
        for (WireVariant v : WireVariant.values()) {
            int field = v.idFieldSize();
            ServerInfo si = new ServerInfo("alice", 0x0A000001, 0x0A000002, 8124, 8125);
            d.add(new Decoder<>("ServerInfo " + v, v.serverInfoSize(), b -> ServerInfo.read(b, v),
                    (x, b) -> x.write(b, v), encoded(v.serverInfoSize(), b -> si.write(b, v)), new int[] {field - 1}));
            // Echo never rejects (the original reads only nIP and wPort): no ID ends to reach past
            Echo ann = new Echo(0x7F000001, 45678, 1, "bob", 0x7F00000C, Protocol.ROLE_INITIATOR);
            // a peer ID that is no valid field reads as "" and says so; written again, it is a valid empty field
            d.add(new Decoder<>("Echo " + v, v.echoSize(), b -> Echo.read(b, v), (x, b) -> x.write(b, v),
                    encoded(v.echoSize(), b -> ann.write(b, v)), new int[0],
                    e -> new Echo(e.ip(), e.port(), e.connId(), e.peerId(), e.peerIp(), e.role()), e -> v.echoSize()));
            Msg m = Msg.connect("alice", "bob");
            d.add(new Decoder<>("Msg " + v, v.msgSize(), b -> Msg.read(b, v), (x, b) -> x.write(b, v),
                    encoded(v.msgSize(), b -> m.write(b, v)), new int[] {3 + field, 3 + 2 * field},
                    Function.identity(), x -> x.encodedSize(v)));
            Fingerprint f = new Fingerprint(10, 1, "alice", true, 0xC6336409, 2, true);
            d.add(new Decoder<>("Fingerprint " + v, v.fingerprintSize(), b -> Fingerprint.read(b, v),
                    (x, b) -> x.write(b, v), encoded(v.fingerprintSize(), b -> f.write(b, v)), new int[] {7 + field}));
            d.add(new Decoder<String>("ClientId " + v, field, b -> ClientId.read(b, v),
                    (id, b) -> ClientId.write(b, id, v), encoded(field, b -> ClientId.write(b, "alice", v)),
                    new int[] {field - 1}));
        }
        LogHello h = new LogHello(10, 1, 0xCB007107);
        d.add(new Decoder<>("LogHello", LogHello.SIZE, LogHello::read, LogHello::write,
                encoded(LogHello.SIZE, h::write), new int[0]));
        LogState s = new LogState(Protocol.CSTATE_IDLE, 0xC0A80114);
        d.add(new Decoder<>("LogState", LogState.SIZE, LogState::read, LogState::write,
                encoded(LogState.SIZE, s::write), new int[0]));
        return d;
    }

    private static byte[] input(Random rnd, Decoder<?> d) {
        byte[] b;
        switch (rnd.nextInt(3)) {
            case 0 -> {
                b = new byte[d.size() + TRAILER + rnd.nextInt(9)];
                rnd.nextBytes(b);
            }
            case 1 -> {
                b = new byte[d.size() + TRAILER + rnd.nextInt(9)];
                rnd.nextBytes(b);
                for (int end : d.idEnds()) {
                    b[end - rnd.nextInt(WireVariant.ID31.idFieldSize())] = 0;
                }
            }
            default -> {
                b = Arrays.copyOf(d.valid(), d.valid().length + TRAILER);
                for (int i = 1 + rnd.nextInt(4); i > 0; i--) {
                    b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                }
            }
        }
        return b;
    }

    private static <T> boolean check(Decoder<T> d, byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        T value;
        try {
            value = d.read().apply(in);
        } catch (WireFormatException e) {
            return false;
        } catch (RuntimeException e) {
            throw new AssertionError(d.name() + " threw " + e + " for " + HexFormat.of().formatHex(bytes), e);
        }
        assertEquals(d.consumed().applyAsInt(value), in.position(), d.name() + " must consume exactly its size");
        ByteBuffer again = ByteBuffer.allocate(d.consumed().applyAsInt(value));
        d.write().accept(value, again);
        again.flip();
        assertEquals(d.reEncoded().apply(value), d.read().apply(again), d.name() + " re-encoding of " + value);
        return true;
    }

    @Test
    void decodersEitherDecodeOrThrowWireFormatException() {
        for (Decoder<?> d : decoders()) {
            Random rnd = new Random(0x5EED0000L + d.name().hashCode());
            int decoded = 0;
            for (int i = 0; i < ROUNDS; i++) {
                if (check(d, input(rnd, d))) {
                    decoded++;
                }
            }
            // Guards against a generator that never reaches the success path (or never fails).
            assertTrue(decoded > ROUNDS / 20, d.name() + " decoded only " + decoded + " of " + ROUNDS);
            if (d.idEnds().length > 0 || d.name().equals("LogState")) {
                assertTrue(decoded < ROUNDS, d.name() + " never rejected anything");
            }
        }
    }

    @Test
    void controlFrameTryReadReturnsAFrameNullOrThrowsWireFormatException() {
        Random rnd = new Random(0xC0DEL);
        int frames = 0;
        int partial = 0;
        int rejected = 0;
        for (int i = 0; i < ROUNDS; i++) {
            byte[] b = new byte[rnd.nextInt(rnd.nextBoolean() ? 8 : 300)];
            rnd.nextBytes(b);
            if (b.length > 0 && rnd.nextInt(4) > 0) {
                b[0] = (byte) (1 + rnd.nextInt(3)); // a known tag most of the time
            }
            ByteBuffer in = ByteBuffer.wrap(b);
            try {
                ControlFrame f = ControlFrame.tryRead(in);
                if (f == null) {
                    partial++;
                    assertEquals(0, in.position(), "a partial frame must leave the buffer untouched");
                } else {
                    frames++;
                    assertEquals(f.encodedLength(), in.position());
                    ByteBuffer again = ByteBuffer.allocate(f.encodedLength());
                    f.write(again);
                    again.flip();
                    assertEquals(f, ControlFrame.tryRead(again));
                }
            } catch (WireFormatException e) {
                rejected++;
                assertEquals(0, in.position(), "a rejected frame must leave the buffer untouched");
            } catch (RuntimeException e) {
                fail("tryRead threw " + e + " for " + HexFormat.of().formatHex(b), e);
            }
        }
        assertTrue(frames > 100 && partial > 100 && rejected > 100, frames + " / " + partial + " / " + rejected);
    }
}
