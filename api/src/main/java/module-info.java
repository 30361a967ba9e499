/**
 * The xstunt API: XSTUNT 1.0's functions (XInit, XListen, XConnect, XDeRegister) blocking
 * ({@link io.xstunt.api.Xstunt}) and asynchronous ({@link io.xstunt.api.XstuntAsync}), the STUNT
 * server ({@link io.xstunt.api.XstuntServer}), and every type they take and return. The engine's
 * event loop ({@code io.xstunt.engine.loop.EventLoop}) is readable through it, for hosts that drive
 * the loop themselves.
 */
module io.xstunt.api {
    requires transitive io.xstunt.engine;

    exports io.xstunt.api;
}
