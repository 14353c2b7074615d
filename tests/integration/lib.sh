# lib.sh: shared helpers of the integration tests (sourced, not run).
# Each test counts checks with ok/fail and ends with `finish`, which prints
# the "N passed, N failed" line and sets the exit status.

PASS=0
FAIL=0
: "${MAMORI:=./mamori}"
: "${GEN_TRAFFIC:=./tools/gen-traffic}"
: "${TOP_SRCDIR:=.}"
: "${MAMORI_CORPUS:=$TOP_SRCDIR/../shared/corpus}"
: "${TSHARK:=$(command -v tshark || true)}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mamori-it-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

ok() { PASS=$((PASS + 1)); echo "ok: $*"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }

# check DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1 ($3)"; else fail "$1: expected '$2', got '$3'"; fi
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
	exit $?
}

# the last stats record of an eve.json, as python can read it
last_stats() {
	python3 - "$1" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    rec = json.loads(line)
    if rec.get("event_type") == "stats":
        last = rec
print(json.dumps(last["stats"]) if last else "null")
PY
}

# stats_field EVE_JSON dotted.path
stats_field() {
	python3 - "$1" "$2" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    rec = json.loads(line)
    if rec.get("event_type") == "stats":
        last = rec
v = last["stats"] if last else None
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("missing" if v is None else v)
PY
}
