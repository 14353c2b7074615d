#!/usr/bin/env python3
"""Write a pcap to stdout in parts, pausing between them, so a sensor
reading `-r /dev/stdin` runs for as long as a test needs.

usage: pcap_feed.py FILE PARTS PAUSE_S [GATE_DIR]
The packets are cut into PARTS parts of equal count; after each part but
the last it pauses PAUSE_S seconds, or, with GATE_DIR, waits until the file
GATE_DIR/go.N (N = 1, 2, ...) exists, after writing GATE_DIR/sent.N.
"""
import os
import signal
import struct
import sys
import time

# a reader killed by a test is not an error of ours
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
path, parts, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
gate = sys.argv[4] if len(sys.argv) > 4 else None
data = open(path, "rb").read()
out = sys.stdout.buffer
magic = struct.unpack("<I", data[:4])[0]
endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
pkts = []
off = 24
while off + 16 <= len(data):
    incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
    pkts.append((off, off + 16 + incl))
    off += 16 + incl
out.write(data[:24])
per = (len(pkts) + parts - 1) // parts
for p in range(parts):
    chunk = pkts[p * per:(p + 1) * per]
    if chunk:
        out.write(data[chunk[0][0]:chunk[-1][1]])
    out.flush()
    if p + 1 < parts:
        if gate:
            open(os.path.join(gate, "sent.%d" % (p + 1)), "w").close()
            while not os.path.exists(os.path.join(gate, "go.%d" % (p + 1))):
                time.sleep(0.05)
        else:
            time.sleep(pause)
