package io.xstunt.natlab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

/**
 * Writes this run's page, {@code natlab/target/NAT-LAB.md}, from its {@link Results}: the table of
 * scenarios x strategies with outcomes and handshake times, scenario 9's success rate, what each
 * strategy needs from a NAT and why, the command that reproduces it, and the commit and date it
 * measured. A test run never writes docs/NAT-LAB.md: {@code natlab/report.sh} copies a complete
 * run's page there, deliberately. The page says whether the run was complete ({@link #COMPLETE}).
 */
final class Report {
    /** Scenario labels (row prefixes) a complete run has. */
    private static final List<String> SCENARIOS = List.of("1 ", "2 ", "3 ", "4a ", "4b ", "5 ", "6 ", "7 ", "8 ",
            "9 ", "1 + be_liberal", "2 + be_liberal", "11 ");
    /** The page's line for a run that measured every scenario; natlab/report.sh looks for it. */
    static final String COMPLETE = "Scenarios: every scenario of the suite was measured in this run.";
    /** This run's page. */
    static final Path PAGE = Path.of("target", "NAT-LAB.md");
    private static volatile String scenario9 = "not measured in this run";
    private static final List<DisturbedRow> DISTURBED = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * One run of scenario 10: how h3's connections fell into h1's probe, and what each rule set
     * made of it.
     *
     * @param disturbance where h3's connections fell
     * @param lab the lab's options
     * @param probePorts the public ports of h1's four probes
     * @param h3Ports the public ports h3's connections took between h1's first and last probe
     * @param original the fingerprint by XSTUNT 1.0's rules (the client's)
     * @param originalTraversal the traversal with it
     * @param unanimous the fingerprint by the unanimous rules (the client's before issue 11)
     * @param unanimousTraversal the traversal with it
     */
    record DisturbedRow(String disturbance, String lab, String probePorts, String h3Ports, String original,
                        String originalTraversal, String unanimous, String unanimousTraversal) {
    }

    private Report() {
    }

    static void scenario9(int ok, int runs) {
        scenario9 = ok + " of " + runs;
    }

    static void disturbed(DisturbedRow row) {
        DISTURBED.add(row);
    }

    static void write(List<Results.Row> rows, double wallS) throws IOException {
        List<String> missing = new java.util.ArrayList<>(SCENARIOS.stream()
                .filter(s -> rows.stream().noneMatch(r -> r.scenario().startsWith(s))).map(String::strip).toList());
        if (DISTURBED.size() < 3) {
            missing.add("10");
        }
        String scenarios = missing.isEmpty() ? COMPLETE : "Scenarios: a partial run (not measured: "
                + String.join(", ", missing) + "); natlab/report.sh publishes complete runs only.";
        String stamp = "Measured on commit " + Lab.commit() + ", " + LocalDate.now(ZoneOffset.UTC) + " (UTC).";
        Files.createDirectories(PAGE.toAbsolutePath().getParent());
        Files.writeString(PAGE, render(rows, wallS, stamp, scenarios), StandardCharsets.UTF_8);
    }

    /** Scenarios x strategies: "direct, 52.7 ms" / "fails (ERR_X)" / the outcome as measured. */
    static String matrix(List<Results.Row> rows) {
        java.util.Map<String, java.util.Map<String, String>> cells = new java.util.LinkedHashMap<>();
        for (Results.Row r : rows) {
            String cell;
            if (r.outcome().startsWith("direct (")) {
                cell = "**direct**, " + r.handshakeMs() + (r.handshakeMs().endsWith(")") ? "" : " ms");
            } else if (r.outcome().startsWith("failed: ")) {
                cell = "fails (" + r.outcome().substring("failed: ".length()).split("[ ;/]")[0] + ")";
            } else {
                String h = r.handshakeMs();
                cell = r.outcome() + (h.equals("-") ? "" : ", " + h + (h.endsWith(")") ? "" : " ms"));
            }
            cells.computeIfAbsent(r.scenario() + " | `" + r.lab() + "`", k -> new java.util.LinkedHashMap<>())
                    .put(r.strategy(), cell);
        }
        StringBuilder sb = new StringBuilder("| scenario | lab (`lab.sh up`) | FAST (ours, RACE its fallback) | ORIGINAL (XSTUNT 1.0) |\n"
                + "| --- | --- | --- | --- |\n");
        cells.forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(v.getOrDefault(NatLabTest.OURS, "-"))
                .append(" | ").append(v.getOrDefault("original", "not run")).append(" |\n"));
        return sb.toString();
    }

    /** Scenario 10's table: both rule sets of XAnalyzeNature side by side on the disturbed sequential NAT. */
    static String disturbedSection() {
        StringBuilder sb = new StringBuilder("""
                ## Scenario 10: a disturbed mapping, XSTUNT 1.0's analysis rules and the unanimous ones

                nat1 is a sequential NAT (`--nat1 sequential --seq-step 2`: nft `snat to 203.0.113.1 : numgen inc
                mod N map { 0 : 20000, 1 : 20002, ... }`, every new connection through it, from any host, gets
                the next port), nat2 preserves ports. While h1 registers and probes its NAT (four echo queries
                from one local port), h3, behind the same NAT, opens connections right after chosen probes
                (`labtool.py disturb` follows nat1's `conntrack -E` and connects from h3 to pub): each takes a
                port out of h1's sequence. The four observed ports are read by both rule sets of
                XAnalyzeNature: **XSTUNT 1.0's** (the client's now: the difference that occurs at least twice,
                else RANDOM) and the **unanimous** ones (the client's before issue 11: every difference must
                agree). Then h1 listens with each rule set's fingerprint (written to its fingerprint file, as a
                client that probed with those rules would have kept it) and h2 connects (RACE, no background
                connections): the prediction, the port XPredict saw plus the increment, holds only with the
                NAT's real step of 2; RANDOM predicts +1.

                | h3's connections | h1's probe: public ports | h3's ports meanwhile | XSTUNT 1.0 rules | traversal | unanimous rules | traversal |
                | --- | --- | --- | --- | --- | --- | --- |
                """);
        if (DISTURBED.isEmpty()) {
            sb.append("| not measured in this run | | | | | | |\n");
        }
        for (DisturbedRow r : DISTURBED) {
            sb.append("| ").append(String.join(" | ", r.disturbance(), r.probePorts(), r.h3Ports().isEmpty() ? "-"
                    : r.h3Ports(), "`" + r.original() + "`", r.originalTraversal(), "`" + r.unanimous() + "`",
                    r.unanimousTraversal())).append(" |\n");
        }
        sb.append("""

                Lab: `%s`. Disturbed once, XSTUNT 1.0's rules still read the step (two of three differences
                are 2) and the traversal connects; the unanimous rules call the NAT random, and it fails.
                Disturbed twice in the pattern 4, 2, 4, XSTUNT 1.0's rules read DELTA-4, which is wrong, and
                fail too: the rules are the original's, guesses included. The engine's
                `NatAnalysisTest` checks over random runs that they find every increment the unanimous rules
                find, and the simulated lab (`DisturbedMappingTest`) runs the same three cases.

                """.formatted(DISTURBED.isEmpty() ? "-" : DISTURBED.get(0).lab()));
        return sb.toString();
    }

    static String render(List<Results.Row> rows, double wallS, String stamp, String scenarios) {
        StringBuilder sb = new StringBuilder();
        sb.append("""
                # NAT lab: TCP traversal through real Linux NATs

                Measured by the test suite (`natlab/src/test/java/io/xstunt/natlab/NatLabTest.java`), which runs
                in CI: every peer is its own JVM running the CLI (`XstuntCli ... --json`) inside a network
                namespace of the lab (`natlab/lab.sh`: Linux conntrack + nftables NAT routers, see
                `natlab/README.md`). Listener (`XListen`) on h1 behind nat1 (203.0.113.1), connector
                (`XConnect`) on h2 behind nat2 (203.0.113.2), server in xl-srv (198.51.100.10/.11), unless the
                scenario says otherwise. "direct" is checked, not assumed: the data connection's remote
                address on each side is the other side's public address, a unique random 1200-byte payload
                went both ways, and the server's per-session count of relayed bytes (its `session` JSON event)
                stayed below the payload (44 control bytes per session).

                Reproduce (as root, from the top directory; `bash natlab/install-deps.sh` installs nftables,
                conntrack, iproute2 and python3 if missing):

                ```
                JAVA_HOME=$(./xstunt java-home) mvn -B -q -pl natlab -am install -Dtest=NatLabTest -Dsurefire.failIfNoSpecifiedTests=false
                ```

                (`./xstunt test`, which CI runs, runs it with every other module's tests.)

                A test run writes this page to `natlab/target/NAT-LAB.md` (every row also to
                `natlab/target/nat-lab-results.md`) and leaves `docs/` alone; `natlab/report.sh` (as root)
                runs the suite and copies a complete run's page to `docs/NAT-LAB.md`.

                """);
        sb.append("## Results of the run\n\n");
        sb.append(stamp).append(' ').append(scenarios).append("\n\n");
        sb.append(String.format("Suite wall time: %.0f s (lab up/down per scenario, %d rows).%n%n", wallS,
                rows.size()));
        sb.append(matrix(rows)).append("\nEvery row of the run:\n\n");
        sb.append(Results.header());
        rows.forEach(r -> sb.append(r.markdown()));
        sb.append("\n\"handshake ms\" is XConnect's wall time on the connector (comm request to direct connection);"
                + " \"phases\" are the CLI's phase times (comm: MSG_CONNECT round trip; announce; control: connect to"
                + " the session's control port; sync: clock sync round trips through the relay; predict: one echo"
                + " query; exchange: addresses; punch: the SYNs). Delay/loss apply to both NAT links (the server's"
                + " link has none), so a peer-server round trip crosses one delayed link and a peer-peer one two; with delay"
                + " each phase is also given in peer-server round trips. With loss, a lost SYN costs the kernel's 1 s"
                + " initial retransmission timeout, which shows up as one long phase.\n\n");
        sb.append("Scenario 9 (both NATs answer unsolicited SYNs with RST, 10 ms one-way delay): ")
                .append(scenario9).append(" rendezvous got a direct connection.\n\n");
        sb.append(disturbedSection());
        sb.append("""
                ## Which strategy works on which NAT, and why

                * **FAST** (ours, the default between xstunt peers): the server's go tells both sides the
                  other's predicted address and when to send; both punch as RACE's initiator does (below)
                  from their reserved punch ports, without the control channel; where the server declines it
                  (a NAT that does not keep ports, an original peer) or its punch finds nothing, RACE runs in
                  the same call.
                * **RACE** (ours, FAST's fallback): the initiator listens on its predicted port and sends "ready"; its own
                  SYN leaves from that port when the listener reads "ready" (the origin of a time grid both sides
                  share), and that socket stays open; the listener connects once it reads "ready". The two SYNs
                  meet in a TCP simultaneous open: on the initiator's NAT the listener's SYN matches the initiator's own
                  `SYN_SENT` conntrack entry in the reply direction (conntrack moves it to `SYN_SENT2`), and the
                  answer comes from the *same* socket with the *same* ISN, so conntrack's sequence tracking accepts
                  every packet. It therefore works on strict conntrack (`nf_conntrack_tcp_be_liberal=0`, the
                  default and what home routers run), with delay and loss, and when a NAT answers unsolicited SYNs
                  with RST: a refused connect is retried from the same port on a grid of instants both sides share
                  (placed by the clock sync), so that a retry's SYN crosses the peer's on the wire and reopens the
                  hole that the RST closed, and the listener also listens on its own port, so an initiator SYN
                  that arrives once the listener's hole is open is accepted.
                * **ORIGINAL** (XSTUNT 1.0): XTryConnect sends the SYN, waits up to 1 s for it to fail, *closes* that
                  socket and listens on a new one. On the initiator's NAT the listener's SYN still matches the old
                  entry and reaches the new listener, but its SYN-ACK carries a new ISN that conntrack has never seen:
                  strict tracking marks it **invalid** and the router drops it (the table shows nat2's `fwd_invalid`
                  drops, counted in every failed run). The listener's connect times out. ORIGINAL runs 3 times per
                  lab. (While building this lab, ORIGINAL sometimes failed without invalid drops: the listener's
                  connect completed and the initiator never accepted. nat2's conntrack events showed the listener's
                  SYN meeting the initiator's *old* XTryConnect socket, answered with the old ISN, established, then
                  closed at once by h2. Java NIO closes a channel registered with a selector only at the next select,
                  so the old socket could still be in SYN_SENT after "ready" had gone out; XSTUNT 1.0's closesocket()
                  is immediate. The client now says "ready" only after that select; with it, 10 of 10 liberal runs
                  connected, against 7 of 10 before.) With `be_liberal=1` conntrack stops checking sequence numbers,
                  and ORIGINAL connects: the sequence check is what breaks it on strict NATs. Where a NAT answers the
                  initiator's SYN with RST (scenario 2), ORIGINAL fails even with `be_liberal=1`: conntrack deletes an
                  unreplied entry when a RST comes back, so the hole in the initiator's NAT is gone before the
                  listener's SYN arrives, and ORIGINAL never sends another SYN.
                * **Same NAT** (scenario 3): the server answers ERR_SAME_NAT with the peer's LAN address (this lab's
                  NATs do no hairpinning, like many home routers); the CLI's `--lan-port` connects there directly.
                * **Random-port NATs** (scenario 5): the port of the next mapping cannot be predicted, so no SYN
                  reaches the other side's hole; XConnect ends with an error inside its timeout, both peers stay
                  registered and IDLE (a second XConnect runs the whole rendezvous again), and the server holds no
                  session afterwards. A peer with a public address can still reach the listener.
                * **Not port-preserving, cone** (scenario 6, `offset`: each local ip:port gets a random public port
                  in 20000-29999 and keeps it for every destination while a conntrack entry exists): the
                  fingerprint says NOT-PORT-PRESERVING CONE, and prediction works, because XPredict's echo query and
                  the punch use the same local port, so the observed mapping is the one the punch gets. Predicting
                  the mapping of a port that was never used would not work on this NAT.
                """);
        sb.append(sweepSection());
        return sb.toString();
    }

    /**
     * The sections written by hand and by their scripts, as they are: the birthday sweep's
     * ({@code natlab/SWEEP.md}: its method and findings by hand, its figures written by
     * {@code natlab/sweep.sh --publish} from a run of 20 attempts per variant, stamped with the
     * commit) and IPv6's ({@code natlab/IPV6.md}: scenario 12 with 20 attempts per variant), so that
     * a new page keeps them; the suite's own scenarios 11 and 12 (a few attempts per variant) are in
     * the table above.
     */
    static String sweepSection() {
        StringBuilder sb = new StringBuilder();
        for (String name : new String[] {"SWEEP.md", "IPV6.md"}) {
            Path notes = Path.of(name);
            try {
                if (Files.exists(notes)) {
                    sb.append("\n").append(Files.readString(notes, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot read " + notes.toAbsolutePath(), e);
            }
        }
        return sb.toString();
    }
}
