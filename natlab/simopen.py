#!/usr/bin/python3
"""TCP hole punching between two NATed hosts of the natlab (python3 stdlib).

Question it answers: does Linux conntrack (default strict TCP tracking) let a
direct TCP connection come up through two NATs when

  simultaneous  A keeps the socket that sent the hole-punching SYN and keeps
                connecting from it (TCP simultaneous open when B's SYN meets it;
                on an error A retries connect() from a new socket on the same
                port) -- the "keep the SYN socket" fix; and
  relisten      A closes the socket that sent the hole-punching SYN and listens
                on a new socket bound to the same port (what the original
                XSTUNT client does in step 6)?

Sequence (`run`, from the root namespace, lab up):
  1. each side binds its fixed local port and connects to an echo service in
     the server namespace to learn its public address (the echo service is
     started and stopped here);
  2. A connects to B's public address:port (SO_REUSEADDR+SO_REUSEPORT);
  3. the driver waits until B's NAT has dropped/rejected that SYN (it polls the
     lab's nft counter `inbound_tcp` of B's NAT) -- no timing guesses;
  4. relisten only: A closes its SYN socket and listens on a new one;
  5. B connects to A's public address:port;
  6. each side reports whether a connection came up, the remote address it
     sees, and the line the other side sent over it.

Subcommands `side`, `echo`, `probe` are run inside the namespaces by `run`.
Exit status of `run`: 0 = direct connection on both sides, 1 = not.
"""
import argparse
import errno
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
ME = os.path.abspath(__file__)


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def fmt(a):
    return "%s:%d" % (a[0], a[1])


def ename(e):
    return errno.errorcode.get(e, str(e))


def wait_file(path, deadline, what):
    while not os.path.exists(path):
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(0.01)


def bound_socket(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("0.0.0.0", port))
    return s


def touch(path):
    open(path, "w").close()


# ---------------------------------------------------------------- in-namespace

def cmd_echo(a):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(hostport(a.listen))
    ls.listen(16)
    touch(a.ready)
    end = time.monotonic() + a.max_seconds
    while time.monotonic() < end:
        r, _, _ = select.select([ls], [], [], 0.5)
        if r:
            c, peer = ls.accept()
            try:
                c.sendall(("%s %d\n" % peer).encode())
            finally:
                c.close()


def cmd_probe(a):
    s = bound_socket(a.local_port)
    s.settimeout(5)
    s.connect(hostport(a.to))
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(100)
        if not d:
            break
        buf += d
    s.close()
    ip, port = buf.decode().split()
    print(json.dumps({"public": "%s:%s" % (ip, port)}))


def exchange(s, role, rep):
    rep["connected"] = True
    rep["local"] = fmt(s.getsockname())
    rep["peer"] = fmt(s.getpeername())
    s.settimeout(5)
    try:
        s.sendall(("hello from %s\n" % role).encode())
        buf = b""
        while not buf.endswith(b"\n"):
            d = s.recv(100)
            if not d:
                break
            buf += d
        rep["received"] = buf.decode().strip()
    except OSError as e:
        rep["errors"].append("exchange: " + ename(e.errno))


def connect_until(port, peer, deadline, rep, on_first_syn=None):
    """Connect from `port` to `peer`, retrying from a new socket after an
    error, until connected or the deadline. Returns the socket or None."""
    first = True
    while time.monotonic() < deadline:
        s = bound_socket(port)
        s.setblocking(False)
        rep["attempts"] += 1
        rc = s.connect_ex(peer)
        if first and on_first_syn:
            on_first_syn()
        first = False
        if rc not in (0, errno.EINPROGRESS):
            rep["errors"].append(ename(rc))
            s.close()
            time.sleep(0.1)
            continue
        _, w, _ = select.select([], [s], [], max(0.0, deadline - time.monotonic()))
        if not w:
            rep["errors"].append("timeout")
            s.close()
            return None
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err == 0:
            s.setblocking(True)
            return s
        rep["errors"].append(ename(err))
        s.close()
        time.sleep(0.1)  # bounded by the deadline; avoids a SYN storm after RSTs
    return None


def cmd_side(a):
    t0 = time.monotonic()
    deadline = t0 + a.deadline
    peer = hostport(a.peer)
    rep = {"role": a.role, "variant": a.variant, "connected": False, "local": None,
           "peer": None, "received": None, "attempts": 0, "errors": []}
    d = a.dir
    try:
        if a.role == "A" and a.variant == "simultaneous":
            s = connect_until(a.local_port, peer, deadline, rep,
                              on_first_syn=lambda: touch(os.path.join(d, "A.sent")))
            if s:
                exchange(s, "A", rep)
                s.close()
        elif a.role == "A":  # relisten
            s1 = bound_socket(a.local_port)
            s1.setblocking(False)
            rep["attempts"] += 1
            s1.connect_ex(peer)
            touch(os.path.join(d, "A.sent"))
            wait_file(os.path.join(d, "A.close"), deadline, "the driver's go to close")
            err = s1.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            rep["errors"].append("syn socket: " + (ename(err) if err else "still connecting"))
            s1.close()
            ls = bound_socket(a.local_port)
            ls.listen(4)
            touch(os.path.join(d, "A.listening"))
            r, _, _ = select.select([ls], [], [], max(0.0, deadline - time.monotonic()))
            if r:
                s, _ = ls.accept()
                exchange(s, "A", rep)
                s.close()
            else:
                rep["errors"].append("accept timeout")
            ls.close()
        else:  # B
            wait_file(os.path.join(d, "B.go"), deadline, "the driver's go")
            s = connect_until(a.local_port, peer, deadline, rep)
            if s:
                exchange(s, "B", rep)
                s.close()
    except (OSError, TimeoutError) as e:
        rep["errors"].append(str(e))
    rep["elapsed_ms"] = round((time.monotonic() - t0) * 1000)
    print(json.dumps(rep))


# ---------------------------------------------------------------- driver

class Driver:
    def __init__(self, a):
        self.a = a
        self.P = a.prefix
        self.dir = tempfile.mkdtemp(prefix="simopen-")
        self.procs = []

    def nsargv(self, short, *argv):
        return ["ip", "netns", "exec", self.P + short] + list(argv)

    def run(self, short, *argv, timeout=30):
        return subprocess.run(self.nsargv(short, *argv), capture_output=True, text=True, timeout=timeout)

    def me(self, short, *argv):
        p = subprocess.Popen(self.nsargv(short, PY, ME, *argv), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def counter(self, nat):
        r = self.run(nat, "nft", "list", "counter", "inet", "xlnat", "inbound_tcp")
        if r.returncode != 0:
            raise RuntimeError("no nft counter inbound_tcp in %s%s (is the lab up?)" % (self.P, nat))
        return int(r.stdout.split("packets")[1].split()[0])

    def named_counter(self, nat, name):
        r = self.run(nat, "nft", "list", "counter", "inet", "xlnat", name)
        return int(r.stdout.split("packets")[1].split()[0]) if r.returncode == 0 else -1

    def conntrack(self, nat, port):
        r = self.run(nat, "conntrack", "-L", "-p", "tcp", "--orig-port-src", str(port))
        lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
        return [" ".join(ln.split()) for ln in lines]

    def log(self, msg):
        sys.stderr.write("simopen: %s\n" % msg)
        sys.stderr.flush()

    def go(self):
        a = self.a
        # 1. public addresses via the echo service
        ready = os.path.join(self.dir, "echo.ready")
        self.me("srv", "echo", "--listen", "%s:%d" % (a.server, a.echo_port), "--ready", ready,
                "--max-seconds", "60")
        wait_file(ready, time.monotonic() + 10, "the echo service")
        pub = {}
        for role, host, port in (("A", a.a, a.a_port), ("B", a.b, a.b_port)):
            r = self.run(host, PY, ME, "probe", "--local-port", str(port), "--to",
                         "%s:%d" % (a.server, a.echo_port))
            if r.returncode != 0:
                raise RuntimeError("probe from %s failed: %s" % (host, r.stderr.strip()))
            pub[role] = json.loads(r.stdout)["public"]
        for p in self.procs:
            p.terminate()
            p.wait(timeout=5)
        self.procs = []
        self.log("A=%s%s local :%d public %s; B=%s%s local :%d public %s" % (
            self.P, a.a, a.a_port, pub["A"], self.P, a.b, a.b_port, pub["B"]))
        if pub["A"].split(":")[0] == pub["B"].split(":")[0]:
            return {"connected": False, "summary": "same public IP (hairpin case), not tested"}

        # 2. A sends the hole-punching SYN
        base_b = self.counter(a.nat_b)
        inv_a0 = self.named_counter(a.nat_a, "fwd_invalid")
        T = str(a.deadline)
        pa = self.me(a.a, "side", "--role", "A", "--variant", a.variant, "--local-port", str(a.a_port),
                     "--peer", pub["B"], "--dir", self.dir, "--deadline", T)
        pb = self.me(a.b, "side", "--role", "B", "--variant", a.variant, "--local-port", str(a.b_port),
                     "--peer", pub["A"], "--dir", self.dir, "--deadline", T)
        dl = time.monotonic() + 10
        wait_file(os.path.join(self.dir, "A.sent"), dl, "A's first SYN")
        # 3. ... and B's NAT has dropped/rejected it
        while self.counter(a.nat_b) <= base_b:
            if time.monotonic() >= dl:
                raise TimeoutError("A's SYN never reached %s%s (inbound_tcp counter unchanged)"
                                   % (self.P, a.nat_b))
            time.sleep(0.01)
        ct_a = self.conntrack(a.nat_a, a.a_port)
        self.log("A's SYN was %s by %s%s; %s%s conntrack: %s" % (
            "dropped/rejected", self.P, a.nat_b, self.P, a.nat_a, ct_a or "none"))
        # 4. relisten: close the SYN socket, listen on a new one
        if a.variant == "relisten":
            touch(os.path.join(self.dir, "A.close"))
            wait_file(os.path.join(self.dir, "A.listening"), time.monotonic() + 10, "A listening")
        # 5. B connects
        touch(os.path.join(self.dir, "B.go"))
        res = {}
        for role, p in (("A", pa), ("B", pb)):
            try:
                out, err = p.communicate(timeout=a.deadline + 15)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
            try:
                res[role] = json.loads(out.strip().splitlines()[-1])
            except (ValueError, IndexError):
                res[role] = {"connected": False, "errors": ["no report: " + err.strip()[-300:]]}
        inv_a = self.named_counter(a.nat_a, "fwd_invalid") - inv_a0
        ct_a = self.conntrack(a.nat_a, a.a_port)
        ct_b = self.conntrack(a.nat_b, a.b_port)
        self.log("after: %s%s conntrack: %s" % (self.P, a.nat_a, ct_a or "none"))
        self.log("after: %s%s conntrack: %s" % (self.P, a.nat_b, ct_b or "none"))
        self.log("%s%s forward 'ct state invalid' drops during the attempt: %d" % (self.P, a.nat_a, inv_a))
        ok = bool(res["A"].get("connected") and res["B"].get("connected")
                  and res["A"].get("received") == "hello from B"
                  and res["B"].get("received") == "hello from A")

        def side(r):
            if r.get("connected"):
                return "%s sees %s, got %r" % (r["local"], r["peer"], r.get("received"))
            return "no connection (%s)" % ", ".join(r.get("errors", [])[-4:])
        summary = "%s: %s; A[%s]: %s; B[%s]: %s; invalid drops at %s%s: %d" % (
            a.variant, "DIRECT CONNECTION UP" if ok else "NO DIRECT CONNECTION",
            a.a, side(res["A"]), a.b, side(res["B"]), self.P, a.nat_a, inv_a)
        return {"connected": ok, "summary": summary, "public": pub, "A": res["A"], "B": res["B"],
                "invalid_drops_nat_a": inv_a, "conntrack_a": ct_a, "conntrack_b": ct_b}

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def cmd_run(a):
    drv = Driver(a)
    try:
        rep = drv.go()
    except (TimeoutError, RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        rep = {"connected": False, "summary": "%s: error: %s" % (a.variant, e)}
    finally:
        drv.cleanup()
    if a.json:
        print(json.dumps(rep))
    else:
        print(rep["summary"])
    sys.exit(0 if rep["connected"] else 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run", help="drive one attempt across the lab")
    p.add_argument("--variant", choices=("simultaneous", "relisten"), default="simultaneous")
    p.add_argument("--prefix", default=os.environ.get("NATLAB_PREFIX", "xl-"))
    p.add_argument("--a", default="h1", help="namespace (without prefix) of side A")
    p.add_argument("--b", default="h2")
    p.add_argument("--nat-a", default="nat1")
    p.add_argument("--nat-b", default="nat2")
    p.add_argument("--a-port", type=int, default=None, help="default: random 40000-59999")
    p.add_argument("--b-port", type=int, default=None)
    p.add_argument("--server", default="198.51.100.10")
    p.add_argument("--echo-port", type=int, default=17100)
    p.add_argument("--deadline", type=float, default=8.0, help="seconds per side")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("side")
    p.add_argument("--role", choices=("A", "B"), required=True)
    p.add_argument("--variant", required=True)
    p.add_argument("--local-port", type=int, required=True)
    p.add_argument("--peer", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--deadline", type=float, required=True)
    p = sub.add_parser("echo")
    p.add_argument("--listen", required=True)
    p.add_argument("--ready", required=True)
    p.add_argument("--max-seconds", type=float, default=60)
    p = sub.add_parser("probe")
    p.add_argument("--local-port", type=int, required=True)
    p.add_argument("--to", required=True)
    a = ap.parse_args()
    if a.cmd == "run":
        import random
        # fresh ports each run so that no old conntrack entry or TIME_WAIT is reused
        a.a_port = a.a_port or random.randint(40000, 49999)
        a.b_port = a.b_port or random.randint(50000, 59999)
    {"run": cmd_run, "side": cmd_side, "echo": cmd_echo, "probe": cmd_probe}[a.cmd](a)


if __name__ == "__main__":
    main()
