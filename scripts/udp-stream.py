#!/usr/bin/env python3
"""A counted UDP stream, for the upgrade tests (tests/bats/upgrade.bash) and
the upgrade benchmark (scripts/bench-upgrade.sh).

  udp-stream.py echo ADDR PORT READY FLOWING STOP OUT
  udp-stream.py send DST PORT RATE STOP OUT

echo: echoes every datagram to ADDR:PORT back to its sender; touches READY
once it listens and FLOWING at the first datagram; once STOP exists, writes
{"received": distinct sequence numbers, "echo_dups": repeats} to OUT.

send: sends DST:PORT RATE datagrams a second (after a stall of the sender,
on at that rate, not in a burst), 64 bytes each, the first 8 its sequence
number, and counts the echoes; once STOP exists it waits up to 2 s for the
last echoes and writes to OUT {"sent", "echoed" (distinct sequence numbers
back), "dups", "bogus", "errors" (send and receive errors: an ICMP error
from the path), "max_gap_us" (the longest time between two echoes in a row,
by the kernel's receive timestamps), "gaps" (the first 1000 gaps over
5 ms: [end, length], end in ns of CLOCK_REALTIME, length in us)}.

Both hold 4 MB of datagrams unread (SO_RCVBUFFORCE: the default would be a
fraction of a second's worth, too little should a process stall).
"""
import json
import os
import socket
import struct
import sys
import time

SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
GAP_NS = 5_000_000
MAX_GAPS = 1000


def echo(addr, port, ready, flowing, stop, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 1 << 22)
    s.bind((addr, int(port)))
    s.settimeout(0.05)
    open(ready, "w").close()
    seen, dups = set(), 0
    while not os.path.exists(stop):
        try:
            d, peer = s.recvfrom(2048)
        except socket.timeout:
            continue
        q = int.from_bytes(d[:8], "big")
        if q in seen:
            dups += 1
        elif not seen:
            open(flowing, "w").close()
        seen.add(q)
        s.sendto(d, peer)
    with open(out, "w") as f:
        json.dump(dict(received=len(seen), echo_dups=dups), f)


def send(dst, port, rate, stop, out):
    rate = int(rate)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 1 << 22)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.connect((dst, int(port)))
    s.setblocking(False)
    seen = bytearray(rate * 600)
    c = dict(sent=0, echoed=0, dups=0, bogus=0, errors=0, max_gap_us=0, gaps=[])
    last = [0]  # the receive time of the last new echo, ns

    def arrived(anc):
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                sec, nsec = struct.unpack("qq", data[:16])
                return sec * 1_000_000_000 + nsec
        return time.time_ns()

    def drain():
        while True:
            try:
                d, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(16))
            except BlockingIOError:
                return
            except OSError:
                c["errors"] += 1
                continue
            q = int.from_bytes(d[:8], "big")
            if len(d) != 64 or q >= c["sent"]:
                c["bogus"] += 1
            elif seen[q]:
                c["dups"] += 1
            else:
                seen[q] = 1
                c["echoed"] += 1
                t = arrived(anc)
                if last[0]:
                    gap = t - last[0]
                    c["max_gap_us"] = max(c["max_gap_us"], gap // 1000)
                    if gap > GAP_NS and len(c["gaps"]) < MAX_GAPS:
                        c["gaps"].append([t, gap // 1000])
                last[0] = max(last[0], t)

    t0 = time.monotonic()
    while not os.path.exists(stop) and c["sent"] < len(seen):
        due = min(int((time.monotonic() - t0) * rate) + 1, len(seen))
        if due - c["sent"] > 64:  # stalled: carry on at the rate, no burst to catch up
            t0 += (due - c["sent"] - 64) / rate
            due = c["sent"] + 64
        while c["sent"] < due:
            try:
                s.send(c["sent"].to_bytes(8, "big") + bytes(56))
            except BlockingIOError:
                break
            except OSError:
                c["errors"] += 1
                break
            c["sent"] += 1
        drain()
        time.sleep(0.002)
    end = time.monotonic() + 2
    while c["echoed"] < c["sent"] and time.monotonic() < end:
        drain()
        time.sleep(0.005)
    with open(out, "w") as f:
        json.dump(c, f)


if __name__ == "__main__":
    modes = {"echo": (echo, 6), "send": (send, 5)}
    if len(sys.argv) < 2 or sys.argv[1] not in modes or len(sys.argv) != modes[sys.argv[1]][1] + 2:
        sys.exit(__doc__)
    modes[sys.argv[1]][0](*sys.argv[2:])
