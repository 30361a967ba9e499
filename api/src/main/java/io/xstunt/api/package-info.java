/**
 * The XSTUNT 1.0 client API for Java: {@link io.xstunt.api.Xstunt} (blocking; XInit, XListen,
 * XConnect, XDeRegister with the reference's semantics and error codes) and
 * {@link io.xstunt.api.XstuntAsync} (the same four functions returning
 * {@link java.util.concurrent.CompletableFuture}s, plus a callback for incoming connections).
 *
 * <p>Both are thin: the work is done by {@link io.xstunt.engine.client.StuntClient} on an
 * {@link io.xstunt.engine.loop.EventLoop}, either a shared daemon loop started on first use or a
 * loop of the caller's own ({@link io.xstunt.api.XstuntOptions.Builder#eventLoop}).
 */
package io.xstunt.api;
