/**
 * An in-memory internet for tests: simulated hosts with a Linux-like TCP, NAT routers with Linux
 * conntrack's behaviour, links with delay and loss, all on one virtual clock and one thread. Each
 * host has its own {@link io.xstunt.engine.net.Network}, so the engine's real client and server
 * code runs on it unchanged. The namespace lab ({@code natlab/}) stays the proof on real kernels;
 * this package runs its scenarios in milliseconds.
 *
 * <h2>Use</h2>
 *
 * <pre>{@code
 * NatLab lab = NatLab.builder().nat(NatMapping.PRESERVE).inbound2(InboundPolicy.RST)
 *         .delay(Duration.ofMillis(25)).loss(1).seed(7).build();     // natlab's "lab.sh up" options
 * Network onSrv = lab.srv().network();                             // 198.51.100.10 and .11
 * Network onH1 = lab.h1().network();                               // 10.0.1.10 behind nat1
 * ... start services and procedures on those networks (from the test's thread) ...
 * T value = lab.net().await("what we wait for", future, Duration.ofSeconds(10));
 * lab.net().runUntil("a condition", () -> ..., Duration.ofSeconds(10));
 * lab.nat2().invalidDrops(); lab.nat1().conntrackEntries(); lab.net().trace().tail();
 * }</pre>
 *
 * Nothing runs by itself: the thread that created the {@link io.xstunt.engine.sim.SimNetwork}
 * builds the topology, starts procedures (every {@code Network} method may be called from it
 * directly), then calls a {@code run} method, which jumps the clock from one due event to the next
 * (never a real sleep). Every run is bounded in virtual time and in events and fails with what it
 * waited for and the trace's last lines; an exception that escapes a simulated callback fails the
 * run. {@code Network.execute} from another thread queues the task for the next step;
 * {@code Network.executeBlocking} (the engine's file I/O) runs at once on the simulation's thread,
 * so that the clock cannot move on while it runs. Blocking
 * facades (a {@code CompletableFuture.get} on the test thread) would stall the simulation: use the
 * asynchronous API and {@code await}. One seed fixes every random choice (fresh ports, NAT ports,
 * ISN keys, losses), drawn in event order, so a seed replays a run event for event.
 *
 * <h2>Classes, one concern each</h2>
 * <ul>
 * <li>{@code SimNetwork}: the internet's topology, its clock, runs and seed; {@code EventQueue}: the
 *     virtual clock, events (ordered by time, then by scheduling) and the engine's
 *     {@code DeadlineTimers}; {@code Trace}: what happened, line by line.</li>
 * <li>{@code Bridge}, {@code Link}, {@code Prefix}: layer-2 segments with on-link routes; a node's
 *     wiring with one-way delay and loss per direction.</li>
 * <li>{@code Packet}, {@code Segment}, {@code IcmpError}, {@code Endpoint}, {@code Flow},
 *     {@code Seq}: what travels, and sequence arithmetic.</li>
 * <li>{@code SimHost}: a machine (addresses, gateway, routing); {@code HostNetwork}: its
 *     {@code Network}; {@code BindRequest}: NioNetwork's binding choices; {@code TcpStack}: its
 *     kernel (demultiplexing, kernel RSTs, ISNs); {@code PortTable}: bind rules and fresh ports;
 *     {@code SimSocket}: one TCP socket's state machine; {@code ReceiveQueue}: reassembly and
 *     unread bytes; {@code SimListener}: a listening socket and its accept queue.</li>
 * <li>{@code SimConnection}, {@code SimIncoming}, {@code SimChannel}: the engine's
 *     {@code Connection}, {@code Incoming} and handed-over channel over a simulated socket.</li>
 * <li>{@code NatRouter}: a NAT router with natlab's ruleset; {@code Conntrack}: its table;
 *     {@code ConntrackEntry}: one tracked connection (state table, sequence tracking);
 *     {@code PortMapping}: the choice of a public port; {@code NatConfig}, {@code NatMapping},
 *     {@code InboundPolicy}: natlab's router options.</li>
 * <li>{@code NatLab}: natlab's topology and {@code lab.sh up} options; its NAT matrix, with the
 *     real server and clients, is in {@code io.xstunt.engine.simlab}.</li>
 * <li>Test procedures over the raw interfaces: {@code EchoService} (echo, or report the source seen),
 *     {@code Recorder} (one connection's events), {@code SimOpen} (natlab's simopen.py).</li>
 * </ul>
 *
 * <h2>Real behaviours modelled</h2>
 * <ul>
 * <li>TCP handshake with Linux's retransmissions: SYN at 0, 1, 3, 7, 15, 31, 63 s, the connect
 *     fails with "Connection timed out" at 127 s (tcp_syn_retries 6); a SYN-ACK likewise, dropped
 *     after 5 retries; a duplicate SYN makes a half-open socket send its SYN-ACK again.</li>
 * <li>TCP simultaneous open: a SYN that meets a socket in SYN_SENT with that 4-tuple makes it
 *     answer with a SYN-ACK of the same ISN (SYN_RECV); both sides become established. A segment
 *     goes to the socket of its exact 4-tuple before any listener on the port.</li>
 * <li>A SYN to a port without socket or listener gets the host kernel's RST (ECONNREFUSED). RST
 *     and ICMP answers fail a connect: port unreachable "Connection refused", admin prohibited
 *     "No route to host", net unreachable "Network is unreachable"; ICMP about an established
 *     connection is ignored (soft). No route at all fails the connect at once (ENETUNREACH).</li>
 * <li>Linux's bind rules (SO_REUSEADDR: shared unless one listens; SO_REUSEPORT: shared when all
 *     set it; wildcard overlaps every address), "Address already in use", "Cannot assign requested
 *     address" for a foreign address or a 4-tuple in use; fresh ports random in 32768-60999, even
 *     for binds (FreshPorts, bind(0)), odd for connect's own choice; SO_REUSEPORT listeners share
 *     SYNs by a hash of the source.</li>
 * <li>Linux's ISNs (secure_tcp_seq): a keyed hash of the 4-tuple plus the clock in 64 ns steps,
 *     so a later socket on the same 4-tuple starts further on, which conntrack sees.</li>
 * <li>Data in MSS-sized (1460) segments, in order; a segment that a link loses is sent again by
 *     its sender after the retransmission timeout (the handshake's round trip + 200 ms, doubling);
 *     bytes after a gap wait for it. FIN and the closing states; an orphaned socket waits 60 s in
 *     FIN_WAIT_2; data for a socket the application closed resets the connection (Linux's
 *     "abort on data"). A connection the peer resets reports "Connection reset".</li>
 * <li>The engine's {@code Connection} contract as {@code TcpConnection} keeps it (inbound cap, kept
 *     partial messages, a listener that replaces itself, onClosed once, close after flush, silent
 *     close, hand-over after the current event, an adopted connection's earlier events reported
 *     after the current event as by the next select).</li>
 * <li>Links: constant one-way delay and random loss per direction, natlab's {@code --delayN} and
 *     {@code --lossN} in both directions; a packet crosses the sender's link up and the receiver's
 *     down; no jitter, no bandwidth limit (like natlab's wire); FIFO per path.</li>
 * <li>NAT port mapping as nf_nat's get_unique_tuple: {@code preserve} (masquerade: keep the port
 *     if the reply tuple is free, else random 1024-65535), {@code random} (fully-random: a random
 *     port per connection), {@code offset} (snat to a range: a local port in the range kept, else an
 *     existing entry's mapping for the same source, else random in the range: natlab's "What offset
 *     really does"); a mapping found for a source is reused for every destination while any entry
 *     (TIME_WAIT included) holds it. Two hosts on the same local port and destination get different
 *     public ports.</li>
 * <li>conntrack: an entry per outbound SYN, with Linux's timeouts (SYN_SENT 120 s, ESTABLISHED 5
 *     days, TIME_WAIT 120 s, ...); a new SYN on a TIME_WAIT or CLOSE entry starts a new one; return
 *     traffic and ICMP errors (RELATED, translated back) come in only from the exact remote
 *     endpoint; a SYN from the remote end while ours is unanswered is simultaneous open
 *     (SYN_SENT2); the TCP state table's invalid cells that matter (a SYN from the remote end after
 *     it answered, SYN-ACKs in impossible states); tcp_in_window's four sequence and ACK checks and
 *     its updates, including the simultaneous-open SYN that is accepted before the update and
 *     the "reinitialized" SYN allowed in SYN_SENT and SYN_RECV; a RST before any reply deletes the
 *     entry ("if only reply is a RST"); {@code liberal} (be_liberal=1) lets out-of-window packets
 *     pass. Invalid packets are dropped and counted ({@code fwd_invalid}), unsolicited ones get the
 *     inbound policy and are counted ({@code inbound_tcp}): drop, TCP reset, ICMP port unreachable,
 *     ICMP admin prohibited. No hairpinning (nat1 answers its own address from the LAN with a
 *     RST); hosts behind one NAT meet directly on their LAN.</li>
 * </ul>
 *
 * <h2>Simplifications</h2>
 * <ul>
 * <li>No windows and no flow control: a socket takes every byte at once, so
 *     {@code Connection.pendingOutbound()} is 0 once connected and a peer that does not read never
 *     pushes back (the outbound cap only bounds bytes sent before the connect completes).
 *     conntrack sees a SYN window of 64240 and a 4 MiB window after it.</li>
 * <li>Loss of data and FIN segments is repaired by the sender being told of it (no ACK clock, no
 *     fast retransmit, no SACK, no tail-loss probe); a lost pure ACK or RST is simply gone; a lost
 *     SYN or SYN-ACK is repaired by the handshake timers, as on Linux. The RTO comes from the
 *     handshake's round trip only.</li>
 * <li>No TIME_WAIT on hosts (a socket that would enter it is closed and frees its port at once),
 *     so a port and 4-tuple can be reused at once; conntrack does keep its TIME_WAIT entries.</li>
 * <li>Closing a socket with unread bytes sends a FIN, not a RST; a refused incoming connection
 *     likewise. Accepted connections are not in the port table (they share their listener's
 *     port). The accept queue fills only if handshakes complete faster than the same-instant
 *     accept: with the engine's handlers it never does.</li>
 * <li>conntrack's state table is coarse (FIN states, TCP options, window scaling and the
 *     "ignored" bookkeeping are simplified); a packet from the LAN that is not a SYN and has no entry
 *     is dropped (no mid-stream pickup); the NAT has one public address and no port forwarding.</li>
 * <li>A packet to an address nobody answers for on a segment is lost silently (no ARP failure
 *     error). Hosts have one interface; public hosts have no default route, as in natlab.</li>
 * <li>All hosts share one monotonic clock; {@code epochMillis} starts at 2025-01-01 UTC.</li>
 * <li>The handed-over channel ({@code SimChannel}) is a {@code SocketChannel}
 *     in blocking mode whose blocking reads run the simulation (at most 60 s of virtual time, not
 *     from inside a simulated callback); non-blocking reads return 0; writes never block; it has no
 *     {@code Socket} and cannot be registered with a selector.</li>
 * </ul>
 *
 * <h2>natlab's observations, reproduced</h2>
 * {@code SimultaneousOpenTest} runs simopen.py's two variants: simultaneous open (the RACE
 * strategy's principle: the connecting socket stays open, retried after a refusal) passes strict
 * conntrack; close-and-relisten (XSTUNT 1.0's ORIGINAL) fails there because the new socket's
 * SYN-ACK carries a later ISN, out of the window the first SYN opened, and nat1 counts it invalid;
 * with {@code liberal} it works; a NAT that answers with RST makes the other NAT delete its
 * unreplied entry, so relisten fails even liberal with no invalid drops, while retried
 * simultaneous connects get through. {@code NatMappingTest} and {@code InboundPolicyTest} observe
 * the mapping modes and the inbound policies as natlab's selftest does.
 */
package io.xstunt.engine.sim;
