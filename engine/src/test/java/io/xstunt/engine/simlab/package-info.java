/**
 * natlab's NAT matrix on the simulated internet ({@link io.xstunt.engine.sim}): the real
 * {@code StuntServer} and {@code StuntClient}s, unchanged, on natlab's topology, in every build and
 * in milliseconds. The namespace lab ({@code natlab/}) stays the proof on real kernels; this
 * package says, in every build, that the engine still traverses each NAT of natlab's matrix the way
 * docs/NAT-LAB.md reports, and asserts what the real lab can only measure: the handshake's round
 * trips, exact in virtual time.
 *
 * <ul>
 * <li>{@code NatMatrixTest}: natlab's scenarios and every row of NAT-LAB.md as tables of
 *     (scenario, strategy, expected outcome), natlab's scenarios 3, 5, 8 and 9 as tests of their
 *     own, and rows natlab has not run (the simulator's predictions).</li>
 * <li>{@code HandshakeRoundTripsTest}: RACE and ORIGINAL in peer-server round trips, phase by
 *     phase, in natlab's two rtt.sh topologies; the floor without delay; the control bytes.</li>
 * <li>{@code FingerprintCacheTest}: the fingerprint file (the engine's one blocking I/O) on the
 *     simulated network.</li>
 * <li>Fixtures: {@code StuntLab} (natlab's lab with the server started and clients registered,
 *     one attempt as natlab runs it), {@code Attempt} (what an attempt came to, for asserts and
 *     failure messages), {@code Scenario} and {@code Site} (the lab's options and where the peers
 *     run), {@code LanEcho} (the CLI's {@code --lan-port} fallback), {@code MatrixReport} (the
 *     rows of a run in {@code target/}).</li>
 * </ul>
 *
 * Everything runs on the test's thread: the engine's asynchronous calls, then a bounded run of
 * the simulation ({@code SimNetwork.await}, {@code runUntil}). Each row's lab is seeded; a seed
 * replays a run event for event.
 */
package io.xstunt.engine.simlab;
