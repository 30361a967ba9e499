package io.xstunt.engine.wire;

/**
 * The two wire variants of XSTUNT build 10. They differ in one constant, {@code MAX_ID_LEN}, and in
 * everything that follows from it: every struct with an ID field ({@code CHAR chID[MAX_ID_LEN + 1]})
 * changes size, and the fields after that ID move. Each variant holds the layout of each such
 * struct, derived from its {@code MAX_ID_LEN} alone by {@link CStructLayout} (x86 alignment, as the
 * C compiler lays the structs out); the codecs take the variant and read every size and offset from
 * it. LogHello, LogState, the control frames and the comm replies carry no ID and are the same in
 * both.
 *
 * <table>
 *   <caption>Sizes in bytes</caption>
 *   <tr><th>variant</th><th>ID field</th><th>ServerInfo</th><th>Echo</th><th>Msg</th><th>Fingerprint</th></tr>
 *   <tr><td>{@link #ID31}</td><td>32</td><td>56</td><td>52</td><td>68</td><td>56</td></tr>
 *   <tr><td>{@link #ID32}</td><td>33</td><td>60</td><td>56</td><td>72</td><td>60</td></tr>
 * </table>
 */
public enum WireVariant {
    /**
     * {@code MAX_ID_LEN} 31: the published client, the only public source of XSTUNT 1.0 (its
     * Client.h), which is what deployments of the original run.
     */
    ID31(31),
    /** {@code MAX_ID_LEN} 32: the reference's constants table (xstunt's default). */
    ID32(32);

    private final int maxIdLen;
    private final ServerInfo.Layout serverInfo;
    private final Echo.Layout echo;
    private final Msg.Layout msg;
    private final Fingerprint.Layout fingerprint;

    WireVariant(int maxIdLen) {
        this.maxIdLen = maxIdLen;
        int idField = maxIdLen + 1;
        this.serverInfo = ServerInfo.Layout.of(idField);
        this.echo = Echo.Layout.of(idField);
        this.msg = Msg.Layout.of(idField);
        this.fingerprint = Fingerprint.Layout.of(idField);
    }

    /**
     * @param maxIdLen {@code MAX_ID_LEN}: 31 or 32
     * @return its variant
     * @throws IllegalArgumentException for any other length
     */
    public static WireVariant ofMaxIdLen(int maxIdLen) {
        for (WireVariant v : values()) {
            if (v.maxIdLen == maxIdLen) {
                return v;
            }
        }
        throw new IllegalArgumentException("MAX_ID_LEN must be 31 (the published XSTUNT client) or 32 (the"
                + " reference), got " + maxIdLen);
    }

    /** @return {@code MAX_ID_LEN}: the longest client ID in bytes */
    public int maxIdLen() {
        return maxIdLen;
    }

    /** @return the size of an ID field, {@code CHAR chID[MAX_ID_LEN + 1]} */
    public int idFieldSize() {
        return maxIdLen + 1;
    }

    /**
     * @return the offset in the ID field of the byte that asks an xstunt server for the
     *     extensions: its last byte, padding after the NUL of any shorter ID
     */
    public int extensionRequestOffset() {
        return maxIdLen;
    }

    /** @return the size of ServerInfo */
    public int serverInfoSize() {
        return serverInfo.size();
    }

    /** @return the size of Echo (address replies, announcements, the server's all-zero records) */
    public int echoSize() {
        return echo.size();
    }

    /** @return the size of Msg */
    public int msgSize() {
        return msg.size();
    }

    /** @return the size of the Fingerprint struct */
    public int fingerprintSize() {
        return fingerprint.size();
    }

    /**
     * @return true if Msg has two pad bytes at its end, where the holder token's marker goes
     *     (xstunt extension); in {@link #ID31} the union ends on the struct's alignment and leaves
     *     none, so a request of that variant cannot carry a token
     */
    public boolean msgCarriesToken() {
        return msg.tokenMarker() >= 0;
    }

    ServerInfo.Layout serverInfo() {
        return serverInfo;
    }

    Echo.Layout echo() {
        return echo;
    }

    Msg.Layout msg() {
        return msg;
    }

    Fingerprint.Layout fingerprint() {
        return fingerprint;
    }
}
