/**
 * The xstunt API: XSTUNT 1.0's functions (XInit, XListen, XConnect, XDeRegister) blocking
 * ({@link io.xstunt.api.Xstunt}) and asynchronous ({@link io.xstunt.api.XstuntAsync}), the STUNT
 * server ({@link io.xstunt.api.XstuntServer}), and every type they take and return. The engine's
 * event loop ({@code io.xstunt.engine.loop.EventLoop}) is readable through it, for hosts that drive
 * the loop themselves. Micrometer is optional: an application that has it binds the client's and the
 * server's counts with {@link io.xstunt.api.ClientMeterBinder} and {@link io.xstunt.api.ServerMeterBinder}.
 */
module io.xstunt.api {
    requires transitive io.xstunt.engine;
    // the handshake's JFR events (HandshakeEvent, HandshakePhaseEvent)
    requires jdk.jfr;
    // optional: only ClientMeterBinder and ServerMeterBinder use it, and only an application that has it loads them
    requires static micrometer.core;

    exports io.xstunt.api;
}
