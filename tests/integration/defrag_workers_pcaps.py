#!/usr/bin/env python3
"""defrag_workers_pcaps.py OUT.pcap [--no-close] [--flows N]: flows whose one
fragmented datagram only a worker holding the flow's state can judge.

Each flow (TCP and UDP, over IPv4 and IPv6, N of each (12), interleaved) sends
unfragmented packets first (TCP: handshake and a LOGIN segment; UDP: HELLO
and its answer), then one datagram cut into fragments (some sent last
fragment first) whose payload holds FRAGCMD-<kind>-<n> across a fragment
boundary, then (unless --no-close) a server answer and, for TCP, a FIN
exchange. The rules of test_defrag_workers.sh alert on FRAGCMD only on an
established flow whose earlier packet set a flowbit, so the datagram
alerts exactly once, and only if it is inspected by the worker that has the
flow, at its place in the flow (before the teardown).

Fragments carry no ports, so a dispatcher hashing addresses and ports puts
them on a worker picked by addresses only: with several workers most of
these flows have their datagram reassembled by another worker.

Prints the number of fragmented datagrams (one alert each is expected).
Classic pcap, Ethernet, one packet per millisecond."""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return (~s) & 0xffff


def l4(proto, src, dst, sp, dp, data, seq=0, ack=0, flags=0):
    if proto == 6:
        h = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    else:
        h = struct.pack('!HHHH', sp, dp, 8 + len(data), 0)
    if len(src) == 4:
        ph = src + dst + struct.pack('!BBH', 0, proto, len(h) + len(data))
    else:
        ph = src + dst + struct.pack('!IxxxB', len(h) + len(data), proto)
    c = csum(ph + h + data)
    off = 16 if proto == 6 else 6
    return h[:off] + struct.pack('!H', c) + h[off + 2:] + data


def ip4(src, dst, proto, payload, off8=0, mf=False, ident=0):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident,
                    (0x2000 if mf else 0) | off8, 64, proto, 0, src, dst)
    return b'\x08\x00' + h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload


def ip6(src, dst, nh, payload):
    h = struct.pack('!IHBB16s16s', 0x60000000, len(payload), nh, 64, src, dst)
    return b'\x86\xdd' + h + payload


def ip6frag(src, dst, proto, part, off8, mf, ident):
    fh = struct.pack('!BBHI', proto, 0, (off8 << 3) | (1 if mf else 0), ident)
    return ip6(src, dst, 44, fh + part)


def eth(l3):
    return b'\x02\x00\x00\x00\x00\x02' + b'\x02\x00\x00\x00\x00\x01' + l3


class Flow:
    def __init__(self, v6, proto, n):
        self.v6, self.proto, self.n = v6, proto, n
        if v6:
            self.c = bytes.fromhex('20010db8000000000000000000000000')[:14] + struct.pack('!H', n + 1)
            self.s = bytes.fromhex('20010db8000100000000000000000000')[:15] + bytes([n % 5 + 1])
        else:
            self.c = bytes([10, 1, n // 200, n % 200 + 1])
            self.s = bytes([10, 2, 0, n % 5 + 1])
        self.cp = 20000 + (7 * n + (3 if v6 else 0)) % 40000
        self.sp = 7001 if proto == 6 else 7002
        self.cs, self.ss = 1000 + n, 50000 + n
        self.kind = ('tcp' if proto == 6 else 'udp') + ('6' if v6 else '4')
        self.ident = 0x100 + (n & 0xfff) + (0x1000 if v6 else 0) + (0x2000 if proto == 17 else 0)

    def ip(self, to_server, payload):
        src, dst = (self.c, self.s) if to_server else (self.s, self.c)
        return eth(ip6(src, dst, self.proto, payload) if self.v6 else
                   ip4(src, dst, self.proto, payload))

    def pkt(self, to_server, data=b'', flags=0x18):
        src, dst = (self.c, self.s) if to_server else (self.s, self.c)
        sp, dp = (self.cp, self.sp) if to_server else (self.sp, self.cp)
        seq, ack = (self.cs, self.ss) if to_server else (self.ss, self.cs)
        seg = l4(self.proto, src, dst, sp, dp, data, seq, ack, flags)
        if self.proto == 6:
            adv = len(data) + (1 if flags & 0x03 else 0)
            if to_server:
                self.cs += adv
            else:
                self.ss += adv
        return self.ip(to_server, seg)

    def frags(self, data, reverse):
        """The client's datagram with data, in 8-byte aligned fragments; the
        marker straddles the first boundary."""
        seg = l4(self.proto, self.c, self.s, self.cp, self.sp, data, self.cs, self.ss, 0x18)
        if self.proto == 6:
            self.cs += len(data)
        cut = [0, 40, 80, len(seg)]
        out = []
        for i in range(3):
            part, mf = seg[cut[i]:cut[i + 1]], i < 2
            if self.v6:
                out.append(eth(ip6frag(self.c, self.s, self.proto, part, cut[i] // 8, mf,
                                       self.ident)))
            else:
                out.append(eth(ip4(self.c, self.s, self.proto, part, cut[i] // 8, mf,
                                   self.ident)))
        return out[::-1] if reverse else out

    def script(self, close):
        """This flow's packets in order, as lists of frames per step."""
        st = []
        if self.proto == 6:
            st.append([self.pkt(True, flags=0x02)])
            st.append([self.pkt(False, flags=0x12)])
            st.append([self.pkt(True, flags=0x10)])
            st.append([self.pkt(True, b'LOGIN user%d\r\n' % self.n)])
            st.append([self.pkt(False, b'OK\r\n')])
        else:
            st.append([self.pkt(True, b'HELLO %d' % self.n)])
            st.append([self.pkt(False, b'WELCOME')])
        # marker at bytes 30..52 of the L4 payload: over the fragment
        # boundary at 40 bytes of transport (TCP 20 + UDP 8 header)
        data = (b'x' * 24 + b'FRAGCMD-%s-%02d' % (self.kind.encode(), self.n)).ljust(100, b'y')
        st.append(self.frags(data, reverse=self.n % 3 == 1))
        if close:
            st.append([self.pkt(False, b'DONE\r\n')])
            if self.proto == 6:
                st.append([self.pkt(True, flags=0x11)])
                st.append([self.pkt(False, flags=0x11)])
                st.append([self.pkt(True, flags=0x10)])
        return st


def main(argv):
    close, nflows, args = True, 12, []
    while argv:
        a = argv.pop(0)
        if a == '--no-close':
            close = False
        elif a == '--flows' and argv:
            nflows = int(argv.pop(0))
        else:
            args.append(a)
    if len(args) != 1 or not 0 < nflows <= 40000:
        sys.exit(__doc__)
    argv = args
    flows = [Flow(v6, proto, n) for n in range(nflows) for v6 in (False, True)
             for proto in (6, 17)]
    scripts = [f.script(close) for f in flows]
    # interleave: step k of every flow, flows rotating so neighbours differ
    frames = []
    step = 0
    while any(step < len(s) for s in scripts):
        for i in range(len(scripts)):
            s = scripts[(i + step) % len(scripts)]
            if step < len(s):
                frames.extend(s[step])
        step += 1
    with open(argv[0], 'wb') as out:
        out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, f in enumerate(frames):
            out.write(struct.pack('<IIII', 1700000000 + i // 1000, (i % 1000) * 1000,
                                  len(f), len(f)) + f)
    print(len(flows))


if __name__ == '__main__':
    main(sys.argv[1:])
