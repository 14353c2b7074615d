#!/bin/bash
# Rule reload on a live sensor (loopback): SIGHUP swaps in the edited rules,
# a broken rule file is refused and the old rules keep alerting, SIGUSR2
# reloads too, and the stats record names the live ruleset. Needs root (a
# live capture on lo).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "not root: live reload checks not run"
	fail "live reload checks need root"
	finish
fi

port=$((20000 + $$ % 20000))
rules=$WORK/live.rules
out=$WORK/out
mkdir -p "$out"
cat >"$rules" <<R
alert udp any any -> any $port (msg:"old"; content:"AAAA"; sid:1;)
R

# send PAYLOAD: one datagram to the sensor's port
send() { echo "$1" >/dev/udp/127.0.0.1/$port 2>/dev/null || true; }

# wait_log PATTERN COUNT: until the log has COUNT lines matching (10 s)
wait_log() {
	for _ in $(seq 100); do
		[ "$(grep -c -- "$1" "$WORK/log")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# alerts SID: alerts with that sid in eve.json so far
alerts() {
	python3 - "$out/eve.json" "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    if rec.get("event_type") == "alert" and rec["alert"]["signature_id"] == int(sys.argv[2]):
        n += 1
print(n)
PY
}

# wait_alerts SID COUNT
wait_alerts() {
	for _ in $(seq 50); do
		[ "$(alerts "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

"$MAMORI" -i lo -f "udp port $port" -S "$rules" -l "$out" -k none -v \
	--set stats.interval=1 --set detect.hs-cache-dir="$WORK/hs" >"$WORK/log" 2>&1 &
pid=$!
wait_log "capturing on" 1 || fail "sensor did not start: $(tail -5 "$WORK/log")"
sleep 0.5

send "AAAA BBBB"
wait_alerts 1 1
check_eq "the first ruleset alerts" 1 "$(alerts 1)"

# an edited rule file, then SIGHUP
cat >"$rules" <<R
alert udp any any -> any $port (msg:"new"; content:"BBBB"; sid:2;)
alert udp any any -> any $port (msg:"new too"; content:"CCCC"; flowbits:set,x; sid:3;)
R
kill -HUP $pid
wait_log "rule reload: 2 rules loaded" 1 && ok "SIGHUP reloads" || fail "no reload: $(tail -5 "$WORK/log")"
send "AAAA BBBB"
wait_alerts 2 1
check_eq "the new ruleset alerts" 1 "$(alerts 2)"
check_eq "the old ruleset is gone" 1 "$(alerts 1)"

# a broken rule: refused, the running rules stay
cat >"$rules" <<R
alert udp any any -> any $port (msg:"broken"; content:"AAAA"; nosuchkeyword; sid:4;)
R
kill -HUP $pid
wait_log "rule reload failed" 1 && ok "a broken reload is refused" ||
	fail "broken reload not refused: $(tail -5 "$WORK/log")"
grep -q "live.rules:1:.*nosuchkeyword" "$WORK/log" && ok "the error names file, line and keyword" ||
	fail "error message: $(grep -i nosuchkeyword "$WORK/log")"
send "AAAA BBBB"
wait_alerts 2 2
check_eq "the old ruleset keeps alerting" 2 "$(alerts 2)"
check_eq "nothing from the broken file" 0 "$(alerts 4)"

# SIGUSR2 reloads as well
cat >"$rules" <<R
alert udp any any -> any $port (msg:"usr2"; content:"AAAA"; sid:5;)
R
kill -USR2 $pid
wait_log "rule reload: 1 rules loaded" 1 && ok "SIGUSR2 reloads" || fail "no USR2 reload"
send "AAAA"
wait_alerts 5 1
check_eq "the USR2 ruleset alerts" 1 "$(alerts 5)"

kill -TERM $pid
wait $pid
check_eq "exit status after reloads" 0 $?
python3 - "$out/eve.json" <<'PY' && ok "stats name the live ruleset" || fail "stats detect.ruleset"
import json, sys
last = None
for line in open(sys.argv[1]):
    rec = json.loads(line)
    if rec.get("event_type") == "stats":
        last = rec["stats"]["detect"]["ruleset"]
print(last)
assert last["generation"] == 3, last
assert last["reloads"] == 2 and last["reload_failures"] == 1, last
assert last["rules_loaded"] == 1 and last["rules_active"] == 1, last
assert len(last["hash"]) == 16 and last["hs_bytes"] > 0 and last["memory_bytes"] > 0, last
assert "1 rule failed" in last["last_error"], last
PY
finish
