#!/bin/bash
# The detection benchmark's tools: tools/gen-rules is deterministic and
# writes rules the sensor loads without a failure; the attack strings it
# asks to plant are found by its rules in a gen-traffic capture; and
# tools/detect-bench, running the same engine over the same capture, counts
# the alerts the sensor writes, reports sane rates, and refuses bad usage.
. "$(dirname "$0")/lib.sh"

: "${DETECT_BENCH:=./tools/detect-bench}"
: "${GEN_RULES:=$TOP_SRCDIR/tools/gen-rules}"
for t in "$MAMORI" "$GEN_TRAFFIC" "$DETECT_BENCH"; do
	[ -x "$t" ] || { fail "not built: $t"; finish; }
done
CLS=$TOP_SRCDIR/rules/classification.config
# kv FILE KEY -> the value of KEY=VALUE
kv() { sed -n "s/^$2=//p" "$1"; }

# ---- the scripts parse (bash reads a script as it runs: a missing `fi`
# only stops it at the section it breaks, after the earlier ones ran) -------
for sh in "$TOP_SRCDIR"/tools/*.sh "$TOP_SRCDIR"/tests/integration/*.sh; do
	bash -n "$sh" 2>"$WORK/syntax" && ok "bash -n $(basename "$sh")" ||
		fail "$(basename "$sh") does not parse: $(head -c 300 "$WORK/syntax")"
done

# ---- gen-rules --------------------------------------------------------------
python3 "$GEN_RULES" -n 2000 --seed 5 -o "$WORK/a.rules"
check_eq "gen-rules exit status" 0 $?
python3 "$GEN_RULES" -n 2000 --seed 5 >"$WORK/b.rules"
cmp -s "$WORK/a.rules" "$WORK/b.rules" && ok "same seed, same rules (-o and stdout)" ||
	fail "same seed gave different rules"
python3 "$GEN_RULES" -n 2000 --seed 6 -o "$WORK/c.rules"
cmp -s "$WORK/a.rules" "$WORK/c.rules" && fail "seeds 5 and 6 gave the same rules" ||
	ok "different seed, different rules"
check_eq "rules written" 2000 "$(grep -c '^alert ' "$WORK/a.rules")"
check_eq "unique sids" 2000 \
	"$(grep -o 'sid:[0-9]*' "$WORK/a.rules" | sort -u | wc -l | tr -d ' ')"
"$MAMORI" -T -S "$WORK/a.rules" >"$WORK/t.out" 2>&1
check_eq "mamori -T accepts them" 0 $?
grep -q '^2000 rules loaded, 0 rules failed$' "$WORK/t.out" && ok "2000 loaded, 0 failed" ||
	fail "mamori -T: $(tail -3 "$WORK/t.out")"
python3 "$GEN_RULES" -n -1 >/dev/null 2>&1 && fail "gen-rules -n -1 accepted" ||
	ok "gen-rules refuses -n -1"

# ---- planted attack strings are found -----------------------------------------
PLANTS=()
i=0
while IFS= read -r pat; do
	PLANTS+=(--plant "$pat@$((i * 7)):$((60 + i * 11))")
	i=$((i + 1))
done < <(python3 "$GEN_RULES" --print-plants)
[ "$i" -ge 4 ] && ok "$i attack strings to plant" || fail "only $i plants"
"$GEN_TRAFFIC" -o "$WORK/mix.pcap" --seed 2 --flows 80 --packets 20000 \
	"${PLANTS[@]}" 2>"$WORK/gen.err"
check_eq "gen-traffic with the plants" 0 $?
"$MAMORI" -q -r "$WORK/mix.pcap" -S "$WORK/a.rules" --workers 1 -l "$WORK/out" \
	--set outputs.console.enabled=no >/dev/null 2>"$WORK/run.err"
check_eq "sensor exit status" 0 $?
SIDS=$(python3 - "$WORK/out/eve.json" <<'PY'
import json, sys
sids = {}
for line in open(sys.argv[1]):
    rec = json.loads(line)
    if rec.get("event_type") == "alert":
        s = rec["alert"]["signature_id"]
        sids[s] = sids.get(s, 0) + 1
print(sum(sids.values()), " ".join(str(s) for s in sorted(sids)))
PY
)
SENSOR_ALERTS=${SIDS%% *}
missing=
for k in $(seq 0 $((i - 1))); do
	case " $SIDS " in *" $((10000000 + k)) "*) ;; *) missing="$missing $((10000000 + k))" ;; esac
done
[ -z "$missing" ] && ok "every planted string alerts ($SENSOR_ALERTS alerts)" ||
	fail "planted rules without an alert:$missing (alerts: $SIDS)"

# ---- detect-bench -------------------------------------------------------------
"$DETECT_BENCH" -S "$WORK/a.rules" -r "$WORK/mix.pcap" --classification "$CLS" \
	--repeat 1 >"$WORK/db.out" 2>"$WORK/db.err"
check_eq "detect-bench exit status" 0 $?
check_eq "detect-bench rules active" 2000 "$(kv "$WORK/db.out" rules_active)"
check_eq "detect-bench frames = generated frames" \
	"$(sed -n 's/.*frames=\([0-9]*\).*/\1/p' "$WORK/gen.err")" "$(kv "$WORK/db.out" frames)"
check_eq "detect-bench alerts = sensor alerts" "$SENSOR_ALERTS" "$(kv "$WORK/db.out" alerts)"
python3 - "$WORK/db.out" <<'PY' && ok "rates and ratio are sane" || fail "rates: $(tr '\n' ' ' <"$WORK/db.out")"
import sys
kv = dict(l.strip().split("=", 1) for l in open(sys.argv[1]) if "=" in l)
f = lambda k: float(kv[k])
assert f("ceiling_mpps") > 0 and f("full_mpps") > 0 and f("flow_mpps") > 0
assert f("hs_matches") > 0
assert 0 < f("ratio") <= 1.5, kv["ratio"]
assert f("payload_bytes") < f("wire_bytes")
assert abs(f("ceiling_gbps_wire") / f("ceiling_gbps_payload") - f("wire_bytes") / f("payload_bytes")) < 0.01
assert f("peak_rss_mib") > 0
PY

"$DETECT_BENCH" -S "$WORK/a.rules" >/dev/null 2>&1
check_eq "no -r: usage error" 2 $?
"$DETECT_BENCH" -S "$WORK/a.rules" -r "$WORK/mix.pcap" --repeat 0 >/dev/null 2>&1
check_eq "--repeat 0: usage error" 2 $?
"$DETECT_BENCH" -S "$WORK/none.rules" -r "$WORK/mix.pcap" >/dev/null 2>"$WORK/e.err"
check_eq "missing rules file: exit 2" 2 $?
grep -q "none.rules" "$WORK/e.err" && ok "the error names the file" || fail "error: $(cat "$WORK/e.err")"

finish
