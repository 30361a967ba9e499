package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.nat.PortPrediction;
import io.xstunt.engine.wire.ControlFrame;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.WireFormatException;
import java.net.InetSocketAddress;

/**
 * The address exchange of a rendezvous (wire notes, rendezvous steps 5-6), one side of it: this
 * side's predicted public address (XPredict: the echo query's observed port plus the NAT's
 * increment) goes out as OK(address) and OK(port); the peer's comes in the same way. No I/O:
 * {@link RendezvousProcedure} feeds it the prediction and the frames it expects, and writes what
 * it says.
 */
final class AddressExchange {
    private final int increment;
    private boolean predicted;
    private int localPort;
    private int ownIp;
    private int ownPort;
    private boolean sent;
    private boolean addressRead;
    private int peerIp;
    private int peerPort = -1;

    /** @param increment the fingerprint's port increment */
    AddressExchange(int increment) {
        this.increment = increment;
    }

    /**
     * The prediction's echo query answered.
     *
     * @param boundLocalPort the local port it connected from (bound again for the punch)
     * @param publicIp the public IP the echo service saw
     * @param publicPort the public port the echo service saw
     * @return null, or the failure if the port cannot be predicted from
     */
    Failure predicted(int boundLocalPort, int publicIp, int publicPort) {
        if (publicPort < 1 || publicPort > 65535) {
            return new Failure(ErrorStat.ERR_PREDICT, 0, "echo reported port " + publicPort);
        }
        predicted = true;
        localPort = boundLocalPort;
        ownIp = publicIp;
        ownPort = PortPrediction.predict(publicPort, increment);
        return null;
    }

    /** @return true once the prediction is known */
    boolean isPredicted() {
        return predicted;
    }

    /** @return the local port to punch from */
    int localPort() {
        return localPort;
    }

    /**
     * @return this side's address frames, OK(address) and OK(port), to send once (null if they
     *     were sent or the prediction is not known yet)
     */
    ControlFrame[] takeOwnFrames() {
        if (!predicted || sent) {
            return null;
        }
        sent = true;
        return new ControlFrame[] {ControlFrame.address(ownIp), ControlFrame.port(ownPort)};
    }

    /** @return true once this side's address is sent */
    boolean sent() {
        return sent;
    }

    /** @return true while the next frame read is the peer's address or port */
    boolean expectsFrame() {
        return peerPort < 0;
    }

    /**
     * The peer's next address frame.
     *
     * @throws WireFormatException if it is not an address (or port) frame
     */
    void onFrame(ControlFrame f) {
        if (!addressRead) {
            peerIp = f.asAddress();
            addressRead = true;
        } else {
            peerPort = f.asPort();
        }
    }

    /** @return true once the peer's address and port are known */
    boolean peerKnown() {
        return peerPort >= 0;
    }

    /**
     * Both addresses known: @return null, or the failure they show (equal public IPs: the
     * hairpin case; port 0)
     */
    Failure check() {
        if (peerIp == ownIp) {
            return new Failure(ErrorStat.ERR_HAIRPIN, 0, "both sides have the public IP " + Ipv4.toString(peerIp));
        }
        if (peerPort == 0) {
            return new Failure(ErrorStat.ERR_ADDRPORT_RECEIVE, 0, "the peer sent port 0");
        }
        return null;
    }

    /** @return the peer's predicted public address (after the exchange) */
    InetSocketAddress peerAddress() {
        return new InetSocketAddress(Ipv4.toAddress(peerIp), Math.max(peerPort, 0));
    }
}
