package io.xstunt.engine.server;

import io.xstunt.engine.tcp.TcpConnection;
import java.net.InetSocketAddress;

/** What every service reports to its {@link StuntServer}: connections held, inputs refused. */
interface ServiceObserver {
    /** The server holds {@code c} from now on. */
    void opened(TcpConnection c);

    /** The server no longer holds {@code c}. */
    void closed(TcpConnection c);

    /** An input was refused; logged as one line and counted. */
    void rejected(Rejection why, String service, InetSocketAddress remote, String detail);
}
