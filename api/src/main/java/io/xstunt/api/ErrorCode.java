package io.xstunt.api;

import io.xstunt.engine.ErrorStat;

/**
 * The error codes of XSTUNT 1.0 ({@code E_ErrorStat} in the reference), with the reference's
 * names, numeric values and descriptions. Every {@link XstuntException} carries one: the value the
 * original C function returned. Which function can return which code is in the Javadoc of
 * {@link Xstunt} and {@link XstuntAsync}; docs/PROTOCOL.md has the full table.
 */
public enum ErrorCode {
    /** {@code ERR_NONE} (0): successful. */
    ERR_NONE(ErrorStat.ERR_NONE),
    /** {@code ERR_FAIL} (-1): fail. */
    ERR_FAIL(ErrorStat.ERR_FAIL),
    /** {@code ERR_CREATE_SOCKET} (-4000): fail to create socket. */
    ERR_CREATE_SOCKET(ErrorStat.ERR_CREATE_SOCKET),
    /** {@code ERR_CONNECT} (-3999): fail to connect. */
    ERR_CONNECT(ErrorStat.ERR_CONNECT),
    /** {@code ERR_VERSION} (-3998): versions of server and client are mismatched. */
    ERR_VERSION(ErrorStat.ERR_VERSION),
    /** {@code ERR_DUPLICATE_ID} (-3997): the ID is already registered on the server. */
    ERR_DUPLICATE_ID(ErrorStat.ERR_DUPLICATE_ID),
    /** {@code ERR_PROBE} (-3996): failed during probing. */
    ERR_PROBE(ErrorStat.ERR_PROBE),
    /** {@code ERR_TIMEOUT} (-3995): timeout. */
    ERR_TIMEOUT(ErrorStat.ERR_TIMEOUT),
    /** {@code ERR_COMM_TIMEOUT} (-3994): timeout reading the communication service's response. */
    ERR_COMM_TIMEOUT(ErrorStat.ERR_COMM_TIMEOUT),
    /** {@code ERR_ECHO_TIMEOUT} (-3993): timeout during reading echo. */
    ERR_ECHO_TIMEOUT(ErrorStat.ERR_ECHO_TIMEOUT),
    /** {@code ERR_SELECT} (-3992): select error. */
    ERR_SELECT(ErrorStat.ERR_SELECT),
    /** {@code ERR_RECEIVE} (-3991): fail to receive. */
    ERR_RECEIVE(ErrorStat.ERR_RECEIVE),
    /** {@code ERR_SYN_RECEIVE} (-3990): failed during receiving proprietary SYN. */
    ERR_SYN_RECEIVE(ErrorStat.ERR_SYN_RECEIVE),
    /** {@code ERR_SYN_SEND} (-3989): failed during sending proprietary SYN. */
    ERR_SYN_SEND(ErrorStat.ERR_SYN_SEND),
    /** {@code ERR_ADDRPORT_RECEIVE} (-3988): failed during receiving address and port. */
    ERR_ADDRPORT_RECEIVE(ErrorStat.ERR_ADDRPORT_RECEIVE),
    /** {@code ERR_ADDRPORT_SEND} (-3987): failed during sending address and port. */
    ERR_ADDRPORT_SEND(ErrorStat.ERR_ADDRPORT_SEND),
    /** {@code ERR_ASYMSERVER} (-3986): failed in XAsymServer(). */
    ERR_ASYMSERVER(ErrorStat.ERR_ASYMSERVER),
    /** {@code ERR_ASYMCLIENT} (-3985): failed in XAsymClient(). */
    ERR_ASYMCLIENT(ErrorStat.ERR_ASYMCLIENT),
    /** {@code ERR_PREDICT} (-3984): failed during port predicting. */
    ERR_PREDICT(ErrorStat.ERR_PREDICT),
    /** {@code ERR_SEND} (-3983): failed to send. */
    ERR_SEND(ErrorStat.ERR_SEND),
    /** {@code ERR_TRYCONNECT} (-3982): failed in XTryConnect(). */
    ERR_TRYCONNECT(ErrorStat.ERR_TRYCONNECT),
    /** {@code ERR_SETSOCKOPT} (-3981): failed to set socket option. */
    ERR_SETSOCKOPT(ErrorStat.ERR_SETSOCKOPT),
    /** {@code ERR_BIND} (-3980): failed to bind. */
    ERR_BIND(ErrorStat.ERR_BIND),
    /** {@code ERR_LISTEN} (-3979): failed to listen. */
    ERR_LISTEN(ErrorStat.ERR_LISTEN),
    /** {@code ERR_ASYM_TIMEOUT} (-3978): timeout waiting for the connection from the AsymServer. */
    ERR_ASYM_TIMEOUT(ErrorStat.ERR_ASYM_TIMEOUT),
    /** {@code ERR_ACCEPT} (-3977): failed to accept. */
    ERR_ACCEPT(ErrorStat.ERR_ACCEPT),
    /** {@code ERR_MATCH} (-3976): failed to find the destination peer on the server. */
    ERR_MATCH(ErrorStat.ERR_MATCH),
    /** {@code ERR_SAME_NAT} (-3975): peer client is in the same NAT. */
    ERR_SAME_NAT(ErrorStat.ERR_SAME_NAT),
    /** {@code ERR_HAIRPIN} (-3974): hairpin problem. */
    ERR_HAIRPIN(ErrorStat.ERR_HAIRPIN);

    private final ErrorStat stat;

    ErrorCode(ErrorStat stat) {
        this.stat = stat;
    }

    /** @return the reference's numeric value, e.g. -3976 for {@code ERR_MATCH} */
    public int value() {
        return stat.value();
    }

    /** @return the reference's one-line description */
    public String description() {
        return stat.description();
    }

    /**
     * Looks a code up by its numeric value.
     *
     * @param value a value from the reference's table
     * @return the code
     * @throws IllegalArgumentException if no code has that value
     */
    public static ErrorCode ofValue(int value) {
        return of(ErrorStat.ofValue(value));
    }

    /** The public code of an engine failure (the two tables match name for name: ErrorCodeTest). */
    static ErrorCode of(ErrorStat stat) {
        return valueOf(stat.name());
    }
}
