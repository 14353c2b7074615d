#!/bin/bash
# IP fragments with several workers. Fragments reach a worker by their
# addresses only, so a datagram is often reassembled by another worker than
# the one holding its flow; that worker must hand it over, and the owner
# must inspect it at its place in the flow.
#
# The capture (defrag_workers_pcaps.py): TCP and UDP flows over IPv4 and
# IPv6, each with unfragmented packets that make it established and set a
# flowbit, then one fragmented datagram (FRAGCMD, across a fragment
# boundary), then a server answer that unsets the flowbit. A rule on
# FRAGCMD needing the established flow and the flowbit alerts once per flow
# only when the owner inspects the datagram after the flowbit was set and
# before it was unset. --workers 2 and 4 must give exactly the alerts of
# --workers 1 (one per flow), with datagrams forwarded.
. "$(dirname "$0")/lib.sh"

python3 "$(dirname "$0")/defrag_workers_pcaps.py" "$WORK/fw.pcap" >"$WORK/nflows" ||
	{ fail "defrag_workers_pcaps.py"; finish; }
NFLOWS=$(cat "$WORK/nflows")
cat >"$WORK/fw.rules" <<'R'
alert tcp any any -> any 7001 (msg:"login"; flow:established,to_server; content:"LOGIN"; flowbits:set,login; flowbits:noalert; sid:10;)
alert tcp any any -> any 7001 (msg:"command after login"; flow:established,to_server; flowbits:isset,login; content:"FRAGCMD-"; sid:11;)
alert tcp any 7001 -> any any (msg:"done"; flow:to_client; content:"DONE"; flowbits:unset,login; flowbits:noalert; sid:12;)
alert udp any any -> any 7002 (msg:"hello"; content:"HELLO"; flowbits:set,hello; flowbits:noalert; sid:20;)
alert udp any any -> any 7002 (msg:"command after hello"; flow:established,to_server; flowbits:isset,hello; content:"FRAGCMD-"; sid:21;)
alert udp any 7002 -> any any (msg:"done"; content:"DONE"; flowbits:unset,hello; flowbits:noalert; sid:22;)
R

# the rule alerts of a run, one "sid proto src sport" line each, sorted
alerts() {
	python3 - "$1" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event_type") == "alert" and r["alert"]["gid"] == 1:
        out.append("%d %s %s %d" % (r["alert"]["signature_id"], r["proto"], r["src_ip"],
                                    r["src_port"]))
print("\n".join(sorted(out)))
PY
}

for n in 1 2 4; do
	mkdir -p "$WORK/w$n"
	# anomaly scoring off: its alerts depend on the worker count
	"$MAMORI" -r "$WORK/fw.pcap" -S "$WORK/fw.rules" -l "$WORK/w$n" -k none -q \
		--workers $n --set anomaly.enabled=no >"$WORK/w$n.log" 2>&1
	check_eq "--workers $n: exit status" 0 $?
	alerts "$WORK/w$n/eve.json" >"$WORK/w$n.alerts"
done

# one worker: the reference, one alert per flow (each kind present)
check_eq "--workers 1: one alert per flow" "$NFLOWS" "$(wc -l <"$WORK/w1.alerts")"
check_eq "--workers 1: no flow alerts twice" "$NFLOWS" \
	"$(cut -d' ' -f2- "$WORK/w1.alerts" | sort -u | wc -l)"
for k in "11 TCP 10." "11 TCP 2001:" "21 UDP 10." "21 UDP 2001:"; do
	c=$(grep -c "^$k" "$WORK/w1.alerts")
	[ "$c" -gt 0 ] && ok "--workers 1: alerts for '$k' ($c)" || fail "--workers 1: none for '$k'"
done
check_eq "--workers 1: nothing forwarded" 0 "$(stats_field "$WORK/w1/eve.json" defrag.forwarded)"

for n in 2 4; do
	if cmp -s "$WORK/w1.alerts" "$WORK/w$n.alerts"; then
		ok "--workers $n: the same $NFLOWS alerts as --workers 1"
	else
		fail "--workers $n: alerts differ from --workers 1 ($(wc -l <"$WORK/w$n.alerts") vs" \
			"$NFLOWS): $(diff "$WORK/w1.alerts" "$WORK/w$n.alerts" | head -4 | tr '\n' ' ')"
	fi
	fwd=$(stats_field "$WORK/w$n/eve.json" defrag.forwarded)
	[ "$fwd" -gt 0 ] 2>/dev/null && ok "--workers $n: $fwd datagrams forwarded to their flow's worker" ||
		fail "--workers $n: defrag.forwarded is $fwd"
	check_eq "--workers $n: no forward drops" 0 \
		"$(stats_field "$WORK/w$n/eve.json" defrag.forward_drops)"
	for k in defrag.ipv4.reassembled defrag.ipv6.reassembled flow.tcp flow.udp; do
		check_eq "--workers $n: $k as with one worker" \
			"$(stats_field "$WORK/w1/eve.json" $k)" "$(stats_field "$WORK/w$n/eve.json" $k)"
	done
done
finish
