#!/bin/bash
# tools/gen-traffic against tshark: the same seed gives the same bytes, a
# different seed different ones; tshark reads every frame without a
# malformed packet or an error, with good IPv4/TCP/UDP checksums; the frame,
# flow and DNS counts match the generator's summary; HTTP, TLS SNI and DNS
# are recognised; every planted pattern sits in the frames the truth file
# names. Skips (77) when tshark is missing.
. "$(dirname "$0")/lib.sh"

if [ -z "$TSHARK" ] || ! command -v "$TSHARK" >/dev/null 2>&1; then
	echo "SKIP: tshark not found (set TSHARK)"
	exit 77
fi
if [ ! -x "$GEN_TRAFFIC" ]; then
	fail "generator not built: $GEN_TRAFFIC"
	finish
fi

# tshark quietly, with 8443 as TLS (it only knows 443 by port)
ts() { "$TSHARK" -n -d tcp.port==8443,tls "$@" 2>/dev/null; }
count() { ts -r "$1" -Y "$2" | wc -l | tr -d ' '; }
# summary_field SUMMARY_FILE KEY -> the value of KEY=VALUE
summary_field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$1" | tail -1; }

OPTS="--flows 200 --size 2M --ipv6 20 --vlan 20 --dns 30"
PLANTS=(
	--plant 'evil@3:100'
	--plant '|de ad be ef|payload@10:5000'
	--plant 'GET /x@0:0'
	--plant 'needle\|with\|pipes@150:777'
	--plant 'late-in-the-stream@42:40000'
)

# ---- determinism ---------------------------------------------------------
"$GEN_TRAFFIC" -o "$WORK/a.pcap" --seed 3 $OPTS "${PLANTS[@]}" \
	--truth "$WORK/a.jsonl" 2>"$WORK/a.sum"
check_eq "generator exit status" 0 $?
"$GEN_TRAFFIC" -o "$WORK/b.pcap" --seed 3 $OPTS "${PLANTS[@]}" \
	--truth "$WORK/b.jsonl" 2>/dev/null
cmp -s "$WORK/a.pcap" "$WORK/b.pcap" && ok "same seed, same capture" ||
	fail "same seed gave different captures"
cmp -s "$WORK/a.jsonl" "$WORK/b.jsonl" && ok "same seed, same truth" ||
	fail "same seed gave different truth files"
"$GEN_TRAFFIC" -o - --seed 3 $OPTS "${PLANTS[@]}" 2>/dev/null >"$WORK/stdout.pcap"
cmp -s "$WORK/a.pcap" "$WORK/stdout.pcap" && ok "-o - writes the same bytes" ||
	fail "-o - differs from -o FILE"
"$GEN_TRAFFIC" -o "$WORK/c.pcap" --seed 4 $OPTS "${PLANTS[@]}" 2>/dev/null
cmp -s "$WORK/a.pcap" "$WORK/c.pcap" && fail "seeds 3 and 4 gave the same capture" ||
	ok "different seed, different capture"

# ---- tshark reads it -----------------------------------------------------
FRAMES=$(summary_field "$WORK/a.sum" frames)
FLOWS=$(summary_field "$WORK/a.sum" tcp_flows)
DNSQ=$(summary_field "$WORK/a.sum" dns_queries)
[ -n "$FRAMES" ] && [ "$FRAMES" -gt 1000 ] && ok "summary names $FRAMES frames" ||
	fail "summary: $(cat "$WORK/a.sum")"
check_eq "tshark frame count" "$FRAMES" "$(ts -r "$WORK/a.pcap" | wc -l | tr -d ' ')"
check_eq "malformed or error frames" 0 \
	"$(count "$WORK/a.pcap" '_ws.malformed || _ws.expert.severity >= error')"
check_eq "TCP sequence analysis problems" 0 \
	"$(count "$WORK/a.pcap" 'tcp.analysis.flags && !tcp.analysis.window_update')"
CK="-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE"
check_eq "bad checksums" 0 "$(ts $CK -r "$WORK/a.pcap" \
	-Y 'ip.checksum.status==0 || tcp.checksum.status==0 || udp.checksum.status==0' | wc -l | tr -d ' ')"
check_eq "frames with a good TCP/UDP checksum" "$FRAMES" "$(ts $CK -r "$WORK/a.pcap" \
	-Y 'tcp.checksum.status==1 || udp.checksum.status==1' | wc -l | tr -d ' ')"
check_eq "SYNs (TCP flows)" "$FLOWS" "$(count "$WORK/a.pcap" 'tcp.flags.syn==1 && tcp.flags.ack==0')"
check_eq "DNS queries" "$DNSQ" "$(count "$WORK/a.pcap" 'dns.flags.response==0')"
check_eq "DNS responses" "$DNSQ" "$(count "$WORK/a.pcap" 'dns.flags.response==1')"
n=$(count "$WORK/a.pcap" 'http.request')
[ "$n" -gt 50 ] && ok "HTTP requests recognised ($n)" || fail "HTTP requests: $n"
n=$(count "$WORK/a.pcap" 'http.response.code == 200')
[ "$n" -gt 50 ] && ok "HTTP responses recognised ($n)" || fail "HTTP responses: $n"
n=$(count "$WORK/a.pcap" 'tls.handshake.extensions_server_name')
[ "$n" -gt 30 ] && ok "TLS ClientHello SNI parsed ($n)" || fail "TLS SNI: $n"
n=$(count "$WORK/a.pcap" 'vlan')
[ "$n" -gt 0 ] && ok "802.1Q tagged frames ($n)" || fail "no VLAN frames"
n=$(count "$WORK/a.pcap" 'ipv6 && tcp')
[ "$n" -gt 0 ] && ok "IPv6 TCP frames ($n)" || fail "no IPv6 frames"

# ---- planted patterns ------------------------------------------------------
# For each truth line: the frames packet_index..packet_index_last of that
# flow's client->server direction carry the pattern bytes.
check_plants() { # PCAP TRUTH
	local pcap=$1 truth=$2 line af first_frame
	check_eq "truth lines" "${3:-5}" "$(wc -l <"$truth" | tr -d ' ')"
	while IFS=$'\t' read -r first last sip sport dip dport hex pat; do
		case "$sip" in *:*) af=ipv6 ;; *) af=ip ;; esac
		line=$(ts -r "$pcap" -Y "frame.number >= $first && frame.number <= $last && \
			$af.src == $sip && tcp.srcport == $sport && $af.dst == $dip && \
			tcp.dstport == $dport" -T fields -e tcp.payload)
		line=$(echo "$line" | tr -d ':\n')
		case "$line" in
		*"$hex"*) ok "plant '$pat' in frames $first..$last" ;;
		*) fail "plant '$pat' not in frames $first..$last of $sip:$sport" ;;
		esac
		first_frame=$(ts -r "$pcap" -Y "frame.number == $first" -T fields -e tcp.payload | tr -d ':')
		if [ "$first" = "$last" ]; then
			case "$first_frame" in
			*"$hex"*) ok "plant '$pat' whole in frame $first" ;;
			*) fail "plant '$pat' not whole in frame $first" ;;
			esac
		fi
	done < <(python3 - "$truth" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    t = json.loads(l)
    print("\t".join(str(x) for x in (t["packet_index"], t["packet_index_last"],
          t["src_ip"], t["src_port"], t["dest_ip"], t["dest_port"],
          t["pattern_hex"], t["pattern"])))
PY
)
}
check_plants "$WORK/a.pcap" "$WORK/a.jsonl"
n=$(count "$WORK/a.pcap" 'frame contains "late-in-the-stream"')
check_eq "frames containing a planted string" 1 "$n"

# ---- 64-byte frames: data segments fill 64 bytes, long patterns span -------
"$GEN_TRAFFIC" -o "$WORK/s.pcap" --seed 5 --flows 50 --packets 20000 --pkt-size 64 \
	--ipv6 0 --plant 'a-pattern-longer-than-ten-bytes@5:300' --plant 'short@7:55' \
	--truth "$WORK/s.jsonl" 2>/dev/null
check_eq "64-byte mix: IPv4 data frames over 64 bytes" 0 \
	"$(count "$WORK/s.pcap" 'tcp.len > 0 && frame.len > 64')"
n=$(count "$WORK/s.pcap" 'tcp.len == 10 && frame.len == 64')
[ "$n" -gt 1000 ] && ok "64-byte frames carry 10 bytes ($n)" || fail "64-byte frames: $n"
check_eq "64-byte mix: malformed or error frames" 0 \
	"$(count "$WORK/s.pcap" '_ws.malformed || _ws.expert.severity >= error')"
check_plants "$WORK/s.pcap" "$WORK/s.jsonl" 2

# ---- bad usage ---------------------------------------------------------
"$GEN_TRAFFIC" -o "$WORK/x.pcap" --flows 10 --plant 'x@10:0' 2>/dev/null
check_eq "--plant on a flow that does not exist" 2 $?
"$GEN_TRAFFIC" -o "$WORK/x.pcap" --pkt-size 20 2>/dev/null
check_eq "--pkt-size below 60" 2 $?
"$GEN_TRAFFIC" 2>/dev/null
check_eq "no -o" 2 $?

finish
