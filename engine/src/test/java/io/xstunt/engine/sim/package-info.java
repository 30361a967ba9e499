/**
 * An in-memory internet for tests: simulated hosts with a TCP kernel, NAT routers with Linux
 * conntrack's behaviour, links with delay and loss, all on one virtual clock and one thread, each
 * host with its own {@link io.xstunt.engine.net.Network} for the engine's real client and server
 * code. The namespace lab ({@code natlab/}) stays the proof on real kernels; this package runs the
 * same scenarios in milliseconds. See {@link io.xstunt.engine.sim.SimNetwork} and
 * {@link io.xstunt.engine.sim.NatLab}.
 */
package io.xstunt.engine.sim;
