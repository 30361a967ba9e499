package io.xstunt.engine.sim;

/** TCP sequence-number arithmetic: 32 bits that wrap, compared as RFC 793 does. */
final class Seq {
    private Seq() {
    }

    /** @return true if {@code a} comes after {@code b} on the sequence circle */
    static boolean after(int a, int b) {
        return b - a < 0;
    }

    /** @return true if {@code a} comes before {@code b} on the sequence circle */
    static boolean before(int a, int b) {
        return a - b < 0;
    }

    /** @return how far {@code seq} lies past {@code base}, as an unsigned distance */
    static long distance(int base, int seq) {
        return (seq - base) & 0xffff_ffffL;
    }
}
