package io.xstunt.engine.wire;

/**
 * Computes field offsets and the size of a C struct with natural x86 alignment (each field on
 * a multiple of its alignment, the whole struct padded to its largest alignment), so that every
 * struct size on the wire is derived from a {@link WireVariant}'s {@code MAX_ID_LEN} and nothing
 * else.
 */
final class CStructLayout {
    private int offset;
    private int maxAlign = 1;

    /** Appends a field and returns its offset. */
    int field(int size, int align) {
        offset = align(offset, align);
        int at = offset;
        offset += size;
        maxAlign = Math.max(maxAlign, align);
        return at;
    }

    /** Appends a nested struct or union of the given size and alignment. */
    int nested(CStructLayout inner) {
        return field(inner.size(), inner.alignment());
    }

    int alignment() {
        return maxAlign;
    }

    int size() {
        return align(offset, maxAlign);
    }

    /** A union of members laid out from offset 0: the largest size, the largest alignment. */
    static CStructLayout union(CStructLayout... members) {
        CStructLayout u = new CStructLayout();
        int size = 0;
        for (CStructLayout m : members) {
            size = Math.max(size, m.size());
            u.maxAlign = Math.max(u.maxAlign, m.alignment());
        }
        u.offset = size;
        return u;
    }

    static int align(int value, int to) {
        return (value + to - 1) / to * to;
    }
}
