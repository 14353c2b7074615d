#!/bin/bash
# Application-layer rule keywords end to end through the sensor, counted
# against what tshark reads from the same captures:
#   tls.version per direction (the ServerHello's version or its
#   supported_versions; the ClientHello's first valid supported_versions
#   entry) and ssl_state (one alert per handshake message) on every TLS
#   capture of the corpus;
#   app-layer-protocol alone (PD-only): one alert per flow direction whose
#   protocol was decided, never per packet;
#   HTTP rules mixing request and response buffers: one alert per
#   transaction, on its response, on a generated exchange (pipelining
#   included) and on corpus captures; request rules still once per request.
. "$(dirname "$0")/lib.sh"

if [ -z "$TSHARK" ]; then
	fail "tshark is required (apt-get install tshark)"
	finish
fi
if [ ! -d "$MAMORI_CORPUS/pcaps" ]; then
	fail "corpus not found at $MAMORI_CORPUS (set MAMORI_CORPUS)"
	finish
fi
TS="$TSHARK -n -o tcp.reassemble_out_of_order:TRUE"

# run RULES CAPTURE: alerts per sid in $WORK/counts ("sid count" lines)
run() {
	rm -rf "$WORK/run"
	mkdir -p "$WORK/run"
	"$MAMORI" -r "$2" -S "$1" -l "$WORK/run" -k none -q >"$WORK/run/log" 2>&1 ||
		fail "mamori on $2: $(tail -2 "$WORK/run/log")"
	python3 - "$WORK/run/eve.json" >"$WORK/counts" <<'PY'
import collections, json, sys
c = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event_type") == "alert":
        c[r["alert"]["signature_id"]] += 1
for sid, n in sorted(c.items()):
    print(sid, n)
PY
}

# got SID: alerts of SID in the last run
got() {
	awk -v s="$1" '$1 == s { n = $2 } END { print n + 0 }' "$WORK/counts"
}

# ---- TLS: tls.version, ssl_state ---------------------------------------------
cat >"$WORK/tls.rules" <<'R'
alert tls any any -> any any (msg:"server 1.2"; flow:to_client; tls.version:1.2; sid:1;)
alert tls any any -> any any (msg:"server 1.3"; flow:to_client; tls.version:1.3; sid:2;)
alert tls any any -> any any (msg:"client 1.2"; flow:to_server; tls.version:1.2; sid:3;)
alert tls any any -> any any (msg:"client 1.3"; flow:to_server; tls.version:1.3; sid:4;)
alert tls any any -> any any (msg:"client hello"; ssl_state:client_hello; sid:5;)
alert tls any any -> any any (msg:"server hello"; ssl_state:server_hello; sid:6;)
alert tls any any -> any any (msg:"client kx"; ssl_state:client_keyx; sid:7;)
alert tls any any -> any any (msg:"server kx"; ssl_state:server_keyx; sid:8;)
alert tls any any -> any any (msg:"1.2 both"; ssl_version:tls1.2; sid:9;)
R
ntls=0
for f in $(find "$MAMORI_CORPUS/pcaps" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort); do
	[ "$($TS -r "$f" -Y 'tls.handshake.type == 2' 2>/dev/null | head -1)" ] || continue
	ntls=$((ntls + 1))
	name=${f#"$MAMORI_CORPUS"/pcaps/}
	run "$WORK/tls.rules" "$f"
	# per hello: type, legacy version, supported_versions (hex lists)
	want=$($TS -r "$f" -Y 'tls.handshake.type == 1 || tls.handshake.type == 2' -T fields \
		-e tls.handshake.type -e tls.handshake.version \
		-e tls.handshake.extensions.supported_version 2>/dev/null | python3 -c '
import sys
valid = lambda v: 0x300 <= v <= 0x304 or 0x7f01 <= v <= 0x7f1c or 0xfb14 <= v <= 0xfb1a
n = dict.fromkeys(range(1, 10), 0)
for line in sys.stdin:
    f = line.rstrip("\n").split("\t") + ["", ""]
    for t, leg in zip(f[0].split(","), f[1].split(",")):
        sv = [int(x, 16) for x in f[2].split(",") if x]
        v = int(leg, 16)
        if t == "1":
            v = next((x for x in sv if valid(x)), v)
            n[5] += 1
            n[3 if v == 0x303 else 4 if v == 0x304 else 0] += 1
        elif t == "2":
            if sv and (sv[0] == 0x304 or sv[0] >> 8 in (0x7f, 0xfb)):
                v = 0x304
            n[6] += 1
            n[1 if v == 0x303 else 2 if v == 0x304 else 0] += 1
        n[9] += v == 0x303
print(" ".join(str(n[s]) for s in (1, 2, 3, 4, 5, 6, 9)))')
	check_eq "$name: tls.version server 1.2/1.3, client 1.2/1.3, hellos, ssl_version as tshark" \
		"$want" "$(got 1) $(got 2) $(got 3) $(got 4) $(got 5) $(got 6) $(got 9)"
	want=$($TS -r "$f" -Y 'tls.handshake.type == 16 || tls.handshake.type == 12' -T fields \
		-e tls.handshake.type 2>/dev/null | tr ',' '\n' | awk '$1 == 16 { c++ } $1 == 12 { s++ }
		END { print c + 0, s + 0 }')
	check_eq "$name: ssl_state client_keyx, server_keyx: one alert per message" \
		"$want" "$(got 7) $(got 8)"
done
[ "$ntls" -ge 3 ] && ok "TLS captures checked: $ntls" || fail "only $ntls TLS captures in the corpus"

# ---- app-layer-protocol --------------------------------------------------------
cat >"$WORK/alp.rules" <<'R'
alert tcp any any -> any any (msg:"http request side"; flow:to_server; app-layer-protocol:http; sid:11;)
alert tcp any any -> any any (msg:"tls server side"; flow:to_client; app-layer-protocol:tls; sid:12;)
alert tcp any any -> any any (msg:"not tls"; flow:to_server; app-layer-protocol:!tls; sid:13;)
alert udp any any -> any 53 (msg:"dns queries"; flow:to_server; app-layer-protocol:dns; sid:14;)
alert tcp any any -> any any (msg:"unknown yet"; app-layer-protocol:unknown; flow:to_server; dsize:0; sid:15;)
R
for f in benign/http-espn-browse.pcapng benign/reddit-ipv6.pcap benign/dns-and-web.cap; do
	run "$WORK/alp.rules" "$MAMORI_CORPUS/pcaps/$f"
	http=$($TS -r "$MAMORI_CORPUS/pcaps/$f" -Y 'http.request' -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
	tls=$($TS -r "$MAMORI_CORPUS/pcaps/$f" -Y 'tls.handshake.type == 2' -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
	dns=$($TS -r "$MAMORI_CORPUS/pcaps/$f" -Y 'dns.flags.response == 0 && udp.dstport == 53' -T fields \
		-e udp.stream 2>/dev/null | sort -u | wc -l)
	check_eq "$f: PD-only app-layer-protocol: http/tls/!tls/dns flows as tshark" \
		"$http $tls $http $dns" "$(got 11) $(got 12) $(got 13) $(got 14)"
	# the handshake's ACKs see the protocol still unknown
	syn=$($TS -r "$MAMORI_CORPUS/pcaps/$f" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' 2>/dev/null | wc -l)
	[ "$(got 15)" -ge "$syn" ] && ok "$f: unknown before detection ($(got 15) >= $syn SYNs)" ||
		fail "$f: unknown matched $(got 15) packets, fewer than the $syn SYNs"
done

# ---- HTTP: request and response buffers in one rule -----------------------------
cat >"$WORK/mix.rules" <<'R'
alert http any any -> any any (msg:"uri and body"; http.uri; content:"/evil.exe"; file.data; content:"MZ"; startswith; sid:21;)
alert http any any -> any any (msg:"uri"; http.uri; content:"/evil.exe"; sid:22;)
alert http any any -> any any (msg:"GET 200"; http.method; content:"GET"; http.stat_code; content:"200"; sid:23;)
alert http any any -> any any (msg:"uri to client"; flow:to_client; http.uri; content:"/a"; sid:24;)
R
# Three flows: one exchange; two requests pipelined before their
# responses (the first response's request is gone by then); a POST whose
# body a response rule sees.
cat >"$WORK/mkhttp.py" <<'PY'
import struct, sys
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
t = [1700000000]
def frame(src, dst, sp, dp, seq, ack, flags, data=b""):
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 0x50, flags, 65535, 0, 0) + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     bytes(src), bytes(dst)) + tcp
    f = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip
    t[0] += 1
    out.write(struct.pack("<IIII", t[0], 0, len(f), len(f)) + f)
def flow(port, reqs, resps):
    c, s = [10, 0, 0, 1], [10, 0, 0, 2]
    cs, ss = 1000, 5000
    frame(c, s, port, 80, cs, 0, 0x02); frame(s, c, 80, port, ss, cs + 1, 0x12)
    cs += 1; ss += 1
    frame(c, s, port, 80, cs, ss, 0x10)
    for r in reqs:
        frame(c, s, port, 80, cs, ss, 0x18, r); cs += len(r)
    for r in resps:
        frame(s, c, 80, port, ss, cs, 0x18, r); ss += len(r)
    frame(c, s, port, 80, cs, ss, 0x11); frame(s, c, 80, port, ss, cs + 1, 0x11)
    frame(c, s, port, 80, cs + 1, ss + 1, 0x10)
ok = lambda body: b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
flow(40001, [b"GET /evil.exe HTTP/1.1\r\nHost: x\r\n\r\n"], [ok(b"MZ\x90\x00")])
flow(40002, [b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /evil.exe HTTP/1.1\r\nHost: x\r\n\r\n"],
     [ok(b"MZ\x90\x00"), ok(b"MZ\x90\x00")])
flow(40003, [b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nk=v"],
     [b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"])
PY
python3 "$WORK/mkhttp.py" "$WORK/http.pcap"
run "$WORK/mix.rules" "$WORK/http.pcap"
check_eq "generated: uri+file.data once per transaction that still has its request" 2 "$(got 21)"
check_eq "generated: uri alone once per request, not again at the response" 2 "$(got 22)"
check_eq "generated: GET+200 (the pipelined first response has lost its request)" 2 "$(got 23)"
check_eq "generated: flow:to_client with http.uri runs at the response" 1 "$(got 24)"

cat >"$WORK/mix2.rules" <<'R'
alert http any any -> any any (msg:"GET 200"; http.method; content:"GET"; http.stat_code; content:"200"; sid:31;)
alert http any any -> any any (msg:"request"; http.method; content:"GET"; sid:32;)
R
for f in benign/http-espn-browse.pcapng benign/dns-and-web.cap; do
	run "$WORK/mix2.rules" "$MAMORI_CORPUS/pcaps/$f"
	$TS -r "$MAMORI_CORPUS/pcaps/$f" -Y http.request -T fields -e frame.number -e http.request.method \
		2>/dev/null >"$WORK/req"
	# a response counts once its headers are there: tshark shows those
	# of a body cut by a lost segment only without body reassembly, and
	# some others only with it, so either way
	for body in TRUE FALSE; do
		$TS -o http.desegment_body:$body -r "$MAMORI_CORPUS/pcaps/$f" -Y http.response \
			-T fields -e http.request_in -e http.response.code 2>/dev/null
	done >"$WORK/resp"
	want=$(python3 - "$WORK/req" "$WORK/resp" <<'PY'
import sys
req = dict(l.rstrip("\n").split("\t")[:2] for l in open(sys.argv[1]) if l.strip())
ok = {l.split("\t")[0] for l in open(sys.argv[2])
      if l.rstrip("\n").split("\t")[1:] == ["200"] and req.get(l.split("\t")[0]) == "GET"}
print(len(ok), sum(1 for m in req.values() if m == "GET"))
PY
)
	check_eq "$f: GET->200 transactions and GET requests as tshark" "$want" "$(got 31) $(got 32)"
done
finish
