#!/usr/bin/python3
"""natlab wire: a two-port Ethernet link with a fixed one-way delay.

The kernel here has no netem, so this process stands in for it. It creates
two TAP devices (IFF_TAP|IFF_NO_PI), each directly inside its target network
namespace (it setns()es into the namespace before opening /dev/net/tun, so the
device is born there and never appears in the root namespace), then forwards
every frame read from one TAP to the other after DELAY ms, both ways.

One thread, one select() loop, one FIFO (deque) per direction: with a constant
delay, frames leave in arrival order, so a deque is a correct timer queue.
select() takes microsecond timeouts (epoll/poll round up to whole ms) and the
process asks for 1 us timer slack, so frames leave within tens of us of their
due time.

The process exits by itself on SIGTERM/SIGINT, when a TAP goes away, or when
either namespace is deleted or replaced (checked every 0.5 s), so a killed lab
never leaves a wire running. A TAP's fd keeps its netns alive, so this check
is what lets `ip netns del` actually free the namespace.

Usage: wire.py --a NS:IFNAME --b NS:IFNAME --delay-ms MS --pidfile FILE
               [--queue-limit N] [--mtu N]
"""
import argparse
import collections
import ctypes
import errno
import fcntl
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
PR_SET_TIMERSLACK = 29
NETNS_DIR = "/run/netns"

libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


def open_tap_in(ns, ifname):
    """Create TAP `ifname` inside netns `ns`; return (fd, ns inode)."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    nsfd = os.open(os.path.join(NETNS_DIR, ns), os.O_RDONLY)
    ino = os.fstat(nsfd).st_ino
    try:
        setns(nsfd)
        try:
            fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
            ifr = struct.pack("16sH22x", ifname.encode(), IFF_TAP | IFF_NO_PI)
            fcntl.ioctl(fd, TUNSETIFF, ifr)
        finally:
            setns(own)
    finally:
        os.close(nsfd)  # do not pin the namespace through this fd
        os.close(own)
    return fd, ino


def ns_alive(ns, ino):
    try:
        return os.stat(os.path.join(NETNS_DIR, ns)).st_ino == ino
    except OSError:
        return False


class Stop(Exception):
    pass


def on_signal(*_):
    raise Stop()  # interrupts select() at once (PEP 475 would restart it)


def forward(fd_a, fd_b, delay, queue_limit, names, dropped):
    """Move frames both ways until a TAP or a namespace goes away."""
    out_of = {fd_a: fd_b, fd_b: fd_a}
    queue = {fd_a: collections.deque(), fd_b: collections.deque()}  # keyed by input fd
    fds = [fd_a, fd_b]
    mono = time.monotonic
    next_check = mono() + 0.5
    while True:
        now = mono()
        # 1. send everything that is due (FIFO: constant delay keeps order)
        for fin in fds:
            q = queue[fin]
            fout = out_of[fin]
            while q and q[0][0] <= now:
                frame = q.popleft()[1]
                try:
                    os.write(fout, frame)
                except BlockingIOError:
                    dropped[fin] += 1
                except OSError as e:
                    # EIO: the other TAP's link is not up yet. With IPv6 on, the kernel sends
                    # ND/MLD frames as soon as one side is up; dropping them is what a cable does.
                    # A TAP that is gone shows as a failed read or a namespace gone, below.
                    if e.errno != errno.EIO:
                        return "tap write failed: %s" % e
                    dropped[fin] += 1
        # 2. liveness of the namespaces
        if now >= next_check:
            next_check = now + 0.5
            for ns, ino in names:
                if not ns_alive(ns, ino):
                    return "namespace %s gone" % ns
        # 3. sleep until input arrives or the next frame is due
        due = [queue[f][0][0] for f in fds if queue[f]]
        timeout = min(due + [next_check]) - mono()
        ready, _, _ = select.select(fds, [], [], max(0.0, timeout))
        for fin in ready:
            q = queue[fin]
            while True:
                try:
                    frame = os.read(fin, 65536)
                except BlockingIOError:
                    break
                except OSError as e:
                    return "tap read failed: %s" % e
                if not frame:
                    break
                if len(q) >= queue_limit:
                    dropped[fin] += 1
                    continue
                q.append((mono() + delay, frame))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True, help="NS:IFNAME of port A")
    ap.add_argument("--b", required=True, help="NS:IFNAME of port B")
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("--pidfile", required=True)
    ap.add_argument("--queue-limit", type=int, default=20000,
                    help="frames in flight per direction; more are dropped")
    args = ap.parse_args()

    libc.prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)
    ns_a, if_a = args.a.split(":", 1)
    ns_b, if_b = args.b.split(":", 1)
    fd_a, ino_a = open_tap_in(ns_a, if_a)
    fd_b, ino_b = open_tap_in(ns_b, if_b)
    dropped = {fd_a: 0, fd_b: 0}

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        # pidfile last: its presence tells lab.sh that both TAPs exist
        tmp = args.pidfile + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(tmp, args.pidfile)
        reason = forward(fd_a, fd_b, args.delay_ms / 1000.0, args.queue_limit,
                         [(ns_a, ino_a), (ns_b, ino_b)], dropped)
    except Stop:
        reason = "signal"
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stderr.write("wire %s<->%s exiting: %s (queue drops a->b %d, b->a %d)\n"
                     % (args.a, args.b, reason, dropped[fd_a], dropped[fd_b]))
    try:
        with open(args.pidfile) as f:
            if f.read().strip() == str(os.getpid()):
                os.unlink(args.pidfile)
    except OSError:
        pass


if __name__ == "__main__":
    main()
