#!/usr/bin/env python3
# evasion_pcaps.py DIR: write crafted captures for test_evasion.sh, each a
# way to slip an attack past a sensor that reassembles or parses naively:
# fragments, split first segments, bogus RSTs, close-delimited bodies,
# captures that just end. Deterministic; classic pcap, Ethernet.
import struct
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b)//2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
C=bytes([10,0,0,1]); S=bytes([10,0,0,2])
def ip4(src,dst,proto,payload,off8=0,mf=False,ident=0x1234):
    h = struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(payload),ident,(0x2000 if mf else 0)|off8,64,proto,0,src,dst)
    return h[:10]+struct.pack('!H',csum(h))+h[12:]+payload
def tcp(src,dst,sp,dp,seq,ack,flags,data=b''):
    h = struct.pack('!HHIIBBHHH',sp,dp,seq,ack,5<<4,flags,65535,0,0)
    ph = src+dst+struct.pack('!BBH',0,6,len(h)+len(data))
    c = csum(ph+h+data)
    h = h[:16]+struct.pack('!H',c)+h[18:]
    return h+data
def udp(src,dst,sp,dp,data):
    return struct.pack('!HHHH',sp,dp,8+len(data),0)+data
def eth(ip): return b'\x02'*6+b'\x04'*6+b'\x08\x00'+ip
def write(path, frames):
    with open(path,'wb') as out:
        out.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))
        for i,f in enumerate(frames):
            out.write(struct.pack('<IIII',1700000000+i//1000,(i%1000)*1000,len(f),len(f))+f)
F=0x01;SYN=0x02;RST=0x04;PSH=0x08;ACK=0x10
class Conn:
    def __init__(s, cp=40000, sp=80):
        s.cp, s.sp = cp, sp; s.cs=1000; s.ss=5000; s.fr=[]
    def hs(s):
        s.fr.append(eth(ip4(C,S,6,tcp(C,S,s.cp,s.sp,s.cs,0,SYN)))); s.cs+=1
        s.fr.append(eth(ip4(S,C,6,tcp(S,C,s.sp,s.cp,s.ss,s.cs,SYN|ACK)))); s.ss+=1
        s.fr.append(eth(ip4(C,S,6,tcp(C,S,s.cp,s.sp,s.cs,s.ss,ACK))))
    def c(s,data,flags=PSH|ACK,seq=None):
        q = s.cs if seq is None else seq
        s.fr.append(eth(ip4(C,S,6,tcp(C,S,s.cp,s.sp,q,s.ss,flags,data))))
        if seq is None: s.cs += len(data) + (1 if flags&F else 0)
    def s(s_,data,flags=PSH|ACK,seq=None):
        q = s_.ss if seq is None else seq
        s_.fr.append(eth(ip4(S,C,6,tcp(S,C,s_.sp,s_.cp,q,s_.cs,flags,data))))
        if seq is None: s_.ss += len(data) + (1 if flags&F else 0)

import os, sys
os.chdir(sys.argv[1])
# T1 UDP: marker wholly in first fragment
data = b'FRAGMARKER' + b'B'*60
u = udp(C,S,40000,9999,data)
write('t1_udp.pcap',[eth(ip4(C,S,17,u[:40],0,True)), eth(ip4(C,S,17,u[40:],5,False))])
# T1 over IPv6: the marker split across two fragments (UDP bytes 38..48,
# cut at 40), for a UDP and a TCP (after a handshake) datagram
C6=bytes.fromhex('20010db8000000000000000000000001'); S6=bytes.fromhex('20010db8000000000000000000000002')
def ip6(src,dst,nh,payload):
    return struct.pack('!IHBB16s16s',0x60000000,len(payload),nh,64,src,dst)+payload
def ip6frag(src,dst,proto,part,off8,mf,ident):
    return ip6(src,dst,44,struct.pack('!BBHI',proto,0,(off8<<3)|(1 if mf else 0),ident)+part)
def eth6(ip): return b'\x02'*6+b'\x04'*6+b'\x86\xdd'+ip
u6 = udp(C6,S6,40000,9999,b'A'*30+b'FRAGMARKER'+b'B'*40)
write('t1_udp6.pcap',[eth6(ip6frag(C6,S6,17,u6[:40],0,True,0x6666)), eth6(ip6frag(C6,S6,17,u6[40:],5,False,0x6666))])
def tcp6(src,dst,sp,dp,seq,ack,flags,data=b''):
    return struct.pack('!HHIIBBHHH',sp,dp,seq,ack,5<<4,flags,65535,0,0)+data
seg6 = tcp6(C6,S6,40001,9998,1001,5001,PSH|ACK,b'A'*18+b'FRAGMARKER'+b'B'*40)
write('t1_tcp6.pcap',[eth6(ip6(C6,S6,6,tcp6(C6,S6,40001,9998,1000,0,SYN))),
                      eth6(ip6(S6,C6,6,tcp6(S6,C6,9998,40001,5000,1001,SYN|ACK))),
                      eth6(ip6(C6,S6,6,tcp6(C6,S6,40001,9998,1001,5001,ACK))),
                      eth6(ip6frag(C6,S6,6,seg6[40:],5,False,0x6667)),
                      eth6(ip6frag(C6,S6,6,seg6[:40],0,True,0x6667))])
# T1 TCP: handshake, then a segment fragmented, marker in first fragment
c = Conn(40001, 9998); c.hs()
seg = tcp(C,S,c.cp,c.sp,c.cs,c.ss,PSH|ACK,b'FRAGMARKER'+b'B'*60)
c.fr.append(eth(ip4(C,S,6,seg[:40],0,True,0x4444))); c.fr.append(eth(ip4(C,S,6,seg[40:],5,False,0x4444)))
write('t1_tcp.pcap', c.fr)
# T2 HTTP split first segment
c = Conn(40002); c.hs(); c.c(b'GE'); c.c(b'T /evil HTTP/1.1\r\nHost: x\r\n\r\n')
c.s(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'); write('t2_split.pcap', c.fr)
c = Conn(40003); c.hs(); c.c(b'GET /evil HTTP/1.1\r\nHost: x\r\n\r\n')
c.s(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'); write('t2_ctl.pcap', c.fr)
# T3 bogus RST from server (seq way off), then second request
for name, bogus in (('t3_rst.pcap', True), ('t3_ctl.pcap', False)):
    c = Conn(40004); c.hs(); c.c(b'GET /a HTTP/1.1\r\nHost: x\r\n\r\n')
    c.s(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    if bogus: c.s(b'', RST|ACK, seq=c.ss + 0x40000000)
    c.c(b'GET /evil HTTP/1.1\r\nHost: x\r\n\r\n')
    c.s(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    write(name, c.fr)
# T4 close-delimited response body, then client RST (vs server FIN)
for name, how in (('t4_rst.pcap','rst'),('t4_fin.pcap','fin')):
    c = Conn(40005); c.hs(); c.c(b'GET /a HTTP/1.1\r\nHost: x\r\n\r\n')
    c.s(b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nEVILBODY here')
    if how == 'rst': c.c(b'', RST|ACK)
    else: c.s(b'', F|ACK)
    write(name, c.fr)
# T5 same body, pcap just ends (flow end by flush)
c = Conn(40006); c.hs(); c.c(b'GET /a HTTP/1.1\r\nHost: x\r\n\r\n')
c.s(b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nEVILBODY here'); write('t5_end.pcap', c.fr)
c = Conn(40010); c.hs(); c.c(b'GET /evil HTTP/1.1\r\nHost: 5x\r\n\r\n')
c.s(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'); write('t6.pcap', c.fr)
c = Conn(40020); c.hs()
fake = tcp(C,S,c.cp,c.sp,c.cs,c.ss,PSH|ACK,b'GET /okay HTTP/1.1\r\nHost: x\r\n\r\n' + b'P'*16)
# lone first fragment (MF set, 8-byte aligned length), the rest never sent
frag = fake[:(len(fake)//8)*8]
c.fr.append(eth(ip4(C,S,6,frag,0,True,0x7777)))
c.c(b'GET /evil HTTP/1.1\r\nHost: x\r\n\r\n')
c.s(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'); write('t7.pcap', c.fr)
# S: content split across TCP segments of a protocol no parser knows
# (port 7777): packet rules must match the reassembled stream, once.
M = b'xxxxSTREAMMARKERyyyy'
c = Conn(40030, 7777); c.hs(); c.c(M[:9]); c.c(M[9:]); c.s(b'ok'); write('s_two.pcap', c.fr)
c = Conn(40031, 7777); c.hs()
for i in range(len(M)): c.c(M[i:i+1])
write('s_many.pcap', c.fr)
c = Conn(40032, 7777); c.hs(); base = c.cs
parts = [(0, 7), (7, 12), (12, len(M))]
for a, b in reversed(parts): c.c(M[a:b], seq=base + a)
c.cs = base + len(M); c.c(b'tail'); write('s_ooo.pcap', c.fr)
c = Conn(40033, 7777); c.hs(); base = c.cs
c.c(M[:11], seq=base); c.c(M[6:], seq=base + 6)     # overlapping, same bytes
c.cs = base + len(M); c.s(b'ok'); write('s_overlap.pcap', c.fr)
c = Conn(40034, 7777); c.hs(); base = c.cs
c.c(M, seq=base); c.c(M, seq=base); c.c(M, seq=base)  # retransmitted twice
c.cs = base + len(M); c.s(b'ok'); write('s_retx.pcap', c.fr)
# overlap evasion: the first copy of bytes 4-16 is junk, the second the
# marker; with the default policy (bsd) the first copy stays, so the
# stream reads junk and no stream rule may alert on the marker copy
c = Conn(40035, 7777); c.hs(); base = c.cs
c.c(b'xxxx' + b'J'*12 + b'yyyy', seq=base); c.c(M[4:16], seq=base + 4)
c.cs = base + len(M); c.s(b'ok'); write('s_junk.pcap', c.fr)
# a pass rule for the client address holds for stream matches too
c = Conn(40036, 7778); c.hs(); c.c(M[:9]); c.c(M[9:]); c.s(b'ok'); write('s_pass.pcap', c.fr)
# IPv4: the marker split across two fragments, the last one sent first
data = b'B'*27 + b'FRAGMARKER' + b'B'*33
u = udp(C,S,40040,9999,data)
write('t1_udp_split.pcap',[eth(ip4(C,S,17,u[40:],5,False,0x5555)), eth(ip4(C,S,17,u[:40],0,True,0x5555))])
write('t1_udp_plain.pcap',[eth(ip4(C,S,17,udp(C,S,40041,9999,data)))])
