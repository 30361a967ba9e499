#!/usr/bin/python3
"""natlab helpers (python3 stdlib only) and the `lab.sh selftest` driver.

Helpers, run inside a namespace with `ip netns exec NS /usr/bin/python3 labtool.py ...`:
  echo     --listen IP:PORT ... [--hold IP:PORT ...] --ready FILE [--max-seconds N]
           On accept write "IP PORT\\n" (the peer address as seen here) and close
           first (like the XSTUNT echo service); --hold ports keep the
           connection open until the client closes it.
  probe    --to IP:PORT ... [--local-port L] [--timeout S]
           One connection per target from local port L (0 = ephemeral), print
           JSON [{"to":..,"local":..,"seen":"IP:PORT"|null,"error":..}, ...].
  synclass --to IP:PORT [--timeout S]
           Send one unsolicited SYN (a connect) and classify the answer with raw
           sockets: {"result":"drop"|"rst"|"icmp"|"synack","icmp":[type,code]}.
  hold     --to IP:PORT --local-port L --ready FILE --stop FILE [--max-seconds N]
           Keep one connection open (writes the echo line to FILE) until FILE
           --stop exists.
  disturb  --watch-src IP --watch-dport P ... --after K ... --from NS --to IP:PORT
           --stop FILE [--max-seconds N]
           Run in a NAT router's namespace: follow its new TCP connections
           (conntrack -E -e NEW) and right after the K-th connection (0-based)
           from IP to one of the ports P, open one connection from namespace NS
           to IP:PORT (through the same NAT: it takes the next mapping). Prints
           JSON lines: {"event": "ready", "from": IP} once a first connection
           from NS was seen (the watch is live), then {"event": "new", "src",
           "dst", "mapped"} per new connection; ends when FILE --stop exists.
  connector --to IP:PORT
           One connection attempt to IP:PORT per line read on stdin, each left
           open (or refused) until stdin closes; for disturb.

Driver (root namespace): labtool.py selftest --state DIR --prefix xl-
"""
import argparse
import errno
import json
import os
import random
import select
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def fmt(addr):
    return "%s:%d" % (addr[0], addr[1])


def wait_for(cond, seconds, what, step=0.02):
    """Poll cond() until true; raise TimeoutError(what) after `seconds`."""
    end = time.monotonic() + seconds
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= end:
            raise TimeoutError("timed out after %.1fs waiting for %s" % (seconds, what))
        time.sleep(step)


# --------------------------------------------------------------------------
# helpers that run inside namespaces
# --------------------------------------------------------------------------

def cmd_echo(a):
    import selectors
    sel = selectors.DefaultSelector()
    for spec, hold in [(s, False) for s in a.listen] + [(s, True) for s in a.hold]:
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(hostport(spec))
        ls.listen(64)
        ls.setblocking(False)
        sel.register(ls, selectors.EVENT_READ, ("listen", hold))
    with open(a.ready, "w") as f:
        f.write("%d\n" % os.getpid())
    end = time.monotonic() + a.max_seconds
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.5):
            kind, hold = key.data
            if kind == "listen":
                try:
                    c, peer = key.fileobj.accept()
                except OSError:
                    continue
                try:
                    c.sendall(("%s %d\n" % peer).encode())
                except OSError:
                    c.close()
                    continue
                if hold:
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ, ("held", None))
                else:
                    c.close()  # server closes first, as the XSTUNT echo does
            else:
                try:
                    data = key.fileobj.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()


def read_line(s, timeout):
    s.settimeout(timeout)
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(256)
        if not d:
            break
        buf += d
    return buf.decode().strip()


def cmd_probe(a):
    out = []
    for t in a.to:
        r = {"to": t, "local": None, "seen": None, "error": None}
        s = socket.socket()
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", a.local_port))
            r["local"] = fmt(s.getsockname())
            s.settimeout(a.timeout)
            s.connect(hostport(t))
            line = read_line(s, a.timeout)
            ip, port = line.split()
            r["seen"] = "%s:%s" % (ip, port)
        except OSError as e:
            r["error"] = errno.errorcode.get(e.errno, str(e)) if e.errno else str(e)
        except ValueError as e:
            r["error"] = "bad reply: %s" % e
        finally:
            s.close()
        out.append(r)
    print(json.dumps(out))


def cmd_synclass(a):
    tip, tport = hostport(a.to)
    rtcp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    ricmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s = socket.socket()
    s.bind((a.source, 0))
    lport = s.getsockname()[1]
    s.setblocking(False)
    s.connect_ex((tip, tport))
    res = {"to": a.to, "local_port": lport, "result": "drop", "icmp": None,
           "connect_errno": None}
    end = time.monotonic() + a.timeout
    socks = [rtcp, ricmp]
    wsocks = [s]
    settle = None
    while True:
        now = time.monotonic()
        limit = settle if settle is not None else end
        if now >= limit:
            break
        r, w, _ = select.select(socks, wsocks, [], limit - now)
        for rs in r:
            pkt = rs.recv(65535)
            ihl = (pkt[0] & 0x0F) * 4
            src = socket.inet_ntoa(pkt[12:16])
            if rs is rtcp:
                sport, dport = struct.unpack("!HH", pkt[ihl:ihl + 4])
                flags = pkt[ihl + 13]
                if src == tip and sport == tport and dport == lport:
                    if flags & 0x04:
                        res["result"] = "rst"
                    elif flags & 0x12 == 0x12:
                        res["result"] = "synack"
                    settle = settle or time.monotonic() + 0.2
            else:
                itype, icode = pkt[ihl], pkt[ihl + 1]
                inner = pkt[ihl + 8:]
                if itype in (3, 11) and len(inner) >= 28:
                    iihl = (inner[0] & 0x0F) * 4
                    idst = socket.inet_ntoa(inner[16:20])
                    isport, idport = struct.unpack("!HH", inner[iihl:iihl + 4])
                    if idst == tip and isport == lport and idport == tport:
                        res["result"] = "icmp"
                        res["icmp"] = [itype, icode]
                        res["icmp_from"] = src
                        settle = settle or time.monotonic() + 0.2
        if w:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            res["connect_errno"] = errno.errorcode.get(err, str(err)) if err else "connected"
            wsocks = []
            settle = settle or time.monotonic() + 0.2
    s.close()
    print(json.dumps(res))


def cmd_hold(a):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", a.local_port))
    s.settimeout(5)
    s.connect(hostport(a.to))
    line = read_line(s, 5)
    with open(a.ready + ".tmp", "w") as f:
        f.write(line + "\n")
    os.rename(a.ready + ".tmp", a.ready)
    end = time.monotonic() + a.max_seconds
    while not os.path.exists(a.stop) and time.monotonic() < end:
        time.sleep(0.05)
    s.close()


def cmd_connector(a):
    held = []
    for _ in sys.stdin:
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(hostport(a.to))  # the SYN leaves now; the answer does not matter
        held.append(c)
    for c in held:
        c.close()


def parse_conntrack_new(line):
    """One `conntrack -E -e NEW -p tcp` line: (src ip, sport, dst ip, dport, mapped sport) or None."""
    if "[NEW]" not in line:
        return None
    f = {}
    reply = {}
    for tok in line.split():
        if "=" not in tok:
            continue
        k, v = tok.split("=", 1)
        (reply if k in f else f)[k] = v
    try:
        return f["src"], int(f["sport"]), f["dst"], int(f["dport"]), int(reply["dport"])
    except (KeyError, ValueError):
        return None


def cmd_disturb(a):
    after = set(a.after)
    ct = subprocess.Popen(["conntrack", "-E", "-e", "NEW", "-p", "tcp"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, bufsize=0)
    conn = subprocess.Popen(["ip", "netns", "exec", a.from_ns, PY, os.path.abspath(__file__), "connector",
                             "--to", a.to], stdin=subprocess.PIPE, text=True, bufsize=1)
    seen = 0
    ready = False
    pending = b""
    end = time.monotonic() + a.max_seconds
    warmed = 0.0
    try:
        while time.monotonic() < end and not os.path.exists(a.stop):
            if not ready and time.monotonic() - warmed > 0.2:
                # a connection from NS: once its event shows, the watch is live (conntrack -E
                # may not have subscribed yet when the first one leaves: then another)
                conn.stdin.write("\n")
                warmed = time.monotonic()
            # raw reads: a buffered reader could hold a line back while select() waits
            r, _, _ = select.select([ct.stdout], [], [], 0.1)
            if not r:
                continue
            chunk = os.read(ct.stdout.fileno(), 65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                ev = parse_conntrack_new(line.decode(errors="replace"))
                if ev is None:
                    continue
                src, sport, dst, dport, mapped = ev
                if not ready and "%s:%d" % (dst, dport) == a.to:
                    print(json.dumps({"event": "ready", "from": src}), flush=True)
                    ready = True
                print(json.dumps({"event": "new", "src": "%s:%d" % (src, sport), "dst": "%s:%d" % (dst, dport),
                                  "mapped": mapped}), flush=True)
                if ready and src == a.watch_src and dport in a.watch_dport:
                    if seen in after:
                        conn.stdin.write("\n")
                    seen += 1
    finally:
        ct.terminate()
        try:
            conn.stdin.close()
        except OSError:
            pass
        for p in (ct, conn):
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()


# --------------------------------------------------------------------------
# selftest driver (root namespace)
# --------------------------------------------------------------------------

class Selftest:
    def __init__(self, state, prefix):
        self.state = state
        self.P = prefix
        self.cfg = {}
        with open(os.path.join(state, "config.env")) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    k, v = line.split("=", 1)
                    self.cfg[k] = v
        self.passed = self.failed = 0
        self.tmp = tempfile.mkdtemp(prefix="natlab-selftest-")
        self.procs = []

    # ---- plumbing
    def ns(self, short):
        return self.P + short

    def run(self, short, *argv, timeout=60):
        cmd = ["ip", "netns", "exec", self.ns(short)] + list(argv)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def tool(self, short, *argv, timeout=60):
        r = self.run(short, PY, os.path.join(HERE, "labtool.py"), *argv, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("labtool %s in %s failed: %s" % (argv[0], short, r.stderr.strip()))
        return json.loads(r.stdout)

    def bg(self, short, *argv):
        cmd = ["ip", "netns", "exec", self.ns(short), PY, os.path.join(HERE, "labtool.py")] + list(argv)
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def check(self, ok, name, detail):
        tag = "PASS" if ok else "FAIL"
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print("%s  %-28s %s" % (tag, name, detail), flush=True)

    @staticmethod
    def info(name, detail):
        print("INFO  %-28s %s" % (name, detail), flush=True)

    @staticmethod
    def skip(name, detail):
        print("SKIP  %-28s %s" % (name, detail), flush=True)

    def nft_counter(self, short, family, table, name):
        r = self.run(short, "nft", "list", "counter", family, table, name)
        if r.returncode != 0:
            return None
        for tok in r.stdout.split("packets")[1:2]:
            return int(tok.split()[0])
        return None

    def ping(self, short, dst, count, interval, wait=2):
        r = self.run(short, "ping", "-n", "-c", str(count), "-i", str(interval), "-W", str(wait), dst,
                     timeout=count * interval + wait + 30)
        sent = recv = 0
        rtts = []
        for line in r.stdout.splitlines():
            if " bytes from " in line and "time=" in line:
                rtts.append(float(line.split("time=")[1].split()[0]))
            if "packets transmitted" in line:
                parts = line.split(",")
                sent = int(parts[0].split()[0])
                recv = int(parts[1].split()[0])
        return sent, recv, rtts

    # ---- the checks
    def main(self):
        c = self.cfg
        srv1, srv2, pubip = c["SRV_IP1"], c["SRV_IP2"], c["PUB_IP"]
        natpub = {1: c["NAT1_PUB"], 2: c["NAT2_PUB"]}
        mode = {1: c["NAT1"], 2: c["NAT2"]}
        inbound = {1: c["IN1"], 2: c["IN2"]}
        lo, hi = map(int, c["OFFSET_RANGE"].split("-"))
        step = int(c.get("SEQ_STEP", "2"))
        P1, P2, P3, PH = 17001, 17002, 17003, 17004
        print("natlab selftest: nat1=%s/%s nat2=%s/%s delay1=%s delay2=%s delay-srv=%s delay-pub=%s "
              "loss1=%s%% loss2=%s%% liberal=%s" % (mode[1], inbound[1], mode[2], inbound[2], c["D1"],
                                                   c["D2"], c["DSRV"], c["DPUB"], c["L1"], c["L2"],
                                                   c["LIBERAL"]), flush=True)

        # echo server on both server addresses
        ready = os.path.join(self.tmp, "echo.ready")
        listen = ["%s:%d" % (ip, p) for ip in (srv1, srv2) for p in (P1, P2, P3)]
        self.bg("srv", "echo", "--ready", ready, "--max-seconds", "600",
                *sum([["--listen", x] for x in listen], []),
                "--hold", "%s:%d" % (srv1, PH), "--hold", "%s:%d" % (srv2, PH))
        wait_for(lambda: os.path.exists(ready), 10, "the echo server in %s" % self.ns("srv"))

        # 1. reachability of both server addresses + NAT source address
        expect_src = {"h1": natpub[1], "h3": natpub[1], "h2": natpub[2], "pub": pubip}
        for host, want in expect_src.items():
            res = self.tool(host, "probe", "--to", "%s:%d" % (srv1, P1), "--to", "%s:%d" % (srv2, P1))
            seen = [r["seen"] for r in res]
            ok = all(s is not None and s.split(":")[0] == want for s in seen)
            self.check(ok, "reach+source %s" % host,
                       "%s -> %s,%s seen as %s (want %s)" % (host, srv1, srv2,
                                                              ", ".join(str(s) for s in seen), want))

        # 2. isolation: private addresses are not routed on the public side
        res = self.tool("h1", "probe", "--to", "10.0.2.10:%d" % P1, "--timeout", "2")[0]
        self.check(res["seen"] is None, "isolation h1->h2 private",
                   "connect 10.0.2.10 from h1: %s" % (res["error"] or "CONNECTED (leak!)"))
        res = self.tool("pub", "probe", "--to", "10.0.1.10:%d" % P1, "--timeout", "2")[0]
        self.check(res["seen"] is None, "isolation pub->h1 private",
                   "connect 10.0.1.10 from pub: %s" % (res["error"] or "CONNECTED (leak!)"))
        s, r, _ = self.ping("h1", "10.0.1.11", 3, 0.05)
        self.check(r > 0, "lan h1->h3", "ping 10.0.1.11 from h1: %d/%d replies" % (r, s))

        # 3. port mapping behaviour per NAT
        for i, host in ((1, "h1"), (2, "h2")):
            L = random.randint(40000, 59999)
            targets = ["%s:%d" % t for t in ((srv1, P1), (srv1, P2), (srv2, P1), (srv2, P2), (srv1, P3))]
            res = self.tool(host, "probe", "--local-port", str(L), *sum([["--to", t] for t in targets], []))
            seen = [r["seen"] for r in res]
            if any(x is None for x in seen):
                self.check(False, "mapping nat%d (%s)" % (i, mode[i]), "probe errors: %s" % res)
                continue
            ips = {x.split(":")[0] for x in seen}
            ports = [int(x.split(":")[1]) for x in seen]
            desc = "local %d -> public %s (4 echo endpoints, then re-bind -> %d)" % (
                L, ",".join(map(str, ports[:4])), ports[4])
            ip_ok = ips == {natpub[i]}
            if mode[i] == "preserve":
                ok = ip_ok and all(p == L for p in ports)
                self.check(ok, "mapping nat%d preserve" % i, desc + "; want all == %d" % L)
            elif mode[i] == "random":
                ok = ip_ok and len(set(ports)) >= 4 and ports.count(L) <= 1
                self.check(ok, "mapping nat%d random" % i, desc + "; want distinct, != local")
            elif mode[i] == "sequential":
                # nothing else crosses the NAT meanwhile: each connection takes the next port
                ok = ip_ok and all(lo <= p <= hi for p in ports) and all(
                    b - a == step for a, b in zip(ports, ports[1:]))
                self.check(ok, "mapping nat%d sequential" % i,
                           desc + "; want each port %d above the last, in %d-%d" % (step, lo, hi))
            else:
                L2 = random.randint(40000, 59999)
                res2 = self.tool(host, "probe", "--local-port", str(L2), "--to", targets[0], "--to", targets[3])
                p2 = [int(r["seen"].split(":")[1]) for r in res2 if r["seen"]]
                ok = (ip_ok and len(set(ports)) == 1 and ports[0] != L and lo <= ports[0] <= hi
                      and len(p2) == 2 and p2[0] == p2[1] and lo <= p2[0] <= hi)
                self.check(ok, "mapping nat%d offset" % i,
                           desc + "; 2nd local %d -> %s; want one port per local port, != local, in %d-%d"
                           % (L2, ",".join(map(str, p2)), lo, hi))

        # 4. unsolicited inbound SYN to each NAT's public address (closed port)
        want_cls = {"drop": ("drop", None), "rst": ("rst", None),
                    "icmp": ("icmp", [3, 3]), "icmp-admin": ("icmp", [3, 13])}
        for i in (1, 2):
            r = self.tool("pub", "synclass", "--to", "%s:%d" % (natpub[i], 17999), "--timeout", "2.5")
            wres, wicmp = want_cls[inbound[i]]
            ok = r["result"] == wres and (wicmp is None or r["icmp"] == wicmp)
            self.check(ok, "inbound nat%d %s" % (i, inbound[i]),
                       "pub SYN -> %s:17999: %s%s (connect: %s)" % (
                           natpub[i], r["result"], " %s" % r["icmp"] if r["icmp"] else "", r["connect_errno"]))

        # 5. filtering: a live mapping of h1 is not open to a third party
        L = random.randint(40000, 59999)
        rdy, stop = os.path.join(self.tmp, "hold.ready"), os.path.join(self.tmp, "hold.stop")
        self.bg("h1", "hold", "--to", "%s:%d" % (srv1, PH), "--local-port", str(L),
                "--ready", rdy, "--stop", stop, "--max-seconds", "60")
        wait_for(lambda: os.path.exists(rdy), 10, "h1 holding a connection to the server")
        mapped = int(open(rdy).read().split()[1])
        wres, wicmp = want_cls[inbound[1]]
        for who, src, sip in (("pub", "pub", pubip), ("srv same IP", "srv", srv1),
                              ("srv 2nd IP", "srv", srv2)):
            args = ["synclass", "--to", "%s:%d" % (natpub[1], mapped), "--timeout", "2.5",
                    "--source", sip]
            r = self.tool(src, *args)
            ok = r["result"] == wres and (wicmp is None or r["icmp"] == wicmp)
            self.check(ok, "filtering nat1 from %s" % who,
                       "live mapping %s:%d (h1 <-> %s:%d); SYN from %s: %s (want %s)"
                       % (natpub[1], mapped, srv1, PH, who, r["result"], inbound[1]))
        open(stop, "w").close()

        # 6. delay (ping RTT vs 2 x configured one-way delay per hop)
        d = {k: float(c[k]) for k in ("D1", "D2", "DSRV", "DPUB")}
        paths = [("h1", srv1, d["D1"] + d["DSRV"], "h1->srv (nat1 link + srv link)"),
                 ("h2", srv1, d["D2"] + d["DSRV"], "h2->srv (nat2 link + srv link)"),
                 ("h1", natpub[2], d["D1"] + d["D2"], "h1->nat2 (nat1 link + nat2 link)"),
                 ("pub", srv1, d["DPUB"] + d["DSRV"], "pub->srv (pub link + srv link)")]
        for host, dst, oneway, label in paths:
            self.ping(host, dst, 2, 0.05)  # warm ARP along the path
            s, r, rtts = self.ping(host, dst, 20, 0.05)
            if not rtts:
                self.check(False, "delay " + label.split()[0], "no ping replies (%d sent)" % s)
                continue
            exp = 2 * oneway
            med = statistics.median(rtts)
            detail = "%s: RTT min/median/max %.2f/%.2f/%.2f ms over %d, expected %.1f ms" % (
                label, min(rtts), med, max(rtts), len(rtts), exp)
            if exp > 0:
                ok = min(rtts) >= exp - 0.5 and med <= exp + max(2.0, 0.1 * exp)
            else:
                ok = med < 5.0
            self.check(ok, "delay " + label.split()[0], detail)

        # 7. loss (rough): flood-ish ping hN->srv, compare with 1-(1-p)^2
        for i, host in ((1, "h1"), (2, "h2")):
            p = float(c["L%d" % i]) / 100.0
            if p == 0 and i == 2:
                continue
            n = 600 if p > 0 else 200
            q = 1 - (1 - p) ** 2
            ctr = lambda: (self.nft_counter("nat%d" % i, "netdev", "xlloss", "seen"),
                           self.nft_counter("nat%d" % i, "netdev", "xlloss", "dropped"))
            before = ctr()
            s, r, _ = self.ping(host, srv1, n, 0.004, wait=3)
            after = ctr()
            lost = s - r
            exp = s * q
            sd = (s * q * (1 - q)) ** 0.5
            ok = s == n and abs(lost - exp) <= 4 * sd + 2
            extra = ""
            if None not in before + after and after[0] > before[0]:
                extra = "; nat%d wan0 ingress rule dropped %d/%d (%.2f%%)" % (
                    i, after[1] - before[1], after[0] - before[0],
                    100.0 * (after[1] - before[1]) / (after[0] - before[0]))
            self.check(ok, "loss %s->srv" % host,
                       "ping %d: lost %d (%.2f%%), expected ~%.1f (%.2f%% = 1-(1-%.2f%%)^2)%s"
                       % (s, lost, 100.0 * lost / max(s, 1), exp, 100 * q, 100 * p, extra))

        # 8. TCP simultaneous open through both NATs, and the close-and-relisten variant
        cone = all(mode[i] in ("preserve", "offset") for i in (1, 2))
        if not cone:
            self.skip("simopen", "a NAT is random or sequential: simopen.py does not predict the peer's next port")
        else:
            for variant in ("simultaneous", "relisten"):
                r = subprocess.run([PY, os.path.join(HERE, "simopen.py"), "run", "--prefix", self.P,
                                    "--variant", variant, "--json"],
                                   capture_output=True, text=True, timeout=120)
                for line in r.stderr.splitlines():
                    print("      " + line)
                try:
                    rep = json.loads(r.stdout.strip().splitlines()[-1])
                except (ValueError, IndexError):
                    self.check(False, "simopen %s" % variant, "no report (rc %d)" % r.returncode)
                    continue
                summary = rep["summary"]
                strict = c["LIBERAL"] == "0"
                if variant == "simultaneous" and strict and inbound[2] == "drop" and float(c["L1"]) == 0 \
                        and float(c["L2"]) == 0:
                    self.check(rep["connected"], "simopen simultaneous", summary)
                else:
                    self.info("simopen %s" % variant, summary)

        print("natlab selftest: %d PASS, %d FAIL" % (self.passed, self.failed), flush=True)
        return 0 if self.failed == 0 else 1

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        subprocess.run(["rm", "-rf", self.tmp])


def cmd_selftest(a):
    st = Selftest(a.state, a.prefix)
    try:
        rc = st.main()
    except (TimeoutError, RuntimeError, subprocess.TimeoutExpired) as e:
        print("FAIL  selftest aborted: %s" % e, flush=True)
        rc = 1
    finally:
        st.cleanup()
    sys.exit(rc)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("echo")
    p.add_argument("--listen", action="append", default=[])
    p.add_argument("--hold", action="append", default=[])
    p.add_argument("--ready", required=True)
    p.add_argument("--max-seconds", type=float, default=300)
    p = sub.add_parser("probe")
    p.add_argument("--to", action="append", required=True)
    p.add_argument("--local-port", type=int, default=0)
    p.add_argument("--timeout", type=float, default=5)
    p = sub.add_parser("synclass")
    p.add_argument("--to", required=True)
    p.add_argument("--timeout", type=float, default=2.5)
    p.add_argument("--source", default="0.0.0.0")
    p = sub.add_parser("hold")
    p.add_argument("--to", required=True)
    p.add_argument("--local-port", type=int, required=True)
    p.add_argument("--ready", required=True)
    p.add_argument("--stop", required=True)
    p.add_argument("--max-seconds", type=float, default=60)
    p = sub.add_parser("disturb")
    p.add_argument("--watch-src", required=True)
    p.add_argument("--watch-dport", type=int, action="append", required=True)
    p.add_argument("--after", type=int, action="append", default=[])
    p.add_argument("--from", dest="from_ns", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--stop", required=True)
    p.add_argument("--max-seconds", type=float, default=120)
    p = sub.add_parser("connector")
    p.add_argument("--to", required=True)
    p = sub.add_parser("selftest")
    p.add_argument("--state", required=True)
    p.add_argument("--prefix", default="xl-")
    a = ap.parse_args()
    {"echo": cmd_echo, "probe": cmd_probe, "synclass": cmd_synclass, "hold": cmd_hold,
     "disturb": cmd_disturb, "connector": cmd_connector, "selftest": cmd_selftest}[a.cmd](a)


if __name__ == "__main__":
    main()
