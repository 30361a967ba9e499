package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs a writer or reader at an odd offset inside a larger little-endian buffer, so that every
 * codec test also checks that the codec uses network order whatever the caller's buffer order,
 * writes exactly its size (padding included), advances the position by its size and leaves the
 * bytes around it alone.
 */
final class Codec {
    private static final int BEFORE = 3;
    private static final int AFTER = 5;
    private static final byte FILL = (byte) 0xAA;

    private Codec() {
    }

    /** @return the bytes {@code writer} wrote, after checking it wrote exactly {@code size} */
    static byte[] encode(int size, Consumer<ByteBuffer> writer) {
        ByteBuffer b = ByteBuffer.allocate(BEFORE + size + AFTER).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            b.put(FILL);
        }
        b.position(BEFORE);
        writer.accept(b);
        assertEquals(BEFORE + size, b.position(), "writer must advance the position by its size");
        assertEquals(ByteOrder.LITTLE_ENDIAN, b.order(), "writer must leave the caller's byte order");
        for (int i = 0; i < BEFORE; i++) {
            assertEquals(FILL, b.get(i), "writer touched byte " + i + " before its position");
        }
        for (int i = BEFORE + size; i < b.capacity(); i++) {
            assertEquals(FILL, b.get(i), "writer touched byte " + i + " after its size");
        }
        byte[] out = new byte[size];
        b.get(BEFORE, out);
        return out;
    }

    /** @return what {@code reader} decoded from {@code bytes}, after checking it consumed them all */
    static <T> T decode(byte[] bytes, Function<ByteBuffer, T> reader) {
        ByteBuffer b = ByteBuffer.allocate(BEFORE + bytes.length + AFTER).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, FILL);
        }
        b.put(BEFORE, bytes).position(BEFORE);
        T value = reader.apply(b);
        assertEquals(BEFORE + bytes.length, b.position(), "reader must advance the position by its size");
        return value;
    }

    /** Checks that {@code value} encodes to exactly {@code vector} and that {@code vector} decodes to it. */
    static <T> void roundTrip(String vector, T value, BiConsumer<T, ByteBuffer> writer, Function<ByteBuffer, T> reader) {
        byte[] v = Hex.bytes(vector);
        assertEquals(Hex.of(v), Hex.of(encode(v.length, b -> writer.accept(value, b))), "encoding of " + value);
        assertEquals(value, decode(v, reader));
    }
}
