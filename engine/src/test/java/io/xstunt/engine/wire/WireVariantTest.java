package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The two variants' sizes and offsets, written here by hand from the C structs with natural x86
 * alignment (never taken from the layouts under test): MAX_ID_LEN 31 as the published client's
 * Client.h has it, 32 as the reference's table.
 */
class WireVariantTest {
    @Test
    void maxIdLenNamesTheVariant() {
        assertEquals(31, WireVariant.ID31.maxIdLen());
        assertEquals(32, WireVariant.ID32.maxIdLen());
        assertSame(WireVariant.ID31, WireVariant.ofMaxIdLen(31));
        assertSame(WireVariant.ID32, WireVariant.ofMaxIdLen(32));
        assertThrows(IllegalArgumentException.class, () -> WireVariant.ofMaxIdLen(30));
        assertThrows(IllegalArgumentException.class, () -> WireVariant.ofMaxIdLen(33));
    }

    @Test
    void sizesOfThePublishedClient() {
        WireVariant v = WireVariant.ID31;
        assertEquals(32, v.idFieldSize());
        assertEquals(56, v.serverInfoSize());
        assertEquals(52, v.echoSize());
        assertEquals(68, v.msgSize());
        assertEquals(56, v.fingerprintSize());
        assertEquals(31, v.extensionRequestOffset());
    }

    @Test
    void sizesOfTheReference() {
        WireVariant v = WireVariant.ID32;
        assertEquals(33, v.idFieldSize());
        assertEquals(60, v.serverInfoSize());
        assertEquals(56, v.echoSize());
        assertEquals(72, v.msgSize());
        assertEquals(60, v.fingerprintSize());
        assertEquals(32, v.extensionRequestOffset());
    }

    @Test
    void serverInfoOffsets() {
        // chID[32] 0..31, nIP1 at 32 (already aligned), nIP2 36, wPort1..8 40..55
        assertEquals(new ServerInfo.Layout(0, 32, 36, 40, 42, 44, 46, 48, 56), WireVariant.ID31.serverInfo());
        // chID[33] 0..32, 3 pad, nIP1 at 36, nIP2 40, wPort1..8 44..59
        assertEquals(new ServerInfo.Layout(0, 36, 40, 44, 46, 48, 50, 52, 60), WireVariant.ID32.serverInfo());
    }

    @Test
    void echoOffsets() {
        // union at 8: nConnID 8, chPeerID[32] 12..43, nPeerIP 44, chRole 48, 3 pad: union 44 bytes
        assertEquals(new Echo.Layout(0, 4, 6, 8, 8, 12, 44, 48, 52), WireVariant.ID31.echo());
        // union at 8: nConnID 8, chPeerID[33] 12..44, 3 pad, nPeerIP 48, chRole 52, 3 pad: union 48 bytes
        assertEquals(new Echo.Layout(0, 4, 6, 8, 8, 12, 48, 52, 56), WireVariant.ID32.echo());
    }

    @Test
    void msgOffsets() {
        // nType 0, chSrcID[32] 4..35, chDstID[32] 36..67: 68, a multiple of 4, no pad bytes
        assertEquals(new Msg.Layout(0, 4, 36, -1, 68), WireVariant.ID31.msg());
        // nType 0, chSrcID[33] 4..36, chDstID[33] 37..69, 2 pad bytes 70..71
        assertEquals(new Msg.Layout(0, 4, 37, 70, 72), WireVariant.ID32.msg());
        assertFalse(WireVariant.ID31.msgCarriesToken());
        assertTrue(WireVariant.ID32.msgCarriesToken());
    }

    @Test
    void fingerprintOffsets() {
        // nClientVer 0, nServerVer 4, chID[32] 8..39, nDone 40, nGAddr 44,
        // TCP { nIncrement 48, bPortPreserving 52 }, 3 pad
        assertEquals(new Fingerprint.Layout(0, 4, 8, 40, 44, 48, 52, 56), WireVariant.ID31.fingerprint());
        // chID[33] 8..40, 3 pad, nDone 44, nGAddr 48, nIncrement 52, bPortPreserving 56, 3 pad
        assertEquals(new Fingerprint.Layout(0, 4, 8, 44, 48, 52, 56, 60), WireVariant.ID32.fingerprint());
    }
}
