#!/bin/bash
# Evasions a sensor that reassembles and parses must not fall for; each
# capture is crafted by evasion_pcaps.py, each case names the alerts it
# must raise (sid:count, sorted).
. "$(dirname "$0")/lib.sh"

python3 "$(dirname "$0")/evasion_pcaps.py" "$WORK" || { fail "evasion_pcaps.py"; finish; }
cat >"$WORK/ev.rules" <<'R'
alert udp any any -> any 9999 (msg:"udp marker"; content:"FRAGMARKER"; sid:1;)
alert tcp any any -> any 9998 (msg:"tcp marker"; content:"FRAGMARKER"; sid:2;)
alert udp any any -> any 9999 (msg:"rebuilt datagrams only"; flow:only_frag; content:"FRAGMARKER"; sid:24;)
alert udp any any -> any 9999 (msg:"never rebuilt datagrams"; flow:no_frag; content:"FRAGMARKER"; sid:25;)
alert http any any -> any any (msg:"uri"; flow:to_server; http.uri; content:"/evil"; sid:3;)
alert http 10.0.0.2 80 -> 10.0.0.1 any (msg:"body, server to client"; flow:to_client; file.data; content:"EVILBODY"; sid:4;)
alert http any any -> any any (msg:"body"; flow:to_client; file.data; content:"EVILBODY"; sid:5;)
alert http any any -> any any (msg:"var across buffers"; flow:to_server; http.uri; content:"/"; http.host; byte_extract:1,0,n,string,dec; http.uri; content:"evil"; distance:0; within:n; sid:9;)
alert http any any -> any any (msg:"var in order"; flow:to_server; http.host; byte_extract:1,0,n,string,dec; http.uri; content:"/"; content:"evil"; distance:0; within:n; sid:10;)
pass tcp 10.0.0.1 any -> any 7778 (msg:"pass the client"; sid:30;)
alert tcp any any -> any [7777,7778] (msg:"stream"; content:"STREAMMARKER"; sid:20;)
alert tcp any any -> any 7777 (msg:"packets only"; flow:no_stream; content:"STREAMMARKER"; sid:21;)
alert tcp any any -> any 7777 (msg:"stream only"; flow:only_stream; content:"STREAMMARKER"; sid:22;)
alert tcp any any -> any 7777 (msg:"anchored: a packet rule"; content:"xxxxSTREAM"; depth:10; sid:23;)
R

# expect CAPTURE WANT DESCRIPTION
expect() {
	local out="$WORK/out-$1"
	mkdir -p "$out"
	"$MAMORI" -r "$WORK/$1.pcap" -S "$WORK/ev.rules" -l "$out" -k none -q >/dev/null 2>&1
	check_eq "$3" "$2" "$(python3 - "$out/eve.json" <<'PY'
import json, sys, collections
c = collections.Counter(json.loads(l)["alert"]["signature_id"]
                        for l in open(sys.argv[1]) if '"event_type":"alert"' in l)
print(" ".join("%d:%d" % kv for kv in sorted(c.items())))
PY
)"
}

expect t1_udp "1:1 24:1" "a match inside the first fragment alerts once, on the datagram"
expect t1_udp_split "1:1 24:1" "a match split across two IPv4 fragments, last first: once"
expect t1_udp_plain "1:1 25:1" "the same datagram unfragmented: no_frag, not only_frag"
expect t1_tcp "2:1" "the same for a fragmented TCP segment"
expect t1_udp6 "1:1 24:1" "a match split across two IPv6 fragments alerts once, on the datagram"
expect t1_tcp6 "2:1" "the same for a TCP segment in IPv6 fragments, last fragment first"
expect t7 "3:1" "a lone first fragment never completed does not poison the stream"
expect t2_split "3:1" "a request split as GE + T /evil is still HTTP"
expect t2_ctl "3:1" "the same request unsplit (control)"
expect t3_rst "3:1" "a RST with a bogus sequence does not end the other direction"
expect t3_ctl "3:1" "the same without the RST (control)"
expect t4_rst "4:1 5:1" "a close-delimited body ended by the client's RST, addressed right"
expect t4_fin "4:1 5:1" "the same ended by the server's FIN"
expect t5_end "4:1 5:1" "a body still open when the capture ends is inspected at flow end"
expect t6 "3:1 10:1" "byte_extract used before its buffer's definition: rule not run"
# content across TCP segments (sid 20 default, 21 no_stream, 22 only_stream,
# 23 anchored with depth, a packet rule)
expect s_two "20:1 22:1" "content split over two segments: one stream match"
expect s_many "20:1 22:1" "content split over 20 one-byte segments: one stream match"
expect s_ooo "20:1 22:1" "segments delivered in reverse order: one stream match"
expect s_overlap "20:1 22:1 23:1" "overlapping segments with the same bytes: still one"
expect s_retx "20:1 21:3 22:1 23:1" "retransmitted twice: no_stream sees every copy, the rest one"
expect s_junk "21:1" "overlap evasion: the kept (first) copy is junk, only no_stream sees the marker"
expect s_pass "" "a pass rule for the client holds for stream matches"
# a stream match logs the reassembled bytes it matched and says so
check_eq "stream alert record: stream flag and reassembled payload" \
	"20:1:xxxxSTREAMMARKERyyyy 21:0:xxxxSTREAMMARKERyyyy 22:1:xxxxSTREAMMARKERyyyy 23:0:xxxxSTREAMMARKERyyyy" \
	"$(python3 - "$WORK/out-s_retx/eve.json" <<'PY'
import json, sys
seen = []
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d.get("event_type") == "alert":
        seen.append("%d:%s:%s" % (d["alert"]["signature_id"], d.get("stream"),
                                  d.get("payload_printable")))
print(" ".join(sorted(set(seen))))
PY
)"
finish
