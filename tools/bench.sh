#!/bin/bash
# bench.sh: the `make bench` driver. Generates captures with tools/gen-traffic
# (64-byte frames, 1500-byte frames, IMIX), runs the sensor over each with 1
# and 2 workers, and prints per-worker-core and wall-clock throughput, peak
# RSS and drops. A benchmark, not a test: it exits non-zero only when the
# generator or the sensor fails, never on a threshold.
#
# Captures are cached under $BENCH_DIR by a hash of the generator binary and
# its options, so reruns reuse them; each is read once before the runs so
# the sensor reads it from the page cache, not the disk.
#
# Per-core numbers come from the lines the sensor prints at exit,
#   mamori: worker N: cpu_s=C busy_s=S pkts=P bytes=B
# (Mpps/core = sum P / sum S, Gbps/core = 8 * sum B / sum S, bytes on the
# wire; S is the time the worker spent processing batches, C its whole CPU
# time including idle polling); wall numbers from decoder.pkts and decoder.bytes of the last stats
# record in eve.json over the run's wall time; drops are
# capture.dispatch_ring_full + capture.kernel_drops of that record.
#
# Environment:
#   MAMORI, GEN_TRAFFIC   the sensor and the generator (make bench sets both)
#   BENCH_PACKETS         frames per generated capture (default 4000000)
#   BENCH_MAX_MB          cap on a capture's size in MB (default 1024): the
#                         1500-byte capture stops there, short of BENCH_PACKETS
#   BENCH_FLOWS           TCP flows per capture (default BENCH_PACKETS/400)
#   BENCH_CAPTURES        which of "64 1500 imix" (default all three)
#   BENCH_WORKERS         worker counts to run (default "1 2")
#   BENCH_REPEAT          runs of each (capture, workers); the table shows the
#                         run of median wall time (default 3)
#   BENCH_CORPUS          a real capture to run as well (default the corpus's
#                         throughput/ndpi-mix-ethernet.pcap when present;
#                         "none" to skip)
#   BENCH_ARGS            more sensor arguments (e.g. "-S my.rules")
#   BENCH_DIR             capture cache (default ${TMPDIR:-/tmp}/mamori-bench-UID)
#   BENCH_KEEP=1          keep each run's output directory (eve.json, stderr)
#   BENCH_SECONDS         each run reads its capture in a loop
#                         (pcap-file.loop) for about this long (default 5;
#                         a one-pass calibration run picks the loop count)
#   BENCH_QUICK=1         tiny captures, for a smoke test of this script
#
# Detection (after the capture sections; tools/detect-bench, one core, CPU
# time): a mixed IMIX capture with attack strings planted, rule sets from
# tools/gen-rules and ET Open; per rule set the raw Hyperscan block-scan
# rate of the engine's own databases over the capture's payloads (the
# ceiling), the full worker path (flow lookup + detect_packet), their
# ratio, engine build time and memory. Rule files are cached like captures.
#   BENCH_DETECT=0        skip the detection section
#   BENCH_KAFKA=0         skip the Kafka section (one sink, in-process mock broker)
#   BENCH_KAFKA_COUNT     records of each Kafka throughput run (default 300000)
#   DETECT_BENCH, GEN_RULES  the two tools (make bench sets both)
#   BENCH_DETECT_PACKETS  frames of the mixed capture (default 200000)
#   BENCH_DETECT_RULES    generated rule counts (default "1000 10000 30000")
#   BENCH_DETECT_REPEAT   timed passes of each kind; median shown (default 5)
#   BENCH_ET              ET Open folder (default the corpus's rules/et-open;
#                         "none" to skip)
set -u

: "${MAMORI:=./mamori}"
: "${GEN_TRAFFIC:=./tools/gen-traffic}"
: "${BENCH_QUICK:=0}"
if [ "$BENCH_QUICK" = 1 ]; then
	: "${BENCH_PACKETS:=20000}"
	: "${BENCH_FLOWS:=50}"
	: "${BENCH_REPEAT:=1}"
else
	: "${BENCH_PACKETS:=4000000}"
fi
: "${BENCH_FLOWS:=$(( BENCH_PACKETS / 400 < 200 ? 200 : BENCH_PACKETS / 400 ))}"
: "${BENCH_MAX_MB:=1024}"
: "${BENCH_CAPTURES:=64 1500 imix}"
: "${BENCH_WORKERS:=1 2}"
: "${BENCH_REPEAT:=3}"
: "${BENCH_ARGS:=}"
: "${BENCH_DIR:=${TMPDIR:-/tmp}/mamori-bench-$(id -u)}"
: "${BENCH_KEEP:=0}"
if [ "$BENCH_QUICK" = 1 ]; then : "${BENCH_SECONDS:=0}"; else : "${BENCH_SECONDS:=5}"; fi
LOOP=1
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${BENCH_CORPUS+x}" ]; then
	BENCH_CORPUS=$HERE/../../shared/corpus/throughput/ndpi-mix-ethernet.pcap
	[ -f "$BENCH_CORPUS" ] || BENCH_CORPUS=none
fi

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$MAMORI" ] || die "no sensor at MAMORI=$MAMORI (make first)"
[ -x "$GEN_TRAFFIC" ] || die "no generator at GEN_TRAFFIC=$GEN_TRAFFIC"
command -v python3 >/dev/null || die "python3 is needed to read the results"
TIME=
[ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1 && TIME=/usr/bin/time

mkdir -p "$BENCH_DIR" || die "cannot create $BENCH_DIR"
RUNS=$(mktemp -d "${TMPDIR:-/tmp}/mamori-bench-run-XXXXXX") || die "mktemp failed"
[ "$BENCH_KEEP" = 1 ] || trap 'rm -rf "$RUNS"' EXIT
RESULTS=$RUNS/results.tsv
: >"$RESULTS"

# Sensor options for a throughput run, each kept only if this sensor
# accepts it (-T checks the configuration and exits): no per-flow records,
# no console alerts.
SENSOR_ARGS=()
for kv in outputs.eve-log.flow.enabled=no outputs.console.enabled=no; do
	if "$MAMORI" -T --set "$kv" >/dev/null 2>&1; then
		SENSOR_ARGS+=(--set "$kv")
	else
		echo "bench: the sensor refuses --set $kv; running without it" >&2
	fi
done

hash_of() { { cat "$GEN_TRAFFIC"; echo "$*"; } | cksum | cut -d' ' -f1; }

# generate NAME MIX AVG_FRAME -> prints the capture's path (cached).
# AVG_FRAME (data segments and ACKs together) decides whether
# BENCH_PACKETS frames would pass BENCH_MAX_MB; if so the size is the budget.
generate() {
	local name=$1 mix=$2 avg=$3 opts key file
	if [ $((BENCH_PACKETS * avg)) -gt $((BENCH_MAX_MB * 1000000)) ]; then
		opts="--size $((BENCH_MAX_MB * 1000000))"
	else
		opts="--packets $BENCH_PACKETS"
	fi
	opts="--seed 1 --flows $BENCH_FLOWS $opts --pkt-size $mix"
	key=$(hash_of "$opts")
	file=$BENCH_DIR/$name-$key.pcap
	if [ ! -s "$file" ] || [ ! -s "$file.summary" ]; then
		echo "bench: generating $name ($opts)" >&2
		# shellcheck disable=SC2086
		"$GEN_TRAFFIC" -o "$file.tmp" $opts 2>"$file.summary.tmp" ||
			{ cat "$file.summary.tmp" >&2; rm -f "$file.tmp" "$file.summary.tmp"; return 1; }
		mv "$file.summary.tmp" "$file.summary" && mv "$file.tmp" "$file"
		sed 's/^/bench:   /' "$file.summary" >&2
	fi
	echo "$file"
}

FAILED=0

# calibrate FILE: set LOOP so that one run reads FILE for about
# BENCH_SECONDS (one timed pass with one worker decides).
calibrate() {
	local file=$1 out t0 t1
	LOOP=1
	[ "$BENCH_SECONDS" -gt 0 ] 2>/dev/null || return 0
	out=$RUNS/calibrate
	mkdir -p "$out"
	cat "$file" >/dev/null
	t0=$(date +%s.%N)
	"$MAMORI" -q -r "$file" -l "$out" --workers 1 "${SENSOR_ARGS[@]}" $BENCH_ARGS \
		>/dev/null 2>&1 || return 0
	t1=$(date +%s.%N)
	LOOP=$(python3 -c "import math,sys; print(max(1, min(100000, math.ceil($BENCH_SECONDS / max(1e-3, $t1 - $t0)))))")
	echo "bench:   reading it $LOOP times per run (about ${BENCH_SECONDS} s)" >&2
}

# run NAME FILE WORKERS REPEAT
run() {
	local name=$1 file=$2 workers=$3 rep=$4 out t0 t1 rc
	out=$RUNS/$name-w$workers-r$rep
	mkdir -p "$out"
	cat "$file" >/dev/null # into the page cache
	t0=$(date +%s.%N)
	if [ -n "$TIME" ]; then
		"$TIME" -v -o "$out/time" "$MAMORI" -r "$file" -l "$out" --workers "$workers" \
			--set pcap-file.loop="$LOOP" \
			"${SENSOR_ARGS[@]}" $BENCH_ARGS >"$out/stdout" 2>"$out/stderr"
	else
		"$MAMORI" -r "$file" -l "$out" --workers "$workers" \
			--set pcap-file.loop="$LOOP" \
			"${SENSOR_ARGS[@]}" $BENCH_ARGS >"$out/stdout" 2>"$out/stderr"
	fi
	rc=$?
	t1=$(date +%s.%N)
	if [ $rc -ne 0 ]; then
		echo "bench: $name, $workers worker(s), run $rep: the sensor failed (exit $rc):" >&2
		tail -n 20 "$out/stderr" >&2
		FAILED=1
	fi
	python3 - "$name" "$workers" "$rc" "$t0" "$t1" "$out" "$file" >>"$RESULTS" <<'PY'
import json, os, re, sys
name, workers, rc, t0, t1, out, pcap = sys.argv[1:]
wall = float(t1) - float(t0)

stats = None
eve = os.path.join(out, "eve.json")
if os.path.exists(eve):
    for line in open(eve, errors="replace"):
        if '"stats"' not in line:
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("event_type") == "stats":
            stats = rec.get("stats")

def field(path):
    v = stats
    for k in path.split("."):
        if not isinstance(v, dict) or k not in v:
            return None
        v = v[k]
    return v

cpu = pk = by = 0.0
nw = 0
for line in open(os.path.join(out, "stderr"), errors="replace"):
    m = re.search(r"worker (\d+):.*\bbusy_s=([\d.]+).*\bpkts=(\d+).*\bbytes=(\d+)", line)
    if m:
        nw += 1
        cpu += float(m.group(2)); pk += int(m.group(3)); by += int(m.group(4))

rss = None
tf = os.path.join(out, "time")
if os.path.exists(tf):
    for line in open(tf):
        if "Maximum resident set size" in line:
            rss = int(line.split(":")[-1]) / 1024.0

pkts = field("decoder.pkts")
byts = field("decoder.bytes")
if pkts is None and nw:
    pkts, byts = pk, by
drops = None
for path in ("capture.dispatch_ring_full", "dispatch.ring_full"):
    if field(path) is not None:
        drops = field(path)
        break
if field("capture.kernel_drops") is not None:
    drops = (drops or 0) + field("capture.kernel_drops")

def num(v, fmt):
    return "-" if v is None else fmt % v

row = [name, workers, rc,
       num(pkts, "%d"),
       num(byts / pkts if pkts and byts is not None else None, "%.0f"),
       num(pk / cpu / 1e6 if nw and cpu > 0 else None, "%.3f"),
       num(by * 8 / cpu / 1e9 if nw and cpu > 0 else None, "%.2f"),
       num(pkts / wall / 1e6 if pkts else None, "%.3f"),
       num(byts * 8 / wall / 1e9 if byts else None, "%.2f"),
       "%.2f" % wall,
       num(rss, "%.0f"),
       num(drops, "%d")]
print("\t".join(str(x) for x in row))
PY
}

echo "bench: sensor $MAMORI, $(nproc 2>/dev/null || echo ?) CPUs; captures of $BENCH_PACKETS frames (at most $BENCH_MAX_MB MB) in $BENCH_DIR" >&2
for cap in $BENCH_CAPTURES; do
	case "$cap" in
	64) name=64B mix=64 avg=66 ;;
	1500) name=1500B mix=1500 avg=1000 ;;
	imix) name=imix mix=imix avg=240 ;;
	*) die "unknown capture '$cap' in BENCH_CAPTURES (64, 1500, imix)" ;;
	esac
	file=$(generate "$name" "$mix" "$avg") || die "the generator failed"
	calibrate "$file"
	for w in $BENCH_WORKERS; do
		echo "bench: $name, $w worker(s)" >&2
		for r in $(seq "$BENCH_REPEAT"); do run "$name" "$file" "$w" "$r"; done
	done
done
if [ "$BENCH_CORPUS" != none ]; then
	if [ -f "$BENCH_CORPUS" ]; then
		calibrate "$BENCH_CORPUS"
		for w in $BENCH_WORKERS; do
			echo "bench: $(basename "$BENCH_CORPUS"), $w worker(s)" >&2
			for r in $(seq "$BENCH_REPEAT"); do
				run "$(basename "$BENCH_CORPUS" .pcap)" "$BENCH_CORPUS" "$w" "$r"
			done
		done
	else
		echo "bench: no capture at BENCH_CORPUS=$BENCH_CORPUS; skipped" >&2
	fi
fi

python3 - "$RESULTS" "$BENCH_REPEAT" <<'PY'
import sys
head = ["capture", "workers", "exit", "frames", "avg B", "Mpps/core", "Gbps/core",
        "wall Mpps", "wall Gbps", "wall s", "peak RSS MiB", "drops"]
runs = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
groups = {}
for r in runs:
    groups.setdefault((r[0], r[1]), []).append(r)
rows = []
for key in sorted(groups, key=lambda k: [r[:2] for r in runs].index(list(k))):
    g = groups[key]
    failed = [r for r in g if r[2] != "0"]
    if failed:
        rows.append(failed[0])
        continue
    g.sort(key=lambda r: float(r[9]))
    rows.append(g[len(g) // 2])
w = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
for r in [head] + rows:
    print("  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(r)))
print("per-core: worker packets and wire bytes over the seconds workers spent processing batches; "
      "wall: over the whole run, startup and teardown included; "
      "median of %s run(s) by wall time" % sys.argv[2])
PY

# ---- detection --------------------------------------------------------------
: "${BENCH_DETECT:=1}"
: "${DETECT_BENCH:=./tools/detect-bench}"
: "${GEN_RULES:=$HERE/gen-rules}"
if [ "$BENCH_QUICK" = 1 ]; then
	: "${BENCH_DETECT_PACKETS:=20000}"
	: "${BENCH_DETECT_RULES:=1000}"
	: "${BENCH_DETECT_REPEAT:=1}"
else
	: "${BENCH_DETECT_PACKETS:=200000}"
	: "${BENCH_DETECT_RULES:=1000 10000 30000}"
	: "${BENCH_DETECT_REPEAT:=5}"
fi
if [ -z "${BENCH_ET+x}" ]; then
	BENCH_ET=$HERE/../../shared/corpus/rules/et-open
	[ -d "$BENCH_ET" ] || BENCH_ET=none
fi
DRESULTS=$RUNS/detect.tsv
: >"$DRESULTS"

# detect_capture -> the mixed capture's path (cached): IMIX, one flow per
# 400 frames, and gen-rules' attack strings planted in a few flows.
detect_capture() {
	local flows=$((BENCH_DETECT_PACKETS / 400 < 50 ? 50 : BENCH_DETECT_PACKETS / 400))
	local plants=() i=0 pat key file
	while IFS= read -r pat; do
		plants+=(--plant "$pat@$(((i * 37) % flows)):$((100 + i * 13))")
		i=$((i + 1))
	done < <(python3 "$GEN_RULES" --print-plants) || return 1
	key=$({ cat "$GEN_TRAFFIC"; echo "$flows $BENCH_DETECT_PACKETS ${plants[*]}"; } |
		cksum | cut -d' ' -f1)
	file=$BENCH_DIR/detect-mix-$key.pcap
	if [ ! -s "$file" ]; then
		echo "bench: generating the detection capture ($BENCH_DETECT_PACKETS frames, imix, $i plants)" >&2
		"$GEN_TRAFFIC" -o "$file.tmp" --seed 1 --flows "$flows" \
			--packets "$BENCH_DETECT_PACKETS" --pkt-size imix "${plants[@]}" \
			2>"$file.summary" || { cat "$file.summary" >&2; rm -f "$file.tmp"; return 1; }
		mv "$file.tmp" "$file"
		sed 's/^/bench:   /' "$file.summary" >&2
	fi
	echo "$file"
}

# detect_rules N -> a generated rule file's path (cached)
detect_rules() {
	local n=$1 key file
	key=$({ cat "$GEN_RULES"; echo "$n"; } | cksum | cut -d' ' -f1)
	file=$BENCH_DIR/rules-$n-$key.rules
	if [ ! -s "$file" ]; then
		echo "bench: generating $n rules" >&2
		python3 "$GEN_RULES" -n "$n" --seed 1 -o "$file" || return 1
	fi
	echo "$file"
}

# detect_run NAME CAPTURE CLASSIFICATION RULEFILE...
detect_run() {
	local name=$1 cap=$2 cls=$3 out args=()
	shift 3
	for f in "$@"; do args+=(-S "$f"); done
	out=$RUNS/detect-$name
	echo "bench: detection, $name" >&2
	# cold compiles unless DETECT_CACHE names a database cache
	if ! "$DETECT_BENCH" "${args[@]}" -r "$cap" --classification "$cls" \
		--set detect.hs-cache-dir="${DETECT_CACHE:-}" \
		--repeat "$BENCH_DETECT_REPEAT" >"$out" 2>"$out.err"; then
		echo "bench: detect-bench failed on $name:" >&2
		tail -n 20 "$out.err" >&2
		FAILED=1
		return
	fi
	python3 - "$name" "$out" >>"$DRESULTS" <<'PY'
import sys
name, path = sys.argv[1:]
kv = dict(l.rstrip("\n").split("=", 1) for l in open(path) if "=" in l)
def f(k, fmt="%s", scale=1.0):
    return fmt % (float(kv[k]) * scale) if k in kv else "-"
if kv.get("rules_failed", "0") != "0":
    print("bench: %s: %s rules failed to load" % (name, kv["rules_failed"]), file=sys.stderr)
print("\t".join([
    name,
    "%s/%s" % (kv.get("rules_active", "-"), kv.get("rules_prefiltered", "-")),
    f("build_ms", "%.0f"),
    "%s/%s" % (f("ceiling_gbps_wire", "%.2f"), f("ceiling_gbps_payload", "%.2f")),
    f("ceiling_mpps", "%.2f"),
    "%s/%s" % (f("full_gbps_wire", "%.2f"), f("full_gbps_payload", "%.2f")),
    f("full_mpps", "%.2f"),
    f("ratio", "%.0f%%", 100),
    f("candidates_per_packet", "%.2f"),
    f("checked_per_packet", "%.2f"),
    kv.get("alerts", "-"),
    f("engine_rss_mib", "%.0f"),
    f("peak_rss_mib", "%.0f"),
]))
PY
}

if [ "$BENCH_DETECT" != 0 ]; then
	if [ ! -x "$DETECT_BENCH" ]; then
		die "no detection benchmark at DETECT_BENCH=$DETECT_BENCH (make first, or BENCH_DETECT=0)"
	fi
	dcap=$(detect_capture) || die "the generator failed"
	for n in $BENCH_DETECT_RULES; do
		rf=$(detect_rules "$n") || die "gen-rules failed"
		detect_run "gen-$n" "$dcap" "$HERE/../rules/classification.config" "$rf"
	done
	if [ "$BENCH_ET" != none ]; then
		if compgen -G "$BENCH_ET/*.rules" >/dev/null; then
			detect_run et-open "$dcap" "$BENCH_ET/classification.config" "$BENCH_ET"/*.rules
			# the same again through a database cache: filled, then loaded
			DETECT_CACHE=$RUNS/hs-cache
			detect_run et-open-cache-fill "$dcap" "$BENCH_ET/classification.config" "$BENCH_ET"/*.rules
			detect_run et-open-cached "$dcap" "$BENCH_ET/classification.config" "$BENCH_ET"/*.rules
			DETECT_CACHE=
		else
			echo "bench: no rules in BENCH_ET=$BENCH_ET; skipped" >&2
		fi
	fi
	echo
	python3 - "$DRESULTS" "$BENCH_DETECT_REPEAT" "$dcap" <<'PY'
import sys
head = ["rules", "active/prefilt", "build ms", "ceiling Gbps w/p", "ceiling Mpps",
        "mamori Gbps w/p", "mamori Mpps", "ratio", "cand/pkt", "checked/pkt", "alerts",
        "engine MiB", "peak RSS MiB"]
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
w = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
for r in [head] + rows:
    print("  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(r)))
print("detection, one worker core (thread CPU time, median of %s pass(es)) over %s: "
      "ceiling = hs_scan of the engine's databases over every payload; mamori = flow lookup "
      "+ detect_packet; Gbps over wire bytes / payload bytes; ratio = mamori/ceiling; "
      "build = engine build (Hyperscan compile, cold: no database cache; et-open-cached: "
      "loaded from the cache et-open-cache-fill wrote), rule parsing "
      "not included; engine MiB = resident growth over the build; peak RSS of detect-bench, "
      "which also holds the capture" % (sys.argv[2], sys.argv[3].rsplit("/", 1)[-1]))
PY
fi

# Application layer: the sensor with ET Open over a generated HTTP/DNS/TLS
# mix (gen-traffic's default jobs) and the corpus capture, one worker,
# with the app layer (reassembly, stream matching, HTTP/DNS/TLS parsing,
# app rules) and signature-only (app-layer.protocols.http.enabled=no).
# The generated flows stay open to the end, so every one needs parser
# state at once: the app runs get BENCH_APP_MEMCAP of it (refused flows,
# parsed by nobody, would flatter the figure; the table shows them).
#   BENCH_APP=0           skip it
#   BENCH_APP_MEMCAP      app-layer.protocols.http.memcap (default 4gb)
#   BENCH_APP_PACKETS     frames of the generated mix (default 1000000)
: "${BENCH_APP:=1}"
: "${BENCH_APP_MEMCAP:=4gb}"
if [ "$BENCH_QUICK" = 1 ]; then : "${BENCH_APP_PACKETS:=20000}"; else : "${BENCH_APP_PACKETS:=1000000}"; fi
if [ "$BENCH_APP" != 0 ] && [ "$BENCH_ET" != none ] && compgen -G "$BENCH_ET/*.rules" >/dev/null; then
	app_cap=$BENCH_DIR/appmix-$BENCH_APP_PACKETS-$(hash_of app).pcap
	if [ ! -s "$app_cap" ]; then
		echo "bench: generating the HTTP/DNS/TLS mix ($BENCH_APP_PACKETS frames)" >&2
		"$GEN_TRAFFIC" -o "$app_cap.tmp" --seed 7 --packets "$BENCH_APP_PACKETS" \
			--flows $((BENCH_APP_PACKETS / 300 + 1)) --dns 50 >/dev/null 2>&1 &&
			mv "$app_cap.tmp" "$app_cap" ||
			{ echo "bench: gen-traffic failed for the app mix" >&2; FAILED=1; }
	fi
	SAVED_ARGS=$BENCH_ARGS SAVED_RESULTS=$RESULTS SAVED_WORKERS=$BENCH_WORKERS
	RESULTS=$RUNS/app.tsv
	: >"$RESULTS"
	et_args="--set classification-file=$BENCH_ET/classification.config"
	for f in "$BENCH_ET"/*.rules; do et_args="$et_args -S $f"; done
	app_caps=$app_cap
	[ "$BENCH_CORPUS" != none ] && [ -f "$BENCH_CORPUS" ] && app_caps="$app_caps $BENCH_CORPUS"
	for cap in $app_caps; do
		[ -s "$cap" ] || continue
		base=$(basename "$cap" .pcap)
		base=${base%%-[0-9]*}
		for mode in app sig; do
			BENCH_ARGS="$SAVED_ARGS $et_args"
			[ $mode = sig ] && BENCH_ARGS="$BENCH_ARGS --set app-layer.protocols.http.enabled=no"
			[ $mode = app ] && BENCH_ARGS="$BENCH_ARGS --set app-layer.protocols.http.memcap=$BENCH_APP_MEMCAP"
			[ $mode = app ] && calibrate "$cap"
			echo "bench: ET Open over $base, $mode" >&2
			for r in $(seq "$BENCH_REPEAT"); do
				run "$base/$mode" "$cap" 1 "$r"
				# flows and the parsers' memory from the run's last stats record
				python3 - "$RUNS/$base/$mode-w1-r$r" >>"$RUNS/app-extra.tsv" <<'PY'
import json, re, sys
out = sys.argv[1]
cpu = pk = by = 0
for line in open(out + "/stderr", errors="replace"):
    m = re.search(r"worker \d+: cpu_s=([\d.]+).*\bpkts=(\d+).*\bbytes=(\d+)", line)
    if m:
        cpu += float(m.group(1)); pk += int(m.group(2)); by += int(m.group(3))
st = {}
for line in open(out + "/eve.json", errors="replace"):
    if '"event_type":"stats"' in line:
        st = json.loads(line)["stats"]
alerts = sum(1 for l in open(out + "/eve.json", errors="replace") if '"event_type":"alert"' in l)
flows = st.get("flow", {}).get("total", st.get("flow", {}).get("created", 0))
app = st.get("app_layer", {})
parsed = sum(v for k, v in app.get("flow", {}).items() if k != "failed")
print("\t".join(str(x) for x in (out, alerts, flows, app.get("memuse", 0),
                                  st.get("stream", {}).get("memuse_max", 0),
                                  st.get("detect", {}).get("stream_bytes", 0),
                                  "%.3f" % (pk / cpu / 1e6) if cpu else "-",
                                  "%.2f" % (by * 8 / cpu / 1e9) if cpu else "-",
                                  parsed, app.get("memcap_refused", 0))))
PY
			done
		done
	done
	BENCH_ARGS=$SAVED_ARGS RESULTS=$SAVED_RESULTS BENCH_WORKERS=$SAVED_WORKERS
	echo
	python3 - "$RUNS/app.tsv" "$RUNS/app-extra.tsv" "$RUNS" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
extra = {}
for l in open(sys.argv[2]):
    f = l.rstrip("\n").split("\t")
    extra[f[0]] = f[1:]
groups = {}
for i, r in enumerate(rows):
    groups.setdefault(r[0], []).append((i, r))
head = ["capture/mode", "frames", "Mpps/core", "Gbps/core", "peak RSS MiB", "alerts",
        "flows", "parsed", "refused", "parser MiB", "KiB/parsed", "stream ooo MiB", "stream GB"]
out = []
for name, g in groups.items():
    g.sort(key=lambda x: float(x[1][9]))
    i, r = g[len(g) // 2]
    rep = sum(1 for j, _ in groups[name] if j <= i)
    run_dir = "%s/%s-w1-r%d" % (sys.argv[3], name, [j for j, _ in sorted(groups[name])].index(i) + 1)
    e = extra.get(run_dir, ["-"] * 9)
    mib = lambda v: "%.1f" % (int(v) / 1048576.0) if v not in ("-", "") else "-"
    per = "%.0f" % (int(e[2]) / 1024.0 / int(e[7])) if e[7] not in ("-", "0") else "-"
    out.append([name, r[3], e[5], e[6], r[10], e[0], e[1], e[7], e[8], mib(e[2]), per, mib(e[3]),
                "%.2f" % (int(e[4]) / 1e9) if e[4] != "-" else "-"])
w = [max(len(x[i]) for x in [head] + out) for i in range(len(head))]
for x in [head] + out:
    print("  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(x)))
print("ET Open, one worker: app = reassembly, stream matching, HTTP/DNS/TLS parsers and the "
      "app rules; sig = signature-only (app-layer.protocols.http.enabled=no); per-core over "
      "the worker thread's CPU time (wire bytes); parsed/refused = flows given a parser / refused "
      "by the memcap; parser MiB = parser state allocated at the end (pooled, per flow of a "
      "parsed protocol), KiB/parsed its mean per parsed flow; stream ooo MiB = high-water of out-of-order blocks; median "
      "of the runs by wall time")
PY
fi

# Anomaly scoring: the hooks' cost per packet on one worker core and the
# scorer's per event (tools/anomaly-bench over an IMIX capture), and memory
# under a spoofed-source SYN flood.
#   BENCH_ANOMALY=0       skip it
#   ANOMALY_BENCH         the tool (make bench sets it)
#   BENCH_ANOMALY_SOURCES spoofed sources of the flood (default 5000000)
: "${BENCH_ANOMALY:=1}"
: "${ANOMALY_BENCH:=./tools/anomaly-bench}"
: "${BENCH_ANOMALY_SOURCES:=5000000}"
[ "$BENCH_QUICK" = 1 ] && BENCH_ANOMALY_SOURCES=200000
if [ "$BENCH_ANOMALY" != 0 ]; then
	acap=$BENCH_DIR/anomaly-imix-$BENCH_PACKETS.pcap
	if [ ! -s "$acap" ]; then
		"$GEN_TRAFFIC" -o "$acap" --packets "$BENCH_PACKETS" --pkt-size imix \
			--flows $((BENCH_PACKETS / 400 + 1)) >/dev/null 2>&1 ||
			{ echo "bench: gen-traffic failed for the anomaly capture" >&2; FAILED=1; }
	fi
	echo
	"$ANOMALY_BENCH" "$acap" "$BENCH_ANOMALY_SOURCES" || FAILED=1
fi

# ---- Kafka ------------------------------------------------------------------
: "${BENCH_KAFKA:=1}"
: "${KAFKA_BENCH:=./tools/kafka-bench}"
if [ "$BENCH_QUICK" = 1 ]; then
	: "${BENCH_KAFKA_COUNT:=20000}"; KAFKA_SECONDS=1
else
	: "${BENCH_KAFKA_COUNT:=300000}"; KAFKA_SECONDS=3
fi
if [ "$BENCH_KAFKA" = 1 ]; then
	echo
	if "$KAFKA_BENCH" --count "$BENCH_KAFKA_COUNT" --rates 1000,50000 \
		--seconds "$KAFKA_SECONDS" --dir "$RUNS/kafka" >"$RUNS/kafka.tsv" 2>"$RUNS/kafka.err"; then
		python3 - "$RUNS/kafka.tsv" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
print("Kafka, one sink driven by one output thread, loopback mock broker (acks=all, "
      "idempotent, lz4, linger.ms 5), 2.3 KiB alert lines:")
for r in rows:
    if r[0] == "throughput":
        print("  %-15s %7s records: %9s/s handed to librdkafka, %9s/s acknowledged "
              "(p50 %s us, p99 %s us, max %s us)" % (r[1], r[2], r[3], r[4], r[6], r[7], r[8]))
    else:
        print("  latency at %6s alerts/s: p50 %6s us  p99 %6s us  max %6s us "
              "(capture to acknowledgement, %s alerts)" % (r[1], r[3], r[4], r[5], r[2]))
print("format+publish: the sink formats each record (no eve.json, or a privacy profile); "
      "publish: lines formatted once for eve.json and the sink; target >= 200k/s, p99 <= 20 ms")
PY
	else
		echo "bench: kafka-bench failed: $(tail -3 "$RUNS/kafka.err")" >&2
		FAILED=1
	fi
fi

[ "$BENCH_KEEP" = 1 ] && echo "bench: run outputs kept in $RUNS" >&2
exit $FAILED
