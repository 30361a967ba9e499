package io.xstunt.engine;

/**
 * The error codes of XSTUNT 1.0, {@code E_ErrorStat} in the reference, with the reference's names,
 * numeric values and descriptions: the one table of them. Every {@link Failure} of the engine
 * carries one. Applications see them as {@code io.xstunt.api.ErrorCode}, which mirrors this
 * table name for name.
 */
public enum ErrorStat {
    /** {@code ERR_NONE} (0): successful. */
    ERR_NONE(0, "Successful"),
    /** {@code ERR_FAIL} (-1): fail. */
    ERR_FAIL(-1, "Fail"),
    /** {@code ERR_CREATE_SOCKET} (-4000): fail to create socket. */
    ERR_CREATE_SOCKET(-4000, "Fail to create socket"),
    /** {@code ERR_CONNECT} (-3999): fail to connect. */
    ERR_CONNECT(-3999, "Fail to connect"),
    /** {@code ERR_VERSION} (-3998): versions of server and client are mismatched. */
    ERR_VERSION(-3998, "Versions of server and client are mismatched"),
    /** {@code ERR_DUPLICATE_ID} (-3997): the ID is already registered on the server. */
    ERR_DUPLICATE_ID(-3997, "The ID is already registered on the server"),
    /** {@code ERR_PROBE} (-3996): failed during probing. */
    ERR_PROBE(-3996, "Failed during probing"),
    /** {@code ERR_TIMEOUT} (-3995): timeout. */
    ERR_TIMEOUT(-3995, "Timeout"),
    /** {@code ERR_COMM_TIMEOUT} (-3994): timeout reading the communication service's response. */
    ERR_COMM_TIMEOUT(-3994, "Timeout during reading response from communication service"),
    /** {@code ERR_ECHO_TIMEOUT} (-3993): timeout during reading echo. */
    ERR_ECHO_TIMEOUT(-3993, "Timeout during reading echo"),
    /** {@code ERR_SELECT} (-3992): select error. */
    ERR_SELECT(-3992, "Select error"),
    /** {@code ERR_RECEIVE} (-3991): fail to receive. */
    ERR_RECEIVE(-3991, "Fail to receive"),
    /** {@code ERR_SYN_RECEIVE} (-3990): failed during receiving proprietary SYN. */
    ERR_SYN_RECEIVE(-3990, "Failed during receiving proprietary SYN"),
    /** {@code ERR_SYN_SEND} (-3989): failed during sending proprietary SYN. */
    ERR_SYN_SEND(-3989, "Failed during sending proprietary SYN"),
    /** {@code ERR_ADDRPORT_RECEIVE} (-3988): failed during receiving address and port. */
    ERR_ADDRPORT_RECEIVE(-3988, "Failed during receiving address and port"),
    /** {@code ERR_ADDRPORT_SEND} (-3987): failed during sending address and port. */
    ERR_ADDRPORT_SEND(-3987, "Failed during sending address and port"),
    /** {@code ERR_ASYMSERVER} (-3986): failed in XAsymServer(). */
    ERR_ASYMSERVER(-3986, "Failed in XAsymServer()"),
    /** {@code ERR_ASYMCLIENT} (-3985): failed in XAsymClient(). */
    ERR_ASYMCLIENT(-3985, "Failed in XAsymClient()"),
    /** {@code ERR_PREDICT} (-3984): failed during port predicting. */
    ERR_PREDICT(-3984, "Failed during port predicting"),
    /** {@code ERR_SEND} (-3983): failed to send. */
    ERR_SEND(-3983, "Failed to send"),
    /** {@code ERR_TRYCONNECT} (-3982): failed in XTryConnect(). */
    ERR_TRYCONNECT(-3982, "Failed in XTryConnect()"),
    /** {@code ERR_SETSOCKOPT} (-3981): failed to set socket option. */
    ERR_SETSOCKOPT(-3981, "Failed to set socket option"),
    /** {@code ERR_BIND} (-3980): failed to bind. */
    ERR_BIND(-3980, "Failed to bind"),
    /** {@code ERR_LISTEN} (-3979): failed to listen. */
    ERR_LISTEN(-3979, "Failed to listen"),
    /** {@code ERR_ASYM_TIMEOUT} (-3978): timeout waiting for the connection from the AsymServer. */
    ERR_ASYM_TIMEOUT(-3978, "Timeout during waiting the connection from AsymServer"),
    /** {@code ERR_ACCEPT} (-3977): failed to accept. */
    ERR_ACCEPT(-3977, "Failed to accept"),
    /** {@code ERR_MATCH} (-3976): failed to find the destination peer on the server. */
    ERR_MATCH(-3976, "Failed to find the destination peer on the server"),
    /** {@code ERR_SAME_NAT} (-3975): peer client is in the same NAT. */
    ERR_SAME_NAT(-3975, "Peer client is in the same NAT"),
    /** {@code ERR_HAIRPIN} (-3974): hairpin problem. */
    ERR_HAIRPIN(-3974, "Hairpin problem");

    private final int value;
    private final String description;

    ErrorStat(int value, String description) {
        this.value = value;
        this.description = description;
    }

    /** @return the reference's numeric value, e.g. -3976 for {@code ERR_MATCH} */
    public int value() {
        return value;
    }

    /** @return the reference's one-line description */
    public String description() {
        return description;
    }

    /**
     * Looks a code up by its numeric value.
     *
     * @param value a value from the reference's table
     * @return the code
     * @throws IllegalArgumentException if no code has that value
     */
    public static ErrorStat ofValue(int value) {
        for (ErrorStat c : values()) {
            if (c.value == value) {
                return c;
            }
        }
        throw new IllegalArgumentException("no XSTUNT error code has the value " + value);
    }
}
