#!/usr/bin/env python3
"""CLI start-up: time from spawning `xstunt listen --json` to its `registered` event, its CPU time
and peak RSS, with and without the start-up cache, one process and N processes at once.

Run through bench/startup.sh (which finds the JDK and the jars). One STUNT server (the CLI's own,
on 127.0.15.1/127.0.15.2, free ports) serves every run; each listener probes the NAT (a fresh
fingerprint path) as a first start does, then is ended with SIGTERM once it has registered.
Figures are wall-clock milliseconds on this machine, printed with the load average; they are
measurements, not assertions.
"""
import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SERVER_IPS = ("127.0.15.1", "127.0.15.2")


def start_server(cmd):
    p = subprocess.Popen(cmd + ["server", "--json", "--ip1", SERVER_IPS[0], "--ip2", SERVER_IPS[1],
                                "--log-port", "0", "--comm-port", "0", "--echo-ports", "0,0",
                                "--max-per-source", "4096"],
                         stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        ev = json.loads(line)
        if ev.get("event") == "server":
            return p, ev
    p.kill()
    raise SystemExit("startup: the server did not report its ports within 30 s")


def spawn_listener(cmd, server, workdir, n):
    fp = os.path.join(workdir, "fp-%d.dat" % n)
    args = cmd + ["listen", "--json", "--id", "startup-%d-%d" % (os.getpid(), n),
                  "--server", ",".join(SERVER_IPS), "--log-port", str(server["logPort"]),
                  "--comm-port", str(server["commPort"]), "--fingerprint", fp]
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p, t0


def await_registered(p, t0, timeout_s=30.0):
    """Reads stdout until the registered event; returns (ms to registered, stderr lines)."""
    deadline = t0 + timeout_s
    while True:
        if time.monotonic() > deadline:
            raise RuntimeError("no registered event within %.0f s" % timeout_s)
        line = p.stdout.readline()
        if not line:
            raise RuntimeError("the listener exited before registering: " + p.stderr.read())
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("event") == "registered":
            return (time.monotonic() - t0) * 1000.0
        if ev.get("event") == "error":
            raise RuntimeError("the listener failed: " + line.strip())


def finish(p):
    """Ends a listener; returns (peak RSS MiB, CPU s, its stderr)."""
    p.send_signal(signal.SIGTERM)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = status
    err = p.stderr.read()
    return ru.ru_maxrss / 1024.0, ru.ru_utime + ru.ru_stime, err


def run_batch(cmd, server, workdir, count):
    procs = [spawn_listener(cmd, server, workdir, i) for i in range(count)]
    times, rss, cpu, errs = [None] * count, [], [], set()
    failures = []

    def watch(i):
        # one reader per process, so that each event is timed when it arrives, not when read
        try:
            times[i] = await_registered(*procs[i])
        except RuntimeError as e:
            failures.append(str(e))

    readers = [threading.Thread(target=watch, args=(i,)) for i in range(count)]
    for r in readers:
        r.start()
    for r in readers:
        r.join()
    for p, _ in procs:
        r, c, e = finish(p)
        rss.append(r)
        cpu.append(c)
        errs.update(l for l in e.splitlines() if l.strip())
    if failures:
        raise SystemExit("startup: %d of %d listeners failed: %s" % (len(failures), count, failures[0]))
    return times, rss, cpu, errs


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10, help="single-process runs per variant")
    ap.add_argument("--parallel", type=int, default=24, help="processes started at once")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of the parallel start per variant")
    ap.add_argument("variant", nargs="+", help="NAME=COMMAND (the CLI as a command line, shell words)")
    a = ap.parse_args()
    variants = []
    for v in a.variant:
        name, _, command = v.partition("=")
        variants.append((name, command.split()))
    with tempfile.TemporaryDirectory(prefix="xstunt-startup-") as workdir:
        server, info = start_server(variants[0][1])
        try:
            print("# load average at start: %s" % open("/proc/loadavg").read().split()[:3])
            print("%-10s %-10s %5s %9s %9s %9s %9s %9s" % ("variant", "mode", "n", "p50 ms", "p90 ms",
                                                          "max ms", "RSS MiB", "CPU ms"))
            for name, cmd in variants:
                # one unmeasured start warms the page cache for the jars and the cache file
                run_batch(cmd, info, workdir, 1)
                for mode, count, rounds in (("single", 1, a.runs), ("x%d" % a.parallel, a.parallel, a.rounds)):
                    times, rss, cpu, errs = [], [], [], set()
                    for _ in range(rounds):
                        t, r, c, e = run_batch(cmd, info, workdir, count)
                        times += t
                        rss += r
                        cpu += c
                        errs |= e
                    print("%-10s %-10s %5d %9.0f %9.0f %9.0f %9.1f %9.0f" % (
                        name, mode, len(times), statistics.median(times), pct(times, 0.9), max(times),
                        statistics.median(rss), statistics.median(cpu) * 1000))
                    for line in sorted(errs):
                        print("#   %s stderr: %s" % (name, line))
                    sys.stdout.flush()
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
