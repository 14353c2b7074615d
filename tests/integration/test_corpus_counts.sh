#!/bin/sh
# Every real capture in the shared corpus: the final stats record's
# decoder.pkts equals the frames tshark reads, and decoder.tcp / decoder.udp
# equal tshark's counts of frames carrying TCP / UDP (not counting headers
# quoted inside ICMP errors). One tshark pass per file lists each frame's
# protocol stack; the counting is done on that list.
#
# Two tshark settings make its counts frame-level facts, as a stateless
# decoder sees them: IP reassembly is off (a first fragment carries the
# UDP/TCP header; with reassembly on, tshark would credit the frame that
# completes the datagram, and never an incomplete one), and the stack is read
# only up to sFlow, whose sampled headers are not traffic on this link.
. "$(dirname "$0")/lib.sh"

if [ ! -d "$MAMORI_CORPUS/pcaps" ]; then
	echo "corpus not found at $MAMORI_CORPUS (set MAMORI_CORPUS)"
	fail "corpus present"
	finish
fi
if [ -z "$TSHARK" ]; then
	fail "tshark is required (apt-get install tshark)"
	finish
fi

files=$(find "$MAMORI_CORPUS/pcaps" "$MAMORI_CORPUS/throughput" -type f \
	\( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
n=0
for f in $files; do
	n=$((n + 1))
	name=${f#"$MAMORI_CORPUS"/}
	out="$WORK/$n"
	mkdir -p "$out"
	if ! "$MAMORI" -r "$f" -l "$out" -q --workers 2 >"$out/log" 2>&1; then
		fail "$name: mamori exited non-zero: $(tail -3 "$out/log")"
		continue
	fi
	expect=$("$TSHARK" -n -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-r "$f" -T fields -e frame.protocols 2>/dev/null | awk -F: '
		{ tcp = 0; udp = 0; icmp = 0
		  for (i = 1; i <= NF; i++) {
			if ($i == "sflow") break
			if ($i == "tcp") tcp = 1
			if ($i == "udp") udp = 1
			if ($i == "icmp" || $i == "icmpv6") icmp = 1
		  }
		  frames++
		  if (tcp && !icmp) t++
		  if (udp && !icmp) u++ }
		END { printf "%d %d %d", frames, t, u }')
	got=$(python3 - "$out/eve.json" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    rec = json.loads(line)
    if rec.get("event_type") == "stats":
        last = rec["stats"]["decoder"]
print("%d %d %d" % (last["pkts"], last["tcp"], last["udp"]) if last else "none")
PY
)
	check_eq "$name: frames tcp udp" "$expect" "$got"
done
[ "$n" -gt 40 ] && ok "corpus has $n captures" || fail "corpus has only $n captures"
finish
