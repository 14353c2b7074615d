#!/bin/bash
# The application layer end to end through the sensor: IP fragments whose
# datagram carries a signature across the fragment boundary alert once (in
# either order); HTTP, DNS and TLS rules alert on real captures with the
# protocol's object in the alert, each value equal to what tshark reads.
. "$(dirname "$0")/lib.sh"

if [ -z "$TSHARK" ]; then
	fail "tshark is required (apt-get install tshark)"
	finish
fi

# ---- defragmentation ---------------------------------------------------------
# A UDP datagram in two IPv4 fragments; the marker straddles them.
cat >"$WORK/mkfrag.py" <<'PY'
import struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
def ip4(payload, off8, mf):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0x1234,
                    (0x2000 if mf else 0) | off8, 64, 17, 0,
                    bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload
data = b'A' * 20 + b'FRAGMENTED-ATTACK-MARKER' + b'B' * 20
udp = struct.pack('!HHHH', 40000, 9999, 8 + len(data), 0) + data
frames = [b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip4(udp[:32], 0, True),
          b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip4(udp[32:], 4, False)]
if sys.argv[2] == 'reverse':
    frames.reverse()
with open(sys.argv[1], 'wb') as out:
    out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, f in enumerate(frames):
        out.write(struct.pack('<IIII', 1700000000 + i, 0, len(f), len(f)) + f)
PY
echo 'alert udp any any -> any 9999 (msg:"marker"; content:"FRAGMENTED-ATTACK-MARKER"; sid:77;)' \
	>"$WORK/frag.rules"
for order in forward reverse; do
	python3 "$WORK/mkfrag.py" "$WORK/frag-$order.pcap" $order
	mkdir -p "$WORK/frag-$order"
	"$MAMORI" -r "$WORK/frag-$order.pcap" -S "$WORK/frag.rules" -l "$WORK/frag-$order" -k none -q \
		>/dev/null 2>&1
	check_eq "fragments $order: one alert on the reassembled datagram" 1 \
		"$(grep -c '"signature_id":77' "$WORK/frag-$order/eve.json")"
	check_eq "fragments $order: defrag.ipv4.reassembled" 1 \
		"$(stats_field "$WORK/frag-$order/eve.json" defrag.ipv4.reassembled)"
done

# ---- HTTP, DNS, TLS ----------------------------------------------------------
cat >"$WORK/app.rules" <<'R'
alert http any any -> any any (msg:"http request"; flow:to_server; http.host; content:"."; sid:101;)
alert dns any any -> any any (msg:"dns query"; dns.query; content:"."; sid:102;)
alert tls any any -> any any (msg:"tls sni"; tls.sni; content:"."; sid:103;)
R

# run CAPTURE: the sensor's alerts in $WORK/run/eve.json
run() {
	rm -rf "$WORK/run"
	mkdir -p "$WORK/run"
	"$MAMORI" -r "$1" -S "$WORK/app.rules" -l "$WORK/run" -k none -q >/dev/null 2>&1
}

# alerts SID KEYS...: one sorted line per alert with these dotted fields
alerts() {
	python3 - "$WORK/run/eve.json" "$@" <<'PY'
import json, sys
path, sid, keys = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rows = []
for line in open(path):
    r = json.loads(line)
    if r.get("event_type") != "alert" or r["alert"]["signature_id"] != sid:
        continue
    vals = []
    for k in keys:
        v = r
        for part in k.split("."):
            v = v[int(part)] if isinstance(v, list) else v.get(part, "") if isinstance(v, dict) else ""
        vals.append(str(v))
    rows.append("\t".join(vals))
print("\n".join(sorted(rows)))
PY
}

http=$MAMORI_CORPUS/pcaps/malware-web/cryptowall4-c2.pcapng
run "$http"
want=$("$TSHARK" -n -r "$http" -Y 'http.request && http.host contains "."' \
	-T fields -e http.host -e http.request.uri -e http.request.method 2>/dev/null | sort)
got=$(alerts 101 http.hostname http.url http.http_method)
[ -n "$want" ] && [ "$want" = "$got" ] && ok "http: alerts carry tshark's host, URI and method ($(echo "$want" | wc -l) requests)" ||
	fail "http alerts: want [$want] got [$got]"
check_eq "http: app_proto" http "$(alerts 101 app_proto | sort -u)"

dns=$MAMORI_CORPUS/pcaps/benign/dns-lookups.pcapng
run "$dns"
want=$("$TSHARK" -n -r "$dns" -Y 'dns.flags.response == 0 && dns.qry.name contains "."' \
	-T fields -e dns.qry.name 2>/dev/null | sort)
got=$(alerts 102 dns.query.0.rrname)
[ -n "$want" ] && [ "$want" = "$got" ] && ok "dns: one alert per query, rrname as tshark ($(echo "$want" | wc -l))" ||
	fail "dns alerts: want [$want] got [$got]"

tls=$MAMORI_CORPUS/pcaps/benign/https-firefox.pcap
run "$tls"
want=$("$TSHARK" -n -r "$tls" -Y 'tls.handshake.type == 1' \
	-T fields -e tls.handshake.extensions_server_name -e tls.handshake.ja3 2>/dev/null | sort)
got=$(alerts 103 tls.sni tls.ja3.hash)
[ -n "$want" ] && [ "$want" = "$got" ] && ok "tls: SNI and JA3 as tshark ($(echo "$want" | wc -l))" ||
	fail "tls alerts: want [$want] got [$got]"
finish
