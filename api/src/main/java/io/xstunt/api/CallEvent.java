package io.xstunt.api;

import jdk.jfr.Category;
import jdk.jfr.Label;
import jdk.jfr.StackTrace;

/** What the client's JFR events share: the call (xinit, xconnect, xlisten) and the two IDs. */
@Category({"XSTUNT", "Client"})
@StackTrace(false)
abstract class CallEvent extends jdk.jfr.Event {
    @Label("Call")
    String call;

    @Label("Client ID")
    String id;

    @Label("Peer ID")
    String peer;
}
